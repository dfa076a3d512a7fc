"""Per-file receipts: what the province accepted from a city's file and what the clerk must fix.

The receipt is the only feedback a clerk gets, so it is written for them: Chinese first, English below,
one line per problem naming sheet, row and column, and never more than a screenful of problems in the
text (the JSON keeps all of them).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from transforms.ingest.reports.lookup import catalog_lookup

RECEIPT_VERSION = 2  # 2: local time (Asia/Shanghai), blank required cells named
TEXT_PROBLEM_LIMIT = 1000  # every problem of every row (the JSON keeps them all in any case)
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
_REQUIRED_COLUMN = {"quantity": "本期数值", "status": "推进状态"}


def local_time(received: object) -> object:
    """A receipt time as the clerk reads it: Asia/Shanghai, whole seconds (a naive time is UTC, as intake
    records it)."""
    if not isinstance(received, dt.datetime):
        return received
    aware = received if received.tzinfo else received.replace(tzinfo=dt.UTC)
    return aware.astimezone(LOCAL_TZ).replace(microsecond=0).isoformat()


def blank_cells(staged: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every required cell left blank (value or status not reported), named by sheet, row, column and item."""
    look = catalog_lookup()
    out = []
    for r in staged:
        if r.get("value_status") != "not_reported" or "row_number" not in r:
            continue
        code = r.get("indicator_code") or ""
        if r.get("kind") == "status":
            sp = look.specials.get(code[3:])
            name = sp.name_zh if sp else code
        else:
            ind = look.indicators.get(code)
            name = ind.name_zh if ind else code
        out.append({"sheet": r.get("sheet"), "row_number": r["row_number"], "indicator_code": code, "name": name,
                    "column_name": _REQUIRED_COLUMN.get(r.get("kind") or "", "本期数值")})
    return sorted(out, key=lambda b: (str(b["sheet"]), b["row_number"]))

_STATUS_ZH = {
    "accepted": "已接收",
    "rejected": "已拒收（整份文件未入库）",
    "duplicate": "重复报送（内容与已接收文件相同，未重复入库）",
    "superseded": "已被更新的文件替代",
}
_STATUS_EN = {
    "accepted": "accepted",
    "rejected": "rejected (nothing from this file was loaded)",
    "duplicate": "duplicate (same content as a file already accepted; not loaded again)",
    "superseded": "superseded by a newer file",
}


