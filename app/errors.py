"""Domain errors and their one rendering: RFC 9457 ``application/problem+json``."""

import logging
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from app.problems import PROBLEM_TYPES

PROBLEM_MEDIA_TYPE = "application/problem+json"
logger = logging.getLogger("convenios")


class InvalidParam(BaseModel):
    """One offending input: where it is and what is wrong with it."""

    field: str = Field(description="Dotted location, e.g. `body.parties.0.party_id`.")
    message: str


def type_uri(slug: str) -> str:
    return f"urn:convenios:problem:{slug}"


def _problem_types() -> str:
    listed = "\n".join(
        f"- `{type_uri(slug)}`: {meaning}" for slug, meaning in sorted(PROBLEM_TYPES.items())
    )
    return f"Stable identifier of the kind of problem, one of:\n\n{listed}"


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = Field(
        description=_problem_types(),
        examples=[type_uri("validation-error"), type_uri("out-of-turn")],
    )
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[InvalidParam] | None = Field(
        default=None,
        description="The offending inputs of a 422, or those of a 409 that conflict with "
        "values on record.",
    )
    allowed: list[str] | None = Field(
        default=None, description="What would have been allowed (e.g. the legal transitions)."
    )


class ProblemError(Exception):
    """A failure the client can act on; subclasses fix the status and the stable type."""

    status: int = 400
    type: str = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[InvalidParam] | None = None,
        allowed: Iterable[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors) if errors is not None else None
        self.allowed = list(allowed) if allowed is not None else None
        self.headers = headers


class Unauthorized(ProblemError):
    status, type = 401, "unauthorized"


class Forbidden(ProblemError):
    status, type = 403, "forbidden"


class NotFound(ProblemError):
    status, type = 404, "not-found"


class Conflict(ProblemError):
    status, type = 409, "conflict"


class InvalidTransition(Conflict):
    type = "invalid-transition"


class Frozen(Conflict):
    type = "agreement-frozen"


class ConcurrentUpdate(Conflict):
    type = "concurrent-update"


class PreconditionFailed(ProblemError):
    status, type = 412, "precondition-failed"


class PayloadTooLarge(ProblemError):
    status, type = 413, "payload-too-large"


class UnsupportedMediaType(ProblemError):
    status, type = 415, "unsupported-media-type"


def summary(errors: Sequence[InvalidParam]) -> str:
    """The detail of a problem about fields: the first five, each with what is wrong."""
    return "; ".join(f"{error.field}: {error.message}" for error in errors[:5])


class Unprocessable(ProblemError):
    status, type = 422, "validation-error"

    @classmethod
    def field(cls, field: str, message: str) -> "Unprocessable":
        """A 422 about one input field."""
        return cls.of([InvalidParam(field=field, message=message)])

    @classmethod
    def of(cls, errors: Sequence[InvalidParam]) -> "Unprocessable":
        """A 422 about these fields, summarised in its detail."""
        return cls(summary(errors), errors=errors)


class IdempotencyMismatch(Unprocessable):
    type = "idempotency-key-reused"


class Rules:
    """The rules a create or an update breaks, refused together: a 422 when the request by
    itself breaks one, a 409 (conflict) when it breaks each only against values on record that
    it did not send. Such a request is well-formed — the object in another state would take
    it — and sending those values with it (or first) is the fix, so the 409 names them."""

    def __init__(self, sent: Collection[str] | None = None) -> None:
        # The body's top-level fields an update sent; None for a create, which sends them all.
        self.sent = sent
        self.broken: list[tuple[InvalidParam, list[str]]] = []

    def breaks(self, field: str, message: str, *against: str) -> None:
        """``body.<field>`` breaks a rule that holds it against the top-level fields
        ``against`` (besides its own)."""
        involved = dict.fromkeys((field.split(".", 1)[0], *against))
        on_record = [] if self.sent is None else [f for f in involved if f not in self.sent]
        self.broken.append((InvalidParam(field=f"body.{field}", message=message), on_record))

    def refuse(self, field: str, message: str, *against: str) -> ProblemError:
        """The refusal of this one broken rule, to raise at once."""
        self.breaks(field, message, *against)
        refusal = self.refusal()
        assert refusal is not None
        return refusal

    def check(self) -> None:
        if (refusal := self.refusal()) is not None:
            raise refusal

    def refusal(self) -> ProblemError | None:
        if not self.broken:
            return None
        errors = [
            InvalidParam(field=error.field, message=error.message + _on_record(names))
            for error, names in self.broken
        ]
        if all(names for _, names in self.broken):
            return Conflict(summary(errors), errors=errors)
        return Unprocessable.of(errors)


def _on_record(names: list[str]) -> str:
    if not names:
        return ""
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"; against the {listed} on record: send {'it' if len(names) == 1 else 'them'} too"


class ServiceUnavailable(ProblemError):
    status, type = 503, "not-ready"


def problem(status: int, slug: str, detail: str) -> ProblemError:
    """A problem of a kind that has no class of its own (one of a family, e.g. render errors)."""
    error = ProblemError(detail)
    error.status, error.type = status, slug
    return error


