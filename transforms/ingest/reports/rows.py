"""Raw rows become staged records or quarantined ones, each quarantine naming file, sheet, row and column.

A row problem never rejects the file: the clerk gets one line per bad row in the receipt, and every row of
the file ends either in ``raw.report_rows`` or in ``quarantine.report_rows``.
"""

from __future__ import annotations

import json
from typing import Any

from transforms.ingest.reports.errors import ValueProblem
from transforms.ingest.reports.layout import COLUMN_LABELS
from transforms.ingest.reports.lookup import catalog_lookup, resolve_city
from transforms.ingest.reports.model import ParsedReport, RawRow
from transforms.ingest.reports.periods import parse_period
from transforms.ingest.reports.text import cell_text, norm_key, to_halfwidth
from transforms.ingest.reports.values import parse_status, parse_value

SMALL_SHARES_SHOWN = 10


def build_rows(report: ParsedReport, raw_rows: list[RawRow], original_name: str) -> None:
    """Stage or quarantine every raw row into ``report``; warn about percentages that look like fractions."""
    builder = RowBuilder(report, original_name)
    for r in raw_rows:
        builder.add(r)
    if builder.small_shares:
        where = ", ".join(builder.small_shares[:SMALL_SHARES_SHOWN])
        report.warnings.append(
            {
                "zh": f"以下百分比指标的数值小于1（{where}）。如单元格设置了百分比格式，"
                "系统读到的是小数（如 70% 读作 0.7）；请改为直接填写 70 后重新报送。",
                "en": f"these percentage indicators hold values below 1 ({where}). A cell formatted as a "
                "percentage stores 0.7 for 70%; if that is the case, type 70 and send the file again.",
            }
        )


