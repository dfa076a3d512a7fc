"""The nightly gate: a fingerprint of everything that determines the published bytes, and whether it changed
since the dataset ``latest`` points at (then build, audit and publish are skipped)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from transforms.catalog import METHOD_VERSION
from transforms.core.paths import EXPECTATIONS_DIR, REPO_ROOT, SEEDS_DIR, SQL_DIR, DataPaths, data_paths
from transforms.pipeline.warehouse import warehouse
from transforms.publish.layout import published_metadata

# the product's code decides the bytes too: the Python models' bodies, the publishing code, the site's assets
PRODUCT_DIR = REPO_ROOT / "transforms"


def input_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """A hash of everything that determines the outputs: accepted reports, feed snapshots and stale feeds, seeds,
    SQL, method, the GX suites (the gate runs before validation, so a changed suite must count as a change) and the
    product's code (transforms/: a changed Monte Carlo, publisher or page must not publish under an old dataset id)."""
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
    try:  # a stale feed is part of what readers are told (metadata.json), so it counts as a change
        for row in con.execute(
            "select feed_id, status, reason from meta.feed_current "
            "where status not in ('fresh', 'not_modified') order by feed_id"
        ).fetchall():
            h.update(("stale|" + "|".join(map(str, row))).encode())
    except duckdb.CatalogException:
        pass
    hash_code_files(h, (SEEDS_DIR, SQL_DIR, EXPECTATIONS_DIR, PRODUCT_DIR))
    return h.hexdigest()


def hash_code_files(h: hashlib._Hash, bases: tuple[Path, ...]) -> None:
    """Add every source file under ``bases`` (seeds, SQL, suites: path and bytes) to ``h``; bytecode caches and
    other generated files do not count, so they cannot make an unchanged run look changed."""
    for base in bases:
        for p in sorted(base.rglob("*")):
            if p.is_file() and p.suffix in (".csv", ".sql", ".py", ".md", ".json", ".js", ".css", ".html"):
                h.update(str(p.relative_to(base)).encode())
                h.update(p.read_bytes())


def inputs_fingerprint_unchanged(paths: DataPaths | None = None) -> bool:
    """True when the staged inputs hash to the fingerprint of the published dataset, so a rebuild would
    produce the same bytes and the nightly run may skip build, audit and publish."""
    paths = paths or data_paths()
    meta = published_metadata(paths.published)
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
