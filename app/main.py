"""The ASGI application: ``app.main:app``."""

import inspect
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import APIRouter, FastAPI, params
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from starlette.routing import compile_path

from app import __doc__ as about
from app.agreements.reading import MAX_BYTES, MAX_SUMMARY_BYTES, Answers
from app.agreements.router import router as agreements_router
from app.api_docs import router as api_docs_router
from app.audit.router import router as audit_router
from app.auth.router import router as auth_router
from app.batches.router import router as batches_router
from app.batches.scheduled import process_periodically
from app.calendar.router import public_router as calendar_feed_router
from app.calendar.router import router as calendar_router
from app.catalog.router import router as catalog_router
from app.config import API_PREFIX, get_settings
from app.db import get_engine
from app.documents.router import public_router as verification_router
from app.documents.router import router as documents_router
from app.errors import install_error_handlers, problem_responses, problem_schemas
from app.events.dispatch import dispatch_periodically
from app.events.router import router as email_deliveries_router
from app.health.router import router as health_router
from app.idempotency import install_replay_handler
from app.invitations.router import router as invitations_router
from app.loopdb import LoopReads
from app.middleware import BodyPolicy, SecurityHeaders
from app.obligations.router import router as obligations_router
from app.obligations.scheduled import sweep_periodically
from app.openapi import for_integrators
from app.pages.assets import router as page_assets_router
from app.pages.efirma import router as efirma_pages_router
from app.pages.html import error_page
from app.pages.logs import hide_links
from app.pages.signing import router as signing_pages_router
from app.pages.verification import router as verification_pages_router
from app.parties.router import router as parties_router
from app.reports.router import router as reports_router
from app.signatures.router import router as signatures_router
from app.templates.router import router as templates_router
from app.transparency.router import public_router as public_versions_router
from app.transparency.router import router as transparency_router
from app.webhooks.router import outgoing as outgoing_webhooks
from app.webhooks.router import router as webhooks_router

VERSION = "0.1.0"


def _operation_id(route: APIRoute) -> str:
    return route.name


# Every operation that reads a body can be refused before it runs: by `BodyPolicy` (400 for
# a bad Content-Length, 413, 415) or by FastAPI when the body is not text it can parse (400).
_BODY_PROBLEMS = problem_responses(400, 413, 415)


def _reads_form(route: APIRoute) -> bool:
    """Whether the route's body is a form (multipart uploads) rather than JSON."""
    return route.body_field is not None and isinstance(route.body_field.field_info, params.Form)


def _document_routes(router: APIRouter) -> None:
    """Each route's docstring: first line is the summary, the rest the description.

    Operations with a request body also declare the problems of reading one.
    """
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        if route.body_field is not None:
            route.responses = {**_BODY_PROBLEMS, **route.responses}
        if route.endpoint.__doc__:
            summary, _, rest = inspect.cleandoc(route.endpoint.__doc__).partition("\n")
            route.summary = route.summary or summary.strip()
            route.description = rest.strip()


def create_app(engine: Engine | None = None) -> FastAPI:
    settings = get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The served application sweeps, delivers events and makes batches by itself — unless
        # task workers do (a broker is configured); one built around a given engine (tests,
        # benchmarks, scripts) does so only when told to.
        served = engine is None and settings.broker is None
        hide_links()  # after the server has set up its loggers
        await app.state.loop_reads.open()
        async with anyio.create_task_group() as tasks:
            if served and settings.sweep_interval_minutes > 0:
                tasks.start_soon(sweep_periodically, app.state.engine, settings)
            if served and settings.delivery_interval_seconds > 0:
                tasks.start_soon(dispatch_periodically, app.state.engine, settings)
            if served and settings.batch_interval_seconds > 0:
                tasks.start_soon(process_periodically, app.state.engine, settings)
            yield
            tasks.cancel_scope.cancel()
        await app.state.loop_reads.close()
        if engine is None:
            app.state.engine.dispose()

    app = FastAPI(
        title="convenios",
        version=VERSION,
        summary=(about or "").strip(),
        description=(
            "Agreements between Mexican municipalities, states, the federation and private "
            "and social partners: parties, content, lifecycle and a tamper-evident history. "
            "Authenticate with `Authorization: Bearer <key>`; errors are RFC 9457 problems. "
            "Bodies are JSON with the types shown (a number is not a string of digits, a date "
            "is `YYYY-MM-DD` between 1900-01-01 and 2999-12-31), or multipart forms on the "
            "routes that take files, whose text fields may not be empty; no text may contain "
            "control characters other than tab and line breaks (NUL included)."
        ),
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        # Served with their assets from the project (`app.api_docs`), not from a CDN.
        docs_url=None,
        redoc_url=None,
        # A failure of the database or the disk is still answered with a problem document.
        responses=problem_responses(500),
    )
    app.state.engine = engine or get_engine()
    app.state.loop_reads = LoopReads(app.state.engine)
    app.state.agreement_answers = Answers(MAX_BYTES)
    app.state.summary_answers = Answers(MAX_SUMMARY_BYTES)
    install_error_handlers(app)
    app.state.page_errors = error_page
    install_replay_handler(app)

    # The method and path of every route, and of those that read a form (the body policy's).
    served: list[tuple[re.Pattern[str], frozenset[str]]] = []
    upload_routes: list[tuple[re.Pattern[str], frozenset[str]]] = []

    def include(router: APIRouter, prefix: str = "") -> None:
        app.include_router(router, prefix=prefix)
        for route in router.routes:
            if isinstance(route, APIRoute):
                pattern = (compile_path(prefix + route.path)[0], frozenset(route.methods or ()))
                served.append(pattern)
                if _reads_form(route):
                    upload_routes.append(pattern)

    _document_routes(health_router)
    include(health_router)
    include(api_docs_router)
    # The agreements' routes first: a request's route is found by trying each in turn, and
    # theirs are the most asked (reading an agreement, a page of them).
    for router in (
        agreements_router,
        auth_router,
        parties_router,
        batches_router,
        templates_router,
        documents_router,
        signatures_router,
        invitations_router,
        obligations_router,
        calendar_router,
        calendar_feed_router,
        reports_router,
        transparency_router,
        public_versions_router,
        webhooks_router,
        email_deliveries_router,
        verification_router,
        audit_router,
        catalog_router,
    ):
        _document_routes(router)
        include(router, API_PREFIX)

    # The pages for people: outside the API and its document, forms sent as multipart.
    # The e.firma page before the signing page's `/firmar/{token}`.
    for router in (
        page_assets_router,
        efirma_pages_router,
        signing_pages_router,
        verification_pages_router,
    ):
        include(router)

    app.webhooks.include_router(outgoing_webhooks)

    app.add_middleware(
        BodyPolicy,
        max_bytes=settings.max_json_body,
        max_upload_bytes=settings.max_upload_bytes,
        upload_routes=upload_routes,
        routes=served,
    )
    app.add_middleware(SecurityHeaders)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                webhooks=app.webhooks.routes,
            )
            schema.setdefault("components", {}).setdefault("schemas", {}).update(problem_schemas())
            app.openapi_schema = for_integrators(schema, public_url=settings.public_url)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


app = create_app()
