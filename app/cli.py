"""The ``convenios`` command: serve, worker, migrate, apikey, catalog, sweep, batch, storage,
demo-pki."""

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TypeVar

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from app import migrations
from app.auth import service as keys_service
from app.auth.principal import operator
from app.catalog import service as catalog_service
from app.catalog.service import CatalogError
from app.config import get_settings
from app.db import get_engine, session_factory
from app.documents.runners import get_storage
from app.documents.scrub import scrub
from app.errors import ProblemError
from app.models.enums import Role
from app.schemas import Date
from app.templates import service as templates

T = TypeVar("T")


def _in_transaction(work: Callable[[Session], T]) -> T:
    with session_factory(get_engine(), write=True)() as session, session.begin():
        return work(session)


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    proxies = get_settings().trusted_proxies
    uvicorn.run(
        "app.main:app",
        host=args.host,
        port=args.port,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )
    return 0


def worker(args: argparse.Namespace) -> int:
    # As many render processes as tasks taken at once: any more would sit idle, each holding
    # WeasyPrint in memory.
    os.environ["CONVENIOS_RENDER_WORKERS"] = str(args.concurrency)
    get_settings.cache_clear()
    if get_settings().broker is None:
        print(
            "convenios: CONVENIOS_BROKER_URL is not set: without a broker `convenios serve` "
            "renders, sweeps and delivers by itself, and there is no work for a worker",
            file=sys.stderr,
        )
        return 2
    # Imported here: Celery, which only this command and the API's publishing need.
    from app.tasks import run_worker

    return run_worker(concurrency=args.concurrency)


def migrate(args: argparse.Namespace) -> int:
    with migrations.alone():
        migrations.upgrade(revision=args.revision)
        # The shipped convenio templates get a new version whenever their source changed.
        added = _in_transaction(
            lambda session: templates.sync_shipped(session, operator("migrate"))
        )
    for key, number in added:
        print(f"Template {key}: version {number} added.", file=sys.stderr)
    return 0


def apikey_create(args: argparse.Namespace) -> int:
    def work(session: Session) -> str:
        _, plaintext = keys_service.create_key(
            session=session,
            name=args.name,
            role=Role(args.role),
            representative_id=args.representative_id,
            actor=operator("apikey create"),
        )
        return plaintext

    # The key alone on stdout, so that `KEY=$(convenios apikey create …)` works.
    print(_in_transaction(work))
    return 0


def apikey_list(args: argparse.Namespace) -> int:
    def work(session: Session) -> list[str]:
        rows = []
        for key in keys_service.list_keys(session=session):
            state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
            representative = (
                f"representative {key.representative_id}" if key.representative_id else ""
            )
            rows.append(
                f"{key.id}\tcvn_{key.key_id}_…\t{key.role.value}\t{key.name}\t{state}\t{representative}".rstrip()
            )
        return rows

    rows = _in_transaction(work)
    print("id\tkey\trole\tname\tstate\tbound to")
    print(
        "\n".join(rows) if rows else "(no keys yet: convenios apikey create --role admin --name …)"
    )
    return 0


def apikey_revoke(args: argparse.Namespace) -> int:
    _in_transaction(
        lambda session: keys_service.revoke_key(
            session=session, api_key_id=args.id, actor=operator("apikey revoke")
        )
    )
    print(f"API key {args.id} revoked.", file=sys.stderr)
    return 0


def catalog_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogError(f"cannot read {path}: {error}") from error
    result = _in_transaction(
        lambda session: catalog_service.import_catalog(
            session=session, text=text, actor=operator("catalog import")
        )
    )
    print(
        f"{result.added} added, {result.updated} updated, {result.unchanged} unchanged.",
        file=sys.stderr,
    )
    return 0


