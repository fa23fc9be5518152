"""Recurring obligations (a monthly report, a quarterly payment…) expanded into dated occurrences.

Occurrence k is ``first`` moved k periods forward, keeping ``first``'s day of the month where the
month has it and taking the month's last day where it does not. Each occurrence is computed from
``first``, never from the previous one, so that a 31st clamped to the 28th does not stay there.
"""

import calendar
from datetime import date
from enum import StrEnum


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


_MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.YEARLY: 12}


class TooManyOccurrences(ValueError):
    """The schedule would have more than ``limit`` occurrences (exactly ``count`` of them)."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"{count} occurrences, more than the limit of {limit}")
        self.count = count
        self.limit = limit


def add_months(first: date, months: int) -> date:
    """``first`` moved ``months`` forward, on its day or the month's last day."""
    year, month0 = divmod(first.year * 12 + first.month - 1 + months, 12)
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(first.day, last_day))


def occurrences(first: date, frequency: Frequency, until: date, *, limit: int = 120) -> list[date]:
    """``first`` and every period after it up to ``until`` inclusive, at most ``limit`` of them.

    Raises ValueError if ``until`` is before ``first`` or ``limit`` is below 1, and
    TooManyOccurrences if there would be more than ``limit`` occurrences; the count is worked
    out before any date is built, so an ``until`` in year 9999 fails at once.
    """
    if until < first:
        raise ValueError(f"until ({until}) is before first ({first})")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    step = _MONTHS[frequency]
    months = (until.year - first.year) * 12 + until.month - first.month
    last = months // step
    # Occurrence `last` falls in until's month or earlier; in the same month it may be later.
    if add_months(first, last * step) > until:
        last -= 1
    if last + 1 > limit:
        raise TooManyOccurrences(last + 1, limit)
    return [add_months(first, k * step) for k in range(last + 1)]
