"""ASGI middleware that answers before any route runs."""

import json
import re
from collections.abc import Sequence
from http import HTTPStatus

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PROBLEM_MEDIA_TYPE, type_uri

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _served(routes: Sequence[tuple[re.Pattern[str], frozenset[str]]], scope: Scope) -> bool:
    return any(scope["method"] in methods and path.match(scope["path"]) for path, methods in routes)


class BodyPolicy:
    """Request bodies are JSON of bounded size, or multipart of a larger bounded size on the
    upload routes, checked before any route runs.

    A JSON body that is not JSON gets 415 (not a confusing 422), and one over ``max_bytes`` gets
    413 as soon as its declared length or the bytes read so far exceed the limit: at most
    ``max_bytes`` are ever held. On an upload route (a path and method of ``upload_routes``)
    the body must be ``multipart/form-data`` (or absent) of at most ``max_upload_bytes``; it is
    not buffered here but counted as the route reads it, and 413 ends the request at the first
    byte over. A method and path no route serves (``routes``) pass untouched: the router's 404
    or 405 says what is wrong, not the body's media type.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        max_upload_bytes: int,
        upload_routes: Sequence[tuple[re.Pattern[str], frozenset[str]]] = (),
        routes: Sequence[tuple[re.Pattern[str], frozenset[str]]],
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes
        self.upload_routes = tuple(upload_routes)
        self.routes = tuple(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in _BODY_METHODS
            or not _served(self.routes, scope)
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if _served(self.upload_routes, scope):
            await self._upload(scope, receive, send, headers)
            return
        declared = headers.get("content-length")
        if declared is None and "transfer-encoding" not in headers:
            await self.app(scope, receive, send)
            return
        if declared is not None and declared.strip() not in ("0", ""):
            if not declared.strip().isdigit():
                await _send_problem(send, scope, 400, "bad-request", "Invalid Content-Length.")
                return
            if int(declared) > self.max_bytes:
                await self._too_large(send, scope, self.max_bytes)
                return
        if declared != "0" and not _is_json(headers.get("content-type", "")):
            await _send_problem(
                send,
                scope,
                415,
                "unsupported-media-type",
                "Send the request body as application/json.",
            )
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(send, scope, self.max_bytes)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _upload(self, scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
        declared = headers.get("content-length", "").strip()
        if declared and not declared.isdigit():
            await _send_problem(send, scope, 400, "bad-request", "Invalid Content-Length.")
            return
        if declared and int(declared) > self.max_upload_bytes:
            await self._too_large(send, scope, self.max_upload_bytes)
            return
        media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        empty = declared in ("", "0") and "transfer-encoding" not in headers
        if not media_type and empty:
            # No body at all is a form without fields: the route takes it when all its fields
            # are optional (a fulfilment without note or evidence) and names those it needs.
            await self.app(scope, receive, send)
            return
        if media_type != "multipart/form-data":
            await _send_problem(
                send,
                scope,
                415,
                "unsupported-media-type",
                "Send the file as multipart/form-data.",
            )
            return
        size = 0
        limit = self.max_upload_bytes

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    # Raised inside the route's reading of the form; answered as a 413 problem.
                    raise HTTPException(413, f"The request body is larger than {limit} bytes.")
            return message

        await self.app(scope, counted, send)

    async def _too_large(self, send: Send, scope: Scope, limit: int) -> None:
        await _send_problem(
            send, scope, 413, "payload-too-large", f"The request body is larger than {limit} bytes."
        )


class SecurityHeaders:
    """Responses carry data about governments' agreements: no sniffing, no shared caches."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                headers.append((b"x-content-type-options", b"nosniff"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _send_problem(send: Send, scope: Scope, status: int, slug: str, detail: str) -> None:
    # A page for people answers with a page, here as past the door (`app.state.page_errors`).
    page_errors = getattr(getattr(scope.get("app"), "state", None), "page_errors", None)
    page = page_errors(Request(scope), status) if page_errors is not None else None
    if page is not None:
        await page(scope, _no_body, send)
        return
    body = json.dumps(
        {
            "type": type_uri(slug),
            "title": HTTPStatus(status).phrase,
            "status": status,
            "detail": detail,
            "instance": scope.get("path", ""),
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}
