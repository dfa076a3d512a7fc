"""Which sheet of a workbook holds which part of the report, so that no sheet with data is silently left out.

Clerks copy sheets (``指标 (2)``), hide the old one, or put two cities' sheets in one file. The rule: of the sheets
named like a template sheet, the one with data is read; two with data are ambiguous and the file is rejected
naming both; any other sheet with a header and data rows rejects the file too, naming it.
"""

from __future__ import annotations

from typing import Any

from transforms.ingest.reports.errors import ReportRejected
from transforms.ingest.reports.layout import cover_from_rows, find_header
from transforms.ingest.reports.text import is_blank, norm_key

ROLE_KEYS = {
    "cover": ("封面", "cover"),
    "indicator": ("指标", "indicators"),
    "status": ("专项进展", "专项", "milestones"),
}
ROLE_LABELS = {"cover": "封面", "indicator": "指标", "status": "专项进展"}
Rows = list[list[Any]]


def has_data_rows(rows: Rows) -> bool:
    """A header with at least one non-blank row below it."""
    found = find_header(rows)
    return found is not None and any(not is_blank(r) for r in rows[found[2]:])


def _filled(rows: Rows, role: str) -> bool:
    if role == "cover":
        return bool(cover_from_rows(rows))
    if find_header(rows) is None:
        return any(not is_blank(r) for r in rows)  # content without a header: the reader rejects it with a reason
    return has_data_rows(rows)


def _candidates(names: list[str], role: str) -> list[str]:
    keys = {norm_key(k) for k in ROLE_KEYS[role]}
    exact = [n for n in names if norm_key(n) in keys]
    near = [n for n in names if n not in exact and "说明" not in n and any(k in norm_key(n) for k in keys)]
    return exact + near


def pick_sheet(names: list[str], rows: dict[str, Rows], role: str, name: str) -> str | None:
    """The sheet for ``role``: the one candidate with data, else the first candidate; two with data reject."""
    cands = _candidates(names, role)
    filled = [s for s in cands if _filled(rows[s], role)]
    if len(filled) > 1 and role == "cover":
        covers = {tuple(sorted(cover_from_rows(rows[s]).items(), key=str)) for s in filled}
        if len(covers) == 1:
            return filled[0]
    if len(filled) > 1:
        raise ambiguous(name, filled, ROLE_LABELS[role])
    return filled[0] if filled else (cands[0] if cands else None)


def check_unread_sheets(names: list[str], rows: dict[str, Rows], picked: tuple[str, ...], name: str) -> None:
    """A sheet that is not read but holds a header and data rows rejects the file (its rows would be lost)."""
    for s in names:
        if s in picked or "说明" in s or not has_data_rows(rows[s]):
            continue
        raise ReportRejected(
            "unread_data_sheet",
            f"文件“{name}”的工作表“{s}”含有数据行，但只读取 封面、指标、专项进展 三张表"
            f"（已读取：{'、'.join(picked)}）。"
            "一个文件只报送一个城市一个报告期；请把数据移到模板的工作表中或删除该表后重新报送。",
            f"file '{name}': sheet '{s}' holds data rows, but only the 封面, 指标 and 专项进展 sheets are read "
            f"(read: {', '.join(picked)}). One file is one city's report for one period; move the data into the "
            "template's sheets or delete that sheet, and send the file again.",
        )


def ambiguous(name: str, sheets: list[str], label: str) -> ReportRejected:
    """The rejection for two sheets that both hold the same part of a report."""
    shown_zh = "、".join(f"“{s}”" for s in sheets)
    shown_en = ", ".join(f"'{s}'" for s in sheets)
    return ReportRejected(
        "ambiguous_sheets",
        f"文件“{name}”有多张“{label}”工作表都含有数据（{shown_zh}），无法确定应读取哪一张。"
        "请只保留一张（一个文件只报送一个城市一个报告期）后重新报送。",
        f"file '{name}' has several '{label}' sheets holding data ({shown_en}); it cannot be told which one to "
        "read. Keep only one (one file is one city's report for one period) and send the file again.",
    )