def storage_scrub(args: argparse.Namespace) -> int:
    storage = get_storage()
    sessions = session_factory(get_engine(), write=True)
    report = scrub(sessions, storage, remove_orphans=args.remove_orphans)
    for document_id, sha256 in report.missing:
        print(f"MISSING   document {document_id}: {sha256}")
    for sha256 in report.corrupted:
        print(f"CORRUPTED {sha256}")
    for sha256 in report.orphans:
        print(f"{'REMOVED' if args.remove_orphans else 'ORPHAN':<9} {sha256}")
    print(
        f"{report.rows} documents, {report.blobs} stored files: {len(report.missing)} missing, "
        f"{len(report.corrupted)} corrupted, {len(report.orphans)} without a document, "
        f"{report.in_flight} being stored, {report.temporary_removed} interrupted writes "
        "cleaned up.",
        file=sys.stderr,
    )
    return 0 if report.ok else 1


def sweep(args: argparse.Namespace) -> int:
    from app.clock import today
    from app.events.dispatch import dispatch_now
    from app.obligations.scheduled import after_sweep
    from app.obligations.scheduled import sweep as run_sweep

    day = args.today or today()
    settings = get_settings()
    report = _in_transaction(lambda session: run_sweep(session, today=day, settings=settings))
    after_sweep(get_engine(), settings, report)
    print(
        f"{day.isoformat()}: {report.overdue} obligations overdue, {report.expired} agreements "
        f"expired, {report.renewed} renewed, {report.reminders} reminders, "
        f"{report.constancias} constancias de firmas issued, "
        f"{report.invitation_reminders} reminders to sign"
    )
    if args.no_deliver:
        return 0
    # Then send what the sweep (and everything since the last pass) has to say.
    sent = dispatch_now(get_engine(), settings)
    print(
        f"deliveries: {sent.queued} queued, {sent.delivered} delivered, {sent.retrying} to "
        f"retry, {sent.failed} failed"
    )
    for error in sent.errors:
        print(f"  {error}", file=sys.stderr)
    return 0


def batch_run(args: argparse.Namespace) -> int:
    from app.batches import service as batches
    from app.documents.runners import render_runner

    settings = get_settings()

    def progress(report: "batches.RunReport") -> None:
        if report.processed % 50 == 0:
            print(f"{report.done} done, {report.failed} failed so far", file=sys.stderr)

    report = batches.run_pending(
        session_factory(get_engine(), write=True),
        settings=settings,
        storage=get_storage(settings),
        render=lambda job: render_runner()(job),
        batch_id=args.id,
        progress=progress,
        reads=session_factory(get_engine(), write=False),
    )
    print(
        f"{report.done} items done, {report.failed} failed, {report.later} left to retry "
        "(the render workers busy, or the store unreachable)"
    )
    return 0


def demo_pki(args: argparse.Namespace) -> int:
    from app.schemas import PersonRFC
    from app.signatures.demo_pki import DEMO_PASSWORD, write_demo

    people: dict[str, str] = {}
    for person in args.people:
        rfc, _, name = person.partition("=")
        try:
            people[TypeAdapter(PersonRFC).validate_python(rfc)] = name.strip() or rfc
        except ValidationError:
            print(f"convenios: {rfc!r} is not a person's RFC (e.g. HEGT7610034S2)", file=sys.stderr)
            return 2
    trust = write_demo(Path(args.directory), people)
    print(trust)
    print(
        f"A demo PKI, never for real convenios: {trust} for CONVENIOS_TRUST_ROOTS, and "
        f".cer, .key and .p12 for {', '.join(people)} in {args.directory}, all with the "
        f"password {DEMO_PASSWORD}.",
        file=sys.stderr,
    )
    return 0


def _tasks(text: str) -> int:
    """How many tasks a worker takes at once: 1 to 64, as render processes may be."""
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError("a whole number from 1 to 64")
    return int(text)


