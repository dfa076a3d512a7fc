"""Loading snapshots into DuckDB: contract tables, not_found never zero, determinism, reconciliation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tools.portal import PortalHandle
from transforms.catalog import cities
from transforms.core.paths import SQL_DIR
from transforms.ingest.feeds.client import ClientConfig
from transforms.ingest.feeds.fetch import fetch_feed
from transforms.ingest.feeds.load import load_feeds
from transforms.ingest.feeds.registry import list_feeds, load_registry

FEED_INDICATORS = {"xborder_pilot_zone", "national_maker_spaces", "maker_spaces_registered", "scenic_5a_areas",
                   "broadband_china_city", "telecom_universal_service_pilot"}


@pytest.fixture
def loaded(portal: PortalHandle, archive: Path, fast: ClientConfig) -> tuple[duckdb.DuckDBPyConnection,
                                                                                list[dict[str, Any]]]:
    results = [fetch_feed(f, archive, portal.url, fast) for f in list_feeds()]
    con = duckdb.connect()
    load_feeds(con, archive, results, run_id="run-1")
    return con, results


def test_registry_covers_feed_indicators() -> None:
    reg = load_registry()
    assert set().union(*(f.indicators for f in reg.values())) == FEED_INDICATORS
    assert reg["maker_space_registry"].synthetic and "SYNTHETIC" in reg["maker_space_registry"].title
    assert not any(f.synthetic for k, f in reg.items() if k != "maker_space_registry")


def test_contract_columns(loaded: tuple[duckdb.DuckDBPyConnection, list]) -> None:
    con, _ = loaded
    cols = [r[0] for r in con.execute("describe raw.feed_records").fetchall()]
    assert cols == ["feed_id", "snapshot_id", "record_number", "city_code", "period", "indicator_code", "value",
                    "value_status", "source_record", "fetched_at"]
    cols = [r[0] for r in con.execute("describe meta.feed_status").fetchall()]
    assert cols == ["run_id", "feed_id", "status", "reason", "snapshot_id", "fetched_at", "records"]


def test_not_found_never_becomes_zero(loaded: tuple[duckdb.DuckDBPyConnection, list]) -> None:
    con, _ = loaded
    # list feeds only ever count evidence: no zero is ever produced from a list (the registry may report 0)
    assert con.execute("select count(*) from raw.feed_records where value = 0 "
                       "and feed_id in ('policy_pilots', 'scenic_5a_areas')").fetchone() == (0,)
    # 跨境电商综试区 2018/2019 batches: 洛阳 not found -> unknown, not zero
    row = con.execute("select value, value_status from raw.feed_records where city_code = '410300' "
                      "and indicator_code = 'xborder_pilot_zone' and period = '2019Q4'").fetchone()
    assert row == (None, "not_found")
    # 宽带中国 2015 entries not found: unknown for the cities not already counted
    assert con.execute("select count(*) from raw.feed_records where indicator_code = 'broadband_china_city' "
                       "and value_status = 'not_found' and value is null").fetchone()[0] > 0
    # a known count next to a failed search is marked as a possible lower bound
    src = con.execute("select source_record from raw.feed_records where city_code = '410100' "
                      "and indicator_code = 'broadband_china_city' and period = '2015Q4'").fetchone()[0]
    assert "possibly_more" not in json.loads(src)  # the unknown-city row stays its own NULL row
    # no evidence for a city means no row (not a zero row)
    assert con.execute("select count(*) from raw.feed_records where city_code = '410900' "
                       "and indicator_code = 'xborder_pilot_zone'").fetchone() == (0,)


def test_cumulative_counts_and_period_rule(loaded: tuple[duckdb.DuckDBPyConnection, list]) -> None:
    con, _ = loaded
    q = ("select period, value from raw.feed_records where city_code = ? and indicator_code = ? "
         "and value_status = 'reported' order by period")
    assert con.execute(q, ["411300", "xborder_pilot_zone"]).fetchall() == [("2020Q4", 1.0)]
    assert con.execute(q, ["410100", "national_maker_spaces"]).fetchall()[0] == ("2017Q4", 13.0)
    # 洛阳 5A: 2007, 2011, 2012, 2013 -> 4 at the 2015Q4 baseline
    assert con.execute(q, ["410300", "scenic_5a_areas"]).fetchall()[0] == ("2015Q4", 4.0)
    # 安阳: 殷墟 2011 + 红旗渠 2016
    assert [v for _, v in con.execute(q, ["410500", "scenic_5a_areas"]).fetchall()[:2]] == [1.0, 2.0]
    # 开封: the city and 兰考 (省直管县) are both telecom pilot units
    assert con.execute(q, ["410200", "telecom_universal_service_pilot"]).fetchall()[0] == ("2016Q4", 2.0)
    # county -> city mapping checked against the admin-code feed
    src = con.execute("select source_record from raw.feed_records where city_code = '411400' "
                      "and indicator_code = 'scenic_5a_areas' and period = '2017Q4'").fetchone()[0]
    assert json.loads(src)["rows"][0]["county_check"] == "ok"
    assert con.execute("select count(*) from raw.feed_records where period not like '____Q4'").fetchone() == (0,)
    codes = {c.code for c in cities()}
    got = {r[0] for r in con.execute("select distinct city_code from raw.feed_records "
                                     "where city_code is not null").fetchall()}
    assert got <= codes


def test_load_is_deterministic_and_keeps_run_history(loaded: tuple[duckdb.DuckDBPyConnection, list],
                                                     archive: Path) -> None:
    con, results = loaded
    q = "select * exclude (fetched_at) from raw.feed_records"
    first = con.execute(q).fetchall()
    assert first == sorted(first, key=lambda r: (r[0], r[2]))
    load_feeds(con, archive, list(reversed(results)), run_id="run-2")
    load_feeds(con, archive, results, run_id="run-2")  # idempotent per run
    assert con.execute(q).fetchall() == first
    assert con.execute("select run_id, count(*) from meta.feed_status group by run_id order by run_id"
                       ).fetchall() == [("run-1", 4), ("run-2", 4)]


def test_reconciliation_flags_differences(loaded: tuple[duckdb.DuckDBPyConnection, list]) -> None:
    con, _ = loaded
    con.execute("create table raw.report_files (file_id varchar, original_name varchar, status varchar, "
                "received_at timestamp)")
    con.execute("insert into raw.report_files values ('f1', 'zz.json', 'accepted', '2019-01-10'), "
                "('f0', 'old.json', 'superseded', '2019-01-01')")
    con.execute("create table raw.report_rows (file_id varchar, sheet varchar, row_number integer, "
                "city_code varchar, period varchar, kind varchar, indicator_code varchar, value double, "
                "value_text varchar, value_status varchar, status_step varchar, city_target_2018 double, "
                "city_target_2025 double, evidence varchar, note varchar)")
    feed_zz = con.execute("select value from raw.feed_records where feed_id = 'maker_space_registry' and "
                          "city_code = '410100' and period = '2018Q4'").fetchone()[0]
    rows = [("f1", "410100", "2018Q4", feed_zz * 1.1), ("f1", "410300", "2018Q4", 100.0),
            ("f1", "410100", "2018Q3", 1.0), ("f0", "410200", "2018Q4", 999.0)]
    for fid, city, period, value in rows:
        con.execute("insert into raw.report_rows (file_id, city_code, period, kind, indicator_code, value, "
                    "value_status) values (?, ?, ?, 'quantity', 'maker_spaces', ?, 'reported')",
                    [fid, city, period, value])
    con.execute("create schema staging")
    con.execute("create schema intermediate")
    for name in ("stg_feed_values", "stg_report_files", "stg_report_values"):
        con.execute(f"create table staging.{name} as " + (SQL_DIR / "staging" / f"{name}.sql").read_text())
    sql = (SQL_DIR / "intermediate" / "int_feed_report_reconciliation.sql").read_text()
    con.execute("create table intermediate.int_feed_report_reconciliation as " + sql)
    got = dict(con.execute("select city_code, reconciliation_status from intermediate."
                           "int_feed_report_reconciliation where period = '2018Q4'").fetchall())
    assert got["410100"] == "agree"  # within 20 %
    assert got["410300"] == "mismatch"  # registry 19 vs report 100
    assert got["410200"] == "feed_only"  # the superseded file does not count
    assert con.execute("select count(*) from intermediate.int_feed_report_reconciliation "
                       "where period = '2018Q3'").fetchone() == (0,)
    assert con.execute("select distinct value_used_by_score from intermediate."
                       "int_feed_report_reconciliation").fetchall() == [("report",)]
