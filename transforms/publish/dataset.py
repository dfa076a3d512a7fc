"""Write the dataset of one run and switch ``latest`` and the period links to it (layout: ``transforms.publish``).

Why atomic: officials and analysts read while the nightly run writes. Everything is built in a temporary
directory and renamed into place; the analysts' ``warehouse.duckdb`` is a finished copy renamed over the old
one, so an open read-only connection keeps reading the old file until it reconnects.

Why deterministic: same inputs must give the same bytes (checksums in datapackage.json, diffs between runs), so
no file carries a timestamp, JSON keys are sorted and rows are ordered explicitly.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd

from transforms.catalog import METHOD_VERSION
from transforms.core.files import replace_dir, sha256_file, swap_symlink
from transforms.core.formulas import sql_neutralise
from transforms.core.periods import is_period
from transforms.publish import layout
from transforms.publish.bulletin import BulletinUnavailable, write_bulletins
from transforms.publish.columns import FORMAT_VERSION
from transforms.publish.datapackage import apply_comments, build_descriptor, table_schema
from transforms.publish.excel import write_league_workbook
from transforms.publish.records import dump_json, dump_records, json_records
from transforms.publish.site import build_site
from transforms.publish.warehouse_docs import tidy_warehouse

log = logging.getLogger(__name__)
PUBLISHED_TABLES = ("league_table", "scope_scores", "special_scores", "indicator_scores", "score_changes",
                    "evidence_pairs", "coherence_audit", "rank_sensitivity")
ORDER_BY = {
    "league_table": "period, scope, rank, city_code",
    "scope_scores": "period, scope, city_code",
    "special_scores": "period, city_code, special_code",
    "indicator_scores": "period, city_code, indicator_code",
    "score_changes": "period, city_code, scope, indicator_code",
    "evidence_pairs": "period, city_code, reported_indicator",
    "coherence_audit": "period, scope, item_level, measure, item_code",
    "rank_sensitivity": "period, city_code, rank_basis, choice",
}
JSON_TABLES = ("league_table", "scope_scores", "special_scores")  # indicator_scores is large: CSV and Parquet only


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [t for t in PUBLISHED_TABLES if table_schema(con, t)]


def _sources(metadata: dict, period: str | None) -> list[str]:
    """The sources a printed workbook names: the city reports and the open-data feeds of the dataset."""
    inputs = metadata.get("inputs") or {}
    reports = [r for r in inputs.get("reports") or [] if period is None or r.get("period") == period]
    lines = [f"城市报告 City reports: {len(reports)} 份 files"]
    lines += [f"开放数据源 Feed {f.get('feed_id')}: {f.get('status') or ''} {f.get('snapshot_id') or ''}".rstrip()
              for f in inputs.get("feeds") or []]
    return lines


def _export_tables(con: duckdb.DuckDBPyConnection, out: Path, tables: list[str], period: str | None,
                   dataset_id: str = "", metadata: dict | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    where = "" if period is None else f" where period = '{period}'"
    for table in tables:
        query = f"select * from marts.{table}{where} order by {ORDER_BY[table]}"
        con.execute(f"copy ({_csv_safe(con, query)}) to {_sql_path(out / f'{table}.csv')} (header, delimiter ',')")
        con.execute(f"copy ({query}) to {_sql_path(out / f'{table}.parquet')} (format parquet, compression zstd)")
        if table in JSON_TABLES:
            dump_records(json_records(con.sql(query).df()), out / f"{table}.json")
        if table == "league_table":
            meta = metadata or {}
            write_league_workbook(con.sql(query).df(), out / "league_table.xlsx", dataset_id,
                                  meta.get("method_version") or METHOD_VERSION, period, _sources(meta, period),
                                  _pairs(con, tables))


def _pairs(con: duckdb.DuckDBPyConnection, tables: list[str]) -> pd.DataFrame | None:
    """Self-report against the registry with the cities' names, for the workbook's evidence sheet."""
    if "evidence_pairs" not in tables:
        return None
    return con.sql("select pairs.*, cities.city_name from marts.evidence_pairs as pairs join (select distinct "
                   "city_code, city_name from marts.league_table) as cities using (city_code)").df()


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


def _write_bulletins(out: Path, period: str, meta: dict) -> None:
    """The period's bulletin (通报) in Chinese and English; without a CJK font the dataset is published without
    them, and says so in the log (the site then shows no bulletin link)."""
    try:
        write_bulletins(out, period, meta)
    except BulletinUnavailable as exc:
        log.warning("bulletin of %s not written: %s", period, exc)


def _write_dataset(con: duckdb.DuckDBPyConnection, out: Path, tables: list[str], dataset_id: str,
                   metadata: dict, period: str | None) -> None:
    _export_tables(con, out, tables, period, dataset_id, metadata)
    method_version = metadata.get("method_version") or METHOD_VERSION
    if period is not None and "league_table" in tables:
        _write_bulletins(out, period, dict(metadata, dataset_id=dataset_id, method_version=method_version))
    meta = dict(metadata, dataset_id=dataset_id, method_version=method_version, format_version=FORMAT_VERSION,
                files=_file_list(out))
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
    extra = ["metadata.json", *sorted(p.name for p in out.glob("bulletin_*.pdf"))]
    descriptor = build_descriptor(out, {t: table_schema(con, t) for t in tables}, dataset_id, method_version,
                                  extra_files=extra)
    if period is not None:
        descriptor["name"] = f"hnplus-league-table-{period.lower()}"
    dump_json(descriptor, out / "datapackage.json")


# threads writing the period datasets: DuckDB's exports and Typst release the GIL, so two overlap on two cores
PUBLISH_THREADS = max(1, min(2, os.cpu_count() or 1, int(os.environ.get("HNPLUS_PUBLISH_THREADS", "2"))))


def _write_periods(con: duckdb.DuckDBPyConnection, out: Path, tables: list[str], dataset_id: str, metadata: dict,
                   periods: list[str]) -> None:
    """Each period's dataset in ``out/periods/<period>``, ``PUBLISH_THREADS`` at a time, each thread on its own
    cursor (a connection of its own to the same database). Every period writes only its own directory, so the
    bytes do not depend on the order."""
    if PUBLISH_THREADS == 1 or len(periods) < 2:
        for period in periods:
            _write_dataset(con, out / "periods" / period, tables, dataset_id, metadata, period)
        return
    local, cursors = threading.local(), []

    def one(period: str) -> None:
        if not hasattr(local, "cursor"):
            local.cursor = con.cursor()
            cursors.append(local.cursor)
        _write_dataset(local.cursor, out / "periods" / period, tables, dataset_id, metadata, period)

    try:
        with ThreadPoolExecutor(max_workers=PUBLISH_THREADS) as pool:
            list(pool.map(one, periods))  # re-raises the first failure
    finally:
        for cursor in cursors:
            cursor.close()


def build_dataset(con: duckdb.DuckDBPyConnection, out: Path, dataset_id: str, metadata: dict,
                  has_data_docs: bool = False) -> list[str]:
    """Write the whole dataset of one run into ``out`` (an empty directory); returns the periods sliced.

    ``metadata["method_version"]`` defaults to ``transforms.catalog.METHOD_VERSION``.
    """
    tables = _tables(con)
    _write_dataset(con, out, tables, dataset_id, metadata, None)
    periods = [p for (p,) in con.execute("select distinct period from marts.league_table order by period").fetchall()
               if is_period(p)] if "league_table" in tables else []
    _write_periods(con, out, tables, dataset_id, metadata, periods)
    build_site(out, has_data_docs)
    return periods


def publish(
    con: duckdb.DuckDBPyConnection, published_root: Path, dataset_id: str, metadata: dict,
    data_docs: Path | None = None,
) -> Path:
    """Write the dataset for ``dataset_id`` and switch ``latest`` and the period links to it. Same inputs, same bytes.

    Also writes the bilingual ``COMMENT ON`` statements into ``con``'s marts (they travel with the warehouse copy).
    """
    apply_comments(con)
    datasets = layout.datasets_dir(published_root)
    datasets.mkdir(parents=True, exist_ok=True)
    final = datasets / dataset_id
    tmp = Path(tempfile.mkdtemp(prefix=f".{dataset_id}.", dir=datasets))
    try:
        has_docs = data_docs is not None and (data_docs / "index.html").is_file()
        periods = build_dataset(con, tmp, dataset_id, metadata, has_docs)
        if has_docs:
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
    swap_symlink(published_root / layout.LATEST, layout.link_target(dataset_id))
    for period in periods:
        swap_symlink(published_root / period, layout.link_target(dataset_id, period))
    layout.prune_datasets(published_root, int(os.environ.get("HNPLUS_KEEP_DATASETS", layout.KEEP_DATASETS)))
    return final


def publish_warehouse(work_db: Path, warehouse: Path) -> None:
    """Copy the closed working database, tidy the copy (only documented, commented schemas: no candidate schema,
    numeric weights; ``publish.warehouse_docs``) and rename it over the analysts' file in one step."""
    tmp = warehouse.with_name(f".{warehouse.name}.{os.getpid()}.tmp")
    shutil.copyfile(work_db, tmp)
    try:
        con = duckdb.connect(str(tmp))
        try:
            tidy_warehouse(con)
            con.execute("checkpoint")
        finally:
            con.close()
        os.replace(tmp, warehouse)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
