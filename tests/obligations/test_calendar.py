"""Días hábiles: the rest days of LFT artículo 74, and deadlines counted in business days."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.obligations.calendar import (
    MAX_BUSINESS_DAYS,
    add_business_days,
    business_days_between,
    federal_rest_days,
    is_business_day,
)

PROPERTIES = settings(max_examples=200, deadline=None, derandomize=True)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2080, 12, 31))
extras = st.frozensets(dates, max_size=20)


def test_rest_days_2026() -> None:
    assert federal_rest_days(2026) == {
        date(2026, 1, 1),
        date(2026, 2, 2),  # First Monday of February.
        date(2026, 3, 16),  # Third Monday of March.
        date(2026, 5, 1),
        date(2026, 9, 16),
        date(2026, 11, 16),  # Third Monday of November.
        date(2026, 12, 25),
    }


def test_transfer_of_the_executive_moved_from_december_to_october() -> None:
    assert date(2024, 10, 1) in federal_rest_days(2024)
    assert date(2024, 12, 1) not in federal_rest_days(2024)
    assert date(2030, 10, 1) in federal_rest_days(2030)
    for year in (2000, 2006, 2012, 2018):
        assert date(year, 12, 1) in federal_rest_days(year)
        assert date(year, 10, 1) not in federal_rest_days(year)


@pytest.mark.parametrize("year", [2019, 2023, 2025, 2026, 2029])
def test_no_transfer_outside_inauguration_years(year: int) -> None:
    assert date(year, 10, 1) not in federal_rest_days(year)
    assert date(year, 12, 1) not in federal_rest_days(year)
    assert len(federal_rest_days(year)) == 7


def test_before_2006_the_anniversaries_themselves() -> None:
    assert {date(2005, 2, 5), date(2005, 3, 21), date(2005, 11, 20)} <= federal_rest_days(2005)
    assert {date(2006, 2, 6), date(2006, 3, 20), date(2006, 11, 20)} <= federal_rest_days(2006)


def test_is_business_day() -> None:
    assert is_business_day(date(2026, 2, 3))  # A Tuesday.
    assert not is_business_day(date(2026, 1, 31))  # Saturday.
    assert not is_business_day(date(2026, 2, 1))  # Sunday.
    assert not is_business_day(date(2026, 2, 2))  # Monday, rest day.
    assert not is_business_day(date(2026, 2, 3), [date(2026, 2, 3)])


def test_add_business_days_skips_weekend_and_rest_day() -> None:
    # Friday; Saturday, Sunday and Monday 2 February (rest day) are skipped.
    assert add_business_days(date(2026, 1, 30), 1) == date(2026, 2, 3)
    assert add_business_days(date(2026, 1, 30), 5) == date(2026, 2, 9)


def test_add_business_days_does_not_count_start() -> None:
    assert add_business_days(date(2026, 2, 3), 1) == date(2026, 2, 4)
    assert add_business_days(date(2026, 1, 31), 1) == date(2026, 2, 3)  # From a Saturday.


def test_extra_non_working_days() -> None:
    election = date(2027, 6, 7)  # Configured, not computed: fracción IX.
    assert add_business_days(date(2027, 6, 4), 1) == election
    assert add_business_days(date(2027, 6, 4), 1, [election]) == date(2027, 6, 8)
    assert add_business_days(date(2027, 6, 4), 1, {election, date(2027, 6, 8)}) == date(2027, 6, 9)
    assert business_days_between(date(2027, 6, 4), date(2027, 6, 8), [election]) == 1


@pytest.mark.parametrize("days", [0, -1, MAX_BUSINESS_DAYS + 1])
def test_add_business_days_rejects_out_of_range(days: int) -> None:
    with pytest.raises(ValueError, match="days must be"):
        add_business_days(date(2026, 1, 1), days)


def test_add_business_days_accepts_the_maximum() -> None:
    start = date(2026, 1, 1)
    assert business_days_between(start, add_business_days(start, MAX_BUSINESS_DAYS)) == 3650


def test_business_days_between() -> None:
    assert business_days_between(date(2026, 1, 30), date(2026, 2, 3)) == 1
    assert business_days_between(date(2026, 2, 3), date(2026, 2, 3)) == 0
    assert business_days_between(date(2026, 2, 3), date(2026, 1, 30)) == 0
    # 2026 has 261 weekdays, and all seven of its rest days fall on weekdays.
    assert business_days_between(date(2025, 12, 31), date(2026, 12, 31)) == 261 - 7
    # A weekday that is both a rest day and an extra is subtracted once.
    assert business_days_between(date(2026, 1, 30), date(2026, 2, 3), [date(2026, 2, 2)]) == 1


def test_business_days_between_is_cheap_over_centuries() -> None:
    assert business_days_between(date(1, 1, 1), date(9999, 12, 31)) > 2_000_000


@PROPERTIES
@given(start=dates, days=st.integers(1, 400), extra=extras)
def test_deadline_is_a_business_day_n_business_days_later(
    start: date, days: int, extra: frozenset[date]
) -> None:
    end = add_business_days(start, days, extra)
    assert is_business_day(end, extra)
    assert business_days_between(start, end, extra) == days
    # Nothing between the last business day before the deadline and the deadline is hábil.
    assert business_days_between(start, end - timedelta(days=1), extra) == days - 1


@PROPERTIES
@given(start=dates, end=dates, extra=extras)
def test_between_matches_counting_day_by_day(
    start: date, end: date, extra: frozenset[date]
) -> None:
    if (end - start).days > 800:  # Keep the naive count short.
        end = start + timedelta(days=800)
    naive = sum(
        is_business_day(start + timedelta(days=i), extra) for i in range(1, (end - start).days + 1)
    )
    assert business_days_between(start, end, extra) == naive


@PROPERTIES
@given(year=st.integers(2006, 2200))
def test_rest_days_are_in_their_year_and_movable_ones_on_monday(year: int) -> None:
    days = federal_rest_days(year)
    assert all(d.year == year for d in days)
    mondays = [d for d in days if d.month in (2, 3, 11)]
    assert [d.weekday() for d in mondays] == [0, 0, 0]
    february, march, november = sorted(mondays)
    assert 1 <= february.day <= 7
    assert 15 <= march.day <= 21
    assert 15 <= november.day <= 21
    assert len(days) == (8 if year % 6 == 2024 % 6 else 7)
