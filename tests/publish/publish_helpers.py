"""Builders shared by the publishing tests: a warehouse from the deterministic sample rows, and run metadata.

The raw tables come straight from ``tools.samples.generate_rows()`` and then go through the real SQL
models and the real publish code (the full intake and feed path is covered by tests/e2e and tests/dags).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pandas as pd

from tools import samples
from transforms import build, catalog
from transforms.core.paths import SEEDS_DIR, SQL_DIR


def sample_frame() -> pd.DataFrame:
    df = pd.DataFrame(samples.generate_rows())
    df["file_id"] = [hashlib.sha256(f"{c}{p}".encode()).hexdigest() for c, p in zip(df.city_code, df.period,
                                                                                    strict=True)]
    df["indicator_code"] = df.code
    df["status_step"] = df["status"].replace("", None)
    return df


def build_warehouse(db_path: Path, df: pd.DataFrame, seeds_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    """Seeds + raw tables from ``df`` + every SQL model, marts promoted: what publish sees in the pipeline."""
    con = duckdb.connect(str(db_path))
    _models(con, seeds_dir or SEEDS_DIR, SQL_DIR, df)
    return con


def _models(con: duckdb.DuckDBPyConnection, seeds_dir: Path, sql_dir: Path, df: pd.DataFrame) -> None:
    catalog.load_seeds(con, seeds_dir)
    con.register("df", df)
    con.execute("create schema if not exists raw")
    con.execute("create or replace table raw.report_files as select distinct file_id, "
                "city_code || '-' || period || '.xlsx' as original_name, city_code, period, 'accepted' as status, "
                "timestamp '2021-01-01' as received_at from df")
    con.execute("create or replace table raw.report_rows as select file_id, 'x' as sheet, "
                "row_number() over (order by file_id, kind, indicator_code) as row_number, city_code, period, "
                "kind, indicator_code, value, cast(value as varchar) as value_text, value_status, "
                "status_step, null::double as city_target_2018, null::double as city_target_2025 from df")
    con.execute("create or replace table raw.feed_records (feed_id varchar, snapshot_id varchar, record_number int, "
                "city_code varchar, period varchar, indicator_code varchar, value double, value_status varchar)")
    con.unregister("df")
    build.run_models(con, sql_dir)
    build.promote_candidate(con)


def metadata_for(con: duckdb.DuckDBPyConnection, **extra: object) -> dict:
    reports = [{"file_id": f, "sha256": f, "name": n, "city_code": c, "period": p} for f, n, c, p in con.execute(
        "select file_id, original_name, city_code, period from raw.report_files order by city_code, period, file_id"
    ).fetchall()]
    feeds = [{"feed_id": "scenic_5a_areas", "status": "stale", "reason": "HTTP 503", "snapshot_id": "s1"}]
    meta = {"inputs": {"reports": reports, "feeds": feeds}, "stale_feeds": feeds,
            "validation": [{"asset": "raw_report_rows", "expectation": "x", "column": "value",
                            "severity": "critical", "success": True, "unexpected_count": 0}]}
    meta.update(extra)
    return meta


REVISED = ("410300", "2016Q3")
DIFF_LAST = "2017Q2"  # the diff runs cover 2016Q1-2017Q2 only: four runs to publish, keep them small


def revised_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Luoyang re-sends its 2016Q3 report with every reported indicator value 60 % higher (a revision)."""
    out = df.copy()
    sel = (out.city_code == REVISED[0]) & (out.period == REVISED[1])
    num = sel & (out.kind == "quantity") & out.value.notna()
    out.loc[num, "value"] = out.loc[num, "value"] * 1.6
    out.loc[sel, "file_id"] = hashlib.sha256(f"{REVISED[0]}{REVISED[1]}-v2".encode()).hexdigest()
    return out
