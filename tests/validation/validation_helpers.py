"""Helpers of the validation tests: stage sample reports, build, hash what readers see, run SQL on the warehouse.

The raw tables come straight from the sample generator (the fixture of the project brief): validation does not
depend on how intake parses files, and it keeps the session fixture at a few seconds.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pandas as pd

from tools import samples
from transforms import build as build_stage
from transforms import catalog, pipeline
from transforms.core.paths import DataPaths

GOOD_RUN = "good-run"
LAST_PERIOD = "2018Q4"
MC_DRAWS = 40  # the rank Monte Carlo is not what these tests are about


def build(paths: DataPaths) -> None:
    """The build stage (transforms.build.build_models: models + rank Monte Carlo) into ``marts_candidate``."""
    with pipeline.warehouse(paths) as con:
        build_stage.build_models(con, options={"mc_draws": MC_DRAWS})


def stage_sample_reports(db_path: Path) -> None:
    """Write ``raw.report_files`` / ``raw.report_rows`` / an empty ``raw.feed_records`` as intake and feeds would."""
    df = pd.DataFrame(samples.generate_rows())
    df = df[df.period <= LAST_PERIOD]  # 13 of the 21 sample periods: every rule is exercised, runs are faster
    df["file_id"] = df.city_code + df.period
    df["indicator_code"] = df.code
    df["status_step"] = df["status"].replace("", None)
    con = duckdb.connect(str(db_path))
    try:
        catalog.load_seeds(con)
        con.execute("create schema if not exists raw")
        con.execute(
            "create or replace table raw.report_rows as select file_id, 'x' as sheet, "
            "row_number() over () as row_number, city_code, period, kind, indicator_code, value, "
            "cast(value as varchar) as value_text, value_status, status_step, "
            "null::double as city_target_2018, null::double as city_target_2025 from df")
        con.execute(
            "create or replace table raw.report_files as select file_id, file_id || '.xlsx' as original_name, "
            "'accepted' as status, timestamp '2021-01-01' as received_at, any_value(city_code) as city_code, "
            "any_value(period) as period, count(*) as rows_total, count(*) as rows_staged, "
            "0::bigint as rows_quarantined from raw.report_rows group by file_id")
        con.execute(
            "create or replace table raw.feed_records (feed_id varchar, snapshot_id varchar, record_number int, "
            "city_code varchar, period varchar, indicator_code varchar, value double, value_status varchar)")
    finally:
        con.close()


def published_state(paths: DataPaths) -> dict[str, str]:
    """Hashes of everything a reader sees: the published tree (and where ``latest`` points) and the warehouse."""
    out: dict[str, str] = {"latest ->": str(Path(paths.published / "latest").readlink())}
    for p in sorted(paths.published.rglob("*")):
        if p.is_file() and not p.is_symlink():
            out[str(p.relative_to(paths.root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    out["warehouse.duckdb"] = hashlib.sha256(paths.warehouse.read_bytes()).hexdigest()
    return out


def sql(paths: DataPaths, statement: str, params: list | None = None) -> list[tuple]:
    """Run one statement on the working DuckDB (the pipeline's stages have closed it)."""
    con = duckdb.connect(str(paths.work_db))
    try:
        cur = con.execute(statement, params or [])
        return cur.fetchall() if cur.description else []
    finally:
        con.close()
