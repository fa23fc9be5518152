"""API keys: every way of not holding a working key is a 401; keys are stored only as hashes."""

import hashlib

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.auth import keys as key_format
from app.auth import service
from app.auth.principal import operator
from app.errors import PROBLEM_MEDIA_TYPE, Conflict, Unprocessable
from app.models import ApiKey
from app.models.enums import Role
from tests.conftest import Keys
from tests.factories import API, ok, party, representative

ME = f"{API}/me"


def new_key(
    db: Session, role: Role = Role.LEGAL, representative_id: int | None = None
) -> tuple[ApiKey, str]:
    api_key, plaintext = service.create_key(
        session=db,
        name=f"llave de {role.value}",
        role=role,
        representative_id=representative_id,
        actor=operator("tests"),
    )
    db.flush()
    return api_key, plaintext


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_unauthorized(response: Response, case: object) -> None:
    assert response.status_code == 401, (case, response.text)
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE, case
    assert response.headers["www-authenticate"].startswith('Bearer realm="convenios"'), case
    body = response.json()
    assert body["status"] == 401 and body["type"] == "urn:convenios:problem:unauthorized", case


def test_every_way_of_lacking_a_working_key_is_a_401(client: TestClient, db: Session) -> None:
    api_key, plaintext = new_key(db)
    secret = plaintext.split("_", 2)[2]  # cvn_<key id>_<secret>; the secret may hold "_"
    wrong_secret = plaintext.removesuffix(secret) + ("A" if secret[0] != "A" else "B") + secret[1:]
    unknown_id = "cvn_" + "0" * 12 + "_" + secret
    assert key_format.parse(wrong_secret) is not None and key_format.parse(unknown_id) is not None
    cases: dict[str, dict[str, str]] = {
        "no Authorization": {},
        "empty Authorization": {"Authorization": ""},
        "Basic scheme": {"Authorization": "Basic YWRtaW46YWRtaW4="},
        "Basic scheme with the real key": {"Authorization": f"Basic {plaintext}"},
        "the key without a scheme": {"Authorization": plaintext},
        "Bearer and nothing": {"Authorization": "Bearer "},
        "malformed key": bearer("not-a-key"),
        "truncated key": bearer(plaintext[:-1]),
        "key with a prefix": bearer("x" + plaintext),
        "well-formed, wrong secret": bearer(wrong_secret),
        "well-formed, unknown key id": bearer(unknown_id),
    }
    for case, headers in cases.items():
        assert_unauthorized(client.get(ME, headers=headers), case)
        assert_unauthorized(client.get(f"{API}/agreements", headers=headers), case)
    # The same key, sent properly, works; so does the scheme in any case (RFC 9110).
    assert ok(client.get(ME, headers=bearer(plaintext)))["api_key_id"] == api_key.id
    assert ok(client.get(ME, headers={"Authorization": f"bearer {plaintext}"}))["role"] == "legal"


def test_a_revoked_key_stops_working_at_once(client: TestClient, db: Session) -> None:
    api_key, plaintext = new_key(db, Role.ADMIN)
    assert ok(client.get(ME, headers=bearer(plaintext)))["role"] == "admin"
    service.revoke_key(session=db, api_key_id=api_key.id, actor=operator("tests"))
    db.flush()
    response = client.get(ME, headers=bearer(plaintext))
    assert_unauthorized(response, "revoked")
    assert "revoked" in response.json()["detail"]
    # Writes are refused too, before the body is even looked at.
    assert_unauthorized(client.post(f"{API}/parties", json={}, headers=bearer(plaintext)), "post")
    with pytest.raises(Conflict):
        service.revoke_key(session=db, api_key_id=api_key.id, actor=operator("tests"))


def test_revoking_one_key_leaves_the_others_alone(
    client: TestClient, db: Session, keys: Keys
) -> None:
    api_key, plaintext = new_key(db, Role.VIEWER)
    service.revoke_key(session=db, api_key_id=api_key.id, actor=operator("tests"))
    db.flush()
    assert_unauthorized(client.get(ME, headers=bearer(plaintext)), "revoked")
    assert ok(client.get(ME, headers=keys.viewer))["role"] == "viewer"


def test_keys_are_stored_hashed(db: Session) -> None:
    api_key, plaintext = new_key(db)
    prefix, key_id, secret = plaintext.split("_", 2)
    assert prefix == "cvn" and key_id == api_key.key_id
    assert api_key.secret_hash != secret
    assert api_key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    # The stored row, as the database holds it: neither the secret nor the key appears anywhere.
    row = db.execute(text("SELECT * FROM api_keys WHERE id = :id"), {"id": api_key.id}).one()
    stored = " ".join(str(value) for value in row)
    assert secret not in stored and plaintext not in stored
    assert db.scalar(select(ApiKey.secret_hash).where(ApiKey.id == api_key.id)) != secret


def test_a_signatory_key_is_bound_to_exactly_one_existing_representative(
    client: TestClient, db: Session, keys: Keys
) -> None:
    created = party(client, keys.legal)
    rep = representative(client, keys.legal, created["id"])
    before = db.scalar(select(ApiKey.id).order_by(ApiKey.id.desc()).limit(1))
    with pytest.raises(Unprocessable) as unbound:
        new_key(db, Role.SIGNATORY, None)
    assert unbound.value.status == 422
    assert [e.field for e in unbound.value.errors or []] == ["representative_id"]
    with pytest.raises(Unprocessable):
        new_key(db, Role.SIGNATORY, 987654321)
    for role in (Role.ADMIN, Role.LEGAL, Role.VIEWER):
        with pytest.raises(Unprocessable) as bound:
            new_key(db, role, rep["id"])
        assert [e.field for e in bound.value.errors or []] == ["representative_id"], role
    with pytest.raises(Unprocessable):
        service.create_key(
            session=db, name="  ", role=Role.VIEWER, representative_id=None, actor=operator("t")
        )
    # None of the refused keys was written.
    assert db.scalar(select(ApiKey.id).order_by(ApiKey.id.desc()).limit(1)) == before
    api_key, plaintext = new_key(db, Role.SIGNATORY, rep["id"])
    assert api_key.representative_id == rep["id"]
    me = ok(client.get(ME, headers=bearer(plaintext)))
    assert me["role"] == "signatory" and me["representative_id"] == rep["id"]


def test_me_names_the_role_of_the_key(client: TestClient, db: Session, keys: Keys) -> None:
    created = party(client, keys.legal)
    rep = representative(client, keys.legal, created["id"])
    for role, headers in (
        ("admin", keys.admin),
        ("legal", keys.legal),
        ("viewer", keys.viewer),
        ("signatory", keys.signatory(db, rep["id"])),
    ):
        me = ok(client.get(ME, headers=headers))
        assert me["role"] == role
        assert me["name"] == f"test {role}"
        assert me["representative_id"] == (rep["id"] if role == "signatory" else None)
        assert isinstance(me["api_key_id"], int)
