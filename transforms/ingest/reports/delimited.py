"""Long CSV reports (one row per indicator or special), as exported from Excel, WPS or a local system."""

from __future__ import annotations

import csv
import io
from typing import Any

from transforms.catalog import TEMPLATE_VERSION
from transforms.ingest.reports.cover import apply_cover
from transforms.ingest.reports.errors import ReportRejected, reject_unreadable, repeated_columns
from transforms.ingest.reports.formats import MAX_ROWS_PER_SHEET, decode_text, too_many_rows
from transforms.ingest.reports.layout import HEADER_SCAN_ROWS, RepeatedColumns, find_header, long_cover, long_rows
from transforms.ingest.reports.model import ParsedReport, RawRow

DELIMITERS = (",", "\t", ";", "，")


def read_csv(data: bytes, name: str, report: ParsedReport) -> list[RawRow]:
    """Long CSV in UTF-8, UTF-8-BOM or GB18030/GBK; delimiter sniffed among , ; tab."""
    text = decode_text(data)
    if text is None:
        raise reject_unreadable(
            name, "文本编码无法识别（应为 UTF-8 或 GBK）", "unknown text encoding (use UTF-8 or GBK)", "bad_encoding"
        )
    rows = _csv_rows(text, name)
    try:
        found = find_header(rows)
    except RepeatedColumns as rc:
        raise repeated_columns(name, "csv", rc.row_number, rc.labels) from rc
    if found is None:
        raise ReportRejected(
            "not_template",
            f"文件“{name}”找不到表头（应含 模板版本,城市代码,报告期,类型,代码,…,本期数值）。"
            f"请使用模板 {TEMPLATE_VERSION}。",
            f"file '{name}' has no recognisable header (模板版本,城市代码,报告期,类型,代码,…,本期数值). "
            f"Please use template {TEMPLATE_VERSION}.",
        )
    apply_cover(report, long_cover(rows, found), name)
    return list(long_rows(rows, "csv", found))


def _csv_rows(text: str, name: str) -> list[list[Any]]:
    """The cells of every line, with the delimiter the first line uses most; refused beyond the row limit."""
    first_line = text.split("\n", 1)[0]
    delim = max(DELIMITERS, key=first_line.count)
    rows: list[list[Any]] = []
    for rec in csv.reader(io.StringIO(text, newline=""), delimiter=delim):
        rows.append(rec)
        if len(rows) > MAX_ROWS_PER_SHEET + HEADER_SCAN_ROWS:
            raise too_many_rows(name)
    return rows
