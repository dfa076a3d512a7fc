"""S scale: the Henan sample (18 cities x 21 quarters, xlsx/csv/json) through the real pipeline stages in-process,
the way ``hnplus run --no-airflow`` runs them, with per-stage wall times, then a re-run with no changed input."""

from __future__ import annotations

import time
from pathlib import Path

from transforms import pipeline
from transforms.core.paths import DataPaths


def reader_speed(sample_dir: Path) -> dict:
    """The report reader alone per format (files/s, rows/s): xlsx is the slow one, measured separately."""
    from transforms.ingest.reports.reader import read_report

    out = {}
    for fmt in ("xlsx", "csv", "json"):
        files = sorted(sample_dir.rglob(f"*.{fmt}"))
        t0 = time.perf_counter()
        rows = 0
        for f in files:
            rep = read_report(f.read_bytes(), f.name)
            rows += len(getattr(rep, "rows", []) or [])
        secs = time.perf_counter() - t0
        out[fmt] = {"files": len(files), "seconds": round(secs, 3), "files_per_s": round(len(files) / secs, 1),
                    "rows": rows, "rows_per_s": round(rows / secs) if rows else None}
    return out


def _timed(stages: dict, name: str, fn, *args, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
    t0 = time.perf_counter()
    try:
        res = fn(*args, **kw)
        stages[name] = round(time.perf_counter() - t0, 3)
        return res
    except Exception as exc:  # noqa: BLE001 - a stage failure is a result of the bench, reported, not hidden
        stages[name] = round(time.perf_counter() - t0, 3)
        stages[f"{name}_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        return None


def _one_run(paths: DataPaths, base_url: str, run_id: str, gated: bool) -> dict:
    stages: dict = {}
    t0 = time.perf_counter()
    _timed(stages, "ingest_reports", pipeline.ingest_reports, paths)
    results = []
    t1 = time.perf_counter()
    for f in pipeline.feed_ids():
        results.append(pipeline.fetch_feed(f, paths, base_url))
    stages["fetch_feeds"] = round(time.perf_counter() - t1, 3)
    _timed(stages, "load_feeds", pipeline.load_feeds, results, run_id, paths)
    if gated and not pipeline.should_build(False, paths):
        stages["skipped"] = "inputs unchanged since the last publish (DAG gate should_build)"
    else:
        for name, fn, args in (("validate", pipeline.validate_inputs, (run_id, paths)),
                               ("build", pipeline.build, (paths,)), ("audit", pipeline.audit, (run_id, paths)),
                               ("publish", pipeline.publish, (run_id, paths))):
            _timed(stages, name, fn, *args)
            if f"{name}_error" in stages:
                break
    stages["total"] = round(time.perf_counter() - t0, 3)
    return stages


def run_s(data_dir: Path) -> dict:
    """Cold run, a gated no-change re-run (what the nightly DAG does) and a forced full re-run."""
    import shutil

    from tools.portal import start_portal
    from tools.samples import write_samples

    shutil.rmtree(data_dir, ignore_errors=True)
    paths = DataPaths(data_dir).ensure()
    t0 = time.perf_counter()
    files = write_samples(paths.inbox)
    setup_s = time.perf_counter() - t0
    speed = reader_speed(paths.inbox)
    portal = start_portal()
    try:
        cold = _one_run(paths, portal.url, "bench-s-1", gated=False)
        gated = _one_run(paths, portal.url, "bench-s-2", gated=True)
        full = _one_run(paths, portal.url, "bench-s-3", gated=False)
    finally:
        portal.stop()
    return {"sample_files": len(files), "write_samples_s": round(setup_s, 3), "reader": speed,
            "cold": cold, "rerun_no_change_gated": gated, "rerun_no_change_full": full}


def run_s_airflow(data_dir: Path, hnplus: Path | None = None) -> dict:
    """``make run`` (``python -m tools.demo``: the sample, the local portal, Airflow ``dags test`` on SQLite) twice on
    a fresh data directory:
    cold, then with no changed input. The difference to the in-process figures is Airflow's overhead.
    Per run also the CPU seconds of the processes it started (user + system; less sensitive to other load on a
    shared machine than the wall time) and the 1-minute load average before it."""
    import os
    import resource
    import shutil
    import subprocess
    import sys

    from transforms.core.paths import REPO_ROOT

    # what `make run` runs: the demo writes the bundled sample reports into the inbox, serves the feeds from the
    # local portal and calls `hnplus run` (``hnplus`` given: that executable on a prepared data directory)
    cmd = [str(hnplus), "run"] if hnplus else [sys.executable, "-m", "tools.demo"]
    shutil.rmtree(data_dir, ignore_errors=True)
    env = dict(os.environ, HNPLUS_DATA_DIR=str(data_dir))
    env.pop("HNPLUS_PORTAL_URL", None)
    out: dict = {}
    for name in ("cold", "rerun_no_change"):
        load = os.getloadavg()[0]
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200, cwd=REPO_ROOT)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        out[name] = {"seconds": round(time.perf_counter() - t0, 3), "returncode": proc.returncode,
                     "cpu_seconds": round(cpu, 3), "loadavg_1m_before": round(load, 2)}
        if proc.returncode != 0:
            out[name]["stderr_tail"] = proc.stderr[-1500:]
            break
    runs = data_dir / "runs"
    out["published_runs"] = len(list(runs.glob("*.json"))) if runs.exists() else 0
    return out
