"""Announce a publication: ``published/notice.json`` and ``NOTICE.md`` describe the dataset ``latest`` points at,
so readers (and the portal team) see what changed without opening the warehouse."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from transforms.core.files import atomic_write_text
from transforms.core.paths import DataPaths, data_paths
from transforms.publish import layout


def _league_summary(table: Path, period: str | None) -> dict:
    """Size of the published league table and its top three overall for ``period`` (else its last period)."""
    con = duckdb.connect()
    try:  # read from the published file, the thing readers see
        con.read_parquet(str(table)).create_view("published_league")
        rows, cities, scopes, n_periods, first, last = con.execute(
            "select count(*), count(distinct city_code), count(distinct scope), count(distinct period), "
            "min(period), max(period) from published_league"
        ).fetchone()
        periods_in_data = {p for (p,) in con.execute("select distinct period from published_league").fetchall()}
        shown = period if period in periods_in_data else last
        top = con.execute(
            "select rank, city_code, city_name, score from published_league where period = ? and scope = 'overall' "
            "order by rank, city_code limit 3",
            [shown],
        ).fetchall()
    finally:
        con.close()
    return {
        "period_shown": shown,
        "period_in_data": period in periods_in_data if period else None,
        "league_table": {"rows": rows, "cities": cities, "scopes": scopes, "periods": n_periods,
                         "first_period": first, "last_period": last},
        "top_overall": [{"rank": r, "city_code": c, "city_name": n, "score": s} for r, c, n, s in top],
    }


def _markdown(notice: dict) -> str:
    lt, shown, period = notice["league_table"], notice["period_shown"], notice["requested_period"]
    lines = [
        f"# hnplus dataset {notice['dataset_id']}",
        "",
        f"`published/latest` → `{notice['latest']}`: league table of {lt['cities']} cities × {lt['scopes']} scopes × "
        f"{lt['periods']} periods ({lt['first_period']}–{lt['last_period']}), {lt['rows']} rows.",
        "",
        f"Top cities overall in {shown}:" + ("" if period in (None, shown) else f" ({period} is not in the data)"),
        *[f"{t['rank']}. {t['city_name']} ({t['city_code']}) {t['score']:.1f}" for t in notice["top_overall"]],
    ]
    if notice["stale_feeds"]:
        lines += ["", "Stale feeds (last good snapshot used): " + ", ".join(notice["stale_feeds"])]
    return "\n".join(lines) + "\n"


def announce_publication(
    period: str | None = None, dataset_id: str | None = None, paths: DataPaths | None = None
) -> Path:
    """Write ``published/notice.json`` and ``NOTICE.md`` describing the dataset ``latest`` points at, so
    readers (and the portal team) see what changed without opening the warehouse. Returns the JSON path."""
    paths = paths or data_paths()
    latest = paths.published / layout.LATEST
    meta = layout.published_metadata(paths.published)
    if meta is None:
        raise FileNotFoundError(f"nothing published yet under {latest}")
    notice = {
        "dataset_id": meta["dataset_id"],
        "latest": os.readlink(latest) if latest.is_symlink() else str(latest),
        "announced_for_dataset": dataset_id,
        "superseded": bool(dataset_id and dataset_id != meta["dataset_id"]),
        "requested_period": period,
        **_league_summary(latest / "league_table.parquet", period),
        "stale_feeds": [f["feed_id"] for f in meta.get("stale_feeds", [])],
        "announced_at": datetime.now(UTC).isoformat(),
    }
    out = paths.published / "notice.json"
    atomic_write_text(out, json.dumps(notice, ensure_ascii=False, indent=2) + "\n")
    atomic_write_text(paths.published / "NOTICE.md", _markdown(notice))
    return out
