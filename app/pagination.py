"""Cursor pagination: opaque cursors, bounded pages."""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from app.errors import Unprocessable
from app.schemas import MAX_ID, storable_text

MAX_PAGE_SIZE = 100


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


class PageParams(BaseModel):
    limit: int
    after: int | str | None


def encode_cursor(after: int | str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int | str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeEncodeError):
        raise Unprocessable.field("query.cursor", "not a cursor this service handed out") from None
    # What a cursor carries goes into a query: an id, or a short key without NUL characters.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Unprocessable.field("query.cursor", "not a cursor this service handed out")
    if isinstance(value, int) and not 1 <= value <= MAX_ID:
        raise Unprocessable.field("query.cursor", "not a cursor this service handed out")
    if isinstance(value, str):
        try:
            storable_text(value)
        except ValueError:
            raise Unprocessable.field(
                "query.cursor", "not a cursor this service handed out"
            ) from None
    return value


async def page_params(  # async: pure, so no worker thread hop
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size.")] = 20,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` of the previous page.")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, after=_decode_cursor(cursor) if cursor else None)


PageDep = Annotated[PageParams, Depends(page_params)]


def int_after(params: PageParams) -> int | None:
    """The cursor of an id-ordered list (a 422 when it came from another list)."""
    if params.after is None or isinstance(params.after, int):
        return params.after
    raise Unprocessable.field("query.cursor", "not a cursor of this list")


def str_after(params: PageParams) -> str | None:
    """The cursor of a list ordered by a text key."""
    if params.after is None or isinstance(params.after, str):
        return params.after
    raise Unprocessable.field("query.cursor", "not a cursor of this list")


def build_page(
    items: Sequence[T], limit: int, cursor_of: Callable[[T], int | str] = attrgetter("id")
) -> "Page[T]":
    """A page of a list fetched with ``limit + 1`` rows (the extra one says there are more);
    the cursor is the sort key of the page's last item (its id unless ``cursor_of`` says)."""
    kept = list(items[:limit])
    more = len(items) > limit
    return Page(items=kept, next_cursor=encode_cursor(cursor_of(kept[-1])) if more else None)
