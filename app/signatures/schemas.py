"""Signature schemas: the request, the three ways to sign, a decline, and what is read back."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.models.enums import SignatureMethod, SignatureStatus
from app.schemas import BodyId, CreateSchema, Integer

Sha256 = Field(pattern=r"^[0-9a-fA-F]{64}$")


class SignatureCreate(CreateSchema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"representative_id": 1, "order": 1}]}
    )

    representative_id: BodyId = Field(description="A representative who signs for a party.")
    order: Integer = Field(
        ge=1,
        le=100,
        description="Signing order: requests with the same order sign in parallel, a higher "
        "order waits until every lower one has signed.",
    )


class ElectronicSignature(CreateSchema):
    """The signatory's explicit acceptance of the exact document to sign."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "document_sha256": (
                        "537c15fe6b6ac83e81c4bd4684f1138eef00eabfb384e1f54ec23bc85ff32eef"
                    ),
                    "accept": True,
                }
            ]
        }
    )

    document_sha256: str = Field(
        pattern=r"^[0-9a-fA-F]{64}$",
        description="SHA-256 of the document to sign, as downloaded: proves which bytes the "
        "signatory accepts.",
    )
    accept: Literal[True] = Field(
        description="I have read the convenio and sign it with this acceptance."
    )


class SignatureDecline(CreateSchema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"reason": "La cláusula cuarta no refleja el monto aprobado por el cabildo."}
            ]
        }
    )

    reason: str = Field(min_length=1, max_length=2000, description="Why; sent to the audit trail.")


class DocumentRef(BaseModel):
    id: int
    sha256: str
    download_url: str


class SignerRead(BaseModel):
    representative_id: int
    full_name: str
    position: str
    party_id: int
    party: str


class CertificateRead(BaseModel):
    """The signer's certificate as read (SAT e.firma layout understood)."""

    name: str
    rfcs: list[str] = Field(description="The entity's RFC, then its representative's, if both.")
    curp: str | None
    serial: str = Field(description="Certificate serial number, hexadecimal.")
    sat_serial: str | None = Field(description="The serial as the SAT writes it (digits).")
    issuer: str
    not_before: datetime
    not_after: datetime


class SignatureRead(BaseModel):
    id: int
    agreement_id: int
    signer: SignerRead
    order: int
    status: SignatureStatus
    can_sign_now: bool = Field(
        description="Pending, the agreement is in signature and every lower order has signed."
    )
    document: DocumentRef | None = Field(description="The document to sign, once fixed.")
    sign_over: DocumentRef | None = Field(
        description="While pending: the PDF a PAdES signature made on the signer's own machine "
        "must extend — the document to sign with the PAdES signatures given so far."
    )
    method: SignatureMethod | None
    signed_sha256: str | None = Field(description="SHA-256 of exactly what was signed.")
    evidence: DocumentRef | None = Field(
        description="The scan of the hand-signed copy, or the PDF carrying this PAdES signature."
    )
    certificate: CertificateRead | None
    decided_at: datetime | None = Field(description="When it was signed or declined.")
    reason: str | None = Field(description="Why it was declined.")
    ip: str | None = Field(
        description="Where it was signed or declined from (not shown to other signatories)."
    )
    user_agent: str | None
    created_at: datetime


class SignatureReportRead(BaseModel):
    """One signature embedded in a PDF, as validated now against the configured trust roots."""

    field: str
    revision: int = Field(description="The revision of the file it signs (0 is the first).")
    signer: CertificateRead
    signing_time: datetime | None
    time_source: Literal["timestamp", "signer", "none"] = Field(
        description="`timestamp`: an RFC 3161 authority; `signer`: the signer's own clock, "
        "not trusted."
    )
    intact: bool = Field(description="The signed bytes are unchanged.")
    valid: bool = Field(description="The cryptographic signature verifies.")
    covers_document: bool = Field(
        description="It covers the whole file, or everything added after it is another signature."
    )
    coverage: str
    modification_level: str | None
    certificate_valid_at_signing: bool
    trusted: bool = Field(description="Its certificate chains to a configured trust root.")
    trust_problem: str | None
    timestamp: bool
    timestamp_trusted: bool
    signed_sha256: str = Field(description="SHA-256 of the revision it signs.")
    ok: bool = Field(
        description="Intact, valid, covering the document, trusted and valid at signing time."
    )


class DocumentSignatures(BaseModel):
    document_id: int
    sha256: str
    trust_configured: bool = Field(
        description="False when the service has no trust roots: nothing can report trusted."
    )
    signatures: list[SignatureReportRead]
