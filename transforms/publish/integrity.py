"""What readers see must be whole: check a published dataset and the links to it, restore an earlier dataset,
and remove the hidden leftovers of killed runs. Operators reach these through ``hnplus ops``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb

from transforms.core.files import safe_join, safe_name, sha256_file, swap_symlink
from transforms.core.locks import run_lock
from transforms.core.paths import DataPaths, data_paths
from transforms.publish import layout

# written by the website builder after metadata.json lists the tables
SITE_FILES = {"index.html", "data.js", "audit.html"}


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
    """Problems of the published tree: ``latest`` must be a symlink to a complete ``datasets/<id>``, and every
    period link must resolve to a complete period slice. Empty list = what readers see is whole."""
    root = Path(published_root)
    latest = root / layout.LATEST
    if not latest.is_symlink():
        return [f"{latest} is not a symlink (nothing published yet?)"]
    target = os.readlink(latest)
    if layout.linked_dataset(latest) is None:
        return [f"{latest} -> {target}: not a relative {layout.DATASETS}/<id> link"]
    folder = root / target
    if not folder.is_dir():
        return [f"{latest} -> {target}: dangling"]
    problems = check_dataset(folder)
    for link in sorted(root.iterdir()):
        if link.is_symlink() and link.name != layout.LATEST and not link.name.startswith("."):
            if not link.exists():
                problems.append(f"{link} -> {os.readlink(link)}: dangling")
            else:
                problems.extend(check_dataset(link))
    return problems


def stale_temp_paths(paths: DataPaths | None = None) -> list[Path]:
    """Temporary files and folders a killed run leaves behind (all hidden: readers never see them)."""
    paths = paths or data_paths()
    found: list[Path] = []
    datasets = layout.datasets_dir(paths.published)
    if datasets.is_dir():
        found += [p for p in datasets.iterdir() if p.name.startswith(".")]
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


def restore_dataset(dataset_id: str, paths: DataPaths | None = None, rebuild_warehouse: bool = True) -> dict:
    """Point ``latest`` (and the period links) back at an earlier, complete ``published/datasets/<dataset_id>``
    and, optionally, rebuild the analysts' ``warehouse.duckdb`` marts from that dataset's Parquet files.

    Refuses an incomplete dataset. Atomic per link, under the run lock. The next nightly run publishes anew.
    """
    paths = paths or data_paths()
    folder = safe_join(layout.datasets_dir(paths.published), safe_name(dataset_id))
    problems = check_dataset(folder)
    if problems:
        raise ValueError(f"refusing to restore an incomplete dataset: {problems[:5]}")
    with run_lock(paths, run_id=f"restore-{dataset_id}"):
        periods = sorted(p.name for p in (folder / "periods").iterdir()) if (folder / "periods").is_dir() else []
        if rebuild_warehouse:
            _warehouse_from_parquet(folder, paths)
        swap_symlink(paths.published / layout.LATEST, layout.link_target(dataset_id))
        for period in periods:
            swap_symlink(paths.published / period, layout.link_target(dataset_id, period))
        for link in paths.published.iterdir():  # period links the restored dataset does not have
            if link.is_symlink() and link.name not in (layout.LATEST, *periods) and not link.name.startswith("."):
                link.unlink()
    return {"dataset_id": dataset_id, "periods": periods, "warehouse_rebuilt": rebuild_warehouse}


def _warehouse_from_parquet(folder: Path, paths: DataPaths) -> None:
    """Rebuild the analysts' ``warehouse.duckdb`` marts from a dataset's Parquet files, renamed in at once."""
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
