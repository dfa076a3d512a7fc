"""The nightly job as plain functions, one per stage, so Airflow tasks and the CLI call the same code.

Each stage opens the working DuckDB file, does its work and closes it: DuckDB allows one writer, and
Airflow runs tasks in separate processes. Stages return small JSON-serialisable dicts (XCom-friendly).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from transforms.catalog import METHOD_VERSION, load_seeds
from transforms.core.files import atomic_write_text
from transforms.core.locks import run_lock, stage_lock
from transforms.core.paths import EXPECTATIONS_DIR, SEEDS_DIR, SQL_DIR, DataPaths, data_paths


class AuditFailed(RuntimeError):
    """Raised when a critical expectation fails on the candidate marts: nothing is published."""


@contextmanager
def warehouse(paths: DataPaths | None = None, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the working DuckDB under an exclusive file lock, so two runs never write at once."""
    paths = (paths or data_paths()).ensure()
    with stage_lock(paths):
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
    """Validate raw report rows and feed records: bad report rows go to quarantine, a structural fault stops the run."""
    from transforms import validate as v

    paths = (paths or data_paths()).ensure()
    with warehouse(paths) as con:
        results = v.validate_stage(con, "inputs", run_id)  # bad report rows move to quarantine.report_rows
        v.record_results(con, results)
    v.save_results(results, v.results_dir(paths, run_id))
    failures = [f"{r.suite}: {f}" for r in results for f in r.critical_failures]
    if failures:
        docs = v.build_data_docs(results, v.results_dir(paths, run_id) / "data_docs")
        raise AuditFailed(f"input validation failed; nothing is built or published (Data Docs: {docs / 'index.html'}): "
                          + "; ".join(failures))
    return v.summarise(results)


def build(paths: DataPaths | None = None) -> dict:
    """Run every SQL model and the rank Monte Carlo; marts land in the candidate schema, not yet published."""
    from transforms.build import build_models

    with warehouse(paths) as con:
        # One thread: parallel float aggregation sums in a different order each run, and the last bits of a score
        # would then differ between two runs of the same inputs. The Henan build takes seconds either way.
        con.execute("set threads = ?", [int(os.environ.get("HNPLUS_BUILD_THREADS", "1"))])
        timings = build_models(con)
    return {"models": len(timings), "seconds": round(sum(timings.values()), 3)}


def audit(run_id: str, paths: DataPaths | None = None) -> dict:
    """Validate the staged facts and the candidate marts; only a clean audit lets publish run."""
    from transforms import validate as v

    paths = (paths or data_paths()).ensure()
    with warehouse(paths) as con:
        results = v.validate_stage(con, "audit", run_id)  # staged facts + marts_candidate.*
        v.record_results(con, results)
    v.save_results(results, v.results_dir(paths, run_id))
    docs = v.build_data_docs(v.load_results(v.results_dir(paths, run_id)), v.results_dir(paths, run_id) / "data_docs")
    failures = [f"{r.suite}: {f}" for r in results for f in r.critical_failures]
    if failures:
        raise AuditFailed("audit failed; the last good dataset stays published (Data Docs: "
                          f"{docs / 'index.html'}): " + "; ".join(failures))
    return dict(v.summarise(results), data_docs=str(docs))


def input_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """A hash of everything that determines the outputs: accepted reports, feed snapshots, seeds, SQL, method, and
    the GX suites (the gate runs before validation, so a changed suite must count as a change)."""
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
    hash_code_files(h, (SEEDS_DIR, SQL_DIR, EXPECTATIONS_DIR))
    return h.hexdigest()


def hash_code_files(h: hashlib._Hash, bases: tuple[Path, ...]) -> None:
    """Add every source file under ``bases`` (seeds, SQL, suites: path and bytes) to ``h``; bytecode caches and
    other generated files do not count, so they cannot make an unchanged run look changed."""
    for base in bases:
        for p in sorted(base.rglob("*")):
            if p.is_file() and p.suffix in (".csv", ".sql", ".py", ".md", ".json"):
                h.update(str(p.relative_to(base)).encode())
                h.update(p.read_bytes())


def publish(run_id: str, paths: DataPaths | None = None) -> dict:
    """Promote audited marts, write the published dataset and switch ``latest`` and the analysts' DuckDB."""
    from transforms import publish as pub
    from transforms import validate as v
    from transforms.build import promote_candidate

    paths = (paths or data_paths()).ensure()
    with warehouse(paths) as con:
        promote_candidate(con, require_audit_of=run_id)
        fingerprint = input_fingerprint(con)
        dataset_id = fingerprint[:16]
        inputs = [
            {"file_id": f, "sha256": f, "name": n, "city_code": c, "period": p}
            for f, n, c, p in con.execute(
                "select file_id, original_name, city_code, period from raw.report_files "
                "where status = 'accepted' order by city_code, period, file_id"
            ).fetchall()
        ]
        try:
            # the snapshot in use and whether it is stale; whether tonight's request was a 200 or a 304 is a fact
            # about the fetch (run log), not about the data, so the same inputs still publish the same bytes
            feeds = [
                {"feed_id": f, "status": "current" if s in ("fresh", "not_modified") else s,
                 "reason": None if s in ("fresh", "not_modified") else r, "snapshot_id": sn}
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
                "from meta.validation_results where run_id = ? "
                # the jump check compares with the previous publication: a fact about this run, kept in
                # meta.validation_results and the run log, not in the dataset (same inputs -> same bytes)
                "and coalesce(\"column\", '') not like '%score_jump_vs_published%' "
                "and expectation not like '%score_jump_vs_published%' "
                "order by asset, expectation, \"column\", severity",
                [run_id],
            ).fetchall()
        ]
        metadata = {
            "input_fingerprint": fingerprint,
            "inputs": {"reports": inputs, "feeds": feeds},
            "stale_feeds": [f for f in feeds if f["status"] != "current"],
            "validation": validation,
        }
        con.execute("checkpoint")
        docs = v.results_dir(paths, run_id) / "data_docs"
        out = pub.publish(con, paths.published, dataset_id, metadata, data_docs=docs)
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


