"""Shared guards for a job that must keep working, lose nothing and never publish anything wrong.

* path checks (`safe_join`): names that come from outside (submitters, file names, dataset ids) never escape
  the folder they are meant for;
* a run-level lock (`run_lock`): `pipeline.warehouse()` only serialises single stages, so two whole runs
  would interleave stage by stage; the run lock makes the second run wait or refuse with a clear message;
* integrity checks of what is published (`check_published`, `check_dataset`) and the operator's restore
  (`restore_dataset`), so "latest always points at a complete dataset" is something we can test and repair;
* leftovers of killed runs (`stale_temp_paths`, `clean_stale_temp`);
* fault injection (`fault_point`, `install_fault_hooks`) driven by ``HNPLUS_FAULT_KILL_AT`` so the reliability
  suite can ``kill -9`` a real run at each stage boundary and inside publish.
* formula neutralising for text cells (`neutralise_cell`), the CSV twin of the XLSX writer's guard.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from transforms.core.files import safe_join, safe_name, sha256_file, swap_symlink
from transforms.core.locks import RunLocked, run_lock
from transforms.core.paths import DataPaths, data_paths

FAULT_ENV = "HNPLUS_FAULT_KILL_AT"
SITE_FILES = {"index.html", "data.js"}  # written by the website builder after metadata.json lists the tables


# ============================================================================================ integrity
def check_dataset(folder: Path) -> list[str]:
    """Problems of one published dataset folder: every file metadata.json lists exists with its checksum and
    size, no unlisted table file sits beside them, and datapackage.json's hashes agree. Empty list = complete."""
    folder = Path(folder)
    meta_path = folder / "metadata.json"
    if not meta_path.is_file():
        return [f"{folder}: no metadata.json"]
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        return [f"{meta_path}: not valid JSON ({exc})"]
    problems: list[str] = []
    listed = {f["path"]: f for f in meta.get("files", [])}
    if not listed:
        problems.append(f"{meta_path}: lists no files")
    for rel, f in listed.items():
        p = folder / rel
        if not p.is_file():
            problems.append(f"{folder}: listed file {rel} is missing")
        elif p.stat().st_size != f.get("bytes") or sha256_file(p) != f.get("sha256"):
            problems.append(f"{folder}: {rel} does not match its size/sha256 in metadata.json")
    for p in folder.iterdir():
        if p.is_file() and p.name not in listed and p.name not in SITE_FILES | {"metadata.json", "datapackage.json"}:
            problems.append(f"{folder}: {p.name} is not listed in metadata.json")
    dp = folder / "datapackage.json"
    if dp.is_file():
        try:
            for res in json.loads(dp.read_text(encoding="utf-8")).get("resources", []):
                p = folder / res.get("path", "")
                want = str(res.get("hash", "")).removeprefix("sha256:")
                if want and (not p.is_file() or sha256_file(p) != want):
                    problems.append(f"{folder}: datapackage resource {res.get('path')} hash mismatch")
        except ValueError as exc:
            problems.append(f"{dp}: not valid JSON ({exc})")
    else:
        problems.append(f"{folder}: no datapackage.json")
    return problems


def check_published(published_root: Path) -> list[str]:
    """Problems of the published tree: ``latest`` must be a symlink to a complete ``runs/<id>``, and every
    period link must resolve to a complete period slice. Empty list = what readers see is whole."""
    root = Path(published_root)
    latest = root / "latest"
    if not latest.is_symlink():
        return [f"{latest} is not a symlink (nothing published yet?)"]
    target = os.readlink(latest)
    if os.path.isabs(target) or not target.startswith("runs/"):
        return [f"{latest} -> {target}: not a relative runs/<id> link"]
    folder = root / target
    if not folder.is_dir():
        return [f"{latest} -> {target}: dangling"]
    problems = check_dataset(folder)
    for link in sorted(root.iterdir()):
        if link.is_symlink() and link.name != "latest" and not link.name.startswith("."):
            if not link.exists():
                problems.append(f"{link} -> {os.readlink(link)}: dangling")
            else:
                problems.extend(check_dataset(link))
    return problems