def _day(text: str) -> date:
    """A date given on the command line, held to the same rule as the API's dates."""
    try:
        return TypeAdapter(Date).validate_python(text)
    except ValidationError as error:
        raise argparse.ArgumentTypeError(error.errors()[0]["msg"]) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="convenios",
        description="The service where intergovernmental agreements live.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    command = commands.add_parser("serve", help="serve the HTTP API")
    command.add_argument("--host", default="127.0.0.1")
    command.add_argument("--port", type=int, default=8000)
    command.set_defaults(run=serve)

    command = commands.add_parser(
        "worker",
        help="take tasks from the broker (CONVENIOS_BROKER_URL): render convenios; and run "
        "the sweep and the deliveries, once per period across all workers",
    )
    command.add_argument(
        "--concurrency",
        type=_tasks,
        default=1,
        help="tasks at once (default 1), and as many render processes, each capped",
    )
    command.set_defaults(run=worker)

    command = commands.add_parser("migrate", help="bring the database schema up to date")
    command.add_argument("--revision", default="head", help=argparse.SUPPRESS)
    command.set_defaults(run=migrate)

    apikey = commands.add_parser("apikey", help="create, list and revoke API keys")
    apikey_commands = apikey.add_subparsers(dest="apikey_command", required=True)
    command = apikey_commands.add_parser("create", help="create a key and print it (only once)")
    command.add_argument("--role", required=True, choices=[role.value for role in Role])
    command.add_argument(
        "--name", required=True, help="whose key it is, e.g. 'Jurídico Tlalnepantla'"
    )
    command.add_argument(
        "--representative-id", type=int, help="the representative a signatory key acts as"
    )
    command.set_defaults(run=apikey_create)
    command = apikey_commands.add_parser("list", help="list keys (never their secrets)")
    command.set_defaults(run=apikey_list)
    command = apikey_commands.add_parser("revoke", help="revoke a key at once")
    command.add_argument("id", type=int)
    command.set_defaults(run=apikey_revoke)

    catalog = commands.add_parser("catalog", help="INEGI municipality catalog")
    catalog_commands = catalog.add_subparsers(dest="catalog_command", required=True)
    command = catalog_commands.add_parser(
        "import",
        help="import INEGI's municipalities from a CSV (CVEGEO, CVE_ENT, CVE_MUN, NOM_MUN…)",
    )
    command.add_argument("file")
    command.set_defaults(run=catalog_import)

    command = commands.add_parser(
        "sweep",
        help="mark overdue obligations, expire and renew agreements, write reminders "
        "(idempotent), then deliver webhooks and emails that are due",
    )
    command.add_argument(
        "--no-deliver", action="store_true", help="only sweep; leave deliveries to `serve`"
    )
    command.add_argument(
        "--today", type=_day, help="the day to sweep for, YYYY-MM-DD (default: today)"
    )
    command.set_defaults(run=sweep)

    batch = commands.add_parser("batch", help="batches of convenios (POST /batches)")
    batch_commands = batch.add_subparsers(dest="batch_command", required=True)
    command = batch_commands.add_parser(
        "run",
        help="make the pending items of every batch (or of one) until none is left: what a "
        "cron job or an operator runs when `serve` does not (CONVENIOS_BATCH_INTERVAL_SECONDS=0)",
    )
    command.add_argument("--id", type=int, help="only the items of this batch")
    command.set_defaults(run=batch_run)

    command = commands.add_parser(
        "demo-pki",
        help="write a throwaway PKI shaped like the SAT's, to try PAdES signing by hand "
        "(never for real convenios); prints the trust file to give CONVENIOS_TRUST_ROOTS",
    )
    command.add_argument("directory")
    command.add_argument(
        "people", nargs="+", metavar="RFC=NAME", help='e.g. HEGT7610034S2="Raciel Pérez Cruz"'
    )
    command.set_defaults(run=demo_pki)

    storage = commands.add_parser("storage", help="stored documents")
    storage_commands = storage.add_subparsers(dest="storage_command", required=True)
    command = storage_commands.add_parser(
        "scrub",
        help="re-hash every stored file and compare with the database; exit 1 when a document "
        "is missing or damaged",
    )
    command.add_argument(
        "--remove-orphans", action="store_true", help="delete stored files no document refers to"
    )
    command.set_defaults(run=storage_scrub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except (ProblemError, CatalogError) as error:
        print(f"convenios: {getattr(error, 'detail', error)}", file=sys.stderr)
        return 2
    except ValidationError as error:
        # The settings: say which variable is wrong and why, without a traceback.
        for problem in error.errors():
            variable = "CONVENIOS_" + "_".join(str(part) for part in problem["loc"]).upper()
            print(f"convenios: {variable}: {problem['msg']}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
