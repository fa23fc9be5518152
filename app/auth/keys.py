"""The shape of API keys: ``cvn_<key id>_<secret>``; only SHA-256 of the secret is stored."""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

KEY_PATTERN = re.compile(r"cvn_([a-z0-9]{12})_([A-Za-z0-9_-]{43})")


@dataclass(frozen=True)
class NewKey:
    key_id: str
    secret_hash: str
    plaintext: str


def hash_secret(secret: str) -> str:
    # The secret has 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


def generate() -> NewKey:
    key_id = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
    secret = secrets.token_urlsafe(32)
    return NewKey(
        key_id=key_id, secret_hash=hash_secret(secret), plaintext=f"cvn_{key_id}_{secret}"
    )


def parse(token: str) -> tuple[str, str] | None:
    """The key id and secret of a well-formed key, or None."""
    match = KEY_PATTERN.fullmatch(token)
    return (match.group(1), match.group(2)) if match else None


def matches(secret: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), secret_hash)
