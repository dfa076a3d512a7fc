"""Run one bench stage in this (fresh) process and print its result, wall time and peak RSS as JSON.

A process per stage is how Airflow runs tasks too, and it makes ``ru_maxrss`` the stage's own peak.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


def _intake_subset(root: str, quarters: int) -> dict:
    """The project's per-file intake (row accounting, quarantine) on the real-city subset of the L reports."""
    import shutil
    import tempfile

    import duckdb

    from transforms.catalog import cities, load_seeds
    from transforms.ingest.reports.intake import intake_inbox

    real = {c.code for c in cities()}
    tmp = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    try:
        inbox = tmp / "inbox"
        inbox.mkdir()
        n = 0
        for d in sorted((Path(root) / "reports").iterdir()):
            code = d.name[2:]
            if code not in real:
                continue
            for q in sorted(d.iterdir())[:quarters]:
                shutil.copyfile(q / "data_0.csv", inbox / f"{code}_{q.name[2:]}.csv")
                n += 1
        con = duckdb.connect(str(tmp / "w.duckdb"))
        load_seeds(con)
        t0 = time.perf_counter()
        s = intake_inbox(con, inbox, tmp / "landing").to_dict()
        secs = time.perf_counter() - t0
        rows, staged, quar = con.execute("select count(*), count(*), 0 from raw.report_rows").fetchone()
        statuses = dict(con.execute("select status, count(*) from raw.report_files group by 1").fetchall())
        qn = con.execute("select count(*) from quarantine.report_rows").fetchone()[0]
        con.close()
        return {"files": n, "seconds": round(secs, 3), "rows_staged": rows, "rows_quarantined": qn,
                "file_status": statuses, "rows_per_s": round((rows + qn) / secs), "summary_keys": sorted(s)[:8]}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(stage: str, kw: dict) -> dict:
    from tools.bench import lstages as L

    root = Path(kw.get("root", "."))
    db = root / "work" / "bench.duckdb"
    force = bool(kw.get("force", False))
    if stage == "ingest_reports":
        return L.ingest_reports(db, root)
    if stage == "ingest_feeds":
        return L.ingest_feeds(db, root)
    if stage == "validate":
        return L.validate(db, root, force)
    if stage == "build":
        return L.build(db, root, force)
    if stage == "publish":
        from tools.bench.lpublish import publish

        return publish(db, root, force)
    if stage == "floor":
        return L.floor(root)
    if stage == "baseline":
        from tools.bench.baseline import run_baseline

        return run_baseline(root, float(kw.get("fraction", 1.0)))
    if stage == "intake_subset":
        return _intake_subset(str(root), int(kw.get("quarters", 8)))
    if stage == "generate":
        from tools.bench.generate import SCALES, generate

        return generate(root, SCALES[kw["scale"]])
    if stage == "s_scale":
        from tools.bench.sscale import run_s

        return run_s(Path(kw["data_dir"]))
    raise SystemExit(f"unknown stage {stage}")


def _peak_rss_mib() -> float:
    """This process's own peak RSS: VmHWM starts afresh at exec, whereas ru_maxrss keeps the forking parent's."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    stage, kw = sys.argv[1], json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}")
    import tools.bench.lpublish  # noqa: F401 - imports are start-up cost, not stage time
    if stage == "baseline":
        import pandas  # noqa: F401
    if stage == "build":  # the score step's libraries (SALib imports scipy.stats: ~1.2 s), as the baseline's pandas
        import transforms.build.sensitivity  # noqa: F401
    t0 = time.perf_counter()
    result = run(stage, kw)
    wall = time.perf_counter() - t0
    peak = _peak_rss_mib()
    print(json.dumps({"stage": stage, "wall_s": round(wall, 3), "peak_rss_mib": round(peak, 1), "result": result},
                     ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
