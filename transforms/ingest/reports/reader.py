"""Tolerant reader for city reports (template ``HNPLUS-R1``) in XLSX, XLS, CSV or JSON.

Clerks in 18 city offices fill the template by hand, copy it into their own sheets, export CSV from
WPS or write JSON from a local system. This turns whatever they sent into plain row dicts and never
raises for a *row* problem: each bad row becomes a quarantine record that names the file, sheet, row
and column, what was wrong and what is expected, in Chinese and English. Only structural problems
(unreadable file, wrong template, wrong city, future period ...) raise :class:`ReportRejected`.
"""

from __future__ import annotations

from collections.abc import Callable

from transforms.ingest.reports.cover import check_file_name
from transforms.ingest.reports.delimited import read_csv
from transforms.ingest.reports.errors import ReportRejected, reject_unreadable
from transforms.ingest.reports.formats import sniff_format
from transforms.ingest.reports.jsonfile import read_json
from transforms.ingest.reports.model import ParsedReport, RawRow
from transforms.ingest.reports.rows import build_rows
from transforms.ingest.reports.workbook import read_ods, read_xls, read_xlsx

_READERS: dict[str, Callable[[bytes, str, ParsedReport], list[RawRow]]] = {
    "xlsx": read_xlsx,
    "ods": read_ods,
    "ole2": read_xls,
    "json": read_json,
    "csv": read_csv,
}


def read_report(data: bytes, original_name: str) -> ParsedReport:
    """Parse one file's bytes into a :class:`ParsedReport`; raise :class:`ReportRejected` if unusable."""
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise ReportRejected(
            "empty_file",
            f"文件“{original_name}”是空文件，请填报后重新报送。",
            f"file '{original_name}' is empty; please fill in the report and send it again.",
        )
    fmt = sniff_format(data, original_name)
    if fmt not in _READERS:
        raise reject_unreadable(
            original_name,
            "不是电子表格（应为 .xlsx、.xls、.ods、.csv 或 .json）",
            "it is not a spreadsheet (expected .xlsx, .xls, .ods, .csv or .json)",
            "not_a_spreadsheet",
        )
    report = ParsedReport(format=fmt)
    raw_rows = _READERS[fmt](data, original_name, report)
    check_file_name(report, original_name)
    if not raw_rows:
        raise ReportRejected(
            "no_data_rows",
            f"文件“{original_name}”没有任何指标或专项数据行。请在“指标”“专项进展”表中填报后重新报送。",
            f"file '{original_name}' has no indicator or status rows. Please fill the 指标 and 专项进展 sheets.",
        )
    build_rows(report, raw_rows, original_name)
    return report
