"""The nightly job as plain functions, one per stage, so Airflow tasks and the CLI call the same code.

Each stage opens the working DuckDB file, does its work and closes it: DuckDB allows one writer, and
Airflow runs tasks in separate processes. Stages return small JSON-serialisable dicts (XCom-friendly).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from transforms import METHOD_VERSION
from transforms.catalog import load_seeds
from transforms.paths import SEEDS_DIR, SQL_DIR, DataPaths, data_paths


class AuditFailed(RuntimeError):
    """Raised when a critical expectation fails on the candidate marts: nothing is published."""


@contextmanager
def warehouse(paths: DataPaths | None = None, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the working DuckDB under an exclusive file lock, so two runs never write at once."""
    paths = (paths or data_paths()).ensure()
    lock_path = paths.work / ".lock"
    with open(lock_path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fcntl.flock(lock, fcntl.LOCK_EX)  # wait for the other stage to finish
        con = duckdb.connect(str(paths.work_db), read_only=read_only)
        try:
            yield con
        finally:
            con.close()


def ingest_reports(paths: DataPaths | None = None, now: datetime | None = None) -> dict:
    """Land and stage every report in the inbox; quarantine bad rows with a reason."""
    from transforms.intake import intake_inbox

    paths = (paths or data_paths()).ensure()
    with warehouse(paths) as con:
        load_seeds(con)
        summary = intake_inbox(con, paths.inbox, paths.landing, now=now)
    return _as_dict(summary)


def feed_ids() -> list[str]:
    """The feeds in the registry; the DAG maps one fetch task over them."""
    from transforms.feeds import list_feeds

    return list_feeds()


def fetch_feed(feed_id: str, paths: DataPaths | None = None, base_url: str | None = None) -> dict:
    """Fetch one feed; remote faults never raise, they mark the feed stale and keep the last good snapshot."""
    from transforms import feeds

    paths = (paths or data_paths()).ensure()
    return feeds.fetch_feed(feed_id, paths.feed_archive, base_url=base_url)


def load_feeds(results: list[dict], run_id: str, paths: DataPaths | None = None) -> dict:
    from transforms import feeds

    paths = (paths or data_paths()).ensure()
    with warehouse(paths) as con:
        feeds.load_feeds(con, paths.feed_archive, list(results), run_id)
        rows = con.execute("select feed_id, status, reason from meta.feed_status where run_id = ?", [run_id]).fetchall()
    return {"feeds": [{"feed_id": f, "status": s, "reason": r} for f, s, r in rows]}


def validate_inputs(run_id: str, paths: DataPaths | None = None) -> dict:
    """Validate the staged report rows; a critical failure stops the run before anything is built."""
    from transforms.validate import record_results, validate_frame

    with warehouse(paths) as con:
        df = con.sql("select * from raw.report_rows").df()
        res = validate_frame(df, "raw_report_rows", "raw.report_rows", run_id)
        record_results(con, [res])
    if res.critical_failures:
        raise AuditFailed("input validation failed: " + "; ".join(res.critical_failures))
    return {"asset": res.asset, "success": res.success, "seconds": res.seconds}


def build(paths: DataPaths | None = None) -> dict:
    """Run every SQL model; marts land in the candidate schema, not yet published."""
    from transforms.build import run_models

    with warehouse(paths) as con:
        load_seeds(con)
        timings = run_models(con, SQL_DIR)
    return {"models": len(timings), "seconds": round(sum(timings.values()), 3)}


def audit(run_id: str, paths: DataPaths | None = None) -> dict:
    """Validate the candidate marts; only a clean audit lets publish run."""
    from transforms.build import CANDIDATE_SCHEMA
    from transforms.validate import record_results, validate_frame

    with warehouse(paths) as con:
        df = con.sql(f"select * from {CANDIDATE_SCHEMA}.league_table").df()
        res = validate_frame(df, "marts_league_table", "marts.league_table", run_id)
        record_results(con, [res])
    if res.critical_failures:
        raise AuditFailed("audit of the league table failed; the last good dataset stays published: "
                          + "; ".join(res.critical_failures))
    return {"asset": res.asset, "success": res.success, "seconds": res.seconds}


def input_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """A hash of everything that determines the outputs: accepted reports, feed snapshots, seeds, SQL, method."""
    h = hashlib.sha256(METHOD_VERSION.encode())
    for (fid,) in con.execute(
        "select file_id from raw.report_files where status = 'accepted' order by file_id"
    ).fetchall():
        h.update(fid.encode())
    try:
        for row in con.execute(
            "select distinct feed_id, snapshot_id from raw.feed_records order by feed_id, snapshot_id"
        ).fetchall():
            h.update("|".join(map(str, row)).encode())
    except duckdb.CatalogException:
        pass
    for base in (SEEDS_DIR, SQL_DIR):
        for p in sorted(base.rglob("*")):
            if p.is_file():
                h.update(str(p.relative_to(base)).encode())
                h.update(p.read_bytes())
    return h.hexdigest()


def publish(run_id: str, paths: DataPaths | None = None) -> dict:
    """Promote audited marts, write the published dataset and switch ``latest`` and the analysts' DuckDB."""
    from transforms import publish as pub
    from transforms.build import promote_candidate

    paths = (paths or data_paths()).ensure()
    with warehouse(paths) as con:
        promote_candidate(con)
        fingerprint = input_fingerprint(con)
        dataset_id = fingerprint[:16]
        inputs = [
            {"file_id": f, "name": n, "city_code": c, "period": p}
            for f, n, c, p in con.execute(
                "select file_id, original_name, city_code, period from raw.report_files "
                "where status = 'accepted' order by city_code, period, file_id"
            ).fetchall()
        ]
        try:
            feeds = [
                {"feed_id": f, "status": s, "reason": r, "snapshot_id": sn}
                for f, s, r, sn in con.execute(
                    "select feed_id, status, reason, snapshot_id from meta.feed_status "
                    "where run_id = ? order by feed_id",
                    [run_id],
                ).fetchall()
            ]
        except duckdb.CatalogException:
            feeds = []
        validation = [
            {"asset": a, "expectation": e, "column": c, "severity": s, "success": ok, "unexpected_count": n}
            for a, e, c, s, ok, n in con.execute(
                'select asset, expectation, "column", severity, success, unexpected_count '
                "from meta.validation_results where run_id = ? order by asset, expectation, \"column\"",
                [run_id],
            ).fetchall()
        ]
        metadata = {
            "input_fingerprint": fingerprint,
            "inputs": {"reports": inputs, "feeds": feeds},
            "stale_feeds": [f for f in feeds if f["status"] != "fresh" and f["status"] != "not_modified"],
            "validation": validation,
        }
        con.execute("checkpoint")
        out = pub.publish(con, paths.published, dataset_id, metadata)
    pub.publish_warehouse(paths.work_db, paths.warehouse)
    _log_run(paths, run_id, {"dataset_id": dataset_id, "published": str(out)})
    return {"dataset_id": dataset_id, "path": str(out)}


def _log_run(paths: DataPaths, run_id: str, info: dict) -> None:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in run_id)
    record = dict(info, run_id=run_id, finished_at=datetime.now(UTC).isoformat())
    (paths.runs / f"{safe}.json").write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")


