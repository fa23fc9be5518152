"""One clock: every "now" and "today" comes from `app.clock`, in the users' time zone."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from app import clock as service_clock
from app.config import PROJECT_ROOT
from tests.clock import TestClock
from tests.conftest import Keys
from tests.factories import API, agreement, ok

MEXICO_CITY = ZoneInfo("America/Mexico_City")
_MACHINE_CLOCK = re.compile(
    r"\b(datetime\.(now|utcnow|today)|date\.today|time\.(time|localtime|gmtime))\("
)


def test_nothing_but_the_clock_module_reads_the_machine_clock() -> None:
    readers = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}"
        for folder in ("app", "bench", "migrations")
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py"))
        if path != PROJECT_ROOT / "app" / "clock.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _MACHINE_CLOCK.search(line)
    ]
    assert readers == []


def test_today_is_mexico_citys_when_utc_is_already_in_the_next_year(clock: TestClock) -> None:
    clock.set(datetime(2026, 12, 31, 23, 30, tzinfo=MEXICO_CITY))
    assert service_clock.now().date() == date(2027, 1, 1)  # 05:30 UTC
    assert service_clock.today() == date(2026, 12, 31)
    clock.advance(timedelta(hours=1))
    assert service_clock.today() == date(2027, 1, 1)


def test_folio_years_and_expiry_windows_follow_the_service_clock(
    client: TestClient, keys: Keys, clock: TestClock
) -> None:
    clock.set(datetime(2026, 12, 31, 23, 30, tzinfo=MEXICO_CITY))
    last_of_the_year = agreement(
        client, keys.legal, effective_date="2026-12-01", expiry_date="2027-01-01"
    )
    assert last_of_the_year["folio"].startswith("CONV-2026-")
    party_id = last_of_the_year["parties"][0]["party"]["id"]
    within_a_day = {"expiring_within_days": 1, "party_id": party_id}
    found = ok(client.get(f"{API}/agreements", params=within_a_day, headers=keys.viewer))
    assert [a["id"] for a in found["items"]] == [last_of_the_year["id"]]

    clock.advance(timedelta(hours=1))  # 00:30 of 1 January in Mexico City
    first_of_the_next = agreement(client, keys.legal)
    assert first_of_the_next["folio"] == "CONV-2027-0001"
    on_the_day = {"expiring_within_days": 0, "party_id": party_id}
    found = ok(client.get(f"{API}/agreements", params=on_the_day, headers=keys.viewer))
    assert [a["id"] for a in found["items"]] == [last_of_the_year["id"]]


def test_the_clock_refuses_a_moment_without_a_time_zone() -> None:
    previous = service_clock.use(lambda: datetime(2026, 1, 1))
    try:
        try:
            service_clock.now()
        except ValueError as error:
            assert "timezone-aware" in str(error)
        else:
            raise AssertionError("a naive moment was accepted")
    finally:
        service_clock.use(previous)
    assert service_clock.now().tzinfo is UTC