def problem_response(
    request: Request,
    *,
    status: int,
    slug: str,
    detail: str | None = None,
    errors: Sequence[InvalidParam] | None = None,
    allowed: Sequence[str] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The one place a problem document is built."""
    problem = Problem(
        type=type_uri(slug),
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=list(errors) if errors is not None else None,
        allowed=list(allowed) if allowed is not None else None,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


# Pages for people answer in HTML, not with problem documents: the application registers, as
# `app.state.page_errors`, what turns a status into a page for the paths that are pages (None
# for the others).
PageErrors = Callable[[Request, int], Response | None]


def _as_page(request: Request, status: int) -> Response | None:
    render: PageErrors | None = getattr(request.app.state, "page_errors", None)
    return render(request, status) if render is not None else None


def _location(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def invalid_params(errors: Iterable[Any], *, under: tuple[str, ...] = ()) -> list[InvalidParam]:
    """Pydantic's validation errors as the fields of a problem, each located ``under`` a path
    (`("body",)` for a model validated from a request's body)."""
    return [_invalid_param({**error, "loc": (*under, *error.get("loc", ()))}) for error in errors]


def _invalid_param(error: dict[str, Any]) -> InvalidParam:
    loc = tuple(error.get("loc", ()))
    if error.get("type") == "json_invalid":
        # FastAPI puts the character offset where the field would be.
        reason = error.get("ctx", {}).get("error", "cannot be parsed")
        at = f" at character {loc[1]}" if len(loc) > 1 else ""
        return InvalidParam(field="body", message=f"malformed JSON{at}: {reason}")
    if error.get("type") == "extra_forbidden":
        return InvalidParam(field=_location(loc), message="unknown field")
    return InvalidParam(field=_location(loc), message=str(error.get("msg", "invalid value")))


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    if (page := _as_page(request, exc.status)) is not None:
        return page
    return problem_response(
        request,
        status=exc.status,
        slug=exc.type,
        detail=exc.detail,
        errors=exc.errors,
        allowed=exc.allowed,
        headers=exc.headers,
    )


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if (page := _as_page(request, 422)) is not None:
        return page
    errors = invalid_params(exc.errors())
    return problem_response(
        request, status=422, slug="validation-error", detail=summary(errors), errors=errors
    )


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if (page := _as_page(request, exc.status_code)) is not None:
        return page
    slug = {
        400: "bad-request",
        404: "not-found",
        405: "method-not-allowed",
        413: "payload-too-large",
    }.get(exc.status_code, "http-error")
    detail = exc.detail if isinstance(exc.detail, str) else None
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_methods_of(request))
    return problem_response(
        request, status=exc.status_code, slug=slug, detail=detail, headers=headers
    )


def _methods_of(request: Request) -> list[str]:
    """Every method the path serves. Starlette's 405 names only those of the first route that
    matches the path, while a path's methods may be spread over several routes (GET and PATCH
    of one agreement)."""
    patterns: list[tuple[re.Pattern[str], list[str]]] | None = getattr(
        request.app.state, "method_patterns", None
    )
    if patterns is None:
        patterns = [
            (compile_path(path)[0], [method.upper() for method in item if method in _METHODS])
            for path, item in request.app.openapi()["paths"].items()
        ]
        request.app.state.method_patterns = patterns
    path = request.url.path
    return sorted({m for pattern, methods in patterns if pattern.match(path) for m in methods})


async def _on_stale_data(request: Request, exc: Exception) -> Response:
    # A versioned UPDATE (or DELETE) matched no row: another request changed the row after
    # this one read it. The transaction has been rolled back; the client can read and retry.
    assert isinstance(exc, StaleDataError)
    return await _on_problem(
        request,
        ConcurrentUpdate(
            "The resource was changed by another request at the same time; read it again and retry."
        ),
    )


async def _on_integrity_error(request: Request, exc: Exception) -> Response:
    # A constraint refused the write, typically because a concurrent request committed a
    # conflicting row first. The transaction has been rolled back; no internals are shown.
    assert isinstance(exc, IntegrityError)
    logger.warning("integrity error on %s %s: %s", request.method, request.url.path, exc.orig)
    return await _on_problem(
        request,
        Conflict(
            "The change conflicts with the current state of the data, possibly because of a "
            "concurrent request; read it again and retry."
        ),
    )


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    # Logged with its trace for the operator; the client gets no internals.
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    if (page := _as_page(request, 500)) is not None:
        return page
    return problem_response(
        request, status=500, slug="internal-error", detail="An unexpected error occurred."
    )


_METHODS = frozenset({"get", "put", "post", "patch", "delete"})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(StaleDataError, _on_stale_data)
    app.add_exception_handler(IntegrityError, _on_integrity_error)
    app.add_exception_handler(Exception, _on_unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations of the problems an operation can answer with."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def problem_schemas() -> dict[str, Any]:
    """The component schemas that `problem_responses` refers to."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})
    return {"Problem": schema, **definitions}
