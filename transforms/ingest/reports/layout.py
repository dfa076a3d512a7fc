"""Where things are in a sheet: the header row (below merged titles), the cover labels, the data rows.

The same header synonyms serve the template's sheets, a single-sheet long table and the CSV layout, so a
clerk's renamed or translated header (指标编码, Code, 本期数) still finds its column.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from transforms.ingest.reports.model import RawRow
from transforms.ingest.reports.text import cell_text, is_blank, norm_key

HEADER_SCAN_ROWS = 30
COVER_SCAN_ROWS = 60

_HEADER_FIELDS: dict[str, tuple[str, ...]] = {
    "code": (
        "指标代码",
        "指标编码",
        "指标编号",
        "代码",
        "编码",
        "编号",
        "专项代码",
        "专项编码",
        "indicatorcode",
        "code",
        "specialcode",
    ),
    "name": ("指标名称", "名称", "专项名称", "指标", "项目", "name"),
    "unit": ("单位", "计量单位", "unit"),
    "value": ("本期数值", "本期数", "数值", "本期值", "本期", "本期完成", "完成值", "实际值", "数据", "value"),
    "note": ("备注", "说明", "note", "notes"),
    "status": ("推进状态", "状态", "进展状态", "进展情况", "status"),
    "evidence": ("佐证材料", "佐证", "证明材料", "佐证资料", "evidence"),
    "type": ("类型", "类别", "type"),
    "template_version": ("模板版本", "版本", "templateversion"),
    "city_code": ("城市代码", "城市编码", "行政区划代码", "citycode"),
    "city": ("城市", "城市名称", "地市", "city", "cityname"),
    "period": ("报告期", "报告期间", "期间", "period"),
}
_HEADER_LOOKUP = {norm_key(s): f for f, syns in _HEADER_FIELDS.items() for s in syns}

# the label a message uses for a column whose header text is not known
COLUMN_LABELS = {
    "code": "指标代码",
    "value": "本期数值",
    "unit": "单位",
    "target_2018": "本市目标2018",
    "target_2025": "本市目标2025",
    "status": "推进状态",
    "type": "类型",
    "city": "城市代码",
    "period": "报告期",
}

_COVER_LABELS = {
    "模板版本": "template_version",
    "版本": "template_version",
    "templateversion": "template_version",
    "城市代码": "city_code",
    "行政区划代码": "city_code",
    "citycode": "city_code",
    "城市": "city",
    "城市名称": "city",
    "地市": "city",
    "city": "city",
    "cityname": "city",
    "报告期": "period",
    "报告期间": "period",
    "period": "period",
    "填报单位": "unit_name",
    "填报人": "submitter",
    "submitter": "submitter",
    "填报日期": "submitted_on",
    "报送日期": "submitted_on",
    "submittedon": "submitted_on",
}
_ROW_CONTEXT = ("template_version", "city_code", "city", "period")

Header = tuple[int, dict[str, int], int]  # (header row index, field -> column index, first data row index)


class RepeatedColumns(ValueError):
    """A header row naming the code, value or status column twice (the reader rejects the file, naming the row)."""

    def __init__(self, row_number: int, fields: list[str]) -> None:
        super().__init__(f"header row {row_number} repeats {fields}")
        self.row_number = row_number
        self.labels = [COLUMN_LABELS.get(f, f) for f in fields]


def header_field(text: Any) -> str | None:
    """Which logical column a header cell names (targets are matched by year)."""
    k = norm_key(cell_text(text))
    if not k:
        return None
    if "目标" in k or "target" in k:
        if "2018" in k:
            return "target_2018"
        if "2025" in k:
            return "target_2025"
        return "target"  # a merged "本市目标" above a year row
    return _HEADER_LOOKUP.get(k)


def find_header(rows: list[list[Any]]) -> Header | None:
    """Locate the header row below any merged title rows; None when there is none."""
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cols: dict[str, int] = {}
        repeated: set[str] = set()
        for j, cell in enumerate(row):
            f = header_field(cell)
            if f and f not in cols:
                cols[f] = j
            elif f in ("code", "value", "status"):
                repeated.add(f)
        if "code" in cols and ({"value", "status"} & cols.keys() or "name" in cols):
            if repeated:
                # two blocks side by side (two cities, two periods): reading the first would drop the second
                raise RepeatedColumns(i + 1, sorted(repeated))
            first_data = i + 1
            if "target" in cols and i + 1 < len(rows) and _target_years(rows[i + 1], cols):
                first_data = i + 2
            cols.pop("target", None)
            return i, cols, first_data
    return None


def _target_years(sub: list[Any], cols: dict[str, int]) -> bool:
    """A two-row header: 本市目标 (merged) over 2018 | 2025; True when the year row was found."""
    for j, cell in enumerate(sub):
        t = norm_key(cell_text(cell))
        if "2018" in t:
            cols["target_2018"] = j
        elif "2025" in t:
            cols["target_2025"] = j
    return "target_2018" in cols or "target_2025" in cols


def cover_from_rows(rows: list[list[Any]]) -> dict[str, Any]:
    """Cover facts from label | value pairs (the value is the first non-empty cell right of the label)."""
    cover: dict[str, Any] = {}
    for row in rows[:COVER_SCAN_ROWS]:
        cells = list(row)
        for j in range(len(cells) - 1):
            key = _COVER_LABELS.get(norm_key(cell_text(cells[j])))
            if key and key not in cover:
                cover[key] = next((c for c in cells[j + 1 :] if cell_text(c)), "")
                break
    return cover


def data_rows(rows: list[list[Any]], sheet: str, kind: str | None) -> Iterator[RawRow]:
    """The non-blank rows below the header of a 指标 or 专项进展 sheet."""
    found = find_header(rows)
    if found is None:
        return
    hi, cols, first = found
    header = rows[hi]
    col_names = {f: cell_text(header[j]) or COLUMN_LABELS.get(f, f) for f, j in cols.items()}
    for i in range(first, len(rows)):
        row = rows[i]
        if is_blank(row):
            continue
        fields = {f: (row[j] if j < len(row) else None) for f, j in cols.items()}
        fields = {f: (None if v == "" else v) for f, v in fields.items()}
        if all(cell_text(v) == "" for v in fields.values()):
            # content only outside the known columns (e.g. a signature line) still counts as a row
            fields = {"code": None, "extra": " | ".join(cell_text(c) for c in row if cell_text(c))}
        yield RawRow(sheet, i + 1, kind, fields, col_names)


def long_cover(rows: list[list[Any]], found: Header) -> dict[str, Any]:
    """Cover facts of a long table: a cover block above it, else the first rows' own columns."""
    hi, cols, first = found
    cover = cover_from_rows(rows[:hi])
    for i in range(first, len(rows)):
        row = rows[i]
        if is_blank(row):
            continue
        for f in _ROW_CONTEXT:
            if f in cols and f not in cover and cols[f] < len(row) and cell_text(row[cols[f]]):
                cover[f] = row[cols[f]]
        if all(f in cover for f in ("template_version", "period")) and ("city_code" in cover or "city" in cover):
            break
    return cover


