"""Fixtures of the document tests."""

from collections.abc import Iterator

import pytest

from app.config import get_settings
from app.documents import samples
from tests.clock import TestClock


@pytest.fixture
def drafting(clock: TestClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The moment the sample convenios are drafted, and the service's real public address (so
    that its documents are not test copies)."""
    clock.set(samples.AS_OF)
    monkeypatch.setenv("CONVENIOS_PUBLIC_URL", samples.PUBLIC_URL)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