# ============================================================================================ leftovers
def stale_temp_paths(paths: DataPaths | None = None) -> list[Path]:
    """Temporary files and folders a killed run leaves behind (all hidden: readers never see them)."""
    paths = paths or data_paths()
    found: list[Path] = []
    runs = paths.published / "runs"
    if runs.is_dir():
        found += [p for p in runs.iterdir() if p.name.startswith(".")]
    if paths.published.is_dir():
        found += [p for p in paths.published.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]
    if paths.root.is_dir():
        found += [p for p in paths.root.iterdir() if p.name.startswith(".warehouse.duckdb.")]
    if paths.landing.is_dir():
        found += list(paths.landing.glob(".incoming-*"))
    if paths.feed_archive.is_dir():
        found += list(paths.feed_archive.glob("*/.tmp-*"))
    return sorted(found)


def clean_stale_temp(paths: DataPaths | None = None) -> list[Path]:
    """Remove leftovers of killed runs; takes the run lock so it never races a live run."""
    paths = paths or data_paths()
    with run_lock(paths, run_id="clean_stale_temp"):
        gone = stale_temp_paths(paths)
        for p in gone:
            if p.is_symlink() or p.is_file():
                p.unlink(missing_ok=True)
            else:
                shutil.rmtree(p, ignore_errors=True)
    return gone


# ============================================================================================ restore
def restore_dataset(dataset_id: str, paths: DataPaths | None = None, rebuild_warehouse: bool = True) -> dict:
    """Point ``latest`` (and the period links) back at an earlier, complete ``published/runs/<dataset_id>``
    and, optionally, rebuild the analysts' ``warehouse.duckdb`` marts from that dataset's Parquet files.

    Refuses an incomplete dataset. Atomic per link, under the run lock. The next nightly run publishes anew.
    """
    import duckdb

    paths = paths or data_paths()
    folder = safe_join(paths.published / "runs", safe_name(dataset_id))
    problems = check_dataset(folder)
    if problems:
        raise ValueError(f"refusing to restore an incomplete dataset: {problems[:5]}")
    with run_lock(paths, run_id=f"restore-{dataset_id}"):
        periods = sorted(p.name for p in (folder / "periods").iterdir()) if (folder / "periods").is_dir() else []
        if rebuild_warehouse:
            tmp = paths.root / f".warehouse.duckdb.restore.{os.getpid()}"
            tmp.unlink(missing_ok=True)
            con = duckdb.connect(str(tmp))
            try:
                con.execute("create schema marts")
                for pq in sorted(folder.glob("*.parquet")):
                    con.execute(f'create table marts."{pq.stem}" as select * from read_parquet(?)', [str(pq)])
                con.execute("checkpoint")
            finally:
                con.close()
            os.replace(tmp, paths.warehouse)
        swap_symlink(paths.published / "latest", f"runs/{dataset_id}")
        for period in periods:
            swap_symlink(paths.published / period, f"runs/{dataset_id}/periods/{period}")
        for link in paths.published.iterdir():  # period links the restored dataset does not have
            if link.is_symlink() and link.name not in ("latest", *periods) and not link.name.startswith("."):
                link.unlink()
    return {"dataset_id": dataset_id, "periods": periods, "warehouse_rebuilt": rebuild_warehouse}


# ============================================================================================ faults
def _fault_spec() -> dict[str, float]:
    """``HNPLUS_FAULT_KILL_AT=build`` or ``build+0.8`` (kill 0.8 s after build starts); comma-separated."""
    spec: dict[str, float] = {}
    for item in filter(None, (s.strip() for s in os.environ.get(FAULT_ENV, "").split(","))):
        name, _, delay = item.partition("+")
        spec[name] = float(delay or 0)
    return spec