def _long_kind(cell: Any) -> str | None:
    """The kind of a long table's row from its type cell: the clerks' words (专项/指标, and the English
    milestone/indicator of older files) or ours (status/quantity)."""
    t = norm_key(cell_text(cell))
    if t in ("专项", "milestone", "status"):
        return "status"
    return "quantity" if t in ("指标", "indicator", "quantity") else None


def long_rows(rows: list[list[Any]], sheet: str, found: Header) -> Iterator[RawRow]:
    """Rows of a long table (one row per indicator or special, with type, city and period columns)."""
    hi, cols, first = found
    header = rows[hi]
    col_names = {f: cell_text(header[j]) for f, j in cols.items()}
    col_names.setdefault("city", col_names.get("city_code", "城市代码"))
    for i in range(first, len(rows)):
        row = rows[i]
        if is_blank(row):
            continue
        get = {f: (row[j] if j < len(row) and row[j] != "" else None) for f, j in cols.items()}
        kind = _long_kind(get.get("type"))
        fields = {f: v for f, v in get.items() if f not in (*_ROW_CONTEXT, "type")}
        if kind == "status" and cell_text(fields.get("value")) and not cell_text(fields.get("status")):
            fields["status"] = fields.pop("value")
        city = get.get("city_code") if get.get("city_code") is not None else get.get("city")
        yield RawRow(sheet, i + 1, kind, fields, col_names, city=city, period=get.get("period"))
