"""Invitations to sign: a link that lets one representative act on one signature request from
a browser, with no account and no API key, and the short sessions such a link opens.

Neither a link's token nor a session's cookie is kept: only their SHA-256, so a copy of the
database opens nothing. A token is used once — opening the link trades it for a session — and a
new one (a resend, a reminder) replaces the old one, which stops working."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.models.base import Base, UTCDateTime
from app.models.signature import Signature


class Invitation(Base):
    """The link to sign one signature request; at most one is live per request."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signature_id: Mapped[int] = mapped_column(ForeignKey("signatures.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # Where it was emailed; None when the link went back to the caller to pass on.
    email: Mapped[str | None] = mapped_column(String(254))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the link was opened (its token spent on a session).
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How many links it has had (the first, then one per resend or reminder), the latest when.
    sends: Mapped[int] = mapped_column(Integer, default=1)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by: Mapped[dict[str, Any]] = mapped_column(JSON)

    signature: Mapped[Signature] = relationship(lazy="raise")


class SigningSession(Base):
    """A browser's session opened by an invitation's link: it acts on that one signature
    request only, and ends when the request is decided, the invitation is revoked or
    replaced, or its time runs out."""

    __tablename__ = "signing_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"), index=True)
    cookie_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # Each form of the session carries a token derived from the cookie and this nonce (so a
    # site that does not hold the cookie cannot make one); a new nonce after each form sent
    # refuses the same form sent again (a replay).
    form_nonce: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    invitation: Mapped[Invitation] = relationship(lazy="raise")


class DevicePreparation(Base):
    """A PAdES signature prepared for a signer's device to make (e.firma in the browser): what
    completing it needs, kept until the signature value comes back or the session ends. One
    per session; a new preparation replaces it."""

    __tablename__ = "device_preparations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signing_session_id: Mapped[int] = mapped_column(ForeignKey("signing_sessions.id"), unique=True)
    prepared_pdf: Mapped[bytes] = mapped_column(LargeBinary)
    reserved_start: Mapped[int] = mapped_column(Integer)
    reserved_end: Mapped[int] = mapped_column(Integer)
    document_digest: Mapped[bytes] = mapped_column(LargeBinary)
    signed_attributes: Mapped[bytes] = mapped_column(LargeBinary)
    certificate: Mapped[bytes] = mapped_column(LargeBinary)
    chain: Mapped[list[str]] = mapped_column(JSON)  # base64 DER intermediates
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