class RowBuilder:
    """Turns raw rows into staged or quarantined records for one file."""

    def __init__(self, report: ParsedReport, original_name: str) -> None:
        self.report = report
        self.name = original_name
        self.lookup = catalog_lookup()
        self.seen: dict[str, tuple[str, int]] = {}
        self.small_shares: list[str] = []

    def add(self, r: RawRow) -> None:
        """Stage or quarantine one data row (blank rows never reach this)."""
        if not self._matches_file(r):
            return
        resolved = self._resolve_or_quarantine(r)
        if resolved is None or self._is_repeat(r, resolved[1]):
            return
        kind, code = resolved
        rec = self._record(r, kind, code)
        ok = self._read_status(r, rec) if kind == "status" else self._read_values(r, rec, code)
        if ok:
            self.seen[code] = (r.sheet, r.row_number)
            self.report.rows.append(rec)

    def quarantine(self, r: RawRow, column: str, code: str, zh: str, en: str) -> None:
        """Record a bad row with the place and the bilingual reason."""
        col_label = r.columns.get(column) or COLUMN_LABELS.get(column, column)
        where_zh = f"文件“{self.name}”工作表“{r.sheet}”第{r.row_number}行“{col_label}”列："
        where_en = f"file '{self.name}', sheet '{r.sheet}', row {r.row_number}, column '{col_label}': "
        raw = {k: cell_text(v) for k, v in r.fields.items()}
        self.report.quarantined.append(
            {
                "sheet": r.sheet,
                "row_number": r.row_number,
                "column_name": col_label,
                "reason_code": code,
                "message_zh": where_zh + zh,
                "message_en": where_en + en,
                "raw_record": json.dumps(raw, ensure_ascii=False, sort_keys=True),
            }
        )

    def _quarantine_cells(self, r: RawRow, problems: list[tuple[str, ValueProblem]], unit: str) -> None:
        """One quarantined row naming each bad cell (the first cell's column and reason code lead)."""
        label = lambda c: r.columns.get(c) or COLUMN_LABELS.get(c, c)  # noqa: E731
        zh = "；".join(f"“{label(c)}”列：{p.zh}" if i else p.zh for i, (c, p) in enumerate(problems))
        en = "; ".join(f"column '{label(c)}': {p.en}" if i else p.en for i, (c, p) in enumerate(problems))
        self.quarantine(r, problems[0][0], problems[0][1].reason_code, f"{zh}（本指标单位：{unit}）",
                        f"{en} (indicator unit: {unit})")

    def _matches_file(self, r: RawRow) -> bool:
        """A long table's own city and period columns must agree with the file's cover."""
        rep = self.report
        if r.city is not None and cell_text(r.city) and resolve_city(r.city) != rep.city_code:
            self.quarantine(
                r,
                "city",
                "city_mismatch_row",
                f"本行城市“{cell_text(r.city)}”与文件城市{rep.city_code}不一致",
                f"the row's city '{cell_text(r.city)}' differs from the file's city {rep.city_code}",
            )
            return False
        if r.period is not None and cell_text(r.period) and parse_period(r.period) != rep.period:
            self.quarantine(
                r,
                "period",
                "period_mismatch_row",
                f"本行报告期“{cell_text(r.period)}”与文件报告期{rep.period}不一致",
                f"the row's period '{cell_text(r.period)}' differs from the file's period {rep.period}",
            )
            return False
        return True

    def _resolve_code(self, r: RawRow) -> tuple[str, str] | None:
        """(kind, indicator_code) from the code cell, or the name cell when the code is missing."""
        code_raw = cell_text(r.fields.get("code"))
        key = to_halfwidth(code_raw).strip().lower().replace(" ", "")
        want = r.kind
        if not key:
            return self._by_name(norm_key(cell_text(r.fields.get("name"))), want)
        if key in self.lookup.indicators and not key.startswith("ms_") and want != "status":
            return "quantity", key
        sp = key[3:] if key.startswith("ms_") else key
        if sp in self.lookup.specials and want != "quantity":
            return "status", f"ms_{sp}"
        return self._by_name(norm_key(code_raw), want)  # a Chinese name typed into the code column

    def _by_name(self, name_key: str, want: str | None) -> tuple[str, str] | None:
        if name_key in self.lookup.indicator_by_name and want != "status":
            return "quantity", self.lookup.indicator_by_name[name_key]
        if name_key in self.lookup.special_by_name and want != "quantity":
            return "status", f"ms_{self.lookup.special_by_name[name_key]}"
        return None

    def _resolve_or_quarantine(self, r: RawRow) -> tuple[str, str] | None:
        resolved = self._resolve_code(r)
        if resolved is not None:
            return resolved
        shown = cell_text(r.fields.get("code")) or cell_text(r.fields.get("name"))
        if not shown:
            self.quarantine(
                r,
                "code",
                "code_missing",
                "缺少指标代码；请填写 seeds 指标表中的代码",
                "the indicator code is missing; use a code from the template",
            )
        else:
            self.quarantine(
                r,
                "code",
                "unknown_indicator",
                f"未知的指标/专项代码“{shown}”；请使用模板中的代码",
                f"unknown indicator/special code '{shown}'; use a code from the template",
            )
        return None

    def _is_repeat(self, r: RawRow, code: str) -> bool:
        if code not in self.seen:
            return False
        _, rn = self.seen[code]
        self.quarantine(
            r,
            "code",
            "duplicate_item",
            f"代码“{code}”在第{rn}行已填报过，本行重复",
            f"code '{code}' was already reported in row {rn}; this row repeats it",
        )
        return True

    def _record(self, r: RawRow, kind: str, code: str) -> dict[str, Any]:
        """A ``raw.report_rows`` record with nothing read yet."""
        return {
            "sheet": r.sheet,
            "row_number": r.row_number,
            "city_code": self.report.city_code,
            "period": self.report.period,
            "kind": kind,
            "indicator_code": code,
            "value": None,
            "value_text": None,
            "value_status": "not_reported",
            "status_step": None,
            "city_target_2018": None,
            "city_target_2025": None,
            "evidence": cell_text(r.fields.get("evidence")) or None,
            "note": cell_text(r.fields.get("note")) or None,
        }

    def _read_status(self, r: RawRow, rec: dict[str, Any]) -> bool:
        """A status item's step (from the status column, else the value column); False if quarantined."""
        raw = r.fields.get("status", r.fields.get("value"))
        col = "status" if "status" in r.fields else "value"
        try:
            st, vs = parse_status(raw)
        except ValueProblem as p:
            self.quarantine(r, col, p.reason_code, p.zh, p.en)
            return False
        rec.update(status_step=st, value_status=vs, value_text=cell_text(raw) or None)
        return True

    def _read_values(self, r: RawRow, rec: dict[str, Any], code: str) -> bool:
        """An indicator's value and city targets in its unit; False if one of them was quarantined."""
        ind = self.lookup.indicators[code]
        row_unit = cell_text(r.fields.get("unit")) or None
        parsed: dict[str, float | None] = {}
        problems: list[tuple[str, ValueProblem]] = []
        for col in ("value", "target_2018", "target_2025"):
            try:
                parsed[col], vs = parse_value(r.fields.get(col), ind.unit, row_unit)
            except ValueProblem as p:
                problems.append((col, p))
                continue
            if col == "value":
                rec["value_status"] = vs
        if problems:  # every bad cell of the row in one quarantined row, so the clerk fixes them all at once
            self._quarantine_cells(r, problems, ind.unit)
            return False
        raw = r.fields.get("value")
        rec.update(
            value=parsed["value"],
            value_text=cell_text(raw) or None,
            city_target_2018=parsed["target_2018"],
            city_target_2025=parsed["target_2025"],
        )
        v = parsed["value"]
        if ind.unit == "%" and v is not None and 0 < v < 1 and isinstance(raw, float):
            # an Excel cell formatted as 70% stores 0.7; we cannot see the format, so we ask
            self.small_shares.append(f"{r.sheet}!{r.row_number}")
        return True
