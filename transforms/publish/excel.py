"""The league table as a workbook officials print and circulate: one period, one sheet per scope, a history sheet
and a 说明 (notes) sheet, every status in Chinese.

Why this shape: officials print the workbook and pass it round. A sheet therefore holds one period of one scope
(18 rows, one A4 landscape page, fit to one page wide), in the plan's action order; a title, repeated header rows
and a footer with the dataset id and page number make every printed page self-explaining; codes (``on_track``,
``green``) become words (按期推进, ● 绿灯) so colour and English are never the only signal. Numbers carry at most
two decimals. The file is byte-for-byte reproducible (fixed document properties; xlsxwriter writes fixed zip
timestamps); text that looks like a formula is written as text with Excel's quote prefix.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import pandas as pd
import xlsxwriter

from transforms.core.formulas import is_formula_text
from transforms.publish import labels as lb
from transforms.publish.datapackage import column_doc
from transforms.publish.labels import action_order, label, light_text

FIXED_CREATED = datetime(2015, 1, 1)
TITLE = "河南省“互联网+”行动计划落实情况排名"
# (column, header, kind, width): the columns an official reads, in reading order
SCOPE_COLUMNS = (
    ("rank", "名次", "int", 6), ("rank_change", "名次变化", "change", 8), ("city_name", "城市", "text", 11),
    ("score", "得分", "num", 7), ("interval", "名次区间", "text", 9), ("traffic_light", "信号灯", "light", 10),
    ("on_track", "进度状态", "code", 13), ("coverage", "覆盖率(本期实报)", "pct", 9),
    ("carried_forward_share", "沿用上期值占比", "pct", 9), ("self_report_score", "自报得分", "num", 8),
    ("independent_score", "独立证据得分", "num", 9), ("independent_share", "独立证据占比", "pct", 9),
    ("evidence_agreement", "自报与独立证据", "code", 12), ("score_size_adjusted", "按人口调整得分", "num", 9),
    ("rank_size_adjusted", "按人口调整名次", "int", 9), ("no_score_reason", "无得分原因", "code", 14),
)
HISTORY_COLUMNS = (
    ("period", "报告期", "text", 9), ("rank", "名次", "int", 6), ("rank_change", "名次变化", "change", 8),
    ("city_name", "城市", "text", 11), ("score", "得分", "num", 7), ("traffic_light", "信号灯", "light", 10),
    ("on_track", "进度状态", "code", 13), ("coverage", "覆盖率(本期实报)", "pct", 9),
    ("milestone_year", "考核节点", "int", 8), ("is_milestone_change", "节点切换", "code", 8),
)
PAIR_COLUMNS = (
    ("period", "报告期", "text", 9), ("city_name", "城市", "text", 11), ("reported_value", "城市自报", "num", 10),
    ("independent_value", "省级名录", "num", 10), ("relative_difference", "相对差", "pct", 9),
    ("pair_status", "对照结果", "code", 18),
)
_SHEET_BAD = set("[]:*?/\\")
HEAD_ROW = 2  # rows 0-1 hold the title and the dataset line; the header row repeats on every printed page


def _sheet_name(name: str, used: set[str]) -> str:
    clean = "".join("_" if ch in _SHEET_BAD else ch for ch in name)[:31] or "sheet"
    base, n = clean, 2
    while clean in used:
        suffix = f"~{n}"
        clean = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(clean)
    return clean


def _formats(wb: xlsxwriter.Workbook) -> dict:
    add = wb.add_format
    return {
        "title": add({"bold": True, "font_size": 14}), "sub": add({"font_color": "#555555"}),
        "head": add({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}),
        "text": add({"border": 1}), "quoted": add({"border": 1, "quote_prefix": True}),
        "num": add({"border": 1, "num_format": "0.0"}), "pct": add({"border": 1, "num_format": "0%"}),
        "int": add({"border": 1, "num_format": "0"}), "wrap": add({"text_wrap": True, "valign": "top"}),
        "bold": add({"bold": True}),
    }


def _blank(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def _cell(row: dict, col: str, kind: str) -> object:
    """The reader's value of one cell: words for codes, a symbol and word for the light, text for intervals."""
    if col == "interval":
        lo, hi = row.get("rank_p05"), row.get("rank_p95")
        return None if _blank(lo) or _blank(hi) else f"{int(lo)}–{int(hi)}"
    v = row.get(col)
    if _blank(v):
        return "新" if col == "rank_change" and not _blank(row.get("rank")) else None
    if kind == "light":
        return light_text(str(v))
    if kind == "change":
        v = int(v)
        return f"▲{v}" if v > 0 else f"▼{-v}" if v < 0 else "–"
    if kind == "code":
        return label(col, bool(v) if col.startswith("is_") else v)
    return v


