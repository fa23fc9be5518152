"""The service's clock in the tests: stopped, at a moment each test controls.

Every test starts at `RUN_STARTED`, the machine's time when the run began, so the suite runs
on whatever day it is run (CI runs it again with the machine's clock more than a year ahead,
and at 23:30 of 31 December in Mexico City). A test that needs another moment sets it, or moves
the clock on; nothing a test does reads the machine's clock behind the service's back.
"""

from datetime import UTC, date, datetime, timedelta

from app import clock as service_clock

RUN_STARTED = service_clock.system_now().replace(microsecond=0)


class TestClock:
    """A clock that stands still until told otherwise."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> datetime:
        """Stop the clock at ``at`` (timezone-aware)."""
        if at.tzinfo is None:
            raise ValueError("set the clock to a timezone-aware moment")
        self.at = at.astimezone(UTC)
        return self.at

    def advance(self, delta: timedelta) -> datetime:
        return self.set(self.at + delta)

    def today(self) -> date:
        """Today where the service's users are (as `app.clock.today` says)."""
        return service_clock.today()


CLOCK = TestClock(RUN_STARTED)
"""The one test clock, installed as the service's for the whole run (see conftest)."""


def days_from_today(days: int) -> str:
    """The date ``days`` from the service's today, as an API takes it (YYYY-MM-DD)."""
    return (service_clock.today() + timedelta(days=days)).isoformat()


# Tests written around one calendar see it on 1 February 2026, at noon in Mexico City, whatever
# day the suite runs; their convenios are in force from 15 January 2026 to 31 December 2027.
FEBRUARY_2026 = datetime(2026, 2, 1, 18, 0, tzinfo=UTC)
TERM_2026_2027 = {"effective_date": "2026-01-15", "expiry_date": "2027-12-31"}
