"""Jobs and results as JSON for the broker (`app.wire`): every type sent to the workers and
every result they send back comes back equal; nothing but the allowed types is ever built."""

from datetime import UTC, datetime

import pytest

from app import wire
from app.documents import remote
from app.documents.inspection import InspectJob, PdfFacts
from app.documents.workers import WorkersBusy
from app.pages.pictures import PageImageJob
from app.signatures.pades import AcceptJob, Identity, SignatureReport, TrustStore, VerifyJob

AT = datetime(2026, 12, 7, 18, 30, tzinfo=UTC)
TRUST = TrustStore(roots=(b"\x30\x82root",), intermediates=(b"\x30\x82ac", b"\x00\xff"))
SIGNER = Identity(
    name="MUNICIPIO DE OAXACA DE JUÁREZ",
    rfcs=("MOJ850101AB1", "HEGT7610034S2"),
    curp=None,
    serial="3030303031303030303030373030303030303030",
    sat_serial="00001000000700000000",
    issuer="CN=AC de pruebas, O=convenios",
    not_before=AT,
    not_after=AT.replace(year=2030),
)
REPORT = SignatureReport(
    field="Firma-municipio",
    revision=1,
    signer=SIGNER,
    signing_time=None,
    time_source="none",
    intact=True,
    valid=True,
    covers_document=True,
    coverage="entire_file",
    modification_level=None,
    certificate_valid_at_signing=True,
    trusted=False,
    trust_problem="The signer's certificate does not chain to a trusted root.",
    timestamp=False,
    timestamp_trusted=False,
    signed_sha256="ab" * 32,
)


@pytest.mark.parametrize(
    "job",
    [
        InspectJob(b"%PDF-1.7\n\x00\xff", max_pages=12),
        PageImageJob(b"%PDF-1.7", page=3),
        VerifyJob(b"%PDF", TRUST),
        VerifyJob(b"%PDF", TRUST, at=AT),
        AcceptJob(base=b"%PDF-a", signed=b"%PDF-ab", trust=TrustStore(roots=()), at=AT),
    ],
)
def test_every_job_sent_to_the_workers_comes_back_equal(job: object) -> None:
    assert isinstance(job, remote.ON_WORKERS)
    assert wire.decode(wire.encode(job), remote.JOB_TYPES) == job


@pytest.mark.parametrize(
    "result",
    [
        PdfFacts(
            pages=3,
            sha256="cd" * 32,
            size=1024,
            pdf_version="1.7",
            signature_fields=0,
            producer=None,
        ),
        (REPORT, REPORT),
        (),
        REPORT,
        b"\x89PNG",
    ],
)
def test_every_result_comes_back_equal(result: object) -> None:
    assert wire.decode(wire.encode(result), remote.RESULT_TYPES) == result


@pytest.mark.parametrize(
    "message",
    [
        {"$type": "Credentials", "fields": {"password": "x"}},  # not allowed: never built
        {"$type": "InspectJob", "fields": {"data": {"$bytes": "AA=="}, "shell": "rm"}},
        {"$type": "InspectJob"},
        {"$bytes": "no es base64!"},
        {"$datetime": "ayer"},
        {"data": 1},
        {"$type": "TrustStore", "fields": []},
    ],
)
def test_a_message_not_as_the_wire_writes_it_is_refused(message: object) -> None:
    with pytest.raises(ValueError):
        wire.decode(message, remote.JOB_TYPES)


@pytest.mark.parametrize(
    "value",
    [{"a": 1}, {1, 2}, object(), datetime(2026, 12, 7, 18, 30)],  # naive: zone unknown
)
def test_what_the_wire_cannot_carry_is_refused_when_written(value: object) -> None:
    with pytest.raises(wire.WireError):
        wire.encode(value)


def test_a_job_no_worker_may_run_is_answered_as_unreadable() -> None:
    """A type allowed in a message (the trust store) is not a job: the worker runs nothing,
    and the replica answers 503 — the service's problem (a worker at another release, most
    likely), not the file's."""
    ran: list[object] = []
    outcome = remote.perform(wire.encode(TRUST), ran.append)
    assert ran == []
    with pytest.raises(WorkersBusy, match="could not read the work") as refused:
        remote.result_of(outcome)
    assert refused.value.status == 503 and refused.value.headers == {"Retry-After": "30"}
