"""One city's missing reports stay that city's problem: the province publishes, the city shows why it has no rank.

南阳 (411300) sends nothing for 2018Q1-2019Q4. Its 2018 values are carried forward from 2017Q4 (within the
four-quarter window) and flagged; from 2019Q1 it is past the window and gets no score, with its reason, while the
other 17 cities are ranked as usual. Its 2020 reports count again.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tools.portal import start_portal
from tools.samples import write_samples
from transforms import pipeline
from transforms.core.paths import DataPaths

CITY = "411300"
GAP = [f"{y}Q{q}" for y in (2018, 2019) for q in (1, 2, 3, 4)]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> DataPaths:
    paths = DataPaths(tmp_path_factory.mktemp("missing-city")).ensure()
    write_samples(paths.inbox)
    removed = [p for p in Path(paths.inbox).rglob(f"{CITY}_*") if any(q in p.name for q in GAP)]
    assert len(removed) == len(GAP)
    for p in removed:
        p.unlink()
    portal = start_portal()
    try:
        pipeline.run_all("missing-city", paths, portal.url)
    finally:
        portal.stop()
    return paths


def _league(paths: DataPaths) -> duckdb.DuckDBPyRelation:
    con = duckdb.connect()
    return con.read_parquet(str(paths.published / "latest" / "league_table.parquet"))


def test_the_province_publishes_and_17_cities_are_ranked_in_2019(published: DataPaths) -> None:
    lt = _league(published)
    ranked = lt.filter("period like '2019%' and scope = 'overall' and rank is not null").aggregate(
        "period, count(*) as n", "period").fetchall()
    assert sorted(ranked) == [(f"2019Q{q}", 17) for q in range(1, 5)]
    assert lt.filter("period = '2020Q4' and scope = 'overall' and rank is not null").count("*").fetchall()[0][0] == 18


def test_the_city_shows_insufficient_data_with_its_reason(published: DataPaths) -> None:
    rows = _league(published).filter(f"city_code = '{CITY}' and period like '2019%'").project(
        "scope, has_score, score, rank, no_score_reason, traffic_light").fetchall()
    assert len(rows) == 4 * 12
    assert all(not has and score is None and rank is None for _, has, score, rank, _, _ in rows)
    assert {reason for *_, reason, _ in rows} == {"insufficient_data"}
    assert {light for *_, light in rows} == {"grey"}


def test_its_2018_values_are_flagged_as_carried_forward(published: DataPaths) -> None:
    lt = _league(published).filter(f"city_code = '{CITY}' and period like '2018%' and scope = 'overall'").project(
        "period, coverage, carried_forward_share, has_score, on_track").fetchall()
    assert len(lt) == 4
    for period, coverage, carried, has_score, on_track in lt:
        assert coverage < 0.05 and carried > 0.9, period  # feeds are observed; the report values are carried
        assert has_score and on_track == "no_new_data", period
    con = duckdb.connect()
    carried = con.execute(
        "select count(*) filter (where is_carried_forward), count(*) filter (where value_source = 'report' "
        "and value_status not in ('not_applicable', 'unknown')) from read_parquet(?) "
        "where city_code = ? and period = '2018Q3'",
        [str(published.published / "latest" / "indicator_scores.parquet"), CITY]).fetchone()
    assert carried[0] == carried[1] > 50
