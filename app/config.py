"""Settings, read from environment variables prefixed ``CONVENIOS_``."""

import ipaddress
from datetime import date
from email.utils import parseaddr
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.catalog.states import STATES
from app.documents.storage import S3Options, storage_for

PROJECT_ROOT = Path(__file__).resolve().parent.parent
API_PREFIX = "/api/v1"
DEFAULT_STORAGE = PROJECT_ROOT / "storage"


class CabildoRule(BaseModel):
    """What a state's municipal law asks of a cabildo for a convenio that binds the municipio
    beyond the ayuntamiento's term (CPEUM art. 115, fr. II, b: at least two thirds of its
    members; states may ask more, and some the Legislature's authorisation too)."""

    model_config = ConfigDict(extra="forbid")

    # The share of all members (integrantes) that must vote for it: "2/3", "3/4".
    beyond_term_share: str = Field(default="2/3", pattern=r"^[1-9]/[1-9]$")
    # Whether the state's Legislature must authorise it as well.
    legislature: bool = False

    @property
    def share(self) -> Fraction:
        return Fraction(self.beyond_term_share)


class Settings(BaseSettings):
    """Everything the service can be told from outside; defaults are the embedded mode."""

    model_config = SettingsConfigDict(env_prefix="CONVENIOS_", extra="ignore")

    database_url: str = f"sqlite:///{DEFAULT_STORAGE / 'convenios.sqlite3'}"
    # PostgreSQL connections each process keeps open, and how many more it may open at a peak:
    # the replicas times (pool + overflow) must stay under the server's max_connections.
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_max_overflow: int = Field(default=10, ge=0, le=200)
    # Where documents are kept: a directory (or file:// URL), or s3://bucket/prefix.
    storage_url: str = str(DEFAULT_STORAGE)
    # The object store of an s3:// storage URL: its endpoint (none: AWS's, by region) and the
    # key to sign with (none: boto3's own chain — AWS_* variables, ~/.aws, an instance or pod
    # role). The secret is never logged or shown.
    s3_endpoint_url: str | None = Field(default=None, pattern=r"^https?://[^\s/?#]+/?$")
    s3_region: str | None = Field(default=None, pattern=r"^[a-z0-9-]{1,32}$")
    s3_access_key_id: str | None = Field(default=None, pattern=r"^\S{1,128}$")
    s3_secret_access_key: SecretStr | None = Field(default=None, validate_default=True)
    # A broker for tasks (Celery): empty, the embedded mode — renders run in the API process's
    # pool of workers and answer at once; redis://host:6379/0 or amqp://user:pass@host//, and
    # convenios are rendered by `convenios worker` processes (POST answers 202 while pending).
    broker_url: SecretStr = SecretStr("")
    # The queue the tasks go to (deployments sharing a broker use one each).
    broker_queue: str = Field(default="convenios", pattern=r"^[a-z][a-z0-9_.-]{0,39}$")
    # A task taken by a worker that died is given to another after this long (Redis; with
    # RabbitMQ, at once when the connection drops). Longer than any render.
    broker_redelivery_seconds: int = Field(default=300, ge=1, le=24 * 60 * 60)
    # A pending convenio: renders begun or queued again before it is failed, and how long one
    # may wait unclaimed (its task lost with the broker) before the sweep queues it again.
    render_attempts: int = Field(default=5, ge=1, le=50)
    render_requeue_minutes: int = Field(default=10, ge=1, le=24 * 60)
    # Local time of the service's users: decides "today" for expiry and the year in folios.
    timezone: str = "America/Mexico_City"
    folio_prefix: str = Field(default="CONV", pattern=r"^[A-Z][A-Z0-9]{1,9}$")
    # Largest JSON request body accepted, in bytes; larger ones get 413 before being read.
    max_json_body: int = Field(default=1_048_576, ge=1024)
    # Rendering runs in child processes: how many at once, and each one's limits.
    render_workers: int = Field(default=2, ge=1, le=64)
    render_timeout_seconds: float = Field(default=20, gt=0, le=600)
    render_memory_mb: int = Field(default=1024, ge=256)
    render_max_pages: int = Field(default=300, ge=1)
    # How many jobs may wait for a busy pool (renders, upload checks, signatures each), at most
    # one job's time each; a job beyond them gets 503 with Retry-After at once.
    worker_queue: int = Field(default=8, ge=0, le=1000)
    # The load balancers or reverse proxies in front of the replicas (addresses or networks):
    # from them alone X-Forwarded-For and X-Forwarded-Proto are believed, so the audit trail
    # and the limit on attempts per address see the client, not the proxy. Empty: nobody's.
    trusted_proxies: list[str] = Field(default_factory=list)
    # The address people reach the service at. The QR code on every page of a generated PDF
    # opens {public_url}/api/v1/verify/{code}: the address is part of the PDF's bytes.
    public_url: str = Field(
        default="http://127.0.0.1:8000", pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$"
    )
    # Largest upload (multipart) accepted, in bytes; larger ones get 413 before being read.
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    # Uploaded PDFs are parsed in child processes too, each with these limits.
    upload_check_timeout_seconds: float = Field(default=10, gt=0, le=600)
    upload_check_memory_mb: int = Field(default=512, ge=128)
    upload_max_pages: int = Field(default=2000, ge=1)
    # PAdES signatures. The certificates trust is anchored in — for the SAT e.firma, the SAT's
    # root and the authorities that issue e.firma certificates — as a PEM or DER file or a
    # directory of them: self-signed ones are anchors, the others complete paths. Without
    # them no signature reports as trusted and PAdES signing is refused.
    trust_roots: Path | None = None
    # An RFC 3161 timestamp authority: when set, every PAdES signature the service makes gets
    # a trusted time from it (signers who sign on their own machine timestamp their own).
    tsa_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    # Signing and validating run in child processes too, each with these limits.
    signature_timeout_seconds: float = Field(default=30, gt=0, le=600)
    signature_memory_mb: int = Field(default=768, ge=256)
    # Days that are not días hábiles besides weekends and the federal rest days of the Ley
    # Federal del Trabajo (art. 74): election days, local holidays, official closures. A JSON
    # list of dates, e.g. ["2027-06-06"].
    extra_non_working_days: list[date] = Field(default_factory=list)
    # The most occurrences one recurring obligation may expand into.
    max_occurrences: int = Field(default=120, ge=1, le=1000)
    # Reminders: how many days before an agreement expires, and before an obligation is due.
    expiry_reminder_days: list[int] = Field(default_factory=lambda: [90, 30, 7])
    obligation_reminder_days: list[int] = Field(default_factory=lambda: [7, 1])
    # The transparency export: the obligation it meets — the Ley General de Transparencia
    # published in the DOF on 20 March 2025 lists convenios in art. 65, fr. XXXI (the abrogated
    # 2015 law: art. 70, fr. XXXIII); a state whose own law differs sets its own — and the areas
    # that publish it.
    transparency_legal_reference: str = (
        "Ley General de Transparencia y Acceso a la Información Pública (DOF 20/03/2025), "
        "artículo 65, fracción XXXI: convenios de coordinación y de concertación con los "
        "sectores social y privado"
    )
    transparency_responsible_areas: str = "Dirección Jurídica"
    # The cabildo's authorisation of a convenio that binds a municipio beyond its ayuntamiento's
    # term, by state (INEGI code): a JSON object, e.g. {"32": {"legislature": true}}. States
    # not named take the constitutional minimum: two thirds of the members, no Legislature.
    cabildo_rules: dict[str, CabildoRule] = Field(default_factory=dict)
    # `convenios serve` sweeps (overdue obligations, expiry, renewals, reminders) this often;
    # 0 leaves it to `convenios sweep` (cron, a systemd timer).
    sweep_interval_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    # Deliveries of events (webhooks, email): `convenios serve` sends what is due this often
    # (0 leaves it to `convenios sweep`); each attempt may take this long; a failed one is
    # tried again after the retry delay, four times longer after each failure, up to a day.
    delivery_interval_seconds: int = Field(default=30, ge=0, le=24 * 60 * 60)
    # Batches (`POST /batches`): `convenios serve` looks for items to make this often when it
    # has none in hand (0 leaves them to `convenios batch run`, or to workers).
    batch_interval_seconds: int = Field(default=2, ge=0, le=24 * 60 * 60)
    delivery_timeout_seconds: float = Field(default=10, gt=0, le=120)
    delivery_retry_seconds: int = Field(default=60, ge=1, le=24 * 60 * 60)
    delivery_max_attempts: int = Field(default=6, ge=1, le=20)
    # Webhook URLs may not point at loopback, private or link-local addresses, so that they
    # cannot be used to probe the internal network; an admin may allow them (a receiver on
    # the same host or network).
    webhook_allow_private_addresses: bool = False
    # Email reminders (expiry, obligations due and overdue) to representatives and each
    # party's contact: sent only when a host is set. `smtp_security` is "starttls" (port
    # 587), "tls" (465) or "none" (a relay on the local network).
    smtp_host: str | None = Field(default=None, pattern=r"^[A-Za-z0-9.:\[\]-]{1,253}$")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "Convenios <no-responder@localhost>"
    # Invitations to sign: how long a link works, how often a pending signer whose turn has
    # come is reminded (a new link each time; 0: never), how long the session a link opens
    # lasts, and how many wrong or spent links one address may try in a quarter of an hour.
    invitation_valid_hours: int = Field(default=72, ge=1, le=30 * 24)
    invitation_reminder_days: int = Field(default=3, ge=0, le=60)
    signing_session_minutes: int = Field(default=60, ge=5, le=24 * 60)
    token_attempts: int = Field(default=20, ge=1, le=10_000)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        scheme = urlparse(value).scheme.split("+")[0]
        if scheme not in {"sqlite", "postgresql"}:
            raise ValueError("CONVENIOS_DATABASE_URL must be a sqlite:// or postgresql:// URL")
        if value.startswith("postgresql://"):
            # One driver for PostgreSQL: psycopg 3.
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or network (10.0.0.5, 10.0.0.0/8)"
                ) from None
        return value

    @field_validator("broker_url")
    @classmethod
    def _known_broker(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value()
        if url and urlparse(url).scheme not in {"redis", "rediss", "amqp", "amqps"}:
            raise ValueError(
                "CONVENIOS_BROKER_URL must be empty (no broker), or a redis://, rediss://, "
                "amqp:// or amqps:// URL"
            )
        return value

    @property
    def broker(self) -> str | None:
        """The broker's URL (it may hold a password), or None in the embedded mode."""
        return self.broker_url.get_secret_value() or None

    @field_validator("storage_url")
    @classmethod
    def _known_storage(cls, value: str) -> str:
        storage_for(value)  # refuses what no backend serves, at start-up rather than at first use
        return value

    @field_validator("s3_secret_access_key")
    @classmethod
    def _whole_s3_key(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if (info.data.get("s3_access_key_id") is None) != (value is None):
            raise ValueError(
                "CONVENIOS_S3_ACCESS_KEY_ID and CONVENIOS_S3_SECRET_ACCESS_KEY go together: "
                "set both, or neither to use boto3's own credentials"
            )
        return value

    @property
    def s3(self) -> S3Options:
        """How to reach the object store of an s3:// storage URL."""
        secret = self.s3_secret_access_key
        return S3Options(
            endpoint_url=self.s3_endpoint_url,
            region=self.s3_region,
            access_key_id=self.s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret is not None else None,
        )

    @field_validator("smtp_from")
    @classmethod
    def _an_address(cls, value: str) -> str:
        if "@" not in parseaddr(value)[1]:
            raise ValueError(
                "CONVENIOS_SMTP_FROM must be an address, e.g. "
                "'Convenios <convenios@municipio.gob.mx>'"
            )
        return value

    @field_validator("cabildo_rules")
    @classmethod
    def _states(cls, value: dict[str, CabildoRule]) -> dict[str, CabildoRule]:
        unknown = sorted(code for code in value if code not in STATES)
        if unknown:
            raise ValueError(
                f"CONVENIOS_CABILDO_RULES names states by their 2-digit INEGI code; not: {unknown}"
            )
        for code, rule in value.items():
            if not Fraction(2, 3) <= rule.share <= 1:
                raise ValueError(
                    f"CONVENIOS_CABILDO_RULES[{code}]: a share from 2/3 (CPEUM art. 115, fr. II, "
                    "b) to 1"
                )
        return value

    @field_validator("public_url")
    @classmethod
    def _without_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests clear the cache to change them)."""
    return Settings()
