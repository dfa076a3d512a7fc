"""The nightly job as plain functions, one per stage, so Airflow tasks and the CLI call the same code.

Stages run in this order: ingest_reports, fetch_feed (one per feed), load_feeds, validate_inputs, build, audit,
publish. Each opens the working DuckDB (``warehouse``) and closes it again, and returns a small
JSON-serialisable dict (XCom-friendly). The stage packages are imported inside the functions, so an Airflow
task loads only what its stage needs (Great Expectations alone takes ~4 s).
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime

from transforms.catalog import load_seeds
from transforms.core.locks import run_lock
from transforms.core.paths import DataPaths, data_paths
from transforms.pipeline.gate import input_fingerprint
from transforms.pipeline.metadata import dataset_metadata
from transforms.pipeline.runlog import log_run
from transforms.pipeline.warehouse import warehouse


class AuditFailed(RuntimeError):
    """Raised when a critical expectation fails on the candidate marts: nothing is published."""


def ingest_reports(paths: DataPaths | None = None, now: datetime | None = None) -> dict:
    """Land and stage every report in the inbox; quarantine bad rows with a reason."""
    from transforms.ingest.reports.intake import intake_inbox

    paths = (paths or data_paths()).ensure()
    with warehouse(paths) as con:
        load_seeds(con)
        summary = intake_inbox(con, paths.inbox, paths.landing, now=now)
    return _as_dict(summary)


def feed_ids() -> list[str]:
    """The feeds in the registry; the DAG maps one fetch task over them."""
    from transforms.ingest.feeds.registry import list_feeds

    return list_feeds()


def fetch_feed(feed_id: str, paths: DataPaths | None = None, base_url: str | None = None) -> dict:
    """Fetch one feed; remote faults never raise, they mark the feed stale and keep the last good snapshot."""
    from transforms.ingest.feeds import fetch as feeds

    paths = (paths or data_paths()).ensure()
    return feeds.fetch_feed(feed_id, paths.feed_archive, base_url=base_url)


def fetch_feeds(paths: DataPaths | None = None, base_url: str | None = None) -> list[dict]:
    """Fetch every feed at once (the in-process run; the DAG maps one task per feed instead)."""
    from transforms.ingest.feeds import fetch as feeds

    paths = (paths or data_paths()).ensure()
    return feeds.fetch_feeds(feed_ids(), paths.feed_archive, base_url=base_url)


def load_feeds(results: list[dict], run_id: str, paths: DataPaths | None = None) -> dict:
    """Load the snapshots in use and log every feed's status for this run (also on a night that publishes nothing)."""
    from transforms.ingest.feeds import load as feeds

    paths = (paths or data_paths()).ensure()
    with warehouse(paths) as con:
        feeds.load_feeds(con, paths.feed_archive, list(results), run_id)
        rows = con.execute("select feed_id, status, reason, snapshot_id from meta.feed_status where run_id = ? "
                           "order by feed_id", [run_id]).fetchall()
    out = {"feeds": [{"feed_id": f, "status": s, "reason": r} for f, s, r, _ in rows]}
    log_run(paths, run_id, {"feeds": [{"feed_id": f, "status": s, "reason": r, "snapshot_id": sn}
                                      for f, s, r, sn in rows],
                            "stale_feeds": [f for f, s, _, _ in rows if s not in ("fresh", "not_modified")]})
    return out


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
    from transforms.build.reuse import score_periods

    with warehouse(paths) as con:
        # One thread: parallel float aggregation sums in a different order each run, and the last bits of a score
        # would then differ between two runs of the same inputs. The Henan build takes seconds either way.
        con.execute("set threads = ?", [int(os.environ.get("HNPLUS_BUILD_THREADS", "1"))])
        stats: dict = {}
        timings = build_models(con, stats=stats)
    # how many periods the score models computed (the others kept the previous build's rows: same inputs)
    return {"models": len(timings), "seconds": round(sum(timings.values()), 3),
            "score_periods": score_periods(stats),
            # the SQL models' periods: every one (full) or those the changed reports can move (incremental)
            "sql": _sql_summary(stats.get("sql"))}


def _sql_summary(sql: dict | None) -> dict | None:
    """The build's SQL mode for the run's result: the periods as a count and a range (at county scale a list would
    fill the log)."""
    if not sql:
        return None
    periods, planned, cities = sql.get("periods"), sql.get("planned"), sql.get("cities")
    return {"mode": sql["mode"], "reason": sql["reason"], "periods": None if periods is None else len(periods),
            "first": periods[0] if periods else None, "last": periods[-1] if periods else None,
            # before narrowing to the periods whose values moved; the cities the city-level models redid
            "planned": None if planned is None else len(planned), "cities": None if cities is None else len(cities)}


def audit(run_id: str, paths: DataPaths | None = None) -> dict:
    """Validate the indicator values and the candidate marts; only a clean audit lets publish run."""
    from transforms import validate as v

    paths = (paths or data_paths()).ensure()
    with warehouse(paths) as con:
        results = v.validate_stage(con, "audit", run_id)  # indicator values + marts_candidate.*
        v.record_results(con, results)
    v.save_results(results, v.results_dir(paths, run_id))
    docs = v.build_data_docs(v.load_results(v.results_dir(paths, run_id)), v.results_dir(paths, run_id) / "data_docs")
    failures = [f"{r.suite}: {f}" for r in results for f in r.critical_failures]
    if failures:
        raise AuditFailed("audit failed; the last good dataset stays published (Data Docs: "
                          f"{docs / 'index.html'}): " + "; ".join(failures))
    return dict(v.summarise(results), data_docs=str(docs))


def publish(run_id: str, paths: DataPaths | None = None) -> dict:
    """Promote audited marts, write the published dataset and switch ``latest`` and the analysts' DuckDB."""
    from transforms import validate as v
    from transforms.build import promote_candidate
    from transforms.publish import dataset

    paths = (paths or data_paths()).ensure()
    with warehouse(paths) as con:
        promote_candidate(con, require_audit_of=run_id)
        fingerprint = input_fingerprint(con)
        dataset_id = fingerprint[:16]
        metadata = dataset_metadata(con, run_id, fingerprint)
        con.execute("checkpoint")
        docs = v.results_dir(paths, run_id) / "data_docs"
        out = dataset.publish(con, paths.published, dataset_id, metadata, data_docs=docs)
    dataset.publish_warehouse(paths.work_db, paths.warehouse)
    log_run(paths, run_id, {"dataset_id": dataset_id, "published": str(out)})
    return {"dataset_id": dataset_id, "path": str(out)}


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
    out["feeds"] = load_feeds(fetch_feeds(paths, base_url), run_id, paths)
    out["validate"] = validate_inputs(run_id, paths)
    out["build"] = build(paths)
    out["audit"] = audit(run_id, paths)
    out["publish"] = publish(run_id, paths)
    out["seconds"] = round(time.perf_counter() - t0, 2)
    return out


def run_all_exclusive(
    run_id: str = "manual", paths: DataPaths | None = None, base_url: str | None = None,
    wait: bool = False, timeout: float | None = None,
) -> dict:
    """``run_all`` under the run-level lock, because ``warehouse()`` only serialises single stages and two
    runs would otherwise interleave. A second run refuses with ``safety.RunLocked`` (or waits with ``wait``)."""
    paths = paths or data_paths()
    with run_lock(paths, run_id=run_id, wait=wait, timeout=timeout):
        return run_all(run_id, paths, base_url)
