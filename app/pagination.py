"""Cursor pagination: cursors of a published shape, bounded pages."""

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

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


# A cursor is opaque to clients, but its shape is published: every string of that shape is a
# cursor the list takes (it names where the previous page ended), so a well-formed request is
# never refused for it. An id is 8 hexadecimal digits: 31 bits, the ids' range.
ID_CURSOR = r"^[0-7][0-9a-f]{7}$"
# How the two parameters of a page are described, wherever they are declared.
LIMIT_DESCRIPTION = "Page size."
CURSOR_DESCRIPTION = "`next_cursor` of the previous page."
DEFAULT_LIMIT = 20


def id_cursor(value: int) -> str:
    return f"{value:08x}"


def id_after(cursor: str) -> int:
    """The id an id cursor names (`id_cursor`'s inverse)."""
    return int(cursor, 16)


def _page_params(pattern: str, decode: Callable[[str], int | str]) -> Callable[..., Any]:
    async def page_params(  # async: pure, so no worker thread hop
        limit: Annotated[
            int, Query(ge=1, le=MAX_PAGE_SIZE, description=LIMIT_DESCRIPTION)
        ] = DEFAULT_LIMIT,
        cursor: Annotated[
            str | None, Query(pattern=pattern, description=CURSOR_DESCRIPTION)
        ] = None,
    ) -> PageParams:
        return PageParams(limit=limit, after=decode(cursor) if cursor else None)

    return page_params


# Lists in id order (most of them).
PageDep = Annotated[PageParams, Depends(_page_params(ID_CURSOR, id_after))]


def keyed_pages(pattern: str) -> Any:
    """The page parameters of a list ordered by another key, whose cursors match ``pattern``
    (the list's `build_page` writes them with its ``cursor_of``): for `Depends`."""
    return _page_params(pattern, str)


def int_after(params: PageParams) -> int | None:
    assert params.after is None or isinstance(params.after, int)
    return params.after


def str_after(params: PageParams) -> str | None:
    assert params.after is None or isinstance(params.after, str)
    return params.after


def build_page(
    items: Sequence[T], limit: int, cursor_of: Callable[[T], str] | None = None
) -> "Page[T]":
    """A page of a list fetched with ``limit + 1`` rows (the extra one says there are more);
    the cursor names the sort key of the page's last item (its id unless ``cursor_of`` says)."""
    kept = list(items[:limit])
    more = len(items) > limit
    if not more:
        return Page(items=kept, next_cursor=None)
    last = kept[-1]
    return Page(items=kept, next_cursor=cursor_of(last) if cursor_of else id_cursor(last.id))  # type: ignore[attr-defined]
