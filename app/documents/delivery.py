"""Serving stored PDFs over HTTP: the ETag is the SHA-256, conditional requests get 304, and one
byte range gets 206 (RFC 9110) so large files can be resumed or read a page at a time."""

import re

from fastapi import Request, Response

from app.errors import problem_response

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def _etag(sha256: str) -> str:
    return f'"{sha256}"'


def _matches(header: str, etag: str) -> bool:
    """If-None-Match: a list of entity tags or ``*``; weak comparison (RFC 9110, 13.1.2)."""
    if header.strip() == "*":
        return True
    candidates = (tag.strip().removeprefix("W/") for tag in header.split(","))
    return etag in candidates


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The one range ``header`` asks for, as (first, last) inclusive; None when the header is
    not a single byte range we serve (then the whole file is sent). Raises ValueError when the
    range cannot be satisfied."""
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None  # several ranges, another unit or garbage: answer with the whole file
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            raise ValueError("empty suffix range")
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise ValueError("range outside the file")
    return start, end


# What a client that asks only for generic bytes (`Accept: application/octet-stream`, as
# generated clients do) gets the same file as.
_GENERIC = "application/octet-stream"


def media_type(request: Request) -> str:
    """application/pdf, unless the client asks for generic bytes and not for a PDF."""
    accept = request.headers.get("accept", "")
    return _GENERIC if _GENERIC in accept and "application/pdf" not in accept else "application/pdf"


def pdf_response(request: Request, data: bytes, *, sha256: str, filename: str) -> Response:
    etag = _etag(sha256)
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        # Clients keep a copy but ask again each time; the 304 costs a lookup, not the file.
        "Cache-Control": "private, no-cache",
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    requested = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if requested is not None and (if_range is None or if_range.strip() == etag):
        try:
            span = byte_range(requested, len(data))
        except ValueError:
            return problem_response(
                request,
                status=416,
                slug="range-not-satisfiable",
                detail=f"The range {requested[:100]!r} is outside the file's {len(data)} bytes.",
                headers={**headers, "Content-Range": f"bytes */{len(data)}"},
            )
        if span is not None:
            first, last = span
            return Response(
                data[first : last + 1],
                status_code=206,
                media_type=media_type(request),
                headers={**headers, "Content-Range": f"bytes {first}-{last}/{len(data)}"},
            )
    return Response(data, media_type=media_type(request), headers=headers)
