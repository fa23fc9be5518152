"""Mexican business days (días hábiles) for obligation deadlines.

A día hábil here is a weekday that is not a día de descanso obligatorio of the Ley Federal del
Trabajo, artículo 74, and not one of the caller's extra non-working days. Those extra days are
where everything the law does not fix by date goes: election days (fracción IX, set by the
electoral laws), and the holidays of a state, a municipality or an agreement.
"""

from collections.abc import Collection
from datetime import date, timedelta
from functools import lru_cache

MAX_BUSINESS_DAYS = 3650
"""Longest span `add_business_days` accepts (about 14 years): far beyond any real deadline."""

# The reform of artículo 74 (DOF 17-01-2006) moved fracciones II, III and VI from fixed dates to
# Mondays; before it, the days were the anniversaries themselves.
_MONDAYS_SINCE = 2006
# Artículo 83 of the Constitution (reform DOF 10-02-2014) moved the presidential inauguration to
# 1 October from the 2024 term on; fracción VII followed (DOF 30-09-2024).
_OCTOBER_TRANSFER_SINCE = 2024


def _nth_monday(year: int, month: int, nth: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(-first.weekday()) % 7 + 7 * (nth - 1))


@lru_cache(maxsize=256)
def federal_rest_days(year: int) -> frozenset[date]:
    """The días de descanso obligatorio of LFT artículo 74 that fall in ``year``.

    I. 1 January; II. first Monday of February (5 February); III. third Monday of March
    (21 March); IV. 1 May; V. 16 September; VI. third Monday of November (20 November);
    VII. the transfer of the Federal Executive, every six years: 1 December up to 2018,
    1 October from 2024 on; VIII. 25 December. Before 2006, II, III and VI are the fixed
    anniversaries. IX (election days) is not computable: pass those as extra non-working days.
    """
    if year >= _MONDAYS_SINCE:
        movable = {_nth_monday(year, 2, 1), _nth_monday(year, 3, 3), _nth_monday(year, 11, 3)}
    else:
        movable = {date(year, 2, 5), date(year, 3, 21), date(year, 11, 20)}
    days = {date(year, 1, 1), date(year, 5, 1), date(year, 9, 16), date(year, 12, 25), *movable}
    # Terms run 2018-2024-2030…: the inauguration years are those ≡ 2024 (mod 6).
    if (year - _OCTOBER_TRANSFER_SINCE) % 6 == 0:
        month = 10 if year >= _OCTOBER_TRANSFER_SINCE else 12
        days.add(date(year, month, 1))
    return frozenset(days)


def is_business_day(day: date, extra_non_working: Collection[date] = ()) -> bool:
    """Whether ``day`` is a día hábil: Monday to Friday, no federal rest day, not an extra."""
    return (
        day.weekday() < 5
        and day not in federal_rest_days(day.year)
        and day not in extra_non_working
    )


def add_business_days(start: date, days: int, extra_non_working: Collection[date] = ()) -> date:
    """The day on which a term "de ``days`` días hábiles" starting at ``start`` ends.

    ``start`` itself is not counted: legal terms run from the following día hábil.
    """
    if not 1 <= days <= MAX_BUSINESS_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_BUSINESS_DAYS}, not {days}")
    extra = frozenset(extra_non_working)  # One hash lookup per day, whatever the caller passed.
    day = start
    try:
        while days:
            day += timedelta(days=1)
            if is_business_day(day, extra):
                days -= 1
    except OverflowError:
        raise ValueError(f"the term runs past the end of the calendar ({date.max})") from None
    return day


def business_days_between(start: date, end: date, extra: Collection[date] = ()) -> int:
    """How many días hábiles ``d`` there are with ``start < d <= end`` (0 if ``end <= start``).

    The inverse of `add_business_days`: ``business_days_between(s, add_business_days(s, n))``
    is ``n``. Counted by arithmetic, not day by day, so that any span is cheap.
    """
    if end <= start:
        return 0
    full_weeks, rest = divmod((end - start).days, 7)
    weekdays = 5 * full_weeks + sum(
        (start + timedelta(days=i)).weekday() < 5 for i in range(1, rest + 1)
    )
    # A weekday that is both a federal rest day and an extra must be subtracted once: a set.
    off: set[date] = set(extra)
    for year in range(start.year, end.year + 1):
        off |= federal_rest_days(year)
    return weekdays - sum(start < d <= end and d.weekday() < 5 for d in off)
