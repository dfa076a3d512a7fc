"""Publish the audited marts: a complete dataset per run, period slices, a static website, then atomic switches.

Layout under ``published/``::

    runs/<dataset_id>/                 the whole dataset of one run (tables, XLSX, datapackage.json, metadata.json,
                                       the website index.html + data.js + assets/) and periods/<period>/ slices
    latest   -> runs/<dataset_id>      symlink, switched with one rename
    <period> -> runs/<dataset_id>/periods/<period>   one symlink per period, each switched with one rename

Why atomic: officials and analysts read while the nightly run writes. Everything is built in a temporary
directory and renamed into place; the analysts' ``warehouse.duckdb`` is a finished copy renamed over the old
one, so an open read-only connection keeps reading the old file until it reconnects.

Why deterministic: same inputs must give the same bytes (checksums in datapackage.json, diffs between runs), so
no file carries a timestamp, JSON keys are sorted and rows are ordered explicitly.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from transforms.catalog import METHOD_VERSION
from transforms.core.files import replace_dir, sha256_file, swap_symlink
from transforms.core.formulas import sql_neutralise
from transforms.core.periods import is_period
from transforms.datapackage import apply_comments, build_descriptor, table_schema
from transforms.excel import write_league_workbook

PUBLISHED_TABLES = ("league_table", "action_scores", "special_scores", "indicator_scores")
ORDER_BY = {
    "league_table": "period, scope, rank, city_code",
    "action_scores": "period, scope, city_code",
    "special_scores": "period, city_code, special_code",
    "indicator_scores": "period, city_code, indicator_code",
}
JSON_TABLES = ("league_table", "action_scores", "special_scores")  # indicator_scores is large: CSV and Parquet only
KEEP_RUNS = 30  # published runs kept for diffs; override with HNPLUS_KEEP_RUNS


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [t for t in PUBLISHED_TABLES if table_schema(con, t)]


def json_records(df: pd.DataFrame) -> list[dict]:
    """Rows as plain Python values (NaN/NA -> None), so ``json.dumps`` is stable and valid."""
    out = []
    for rec in df.astype(object).to_dict(orient="records"):
        clean = {}
        for k, v in rec.items():
            if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                clean[k] = None
            elif hasattr(v, "item"):
                clean[k] = v.item()
            else:
                clean[k] = v
        out.append(clean)
    return out


def dump_json(obj: object, path: Path) -> None:
    """Sorted keys, UTF-8, trailing newline: the one JSON style of every published file."""
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True, allow_nan=False) + "\n",
                    encoding="utf-8")


def dump_records(rows: list[dict], path: Path) -> None:
    """A JSON array with one compact, key-sorted record per line: fast to write, readable in a diff."""
    body = ",\n".join(json.dumps(r, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
                      for r in rows)
    path.write_text("[\n" + body + "\n]\n" if rows else "[]\n", encoding="utf-8")


def _export_tables(con: duckdb.DuckDBPyConnection, out: Path, tables: list[str], period: str | None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    where = "" if period is None else f" where period = '{period}'"
    for table in tables:
        query = f"select * from marts.{table}{where} order by {ORDER_BY[table]}"
        con.execute(f"copy ({_csv_safe(con, query)}) to {_sql_path(out / f'{table}.csv')} (header, delimiter ',')")
        con.execute(f"copy ({query}) to {_sql_path(out / f'{table}.parquet')} (format parquet, compression zstd)")
        if table in JSON_TABLES:
            dump_records(json_records(con.sql(query).df()), out / f"{table}.json")
        if table == "league_table":
            write_league_workbook(con.sql(query).df(), out / "league_table.xlsx")


def _csv_safe(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """Wrap ``query`` so that text cells a spreadsheet would run as a formula (= + - @, tab, CR) get a leading
    apostrophe in the CSV; numbers written as text (like -5) are left alone. Parquet keeps the raw values."""
    parts = []
    for name, typ, *_ in con.execute(f"describe {query}").fetchall():
        col = '"' + name.replace('"', '""') + '"'
        if typ.upper() == "VARCHAR":
            parts.append(f"{sql_neutralise(col)} as {col}")
        else:
            parts.append(col)
    return f"select {', '.join(parts)} from ({query})"


def _file_list(root: Path) -> list[dict]:
    return [{"path": p.relative_to(root).as_posix(), "sha256": sha256_file(p), "bytes": p.stat().st_size}
            for p in sorted(root.glob("*")) if p.is_file() and p.name not in ("metadata.json", "datapackage.json")]


def _write_dataset(con: duckdb.DuckDBPyConnection, out: Path, tables: list[str], dataset_id: str,
                   metadata: dict, period: str | None) -> None:
    _export_tables(con, out, tables, period)
    method_version = metadata.get("method_version") or METHOD_VERSION
    meta = dict(metadata, dataset_id=dataset_id, method_version=method_version, files=_file_list(out))
    if "validation" in meta:
        checks = meta["validation"]
        failed = [c for c in checks if not c.get("success")]
        meta["validation_summary"] = {"checks": len(checks), "failed": len(failed),
                                      "failed_critical": sum(1 for c in failed if c.get("severity") == "critical")}
    if period is not None:
        meta["period"] = period
        inputs = dict(meta.get("inputs") or {})
        if "reports" in inputs:
            inputs["reports"] = [r for r in inputs["reports"] if r.get("period") == period]
        meta["inputs"] = inputs
    dump_json(meta, out / "metadata.json")
    descriptor = build_descriptor(out, {t: table_schema(con, t) for t in tables}, dataset_id, method_version,
                                  extra_files=["metadata.json"])
    if period is not None:
        descriptor["name"] = f"hnplus-league-table-{period.lower()}"
    dump_json(descriptor, out / "datapackage.json")


def build_dataset(con: duckdb.DuckDBPyConnection, out: Path, dataset_id: str, metadata: dict) -> list[str]:
    """Write the whole dataset of one run into ``out`` (an empty directory); returns the periods sliced.

    ``metadata["method_version"]`` defaults to ``transforms.METHOD_VERSION``.
    """
    from transforms.site import build_site

    tables = _tables(con)
    _write_dataset(con, out, tables, dataset_id, metadata, None)
    periods = [p for (p,) in con.execute("select distinct period from marts.league_table order by period").fetchall()
               if is_period(p)] if "league_table" in tables else []
    for period in periods:
        _write_dataset(con, out / "periods" / period, tables, dataset_id, metadata, period)
    build_site(con, out, dict(metadata, dataset_id=dataset_id,
                              method_version=metadata.get("method_version") or METHOD_VERSION))
    return periods


def prune_runs(published_root: Path, keep: int = KEEP_RUNS) -> list[str]:
    """Delete all but the ``keep`` most recently published runs, never one that a link (``latest``, a period) uses.

    Why: each run is a full copy (~30 MB); older ones are kept only for ``hnplus diff`` and for audits.
    """
    runs = published_root / "runs"
    if not runs.is_dir():
        return []
    used = {os.readlink(p).split("/")[1] for p in published_root.iterdir()
            if p.is_symlink() and os.readlink(p).startswith("runs/")}
    dirs = sorted((d for d in runs.iterdir() if d.is_dir() and not d.name.startswith(".")),
                  key=lambda d: (d.stat().st_mtime_ns, d.name), reverse=True)
    removed = [d.name for d in dirs[keep:] if d.name not in used]
    for name in removed:
        shutil.rmtree(runs / name, ignore_errors=True)
    return removed


def publish(
    con: duckdb.DuckDBPyConnection, published_root: Path, dataset_id: str, metadata: dict,
    data_docs: Path | None = None,
) -> Path:
    """Write the dataset for ``dataset_id`` and switch ``latest`` and the period links to it. Same inputs, same bytes.

    Also writes the bilingual ``COMMENT ON`` statements into ``con``'s marts (they travel with the warehouse copy).
    """
    apply_comments(con)
    runs = published_root / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    final = runs / dataset_id
    tmp = Path(tempfile.mkdtemp(prefix=f".{dataset_id}.", dir=runs))
    try:
        periods = build_dataset(con, tmp, dataset_id, metadata)
        if data_docs is not None and (data_docs / "index.html").is_file():
            # the run's Data Docs travel with the dataset (they record the validation run, so they are the one
            # part of a dataset that is not byte-identical between two runs of the same inputs)
            shutil.copytree(data_docs, tmp / "data_docs")
        for p in [tmp, *tmp.rglob("*")]:
            if p.is_dir():
                os.chmod(p, 0o755)
        replace_dir(tmp, final)  # an existing dataset of the same id is swapped in one step, never missing
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    swap_symlink(published_root / "latest", f"runs/{dataset_id}")
    for period in periods:
        swap_symlink(published_root / period, f"runs/{dataset_id}/periods/{period}")
    prune_runs(published_root, int(os.environ.get("HNPLUS_KEEP_RUNS", KEEP_RUNS)))
    return final


def publish_warehouse(work_db: Path, warehouse: Path) -> None:
    """Copy the closed working database and rename it over the analysts' file in one step."""
    tmp = warehouse.with_name(f".{warehouse.name}.{os.getpid()}.tmp")
    shutil.copyfile(work_db, tmp)
    os.replace(tmp, warehouse)


def resolve_dataset(ref: str | Path, published_root: Path) -> Path:
    """A dataset folder from a dataset id (``runs/<id>``), ``latest``, a period, or a path."""
    p = Path(ref)
    if p.is_dir() and (p / "metadata.json").exists():
        return p.resolve()
    for cand in (published_root / "runs" / str(ref), published_root / str(ref)):
        if (cand / "metadata.json").exists():
            return cand.resolve()
    matches = sorted(d for d in (published_root / "runs").glob(f"{ref}*") if (d / "metadata.json").exists()) \
        if (published_root / "runs").is_dir() else []
    if len(matches) == 1:
        return matches[0].resolve()
    raise FileNotFoundError(f"no published dataset {ref!r} under {published_root} (or {len(matches)} matches)")
