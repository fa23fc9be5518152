"""ASGI middleware that answers before any route runs."""

import json
from http import HTTPStatus

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PROBLEM_MEDIA_TYPE, type_uri

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class JsonBodyPolicy:
    """Request bodies are JSON of bounded size, checked before any route runs.

    A body that is not JSON gets 415 (not a confusing 422), and one over ``max_bytes`` gets 413
    as soon as its declared length or the bytes read so far exceed the limit: at most
    ``max_bytes`` are ever held. Upload routes (multipart) will have their own, larger limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is None and "transfer-encoding" not in headers:
            await self.app(scope, receive, send)
            return
        if declared is not None and declared.strip() not in ("0", ""):
            if not declared.strip().isdigit():
                await _send_problem(send, scope, 400, "bad-request", "Invalid Content-Length.")
                return
            if int(declared) > self.max_bytes:
                await self._too_large(send, scope)
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
                await self._too_large(send, scope)
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

    async def _too_large(self, send: Send, scope: Scope) -> None:
        await _send_problem(
            send,
            scope,
            413,
            "payload-too-large",
            f"The request body is larger than {self.max_bytes} bytes.",
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
