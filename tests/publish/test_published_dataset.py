"""The published dataset: layout, period slices, checksums, Data Package shape, determinism and atomicity."""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from publish_helpers import metadata_for

from transforms.core.files import sha256_file
from transforms.core.paths import REPO_ROOT
from transforms.publish import dataset as publish
from transforms.publish.datapackage import COLUMNS, TABLE_COLUMNS, render_data_dictionary
from transforms.publish.layout import resolve_dataset

N_CITIES = 18


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_layout_and_links(published: Path) -> None:
    latest = published / "latest"
    assert latest.is_symlink() and os.readlink(latest) == "datasets/run-a"
    for name in ("league_table.csv", "league_table.parquet", "league_table.json", "league_table.xlsx",
                 "scope_scores.csv", "scope_scores.parquet", "scope_scores.json",
                 "special_scores.csv", "special_scores.parquet", "special_scores.json", "indicator_scores.csv",
                 "indicator_scores.parquet", "datapackage.json", "metadata.json", "index.html", "data.js"):
        assert (latest / name).is_file(), name
    periods = sorted(p.name for p in published.iterdir() if p.name[:2] == "20")
    assert len(periods) == 20 and periods[0] == "2016Q1" and periods[-1] == "2020Q4"
    assert os.readlink(published / "2018Q4") == "datasets/run-a/periods/2018Q4"
    # no temporary leftovers beside the runs
    assert [p.name for p in (published / "datasets").iterdir()] == ["run-a"]


def test_period_slice_holds_only_its_period(published: Path) -> None:
    whole = pd.read_parquet(published / "latest" / "league_table.parquet")
    part = pd.read_parquet(published / "2018Q4" / "league_table.parquet")
    assert set(part.period) == {"2018Q4"}
    n_scopes = whole.scope.nunique()
    assert n_scopes == 12  # overall + 11 scored actions
    assert len(part) == N_CITIES * n_scopes
    pd.testing.assert_frame_equal(part.reset_index(drop=True),
                                  whole[whole.period == "2018Q4"].reset_index(drop=True), check_dtype=False)
    meta = json.loads((published / "2018Q4" / "metadata.json").read_text(encoding="utf-8"))
    assert meta["period"] == "2018Q4"
    assert {r["period"] for r in meta["inputs"]["reports"]} == {"2018Q4"}
    assert len(meta["inputs"]["reports"]) == N_CITIES


def test_formats_agree(published: Path) -> None:
    d = published / "latest"
    pq = pd.read_parquet(d / "league_table.parquet")
    csv = pd.read_csv(d / "league_table.csv", dtype={"city_code": str, "period": str})
    js = pd.DataFrame(json.loads((d / "league_table.json").read_text(encoding="utf-8")))
    assert len(pq) == len(csv) == len(js) == 20 * 12 * N_CITIES
    assert list(csv.columns) == list(pq.columns)
    for col in ("score", "rank"):
        assert (pq[col].astype(float).values == csv[col].astype(float).values).all()
        assert (pq[col].astype(float).values == js[col].astype(float).values).all()
    # rank 1 of each (period, scope) has the top score
    top = pq.loc[pq.groupby(["period", "scope"]).score.idxmax()]
    assert (top["rank"] == 1).all()


def test_json_is_sorted_and_strict(published: Path) -> None:
    text = (published / "latest" / "league_table.json").read_text(encoding="utf-8")
    rows = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert list(rows[0]) == sorted(rows[0])
    assert any(r["rank_change"] is None for r in rows)  # first period has no previous rank: null, not NaN


def test_metadata_checksums_match_files(published: Path) -> None:
    d = published / "latest"
    meta = json.loads((d / "metadata.json").read_text(encoding="utf-8"))
    assert meta["dataset_id"] == "run-a" and meta["method_version"]
    assert len(meta["inputs"]["reports"]) == N_CITIES * 21  # 2015Q4 baseline + 20 quarters
    assert meta["stale_feeds"][0]["feed_id"] == "scenic_5a_areas"
    assert meta["validation_summary"] == {"checks": 1, "failed": 0, "failed_critical": 0}
    listed = {f["path"]: f for f in meta["files"]}
    assert "league_table.xlsx" in listed and "indicator_scores.parquet" in listed
    for path, f in listed.items():
        assert sha256_file(d / path) == f["sha256"] and (d / path).stat().st_size == f["bytes"]