def build_receipt(
    file_record: dict[str, Any],
    staged: list[dict[str, Any]] | None = None,
    quarantined: list[dict[str, Any]] | None = None,
    warnings: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Receipt as a JSON-ready dict from the ``raw.report_files`` record and the file's rows."""
    staged = staged or []
    quarantined = quarantined or []
    counts = Counter(r["value_status"] for r in staged)
    city = file_record.get("city_code")
    received = file_record.get("received_at")
    return {
        "receipt_version": RECEIPT_VERSION,
        "file_id": file_record["file_id"],
        "original_name": file_record["original_name"],
        "submitter": file_record.get("submitter"),
        "received_at": local_time(received),
        "format": file_record.get("format"),
        "template_version": file_record.get("template_version"),
        "city_code": city,
        "city_name": catalog_lookup().cities.get(city or ""),
        "period": file_record.get("period"),
        "status": file_record["status"],
        "supersedes_file_id": file_record.get("supersedes_file_id"),
        "reject": None
        if file_record["status"] != "rejected"
        else {
            "reason_code": file_record.get("reject_reason_code"),
            "message_zh": file_record.get("reject_message_zh"),
            "message_en": file_record.get("reject_message_en"),
        },
        "rows_total": file_record.get("rows_total"),
        "rows_staged": file_record.get("rows_staged"),
        "rows_quarantined": file_record.get("rows_quarantined"),
        "value_status_counts": {k: counts.get(k, 0) for k in ("reported", "not_applicable", "not_reported")},
        "problems": [
            {k: q[k] for k in ("sheet", "row_number", "column_name", "reason_code", "message_zh", "message_en")}
            for q in quarantined
        ],
        "blank_cells": blank_cells(staged),
        "warnings": warnings or [],
    }


def render_receipt_text(receipt: dict[str, Any]) -> str:
    """Plain-text receipt: Chinese section, then the same in English."""
    zh, en = _header_lines(receipt)
    for add_zh, add_en in (_outcome_lines(receipt), _problem_lines(receipt.get("problems", [])),
                           _blank_lines(receipt.get("blank_cells", []))):
        zh += add_zh
        en += add_en
    for w in receipt.get("warnings", []):
        zh.append(f"提示：{w['zh']}")
        en.append(f"Note: {w['en']}")
    return "\n".join(zh) + "\n\n" + "\n".join(en) + "\n"


Lines = tuple[list[str], list[str]]  # (Chinese, English)


def _header_lines(r: dict[str, Any]) -> Lines:
    """Which file, from whom, for which city and period, and the result."""
    city = f"{r.get('city_name') or ''}（{r['city_code']}）" if r.get("city_code") else "未识别"
    name_en = catalog_lookup().cities_en.get(r.get("city_code") or "", "")
    city_en = f"{name_en} ({r['city_code']})" if r.get("city_code") else "not identified"
    zh = [
        "河南省“互联网+”行动 城市报表回执",
        f"文件：{r['original_name']}",
        f"报送方：{r.get('submitter') or '未注明'}    接收时间：{_shown_time(r.get('received_at'))}（北京时间）",
        f"文件编号：{r['file_id'][:16]}…",
        f"城市：{city}    报告期：{r.get('period') or '未识别'}",
        f"结果：{_STATUS_ZH.get(r['status'], r['status'])}",
    ]
    en = [
        "Henan Internet+ city report receipt",
        f"File: {r['original_name']}",
        f"Submitter: {r.get('submitter') or 'not given'}    "
        f"Received: {_shown_time(r.get('received_at'))} (Beijing time)",
        f"City: {city_en}    Period: {r.get('period') or 'not identified'}",
        f"Result: {_STATUS_EN.get(r['status'], r['status'])}",
    ]
    return zh, en


def _shown_time(iso: object) -> str:
    """``2026-01-01T08:00:00+08:00`` as ``2026-01-01 08:00:00``."""
    text = str(local_time(iso) if isinstance(iso, dt.datetime) else iso)
    return text.replace("T", " ")[:19] if len(text) >= 19 else text


def _outcome_lines(r: dict[str, Any]) -> Lines:
    """Why the file was rejected, or how many rows were loaded and how many are to fix."""
    if r["status"] == "rejected" and r.get("reject"):
        return (
            [f"原因：{r['reject']['message_zh']}（代码 {r['reject']['reason_code']}）"],
            [f"Reason: {r['reject']['message_en']} (code {r['reject']['reason_code']})"],
        )
    if r.get("rows_total") is None:
        return [], []
    c = r.get("value_status_counts", {})
    zh = [
        f"共读取 {r['rows_total']} 行：入库 {r['rows_staged']} 行（有数值 {c.get('reported', 0)}，"
        f"不适用 {c.get('not_applicable', 0)}，未填 {c.get('not_reported', 0)}），"
        f"待修改 {r['rows_quarantined']} 行。"
    ]
    en = [
        f"Read {r['rows_total']} rows: {r['rows_staged']} loaded ({c.get('reported', 0)} with values, "
        f"{c.get('not_applicable', 0)} not applicable, {c.get('not_reported', 0)} blank), "
        f"{r['rows_quarantined']} to fix."
    ]
    if r.get("supersedes_file_id"):
        zh.append(f"本文件替代了此前报送的同期文件 {r['supersedes_file_id'][:16]}…")
        en.append(f"This file replaces the earlier file {r['supersedes_file_id'][:16]}… for the same period.")
    return zh, en


def _problem_lines(problems: list[dict[str, Any]]) -> Lines:
    """One line per problem, at most a screenful (the JSON receipt keeps them all)."""
    shown = problems[:TEXT_PROBLEM_LIMIT]
    more = len(problems) - len(shown)
    if not shown:
        return [], []
    zh = ["需要修改的行（改正后请重新报送整份文件）：", *(f"  - {p['message_zh']}" for p in shown)]
    en = ["Rows to fix (send the whole file again once corrected):", *(f"  - {p['message_en']}" for p in shown)]
    if more > 0:
        zh.append(f"  ……另有 {more} 行问题，详见 JSON 回执。")
        en.append(f"  … and {more} more; see the JSON receipt.")
    return zh, en


def _blank_lines(blanks: list[dict[str, Any]]) -> Lines:
    """Every blank required cell, one line per sheet (blank means 'no data yet'; fill it in if there is)."""
    if not blanks:
        return [], []
    by_sheet: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for b in blanks:
        by_sheet.setdefault((str(b["sheet"]), b["column_name"]), []).append(b)
    zh = [f"未填写的必填单元格（共 {len(blanks)} 个；暂无数据可留空，有数据请补填后重新报送）："]
    en = [f"Required cells left blank ({len(blanks)}; blank means no data yet, fill in any you have):"]
    for (sheet, col), items in by_sheet.items():
        zh.append(f"  - 工作表“{sheet}”“{col}”列：" + "、".join(f"第{b['row_number']}行（{b['name']}）" for b in items))
        en.append(f"  - sheet '{sheet}', column '{col}': rows " + ", ".join(
            f"{b['row_number']} ({b['indicator_code']})" for b in items))
    return zh, en


def write_receipt(receipt: dict[str, Any], receipts_dir: Path) -> tuple[Path, Path]:
    """Write ``<sha256>.json`` and ``<sha256>.txt``; deterministic bytes for the same receipt."""
    receipts_dir.mkdir(parents=True, exist_ok=True)
    base = receipts_dir / receipt["file_id"]
    jpath, tpath = base.with_suffix(".json"), base.with_suffix(".txt")
    jpath.write_text(json.dumps(receipt, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tpath.write_text(render_receipt_text(receipt), encoding="utf-8")
    return jpath, tpath
