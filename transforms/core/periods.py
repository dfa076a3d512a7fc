"""The reporting period (``2018Q4``): its one pattern, and which period a nightly run is for."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PERIOD_PATTERN = r"\d{4}Q[1-4]"
PERIOD_RE = re.compile(rf"^{PERIOD_PATTERN}$")
RUN_TZ = "Asia/Shanghai"


def is_period(text: object) -> bool:
    """True for a canonical period string such as ``2018Q4``."""
    return isinstance(text, str) and PERIOD_RE.match(text) is not None


def period_of(day: date) -> str:
    """The period a calendar day falls in."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def period_for_run(logical_date: datetime | str | None, override: str | None = None) -> str:
    """The reporting period a run is for: an explicit ``period`` wins, else the last quarter completed
    before the logical date in Asia/Shanghai (a quarter's reports arrive after it ends)."""
    if override and str(override).strip():
        period = str(override).strip().upper()
        if not is_period(period):
            raise ValueError(f"period must look like 2018Q4, got {override!r}")
        return period
    if logical_date is None:
        when = datetime.now(UTC)
    elif isinstance(logical_date, str):
        when = datetime.fromisoformat(logical_date)
    else:
        when = logical_date
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    local = when.astimezone(ZoneInfo(RUN_TZ))
    quarter = (local.month - 1) // 3 + 1
    year, quarter = (local.year, quarter - 1) if quarter > 1 else (local.year - 1, 4)
    return f"{year}Q{quarter}"
