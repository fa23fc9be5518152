"""The service's one clock: every "now" and "today" in convenios comes from here.

By default it is the system's clock. Whatever needs another moment — the test suite, which runs
every test at a moment it chooses; a benchmark — replaces the source with `use`. Work sent to a
worker process carries the moment it is about (``at``) instead of reading a clock there, so the
whole service agrees on one time.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends

from app.config import get_settings

Source = Callable[[], datetime]


def system_now() -> datetime:
    """The machine's clock, in UTC."""
    return datetime.now(UTC)


_source: Source = system_now


def use(source: Source) -> Source:
    """Make ``source`` the clock of this process; returns the one it replaces."""
    global _source
    previous, _source = _source, source
    return previous


def now() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    moment = _source()
    if moment.tzinfo is None:
        raise ValueError("the clock must give timezone-aware datetimes")
    return moment.astimezone(UTC)


def today() -> date:
    """Today's date where the service's users are (folio years, expiry, deadlines): at 23:30
    of 31 December in Mexico City it is still that year, although in UTC it is the next."""
    return now().astimezone(ZoneInfo(get_settings().timezone)).date()


Today = Annotated[date, Depends(today)]