def _kill_now() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def fault_point(name: str) -> None:
    """A named point where a test may ``kill -9`` the process; a no-op unless ``HNPLUS_FAULT_KILL_AT`` names it.

    ``install_fault_hooks`` puts these points before every pipeline stage and at the steps inside publish in a
    test's child process; without the variable a point costs one dict lookup.
    """
    spec = _fault_spec()
    if name not in spec:
        return
    delay = spec[name]
    if delay <= 0:
        _kill_now()
    timer = threading.Timer(delay, _kill_now)
    timer.daemon = True
    timer.start()


def _before(fn: Callable, point: str) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        fault_point(point)
        return fn(*args, **kwargs)

    return wrapper


def _after(fn: Callable, point: str) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        out = fn(*args, **kwargs)
        fault_point(point)
        return out

    return wrapper


STAGE_POINTS = ("ingest_reports", "fetch_feed", "load_feeds", "validate_inputs", "build", "audit", "publish")
PUBLISH_POINTS = ("publish.dataset_written", "publish.replace_window", "publish.swap_latest",
                  "publish.swap_periods", "publish.warehouse", "publish.done")


def install_fault_hooks() -> None:
    """Put a `fault_point` before every pipeline stage and at the steps inside publish, in this process only.

    For tests that run the real pipeline in a child process without editing pipeline.py: the stage functions
    and publish helpers are wrapped, not replaced. Points: ``STAGE_POINTS`` plus ``PUBLISH_POINTS``.
    """
    if not _fault_spec():
        return
    from transforms import pipeline
    from transforms import publish as pub

    for stage in STAGE_POINTS:
        setattr(pipeline, stage, _before(getattr(pipeline, stage), stage))
    pub.build_dataset = _after(pub.build_dataset, "publish.dataset_written")
    pub.publish_warehouse = _after(_before(pub.publish_warehouse, "publish.warehouse"), "publish.done")
    real_swap = pub.swap_symlink

    @functools.wraps(real_swap)
    def swap(link: Path, target: str) -> None:
        if link.name == "latest":
            fault_point("publish.swap_latest")
        real_swap(link, target)
        if link.name == "latest":
            fault_point("publish.swap_periods")

    pub.swap_symlink = swap
    real_replace = os.replace

    def replace(src: Any, dst: Any, *a: Any, **kw: Any) -> None:
        # the window in publish() between moving an existing runs/<id> aside and moving the new one in
        s, d = Path(str(src)), Path(str(dst))
        if s.name.startswith(".") and s.parent.name == "runs" and not d.exists() and any(
                p.name.startswith(f".{d.name}.old.") for p in d.parent.iterdir()):
            fault_point("publish.replace_window")
        real_replace(src, dst, *a, **kw)

    pub.os = type("os_with_fault", (), {"__getattr__": lambda self, n: getattr(os, n),
                                        "replace": staticmethod(replace)})()


# ============================================================================================ operator CLI
def main(argv: list[str] | None = None) -> int:
    """``python -m transforms.safety check|restore ID|clean-temp|lock`` for the runbook (docs/operations.md)."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m transforms.safety", description=main.__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("check", help="is published/latest (and every period link) a complete dataset?")
    r = sub.add_parser("restore", help="point latest back at published/runs/<dataset_id>, rebuild warehouse marts")
    r.add_argument("dataset_id")
    r.add_argument("--keep-warehouse", action="store_true", help="switch the links only")
    sub.add_parser("clean-temp", help="remove leftovers of killed runs (takes the run lock)")
    sub.add_parser("lock", help="who holds the run lock")
    args = ap.parse_args(argv)
    paths = data_paths()
    if args.cmd == "check":
        problems = check_published(paths.published)
        print("\n".join(problems) if problems else f"ok: {paths.published / 'latest'} -> "
              f"{os.readlink(paths.published / 'latest')} is complete")
        return 1 if problems else 0
    if args.cmd == "restore":
        print(json.dumps(restore_dataset(args.dataset_id, paths, rebuild_warehouse=not args.keep_warehouse)))
        return 0
    if args.cmd == "clean-temp":
        for p in clean_stale_temp(paths):
            print(f"removed {p}")
        return 0
    try:
        with run_lock(paths, run_id="lock-probe"):
            print("free: no run holds the lock")
    except RunLocked as exc:
        print(exc)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