def _as_dict(obj: object) -> dict:
    if isinstance(obj, dict):
        return obj
    if hasattr(obj, "to_dict"):
        return obj.to_dict()  # type: ignore[no-any-return]
    from dataclasses import asdict, is_dataclass

    if is_dataclass(obj):
        return json.loads(json.dumps(asdict(obj), default=str))  # type: ignore[arg-type]
    return {"summary": str(obj)}


def run_all(run_id: str = "manual", paths: DataPaths | None = None, base_url: str | None = None) -> dict:
    """Every stage in order without Airflow (tests and debugging; the nightly job uses the DAG)."""
    t0 = time.perf_counter()
    paths = paths or data_paths()
    out: dict = {"ingest": ingest_reports(paths)}
    results = [fetch_feed(f, paths, base_url) for f in feed_ids()]
    out["feeds"] = load_feeds(results, run_id, paths)
    out["validate"] = validate_inputs(run_id, paths)
    out["build"] = build(paths)
    out["audit"] = audit(run_id, paths)
    out["publish"] = publish(run_id, paths)
    out["seconds"] = round(time.perf_counter() - t0, 2)
    return out


def env_base_url() -> str | None:
    return os.environ.get("HNPLUS_PORTAL_URL")


__all__ = [
    "AuditFailed", "audit", "build", "feed_ids", "fetch_feed", "ingest_reports", "load_feeds",
    "publish", "run_all", "validate_inputs", "warehouse", "Path",
]


def record_failure(run_id: str, task_id: str, error: str, paths: DataPaths | None = None) -> Path:
    """Write a plain failure summary the operator finds in ``data/runs/`` (called by the DAG's callback)."""
    paths = (paths or data_paths()).ensure()
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in run_id)
    path = paths.runs / f"FAILED-{safe}-{task_id}.json"
    path.write_text(json.dumps({
        "run_id": run_id, "task_id": task_id, "error": error,
        "at": datetime.now(UTC).isoformat(),
        "what_next": "see docs/operations.md; the last good dataset in data/published/latest is unchanged",
    }, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