# ---------------------------------------------------------------------------------------------------------------
# Orchestration helpers (issue 7): the period of a run, skip-if-unchanged, and the publication notice.
# Appended here so the DAGs stay wiring only; none of these import Airflow.

def published_metadata(paths: DataPaths | None = None) -> dict | None:
    """``metadata.json`` of the dataset ``published/latest`` points at, or None before the first publish."""
    paths = paths or data_paths()
    meta = paths.published / "latest" / "metadata.json"
    if not meta.is_file():
        return None
    return json.loads(meta.read_text(encoding="utf-8"))


def inputs_fingerprint_unchanged(paths: DataPaths | None = None) -> bool:
    """True when the staged inputs hash to the fingerprint of the published dataset, so a rebuild would
    produce the same bytes and the nightly run may skip build, audit and publish."""
    paths = paths or data_paths()
    meta = published_metadata(paths)
    if not meta or not meta.get("input_fingerprint") or not paths.work_db.exists():
        return False
    try:
        with warehouse(paths, read_only=True) as con:
            current = input_fingerprint(con)
    except duckdb.CatalogException:  # nothing staged yet
        return False
    return current == meta["input_fingerprint"]


def should_build(force: bool = False, paths: DataPaths | None = None) -> bool:
    """The nightly DAG's gate: build unless the inputs are unchanged since the last publish (``force`` overrides)."""
    if force:
        return True
    return not inputs_fingerprint_unchanged(paths)


def announce_publication(
    period: str | None = None, dataset_id: str | None = None, paths: DataPaths | None = None
) -> Path:
    """Write ``published/notice.json`` and ``NOTICE.md`` describing the dataset ``latest`` points at, so
    readers (and the portal team) see what changed without opening the warehouse. Returns the JSON path."""
    paths = paths or data_paths()
    latest = paths.published / "latest"
    meta = published_metadata(paths)
    if meta is None:
        raise FileNotFoundError(f"nothing published yet under {latest}")
    table = latest / "league_table.parquet"
    con = duckdb.connect()
    try:
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
    notice = {
        "dataset_id": meta["dataset_id"],
        "latest": os.readlink(latest) if latest.is_symlink() else str(latest),
        "announced_for_dataset": dataset_id,
        "superseded": bool(dataset_id and dataset_id != meta["dataset_id"]),
        "requested_period": period,
        "period_shown": shown,
        "period_in_data": period in periods_in_data if period else None,
        "league_table": {"rows": rows, "cities": cities, "scopes": scopes, "periods": n_periods,
                         "first_period": first, "last_period": last},
        "top_overall": [{"rank": r, "city_code": c, "city_name": n, "score": s} for r, c, n, s in top],
        "stale_feeds": [f["feed_id"] for f in meta.get("stale_feeds", [])],
        "announced_at": datetime.now(UTC).isoformat(),
    }
    out = paths.published / "notice.json"
    atomic_write_text(out, json.dumps(notice, ensure_ascii=False, indent=2) + "\n")
    lines = [
        f"# hnplus dataset {notice['dataset_id']}",
        "",
        f"`published/latest` → `{notice['latest']}`: league table of {cities} cities × {scopes} scopes × "
        f"{n_periods} periods ({first}–{last}), {rows} rows.",
        "",
        f"Top cities overall in {shown}:" + ("" if period in (None, shown) else f" ({period} is not in the data)"),
        *[f"{r}. {n} ({c}) {s:.1f}" for r, c, n, s in top],
    ]
    if notice["stale_feeds"]:
        lines += ["", "Stale feeds (last good snapshot used): " + ", ".join(notice["stale_feeds"])]
    atomic_write_text(paths.published / "NOTICE.md", "\n".join(lines) + "\n")
    return out


# ---------------------------------------------------------------------------------------------------------------
# Reliability (issue 10): one whole run at a time per data directory.


def run_all_exclusive(
    run_id: str = "manual", paths: DataPaths | None = None, base_url: str | None = None,
    wait: bool = False, timeout: float | None = None,
) -> dict:
    """``run_all`` under the run-level lock, because ``warehouse()`` only serialises single stages and two
    runs would otherwise interleave. A second run refuses with ``safety.RunLocked`` (or waits with ``wait``)."""
    paths = paths or data_paths()
    with run_lock(paths, run_id=run_id, wait=wait, timeout=timeout):
        return run_all(run_id, paths, base_url)
