"""The ``hnplus template`` and ``hnplus intake`` commands: what an operator runs by hand."""

from __future__ import annotations

from pathlib import Path

import duckdb
from rich.console import Console

from transforms.catalog import TEMPLATE_VERSION
from transforms.core.paths import data_paths
from transforms.ingest.reports.inbox import entries_for_paths
from transforms.ingest.reports.intake import IntakeSummary, intake_entries
from transforms.ingest.reports.lookup import resolve_city
from transforms.ingest.reports.periods import parse_period
from transforms.ingest.reports.receipts import render_receipt_text
from transforms.ingest.reports.template import write_template


def previous_period(period: str) -> str:
    """``2019Q1`` -> ``2018Q4``."""
    year, q = int(period[:4]), int(period[5])
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def previous_values(published: Path, city: str, period: str) -> dict[str, object]:
    """Last period's accepted values of ``city`` (reported, not carried forward) from the published dataset of
    the previous period, keyed by indicator code; a status item by its step. Empty before a publication."""
    path = published / previous_period(period) / "indicator_scores.parquet"
    if not path.is_file():
        return {}
    con = duckdb.connect()
    try:
        cur = con.execute("select * from read_parquet(?) where city_code = ? and value_status = 'reported' "
                          "and not coalesce(is_carried_forward, false)", [str(path), city])
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    finally:
        con.close()
    code, value = names.index("indicator_code"), names.index("value")
    step = names.index("status_step" if "status_step" in names else "milestone_status")  # a dataset of format 1
    return {r[code]: r[step] if r[code].startswith("ms_") else r[value] for r in rows}


def template_command(city: str, period: str, out: Path) -> Path:
    """``hnplus template``: write the template; ``out`` may be a folder (a file name is then chosen). Last
    period's accepted values come from the published dataset, for reference."""
    code = resolve_city(city)
    canon = parse_period(period)
    if code is None:
        raise ValueError(f"未知城市 / unknown city: {city!r}")
    if canon is None:
        raise ValueError(f"无法识别报告期 / cannot read period: {period!r}")
    out = Path(out)
    if out.is_dir() or not out.suffix:
        out = out / f"{code}_{canon}_{TEMPLATE_VERSION}.xlsx"
    return write_template(code, canon, out, previous_values(data_paths().published, code, canon))


def intake_command(paths: list[Path]) -> int:
    """``hnplus intake PATH...``: take in files/folders, print receipts; 1 if any file was rejected whole."""
    dp = data_paths().ensure()
    entries, ignored = entries_for_paths(paths, dp.inbox)
    con = duckdb.connect(str(dp.work_db))
    try:
        # a spinner on stderr while many files are read (the receipts follow on stdout)
        with Console(stderr=True).status(f"正在接收 {len(entries)} 个文件 / taking in {len(entries)} files…"):
            summary = intake_entries(con, entries, dp.landing)
    finally:
        con.close()
    for o in summary.outcomes:
        if o.receipt is not None:
            print(render_receipt_text(o.receipt))
        else:
            txt = dp.landing / "receipts" / f"{o.file_id}.txt"
            print(f"[已接收过 / already received: {o.original_name} -> {o.status}]")
            if txt.exists():
                print(txt.read_text(encoding="utf-8"))
        print("-" * 72)
    for path, why in ignored:
        print(f"[跳过 / skipped: {path} ({why})]")
    print(_summary_text(summary))
    return 1 if summary.any_rejected or any(why == "not_found" for _, why in ignored) else 0


def _summary_text(summary: IntakeSummary) -> str:
    s = summary
    return (
        f"共 {s.files_seen} 个文件：新接收 {s.files_new}"
        f"（接收 {s.accepted}、拒收 {s.rejected}、"
        f"重复 {s.duplicate}），此前已接收 {s.files_known}；入库 {s.rows_staged} 行，"
        f"待修改 {s.rows_quarantined} 行。\n"
        f"{s.files_seen} files: {s.files_new} new "
        f"({s.accepted} accepted, {s.rejected} rejected, "
        f"{s.duplicate} duplicate), {s.files_known} already known; {s.rows_staged} rows staged, "
        f"{s.rows_quarantined} quarantined. ({s.seconds:.1f} s)"
    )
