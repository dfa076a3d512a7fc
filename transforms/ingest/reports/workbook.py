"""Excel workbooks (xlsx, and legacy xls from old Excel/WPS): the template's sheets, or one long table.

calamine reads both formats fast without hand XML parsing; the zip is checked for bombs before it sees it.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree as ET

import python_calamine as pc
import xlrd

from transforms.catalog import TEMPLATE_VERSION
from transforms.ingest.reports.cells import CellMarks, apply_marks, ods_marks, xls_marks, xlsx_marks
from transforms.ingest.reports.cover import apply_cover
from transforms.ingest.reports.errors import ReportRejected, reject_unreadable, repeated_columns
from transforms.ingest.reports.formats import MAX_ROWS_PER_SHEET, OLE2_ENCRYPTED, check_zip, too_many_rows
from transforms.ingest.reports.layout import (
    HEADER_SCAN_ROWS,
    RepeatedColumns,
    cover_from_rows,
    data_rows,
    find_header,
    long_cover,
    long_rows,
)
from transforms.ingest.reports.model import ParsedReport, RawRow
from transforms.ingest.reports.sheets import ambiguous, check_unread_sheets, has_data_rows, pick_sheet
from transforms.ingest.reports.text import is_blank

Cover = dict[str, Any]


def read_xlsx(data: bytes, name: str, report: ParsedReport) -> list[RawRow]:
    """Read cover + 指标 + 专项进展 of an xlsx file."""
    check_zip(data, name)
    wb = _open(data, name, "xlsx 文件已损坏", "the xlsx file is corrupt")
    return read_workbook(wb, name, report, _marks(xlsx_marks, data, name))


def read_ods(data: bytes, name: str, report: ParsedReport) -> list[RawRow]:
    """Read an OpenDocument spreadsheet (LibreOffice, WPS) exactly like an xlsx."""
    check_zip(data, name, "content.xml")
    wb = _open(data, name, "ods 文件已损坏", "the ods file is corrupt")
    report.format = "ods"
    return read_workbook(wb, name, report, _marks(ods_marks, data, name))


def read_xls(data: bytes, name: str, report: ParsedReport) -> list[RawRow]:
    """Read a legacy .xls (OLE2) file the same way; an encrypted one cannot be read."""
    if OLE2_ENCRYPTED in data:
        raise reject_unreadable(
            name, "文件设置了打开密码（已加密）", "the file is password-protected (encrypted)", "encrypted"
        )
    wb = _open(data, name, "旧版 Excel 文件已损坏", "the legacy Excel file is corrupt")
    report.format = "xls"
    return read_workbook(wb, name, report, _marks(xls_marks, data, name))


def _open(data: bytes, name: str, why_zh: str, why_en: str) -> pc.CalamineWorkbook:
    try:
        return pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several error types for broken parts
        raise reject_unreadable(name, why_zh, f"{why_en} ({type(exc).__name__})", "corrupt_xlsx") from exc


def _marks(scan: Callable[[bytes], CellMarks], data: bytes, name: str) -> CellMarks:
    """Error and formula-without-value cells (cells.py); a sheet whose XML cannot be parsed is a corrupt file."""
    try:
        return scan(data)
    except (ET.ParseError, KeyError, ValueError, zipfile.BadZipFile, xlrd.XLRDError, AssertionError,
            IndexError) as exc:
        raise reject_unreadable(
            name, "工作表内容损坏", f"a worksheet is corrupt ({type(exc).__name__})", "corrupt_xlsx"
        ) from exc


def read_workbook(wb: pc.CalamineWorkbook, name: str, report: ParsedReport,
                  marks: CellMarks | None = None) -> list[RawRow]:
    """Raw rows of an opened workbook, its cover applied to ``report``."""
    try:
        cover, raw_rows = _read_sheets(wb, name, report, marks or {})
    except ReportRejected:
        raise
    except Exception as exc:
        raise reject_unreadable(
            name, "工作表内容损坏", f"a worksheet is corrupt ({type(exc).__name__})", "corrupt_xlsx"
        ) from exc
    if not cover and not raw_rows:
        raise ReportRejected(
            "not_template",
            f"文件“{name}”中找不到“封面”“指标”“专项进展”工作表或表头（指标代码、本期数值）。"
            f"请使用模板 {TEMPLATE_VERSION}。",
            f"file '{name}' has no 封面/指标/专项进展 sheets or header (指标代码, 本期数值). "
            f"Please use template {TEMPLATE_VERSION}.",
        )
    apply_cover(report, cover, name)
    return raw_rows


def _read_sheets(wb: pc.CalamineWorkbook, name: str, report: ParsedReport,
                 marks: CellMarks) -> tuple[Cover, list[RawRow]]:
    """The template's sheets, each the one copy that holds data; without 指标 or 专项进展, one long table.

    Every sheet is looked at: a second filled copy of a template sheet, or another sheet with a header and data
    rows, rejects the file naming the sheets, because reading one and dropping the other would lose rows."""
    names = list(wb.sheet_names)
    rows = {s: _sheet_rows(wb, s, name, marks) for s in names}
    cover_sheet = pick_sheet(names, rows, "cover", name)
    ind_sheet = pick_sheet(names, rows, "indicator", name)
    ms_sheet = pick_sheet(names, rows, "status", name)
    picked = tuple(s for s in (cover_sheet, ind_sheet, ms_sheet) if s)
    cover: Cover = cover_from_rows(rows[cover_sheet]) if cover_sheet else {}
    if not ind_sheet and not ms_sheet:
        return _read_long_table(names, rows, name, cover)
    check_unread_sheets(names, rows, tuple(s for s in (ind_sheet, ms_sheet) if s), name)
    raw_rows: list[RawRow] = []
    if ind_sheet:
        if not cover:
            cover = cover_from_rows(rows[ind_sheet][:HEADER_SCAN_ROWS])
        raw_rows += _data_rows_checked(rows[ind_sheet], ind_sheet, "quantity", name)
    if ms_sheet and ms_sheet != ind_sheet:
        raw_rows += _data_rows_checked(rows[ms_sheet], ms_sheet, "status", name)
    _warn_unread(report, [s for s in names if s not in picked and "说明" not in s], rows)
    return cover, raw_rows


def _warn_unread(report: ParsedReport, other: list[str], rows: dict[str, list[list[Any]]]) -> None:
    """Sheets that are not read: empty ones, and ones with content but no template header (checked above)."""
    empty = [s for s in other if all(is_blank(r) for r in rows[s])]
    free = [s for s in other if s not in empty]
    if empty:
        report.warnings.append({"zh": f"以下工作表为空，未读取：{'、'.join(empty)}",
                                "en": f"empty sheets, not read: {', '.join(empty)}"})
    if free:
        report.warnings.append({
            "zh": f"以下工作表没有模板表头（指标代码、本期数值），未读取：{'、'.join(free)}；"
                  "如其中有数据，请填入“指标”表",
            "en": f"sheets without the template header (指标代码, 本期数值), not read: {', '.join(free)}; "
                  "if they hold data, put it into the 指标 sheet",
        })


def _read_long_table(names: list[str], rows: dict[str, list[list[Any]]], name: str,
                     cover: Cover) -> tuple[Cover, list[RawRow]]:
    """The one sheet holding a long table (same columns as the CSV layout); two such sheets are ambiguous."""
    tables = [s for s in names if has_data_rows(rows[s])]
    if len(tables) > 1:
        raise ambiguous(name, tables, "长表")
    for s in tables:
        found = find_header(rows[s])
        longs = list(long_rows(rows[s], s, found)) if found else []
        if longs and found:
            return cover or long_cover(rows[s], found), longs
    return cover, []


def _sheet_rows(wb: pc.CalamineWorkbook, sheet_name: str, name: str, marks: CellMarks) -> list[list[Any]]:
    sheet = wb.get_sheet_by_name(sheet_name)
    if sheet.total_height > MAX_ROWS_PER_SHEET + HEADER_SCAN_ROWS:
        raise too_many_rows(name, sheet_name)
    rows = apply_marks(sheet.to_python(skip_empty_area=False), marks.get(sheet_name, {}))
    try:
        find_header(rows)
    except RepeatedColumns as rc:
        raise repeated_columns(name, sheet_name, rc.row_number, rc.labels) from rc
    return rows


def _data_rows_checked(rows: list[list[Any]], sheet: str, kind: str, name: str) -> list[RawRow]:
    """Data rows of a 指标/专项进展 sheet; a sheet with content but no header rejects the file.

    Without a header we cannot tell which cell is the value, and dropping the rows silently would break
    the promise that every row is accounted for.
    """
    if find_header(rows) is None and any(not is_blank(r) for r in rows):
        expected = "指标代码、本期数值" if kind == "quantity" else "专项代码、推进状态"
        raise ReportRejected(
            "header_not_found",
            f"文件“{name}”工作表“{sheet}”找不到表头（应含 {expected}）。请不要修改模板的表头。",
            f"file '{name}', sheet '{sheet}': no header row found (expected {expected}). "
            "Please keep the template's header row.",
        )
    return list(data_rows(rows, sheet, kind))
