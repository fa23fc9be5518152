"""What a webhook delivery carries, and how receivers know it came from this service.

The body is the event as JSON. The signature is the HMAC-SHA256, keyed with the subscription's
secret, of the timestamp, a full stop and the body: a receiver recomputes it, compares in
constant time, and refuses timestamps more than a few minutes old, so a captured delivery
cannot be replayed later.
"""

import hashlib
import hmac

from app.kit import canonical_json
from app.models import Event

SIGNATURE_VERSION = "v1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={digest.hexdigest()}"


def signed_request(
    event: Event, delivery_id: int, secret: str, timestamp: int
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one delivery of ``event``."""
    body = canonical_json(
        {
            "id": event.id,
            "type": event.type.value,
            "created_at": event.created_at,
            "agreement_id": event.agreement_id,
            "data": event.payload,
        }
    ).encode()
    headers = {
        "Convenios-Event": event.type.value,
        "Convenios-Event-Id": str(event.id),
        # The same on every attempt of one delivery: receivers use it to ignore repeats.
        "Convenios-Delivery": str(delivery_id),
        "Convenios-Timestamp": str(timestamp),
        "Convenios-Signature": signature(secret, timestamp, body),
    }
    return body, headers
