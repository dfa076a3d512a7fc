"""Every spelling of a reporting period that clerks use, read into the canonical ``YYYYQn``.

The canonical form and the day-to-period rule live in ``transforms.core.periods``; this module only knows the
spellings found in reports (2018年第四季度, 2018-12, an Excel date serial ...).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from transforms.core.periods import period_of
from transforms.ingest.reports.text import CN_DIGITS, to_halfwidth

EARLIEST_YEAR = 2015  # the plan was issued in 2015; nothing can be reported before it

_QUARTER_Q = re.compile(r"(\d{4})[-/.年]?第?Q([1-4])(?:季度)?")
_QUARTER_CN = re.compile(r"(\d{4})年?[-/.]?第?([1-4一二三四])季度?")
_MONTH_DAY = re.compile(r"(\d{4})[-/.年](\d{1,2})(?:月)?(?:[-/.](\d{1,2})日?|(\d{1,2})日)?")
_YEAR_MONTH = re.compile(r"(\d{4})(\d{2})")  # 201812


def _excel_serial_to_date(serial: float) -> dt.date:
    return dt.date(1899, 12, 30) + dt.timedelta(days=int(serial))


def _period_of_number(value: float) -> str | None:
    if 20_000 <= value <= 80_000:  # Excel date serial (1954..2119)
        return period_of(_excel_serial_to_date(value))
    return None


def _period_of_text(s: str) -> str | None:
    m = _QUARTER_Q.fullmatch(s)
    if m:
        return f"{m.group(1)}Q{m.group(2)}"
    m = _QUARTER_CN.fullmatch(s)
    if m and ("季" in s or "第" in s):
        q = m.group(2)
        q_num = int(q) if q.isdigit() else CN_DIGITS[q]
        return f"{m.group(1)}Q{q_num}"
    m = _MONTH_DAY.fullmatch(s)
    if m:
        month = int(m.group(2))
        if is_ambiguous_period(s):
            return None  # 2018-4: the 4th quarter or April? never guess
        if 1 <= month <= 12:
            return f"{m.group(1)}Q{(month - 1) // 3 + 1}"
    m = _YEAR_MONTH.fullmatch(s)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{m.group(1)}Q{(int(m.group(2)) - 1) // 3 + 1}"
    return None


def parse_period(value: Any) -> str | None:
    """Canonical ``YYYYQn`` for 2018Q4, 2018年第四季度, 2018年4季度, 2018-12, a date or an Excel serial."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime | dt.date):
        return period_of(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _period_of_number(value)
    s = to_halfwidth(str(value)).strip().upper().replace(" ", "")
    if re.fullmatch(r"\d{5}(\.0+)?", s):
        return _period_of_number(float(s))
    return _period_of_text(s)


_AMBIGUOUS = re.compile(r"(\d{4})[-/.年]([1-4])")


def is_ambiguous_period(value: Any) -> bool:
    """``2018-4``, ``2018/2``, ``2018.3``, ``2018年4``: a one-digit 1-4 after the year, without 月/季度/Q, could be a
    month or a quarter, so it is not read (``2018-04``, ``2018年4月``, ``2018Q4`` and ``2018-11`` are unambiguous)."""
    if not isinstance(value, str):
        return False
    return _AMBIGUOUS.fullmatch(to_halfwidth(value).strip().replace(" ", "")) is not None


def period_start(period: str) -> dt.date:
    """The first day of a canonical period (a report for a period that has not started is refused)."""
    year, q = int(period[:4]), int(period[5])
    return dt.date(year, 3 * (q - 1) + 1, 1)
