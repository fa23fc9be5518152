"""INEGI codes offered to clients."""

from fastapi.testclient import TestClient

from tests.conftest import Keys
from tests.factories import API, ok


def test_the_32_states_are_built_in(client: TestClient, keys: Keys) -> None:
    states = ok(client.get(f"{API}/catalog/states", headers=keys.viewer))
    assert len(states) == 32
    assert {"code": "22", "name": "Querétaro"} in states


def test_municipalities_by_state_and_name_page_by_code(client: TestClient, keys: Keys) -> None:
    params = {"state_code": "15", "q": "tlalnepantla"}
    found = ok(client.get(f"{API}/catalog/municipalities", params=params, headers=keys.legal))
    assert [m["code"] for m in found["items"]] == ["15104"]
    first = ok(
        client.get(
            f"{API}/catalog/municipalities",
            params={"state_code": "09", "limit": 10},
            headers=keys.legal,
        )
    )
    assert len(first["items"]) == 10 and first["next_cursor"]
    second = ok(
        client.get(
            f"{API}/catalog/municipalities",
            params={"state_code": "09", "limit": 10, "cursor": first["next_cursor"]},
            headers=keys.legal,
        )
    )
    codes = [m["code"] for m in first["items"] + second["items"]]
    assert codes == sorted(codes) and len(set(codes)) == 16  # the 16 alcaldías of Mexico City
    assert second["next_cursor"] is None
