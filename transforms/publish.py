"""Publish the audited marts: files per run, then an atomic switch of ``latest`` and of the analysts' DuckDB.

Why atomic: officials and analysts read while the nightly run writes. Files are written into a temporary
directory and renamed into place; ``latest`` is a symlink replaced with ``os.replace``, and the analysts'
``warehouse.duckdb`` is a finished copy renamed over the old one, so an open read-only connection keeps
reading the old file until it reconnects.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import duckdb

from transforms import METHOD_VERSION

PUBLISHED_TABLES = ("league_table", "special_scores", "indicator_scores")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _export(con: duckdb.DuckDBPyConnection, out: Path) -> list[dict]:
    files = []
    for table in PUBLISHED_TABLES:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts' and table_name = ?", [table]
        ).fetchone()[0]
        if not exists:
            continue
        for ext, opts in (("csv", "(header, delimiter ',')"), ("parquet", "(format parquet, compression zstd)")):
            path = out / f"{table}.{ext}"
            con.execute(f"copy (select * from marts.{table}) to '{path}' {opts}")
            files.append({"path": path.name, "sha256": _sha256(path), "bytes": path.stat().st_size})
    return files


def swap_symlink(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` atomically (create a new link beside it, then rename over)."""
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)


def publish(
    con: duckdb.DuckDBPyConnection, published_root: Path, dataset_id: str, metadata: dict
) -> Path:
    """Write the dataset for ``dataset_id`` and switch ``latest`` to it. Same inputs give the same bytes."""
    runs = published_root / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    final = runs / dataset_id
    tmp = Path(tempfile.mkdtemp(prefix=f".{dataset_id}.", dir=runs))
    try:
        files = _export(con, tmp)
        meta = dict(metadata, dataset_id=dataset_id, method_version=METHOD_VERSION, files=files)
        (tmp / "metadata.json").write_text(
            json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        os.chmod(tmp, 0o755)
        if final.exists():
            old = runs / f".{dataset_id}.old.{os.getpid()}"
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    swap_symlink(published_root / "latest", f"runs/{dataset_id}")
    return final


def publish_warehouse(work_db: Path, warehouse: Path) -> None:
    """Copy the closed working database and rename it over the analysts' file in one step."""
    tmp = warehouse.with_name(f".{warehouse.name}.{os.getpid()}.tmp")
    shutil.copyfile(work_db, tmp)
    os.replace(tmp, warehouse)
