"""Recurring obligations: occurrences keep their anchor day, never drift, and are bounded."""

import calendar
import itertools
import time
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.obligations.recurrence import Frequency, TooManyOccurrences, occurrences

PROPERTIES = settings(max_examples=300, deadline=None, derandomize=True)
STEP = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.YEARLY: 12}
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def test_monthly_from_the_31st_keeps_the_anchor() -> None:
    assert occurrences(date(2026, 1, 31), Frequency.MONTHLY, date(2026, 6, 30)) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),  # Back to the 31st: no drift from February.
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
    ]
    assert occurrences(date(2028, 1, 31), Frequency.MONTHLY, date(2028, 3, 1))[1] == date(
        2028, 2, 29
    )


def test_yearly_from_february_29() -> None:
    assert occurrences(date(2024, 2, 29), Frequency.YEARLY, date(2028, 12, 31)) == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


def test_quarterly() -> None:
    assert occurrences(date(2026, 1, 15), Frequency.QUARTERLY, date(2027, 1, 14)) == [
        date(2026, 1, 15),
        date(2026, 4, 15),
        date(2026, 7, 15),
        date(2026, 10, 15),
    ]


def test_until_is_inclusive() -> None:
    assert occurrences(date(2026, 1, 15), Frequency.MONTHLY, date(2026, 3, 15))[-1] == date(
        2026, 3, 15
    )
    assert occurrences(date(2026, 1, 15), Frequency.MONTHLY, date(2026, 3, 14))[-1] == date(
        2026, 2, 15
    )
    assert occurrences(date(2026, 1, 15), Frequency.YEARLY, date(2026, 1, 15)) == [
        date(2026, 1, 15)
    ]


def test_until_before_first_is_an_error() -> None:
    with pytest.raises(ValueError, match="before first"):
        occurrences(date(2026, 1, 15), Frequency.MONTHLY, date(2026, 1, 14))


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="limit"):
        occurrences(date(2026, 1, 15), Frequency.MONTHLY, date(2026, 1, 15), limit=0)


def test_limit_is_inclusive() -> None:
    # 120 monthly occurrences: January 2026 to December 2035.
    assert len(occurrences(date(2026, 1, 1), Frequency.MONTHLY, date(2035, 12, 1))) == 120
    with pytest.raises(TooManyOccurrences) as raised:
        occurrences(date(2026, 1, 1), Frequency.MONTHLY, date(2036, 1, 1))
    assert (raised.value.count, raised.value.limit) == (121, 120)
    assert isinstance(raised.value, ValueError)


def test_far_until_fails_fast() -> None:
    started = time.perf_counter()
    with pytest.raises(TooManyOccurrences) as raised:
        occurrences(date(1, 1, 1), Frequency.MONTHLY, date(9999, 12, 31), limit=10)
    assert time.perf_counter() - started < 0.1
    assert raised.value.count == 9999 * 12
    assert raised.value.limit == 10


def test_frequency_values() -> None:
    assert [f.value for f in Frequency] == ["monthly", "quarterly", "yearly"]
    assert Frequency("quarterly") is Frequency.QUARTERLY


@PROPERTIES
@given(
    first=dates,
    frequency=st.sampled_from(Frequency),
    span=st.integers(0, 40 * 366),
    limit=st.integers(1, 500),
)
def test_occurrence_properties(first: date, frequency: Frequency, span: int, limit: int) -> None:
    until = date.fromordinal(first.toordinal() + span)
    step = STEP[frequency]
    # The expected count, by brute force over whole periods.
    expected = 0
    while True:
        month = _month_index(first) + expected * step
        year, month0 = divmod(month, 12)
        day = min(first.day, calendar.monthrange(year, month0 + 1)[1])
        if date(year, month0 + 1, day) > until:
            break
        expected += 1
    if expected > limit:
        with pytest.raises(TooManyOccurrences) as raised:
            occurrences(first, frequency, until, limit=limit)
        assert (raised.value.count, raised.value.limit) == (expected, limit)
        return

    result = occurrences(first, frequency, until, limit=limit)
    assert len(result) == expected
    assert result[0] == first
    assert all(a < b for a, b in itertools.pairwise(result))
    assert result[-1] <= until
    for k, occurrence in enumerate(result):
        # Exactly k periods after first, on the anchor day or the month's last day.
        assert _month_index(occurrence) == _month_index(first) + k * step
        last_day = calendar.monthrange(occurrence.year, occurrence.month)[1]
        assert occurrence.day == min(first.day, last_day)
