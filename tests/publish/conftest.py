"""A realistic warehouse built once per session from the deterministic sample rows, and one published dataset.

See ``publish_helpers.py`` for how the warehouse is built.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from publish_helpers import DIFF_LAST, build_warehouse, metadata_for, revised_frame, sample_frame

from transforms.core.paths import SEEDS_DIR
from transforms.publish import dataset as publish


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


@pytest.fixture(scope="session")
def diff_datasets_root(tmp_path_factory: pytest.TempPathFactory, base_frame: pd.DataFrame) -> Path:
    """Four datasets: ``run-a`` (up to 2017Q2), ``run-old`` (one quarter fewer), ``run-rev`` (a revised report) and
    ``run-method`` (same inputs, a different weight of one special and a new method version)."""
    root = tmp_path_factory.mktemp("diffdatasets")
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