def test_datapackage_shape(published: Path) -> None:
    """Frictionless Data Package (v1) shape: required keys, unique names, relative paths, hashes, typed fields."""
    for d in (published / "latest", published / "2019Q2"):
        dp = json.loads((d / "datapackage.json").read_text(encoding="utf-8"))
        assert dp["profile"] == "tabular-data-package"
        assert re.fullmatch(r"[-a-z0-9._/]+", dp["name"])
        assert dp["licenses"][0]["name"] == "CC-BY-4.0"
        names = [r["name"] for r in dp["resources"]]
        assert len(names) == len(set(names)) and len(names) >= 9
        on_disk = {p.name for p in d.iterdir()
                   if p.is_file() and p.suffix in (".csv", ".parquet", ".json", ".xlsx", ".pdf")}
        assert {r["path"] for r in dp["resources"]} == on_disk - {"datapackage.json"}
        for r in dp["resources"]:
            assert not r["path"].startswith(("/", "..")) and re.fullmatch(r"[-a-z0-9._/]+", r["name"])
            assert r["hash"] == "sha256:" + sha256_file(d / r["path"])
            assert r["bytes"] == (d / r["path"]).stat().st_size
            if "schema" not in r:
                continue
            table = r["name"].rsplit("-", 1)[0]
            cols = list(pd.read_parquet(d / f"{table}.parquet").columns)
            assert [f["name"] for f in r["schema"]["fields"]] == cols
            for f in r["schema"]["fields"]:
                assert f["type"] in {"string", "number", "integer", "boolean", "date", "datetime"}
                assert f["title_zh"] and f["title_en"] and " / " in f["description"]
        lt = next(r for r in dp["resources"] if r["name"] == "league_table-csv")
        types = {f["name"]: f["type"] for f in lt["schema"]["fields"]}
        assert types["rank"] == "integer" and types["score"] == "number" and types["city_code"] == "string"
        assert lt["dialect"]["header"] is True and lt["encoding"] == "utf-8"


def test_every_published_column_is_documented(published: Path) -> None:
    for table in ("league_table", "scope_scores", "special_scores", "indicator_scores"):
        cols = pd.read_parquet(published / "latest" / f"{table}.parquet").columns
        missing = [c for c in cols if c not in COLUMNS]
        assert not missing, f"{table}: document {missing} in transforms/publish/datapackage.py"
        assert set(cols) <= set(TABLE_COLUMNS[table]) | set(COLUMNS)


def test_data_dictionary_doc_is_current() -> None:
    doc = (REPO_ROOT / "docs" / "data_dictionary.md").read_text(encoding="utf-8")
    assert doc.strip() == render_data_dictionary().strip(), "regenerate: python -m transforms.publish.datapackage"


def test_same_inputs_same_bytes(published: Path, warehouse_db: Path) -> None:
    """Republishing the same warehouse replaces the run in place with identical bytes; an open download survives."""
    before = _files(published / "datasets" / "run-a")
    held = open(published / "latest" / "league_table.csv", "rb")  # a reader in the middle of a download
    con = duckdb.connect(str(warehouse_db))
    try:
        publish.publish(con, published, "run-a", metadata_for(con))
    finally:
        con.close()
    with held:
        assert held.read(6) == b"period"
    after = _files(published / "datasets" / "run-a")
    assert len(before) > 200 and before.keys() == after.keys()
    differing = [k for k in before if before[k] != after[k]]
    assert differing == []
    stamp = re.compile(rb"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
    for name in ("metadata.json", "datapackage.json", "data.js", "index.html", "league_table.json"):
        assert not stamp.search(before[name]), f"a timestamp in {name} breaks byte-for-byte determinism"
    assert sorted(p.name for p in (published / "datasets").iterdir()) == ["run-a"]


def test_failed_publish_leaves_latest_alone(published: Path, warehouse_db: Path) -> None:
    """A publish that fails half-way (here: metadata that is not valid JSON) switches nothing and leaves no debris."""
    con = duckdb.connect(str(warehouse_db))
    try:
        with pytest.raises(ValueError):
            publish.publish(con, published, "bad", metadata_for(con, broken=math.nan))
    finally:
        con.close()
    assert os.readlink(published / "latest") == "datasets/run-a"
    assert os.readlink(published / "2020Q4") == "datasets/run-a/periods/2020Q4"
    assert sorted(p.name for p in (published / "datasets").iterdir()) == ["run-a"]
    assert resolve_dataset("latest", published) == (published / "datasets" / "run-a").resolve()
