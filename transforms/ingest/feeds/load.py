"""Load the snapshots in use into ``raw.feed_records`` and record this run's ``meta.feed_status`` rows."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from transforms.ingest.feeds.archive import read_current, read_snapshot
from transforms.ingest.feeds.client import TIME_FORMAT
from transforms.ingest.feeds.derive import derive_records
from transforms.ingest.feeds.fetch import FEED_STATUSES
from transforms.ingest.feeds.registry import REGISTRY, load_registry

ADMIN_FEED = "admin_codes"  # the GB/T 2260 list that county names in other feeds are checked against


def load_feeds(con: duckdb.DuckDBPyConnection, archive_dir: Path, results: list[dict[str, Any]],
               run_id: str, registry: Path = REGISTRY) -> None:
    """Write ``raw.feed_records`` (replaced, from each result's snapshot in use) and this run's
    ``meta.feed_status`` rows (other runs kept), both sorted, per docs/contracts.md."""
    feeds = load_registry(registry)
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists meta")
    by_feed = {r["feed_id"]: r for r in results}
    admin = _admin_records(archive_dir, by_feed.get(ADMIN_FEED))
    rows: list[tuple[Any, ...]] = []
    for feed_id in sorted(by_feed):
        res = by_feed[feed_id]
        if not res.get("snapshot_id") or feed_id not in feeds:
            continue
        manifest, records = read_snapshot(archive_dir, feed_id, res["snapshot_id"])
        fetched = _ts(manifest["fetched_at"])
        for r in derive_records(feeds[feed_id], records, admin):
            rows.append((feed_id, res["snapshot_id"], r["record_number"], r["city_code"], r["period"],
                         r["indicator_code"], r["value"], r["value_status"],
                         json.dumps(r["source_record"], ensure_ascii=False, sort_keys=True), fetched))
    rows.sort(key=lambda t: (t[0], t[2]))
    con.execute("begin transaction")
    try:
        _write_records(con, rows)
        _write_status(con, results, run_id)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def _admin_records(archive_dir: Path, admin_res: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The admin-code records of this run's snapshot, else of the current one, else none."""
    admin_snap = (admin_res or {}).get("snapshot_id")
    if admin_snap is None:
        cur = read_current(Path(archive_dir) / ADMIN_FEED)
        admin_snap = cur["snapshot_id"] if cur else None
    return read_snapshot(archive_dir, ADMIN_FEED, admin_snap)[1] if admin_snap else []


def _ts(value: str | None) -> datetime | None:
    return datetime.strptime(value, TIME_FORMAT) if value else None


def _write_records(con: duckdb.DuckDBPyConnection, rows: list[tuple[Any, ...]]) -> None:
    con.execute(
        "create or replace table raw.feed_records (feed_id varchar, snapshot_id varchar, "
        "record_number integer, city_code varchar, period varchar, indicator_code varchar, value double, "
        "value_status varchar, source_record varchar, fetched_at timestamp)"
    )
    if rows:
        con.executemany("insert into raw.feed_records values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _write_status(con: duckdb.DuckDBPyConnection, results: list[dict[str, Any]], run_id: str) -> None:
    """Replace this run's status rows; an unknown status is a bug in the caller, so it fails the load."""
    con.execute(
        "create table if not exists meta.feed_status (run_id varchar, feed_id varchar, status varchar, "
        "reason varchar, snapshot_id varchar, fetched_at timestamp, records integer)"
    )
    con.execute("delete from meta.feed_status where run_id = ?", [run_id])
    status_rows = [
        (run_id, r["feed_id"], r["status"], r.get("reason"), r.get("snapshot_id"), _ts(r.get("fetched_at")),
         int(r.get("records") or 0))
        for r in sorted(results, key=lambda r: r["feed_id"])
    ]
    bad = [r for r in status_rows if r[2] not in FEED_STATUSES]
    if bad:
        raise ValueError(f"unknown feed status in results: {bad}")
    if status_rows:
        con.executemany("insert into meta.feed_status values (?, ?, ?, ?, ?, ?, ?)", status_rows)
    con.execute("create or replace table meta.feed_status as "
                "select * from meta.feed_status order by run_id, feed_id")
    # the feeds' state after this load, whichever run it was: the nightly gate hashes the stale ones, so a night on
    # which a feed goes stale (or recovers) publishes again and metadata.json says so even if no input changed
    con.execute("create or replace table meta.feed_current as select feed_id, status, reason, snapshot_id "
                "from meta.feed_status where run_id = ? order by feed_id", [run_id])