def _write_value(ws, i: int, j: int, v: object, kind: str, fmt: dict) -> None:  # noqa: ANN001
    if _blank(v):
        ws.write_blank(i, j, None, fmt["text"])
    elif isinstance(v, str):
        ws.write_string(i, j, v, fmt["quoted"] if is_formula_text(v) else fmt["text"])
    elif isinstance(v, (int, float)) or hasattr(v, "__float__"):
        ws.write_number(i, j, float(v), fmt.get(kind, fmt["num"]))
    else:
        ws.write_string(i, j, str(v), fmt["text"])


def _print_setup(ws, dataset_id: str, title: str, last_row: int, last_col: int) -> None:  # noqa: ANN001
    """A4 landscape, one page wide, header rows repeated, a footer naming the dataset and the page."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0, HEAD_ROW)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.center_horizontally()
    ws.print_area(0, 0, last_row, last_col)
    safe_title = title.replace("&", "&&")
    ws.set_header(f"&L&8{safe_title}")
    ws.set_footer(f"&L&8数据集 Dataset {dataset_id.replace('&', '&&')}&R&8第 &P 页 / 共 &N 页")


def _table_sheet(wb, fmt: dict, name: str, title: str, subtitle: str, columns: tuple,  # noqa: ANN001
                 rows: list[dict], dataset_id: str) -> None:
    ws = wb.add_worksheet(name)
    ws.write_string(0, 0, title, fmt["title"])
    ws.write_string(1, 0, subtitle, fmt["sub"])
    for j, (col, head, _kind, width) in enumerate(columns):
        ws.write_string(HEAD_ROW, j, head, fmt["head"])
        d = column_doc(col if col != "interval" else "rank_p05")
        ws.write_comment(HEAD_ROW, j, f"{head}: {d.desc_zh}\n{d.title_en}: {d.desc_en}", {"x_scale": 2, "y_scale": 1.5})
        ws.set_column(j, j, width)
    for i, row in enumerate(rows, start=HEAD_ROW + 1):
        for j, (col, _head, kind, _width) in enumerate(columns):
            _write_value(ws, i, j, _cell(row, col, kind), kind, fmt)
    last = HEAD_ROW + len(rows)
    ws.freeze_panes(HEAD_ROW + 1, 3 if columns[0][0] == "rank" else 4)
    ws.autofilter(HEAD_ROW, 0, last, len(columns) - 1)
    ws.set_row(HEAD_ROW, 30)
    _print_setup(ws, dataset_id, title, last, len(columns) - 1)


def _present(columns: tuple, df: pd.DataFrame) -> tuple:
    need = {"interval": ("rank_p05", "rank_p95")}
    return tuple(c for c in columns if all(n in df.columns for n in need.get(c[0], (c[0],))))


def _notes_rows(dataset_id: str, method_version: str, period: str, sources: list[str]) -> list[tuple[str, str]]:
    """The 说明 sheet: what the workbook holds, every word of the legend, the method and the sources."""
    rows = [("说明 / Notes", ""), ("数据集 Dataset", dataset_id), ("方法版本 Method version", method_version),
            ("报告期 Period", period), ("", ""), ("信号灯 Traffic light", "跟随进度状态,颜色之外另有符号和文字")]
    rows += [(light_text(code), f"{zh} / {en}") for code, (zh, en) in lb.LIGHT_RULE.items() if code in lb.LIGHT]
    rows += [("", ""), ("进度状态 Progress status", "对照通往下一考核节点(2018 年,2019Q1 起为 2025 年)的路径")]
    rows += [(zh, f"{mz} / {en}: {me}") for zh, en, mz, me in lb.ON_TRACK.values()]
    rows += [("", ""), ("自报与独立证据 Evidence", "独立证据:官方完整名单和登记册,占专项权重的一半")]
    rows += [(lb.EVIDENCE_AGREEMENT[k][0], f"{zh} / {en}") for k, (zh, en) in lb.EVIDENCE_MEANING.items()]
    rows += [(zh, en) for zh, en in lb.NO_SCORE_REASON.values()]
    rows += [("", ""), ("列 Columns", "")]
    for col, head, _k, _w in SCOPE_COLUMNS:
        d = column_doc(col if col != "interval" else "rank_p05")
        rows.append((head, d.desc_zh if col != "interval" else "模拟排名的 5%–95% 区间:名次在此区间内都有可能"))
    rows += [("", ""), ("名次变化", "▲ 上升、▼ 下降(与上一报告期相比),“新”为首次排名"),
             ("2019Q1", "考核节点由 2018 年切换为 2025 年;得分全期用同一把尺子(到 2025 年目标的进度),不因切换而跳变"),
             ("", ""), ("数据来源 Sources", "")]
    rows += [("", s) for s in sources]
    rows.append(("方法说明 Methodology", "数据集中的 index.html(方法说明)与 datapackage.json(各列说明)"))
    return rows


def _notes_sheet(wb, fmt: dict, rows: list[tuple[str, str]], dataset_id: str) -> None:  # noqa: ANN001
    ws = wb.add_worksheet("说明")
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 100, fmt["wrap"])
    for i, (a, b) in enumerate(rows):
        ws.write_string(i, 0, a, fmt["bold"] if b == "" or i == 0 else fmt["wrap"])
        ws.write_string(i, 1, b, fmt["wrap"])
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_footer(f"&L&8数据集 Dataset {dataset_id}&R&8第 &P 页 / 共 &N 页")


def write_league_workbook(league: pd.DataFrame, path: Path, dataset_id: str = "", method_version: str = "",
                          period: str | None = None, sources: list[str] | None = None,
                          pairs: pd.DataFrame | None = None) -> Path:
    """Write the printable workbook of ``period`` (default: the latest in ``league``) to ``path``; ``league`` is
    the ``marts.league_table`` frame (one period or all: more than one adds a history sheet); ``pairs`` (the
    evidence_pairs mart with city names) adds the self-report against the registry of the last year-end."""
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False, "nan_inf_to_errors": False})
    wb.set_properties({"title": TITLE, "subject": "Henan Internet+ league table", "author": "hnplus",
                       "company": "hnplus", "created": FIXED_CREATED, "comments": f"dataset {dataset_id}"})
    fmt = _formats(wb)
    period = period or (max(league["period"]) if len(league) else "")
    sub = f"报告期 {period} · 数据集 {dataset_id} · 方法版本 {method_version}"
    order = action_order()
    now = league[league["period"] == period]
    scopes = sorted({(s, n) for s, n in zip(now["scope"], now["scope_name"], strict=True)},
                    key=lambda s: (order.get(s[0], 99), s[0]))
    used: set[str] = {"说明", "历史"}
    for scope, name in scopes:
        part = now[now["scope"] == scope].sort_values(["rank", "city_code"], na_position="last")
        sheet = "总体" if scope == "overall" else f"{order.get(scope, 99):02d} {name}"
        _table_sheet(wb, fmt, _sheet_name(sheet, used), f"{TITLE} · {'总体' if scope == 'overall' else name} · "
                     f"{period}", sub, _present(SCOPE_COLUMNS, part), part.to_dict("records"), dataset_id)
    if league["period"].nunique() > 1:
        hist = league[league["scope"] == "overall"].sort_values(["period", "rank", "city_code"],
                                                                ascending=[False, True, True], na_position="last")
        hist_sub = f"数据集 {dataset_id} · 方法版本 {method_version}"
        _table_sheet(wb, fmt, "历史", f"{TITLE} · 总体 · 历次报告期", hist_sub,
                     _present(HISTORY_COLUMNS, hist), hist.to_dict("records"), dataset_id)
    _pairs_sheet(wb, fmt, pairs, period, dataset_id)
    _notes_sheet(wb, fmt, _notes_rows(dataset_id, method_version, period, sources or []), dataset_id)
    wb.close()
    return path


def _pairs_sheet(wb, fmt: dict, pairs: pd.DataFrame | None, period: str, dataset_id: str) -> None:  # noqa: ANN001
    """城市自报与省级名录: the pairs of the last year-end at or before ``period`` (the registry counts year-ends)."""
    if pairs is None or not len(pairs):
        return
    year_ends = sorted(p for p in set(pairs["period"]) if p <= period)
    if not year_ends:
        return
    rows = pairs[pairs["period"] == year_ends[-1]].sort_values("city_code")
    _table_sheet(wb, fmt, "自报与独立数据", f"{TITLE} · 众创空间:城市自报与省级名录({year_ends[-1]} 年末)",
                 f"差距超过自报值 20% 标为不一致 · 数据集 {dataset_id}", PAIR_COLUMNS, rows.to_dict("records"),
                 dataset_id)


def workbook_for(dataset: Path, period: str | None, out: Path) -> Path:
    """The printable workbook of ``period`` (default: the latest) with the history of every period, from a
    published dataset folder's own files (``hnplus workbook``)."""
    import json

    meta = json.loads((Path(dataset) / "metadata.json").read_text(encoding="utf-8"))
    league = pd.read_parquet(Path(dataset) / "league_table.parquet")
    if period is not None and period not in set(league["period"]):
        raise ValueError(f"no period {period} in {dataset}")
    inputs = meta.get("inputs") or {}
    reports = [r for r in inputs.get("reports") or [] if period is None or r.get("period") == period]
    sources = [f"城市报告 City reports: {len(reports)} 份 files"] + [
        f"开放数据源 Feed {f.get('feed_id')}: {f.get('status') or ''}" for f in inputs.get("feeds") or []]
    return write_league_workbook(league, Path(out), meta.get("dataset_id", ""), meta.get("method_version", ""),
                                 period, sources)

