"""What reading a file produces: raw rows as found, and the parsed report with staged and quarantined rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ParsedReport:
    """Everything read from one file: cover facts, staged rows and quarantined rows."""

    format: str
    template_version: str | None = None
    city_code: str | None = None
    period: str | None = None
    submitted_on: str | None = None
    cover: dict[str, str] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)

    @property
    def rows_total(self) -> int:
        return len(self.rows) + len(self.quarantined)


@dataclass
class RawRow:
    """One data row as found in the file, before any value is read."""

    sheet: str
    row_number: int
    kind: str | None  # quantity | status | None (decide from the code)
    fields: dict[str, Any]  # logical field -> raw cell value
    columns: dict[str, str]  # logical field -> header text as sent (for messages)
    city: Any = None
    period: Any = None
