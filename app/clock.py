"""The service's notion of "today", in its users' time zone; tests replace it."""

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends

from app.config import get_settings


def today() -> date:
    """Today's date where the service's users are (folio years, expiry, deadlines)."""
    return datetime.now(ZoneInfo(get_settings().timezone)).date()


Today = Annotated[date, Depends(today)]
