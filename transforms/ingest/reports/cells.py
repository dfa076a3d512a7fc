"""Cells whose value calamine cannot show: Excel error values (#DIV/0!, #N/A ...) and formulas saved without a
stored result (openpyxl and some tools write the formula only). calamine reads both as an empty cell, so a wrong
formula would silently become "not reported"; this scans the sheet XML once and marks those cells, so the row
builder quarantines them naming the cell (``B7``) instead.

xlsx: ``<c r="B7" t="e"><v>#DIV/0!</v></c>`` is an error, ``<c r="B7"><f>…</f></c>`` without ``<v>`` a formula with
no stored value. ods: ``calcext:value-type="error"`` and ``table:formula`` without a value.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any
from xml.etree import ElementTree as ET

CellMarks = dict[str, dict[tuple[int, int], "MarkedCell"]]  # sheet -> (row, col) 0-based -> mark

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_NS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_NS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_NS_CALCEXT = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}"
_NS_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_REF = re.compile(r"([A-Z]+)(\d+)")
ERROR_VALUES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!",
                "#CALC!", "Err:502", "Err:504", "Err:508", "Err:511", "Err:522")
MAX_MARKS = 20_000  # a sheet is at most 5 000 rows; beyond this the sheet is refused elsewhere anyway


class MarkedCell(str):
    """The text shown in place of a cell calamine reads as empty; ``kind`` is ``error`` or ``formula``."""

    kind: str
    ref: str

    def __new__(cls, text: str, kind: str, ref: str) -> MarkedCell:
        obj = super().__new__(cls, text)
        obj.kind, obj.ref = kind, ref
        return obj


def cell_ref(row: int, col: int) -> str:
    """``B7`` for the 0-based (6, 1)."""
    letters, n = "", col + 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return f"{letters}{row + 1}"


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def xlsx_marks(data: bytes) -> CellMarks:
    """Error and formula-without-value cells of every sheet of an xlsx (the zip is already checked)."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    names = set(zf.namelist())
    rels = {r.get("Id"): r.get("Target", "") for r in ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
            .iter(f"{_NS_PKG}Relationship")} if "xl/_rels/workbook.xml.rels" in names else {}
    marks: CellMarks = {}
    for sh in ET.fromstring(zf.read("xl/workbook.xml")).iter(f"{_NS_MAIN}sheet"):
        target = rels.get(sh.get(f"{_NS_REL}id"), "")
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if part in names:
            marks[sh.get("name", "")] = _xlsx_sheet_marks(zf.read(part))
    return marks


def _xlsx_sheet_marks(xml: bytes) -> dict[tuple[int, int], MarkedCell]:
    if b"<f" not in xml and b't="e"' not in xml:
        return {}
    out: dict[tuple[int, int], MarkedCell] = {}
    for _, el in ET.iterparse(io.BytesIO(xml)):
        if el.tag != f"{_NS_MAIN}c":
            continue
        m = _REF.fullmatch(el.get("r", ""))
        f, v = el.find(f"{_NS_MAIN}f"), el.find(f"{_NS_MAIN}v")
        value = (v.text or "") if v is not None else ""
        if m and el.get("t") == "e":
            out[(int(m.group(2)) - 1, _col_index(m.group(1)))] = MarkedCell(value or "#ERROR", "error", m.group(0))
        elif m and f is not None and not value:
            out[(int(m.group(2)) - 1, _col_index(m.group(1)))] = MarkedCell("=" + (f.text or ""), "formula",
                                                                            m.group(0))
        el.clear()
        if len(out) > MAX_MARKS:
            break
    return out


def ods_marks(data: bytes) -> CellMarks:
    """Error and formula-without-value cells of every table of an ods file."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    root = ET.fromstring(zf.read("content.xml"))
    marks: CellMarks = {}
    for table in root.iter(f"{_NS_TABLE}table"):
        marks[table.get(f"{_NS_TABLE}name", "")] = _ods_table_marks(table)
    return marks


def _ods_table_marks(table: ET.Element) -> dict[tuple[int, int], MarkedCell]:
    out: dict[tuple[int, int], MarkedCell] = {}
    r = 0
    for row in table.iter(f"{_NS_TABLE}table-row"):
        c = 0
        for cell in row:
            span = int(cell.get(f"{_NS_TABLE}number-columns-repeated", "1"))
            mark = _ods_cell_mark(cell, r, c)
            if mark is not None:
                out[(r, c)] = mark
            c += span
        r += int(row.get(f"{_NS_TABLE}number-rows-repeated", "1"))
        if len(out) > MAX_MARKS or r > 1_000_000:
            break
    return out


def _ods_cell_mark(cell: ET.Element, r: int, c: int) -> MarkedCell | None:
    formula = cell.get(f"{_NS_TABLE}formula")
    kind = cell.get(f"{_NS_CALCEXT}value-type")
    text = "".join(p.text or "" for p in cell.iter(f"{_NS_TEXT}p"))
    if kind == "error":
        return MarkedCell(text or "#ERROR", "error", cell_ref(r, c))
    has_value = any(cell.get(f"{_NS_OFFICE}{a}") is not None
                    for a in ("value", "date-value", "time-value", "boolean-value", "string-value")) or text
    if formula and not has_value:
        return MarkedCell("=" + formula.split(":", 1)[-1].lstrip("="), "formula", cell_ref(r, c))
    return None


def xls_marks(data: bytes) -> CellMarks:
    """Error cells of a legacy .xls (BIFF), read with xlrd: calamine shows them as blank. An xls always stores
    formula results, so there is no formula-without-value case here."""
    import xlrd  # only for .xls files

    book = xlrd.open_workbook(file_contents=data, on_demand=True)
    marks: CellMarks = {}
    try:
        for idx in range(book.nsheets):
            sheet = book.sheet_by_index(idx)
            out: dict[tuple[int, int], MarkedCell] = {}
            for r in range(min(sheet.nrows, MAX_MARKS)):
                for c, ctype in enumerate(sheet.row_types(r)):
                    if ctype == xlrd.XL_CELL_ERROR:
                        text = xlrd.error_text_from_code.get(sheet.cell_value(r, c), "#ERROR")
                        out[(r, c)] = MarkedCell(text, "error", cell_ref(r, c))
            marks[sheet.name] = out
            book.unload_sheet(idx)
    finally:
        book.release_resources()
    return marks


def apply_marks(rows: list[list[Any]], marks: dict[tuple[int, int], MarkedCell]) -> list[list[Any]]:
    """Put each mark into the cell calamine read as empty (rows are 0-based from A1)."""
    for (r, c), mark in sorted(marks.items()):
        while r >= len(rows):
            rows.append([])
        row = rows[r]
        if c >= len(row):
            row.extend([""] * (c + 1 - len(row)))
        if row[c] in ("", None):
            row[c] = mark
    return rows


def is_error_text(text: str) -> bool:
    """An Excel/LibreOffice error value typed or exported as text (``#DIV/0!``, ``#N/A``, ``Err:502``)."""
    t = text.strip().upper()
    return any(t == e.upper() for e in ERROR_VALUES)
