"""Helpers for the scoring tests: tiny hand-made catalogues in a real DuckDB file, and the full sample warehouse.

Tiny cases replace the ``seeds.*`` catalogue tables with a few rows, write ``raw.*`` tables by hand and run the
real models (``transforms.build.build_models``), so every expected figure can be computed on paper.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pandas as pd

from tools import samples
from transforms import build, catalog

CITY_NAMES = {"410100": ("郑州市", "Zhengzhou"), "410200": ("开封市", "Kaifeng"), "410300": ("洛阳市", "Luoyang"),
              "410400": ("平顶山市", "Pingdingshan"), "410500": ("安阳市", "Anyang"), "410600": ("鹤壁市", "Hebi")}

IND_COLUMNS = ["indicator_code", "special_code", "action_code", "name_zh", "name_en", "unit", "direction", "kind",
               "measure", "source", "target_method", "target_code", "apportion_key", "applies_to", "weight",
               "size_denominator", "evidence", "review_note"]


def indicator(code: str, special: str, action: str, *, direction: str = "higher", kind: str = "count",
              target_method: str = "goalpost", target_code: str = "", apportion_key: str = "",
              applies_to: str = "all", weight: float = 1.0, source: str = "report",
              size_denominator: str = "", evidence: str | None = None) -> dict:
    """One row of seeds/indicators.csv (evidence: independent for feed indicators unless given)."""
    return dict(indicator_code=code, special_code=special, action_code=action, name_zh=code, name_en=code, unit="",
                direction=direction, kind=kind, measure="stock", source=source, target_method=target_method,
                target_code=target_code, apportion_key=apportion_key, applies_to=applies_to, weight=str(weight),
                size_denominator=size_denominator,
                evidence=evidence or ("independent" if source == "feed" else "self_report"), review_note="")


def row(city: str, period: str, code: str, value: float | None = None, status: str = "reported",
        step: str | None = None, t18: float | None = None, t25: float | None = None) -> dict:
    """One staged report row (raw.report_rows)."""
    return dict(city_code=city, period=period, indicator_code=code, value=value, value_status=status,
                status_step=step, city_target_2018=t18, city_target_2025=t25,
                kind="status" if code.startswith("ms_") else "quantity")


def _replace(con: duckdb.DuckDBPyConnection, table: str, records: list[dict]) -> None:
    df = pd.DataFrame(records).astype(str)  # seeds are all varchar, as catalog.load_seeds reads them
    con.register("tmp_seed", df)
    con.execute(f"create or replace table seeds.{table} as select * from tmp_seed")
    con.unregister("tmp_seed")


def make_warehouse(
    db_path: Path,
    *,
    cities: dict[str, float],
    indicators: list[dict],
    targets: dict[str, float] | None = None,
    weights: list[tuple[str, str, str, float]],
    rows: list[dict],
    params: dict[str, str] | None = None,
    draws: int = 40,
    feed_rows: list[dict] | None = None,
    seeds: dict[str, list[dict]] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Build a warehouse from a tiny catalogue. cities: code -> population share; targets: code -> 2018 value;
    feed_rows: raw.feed_records rows (city_code, period, indicator_code, value); seeds: other seed tables to replace
    (evidence_lists, indicator_changes), each empty unless given."""
    con = duckdb.connect(str(db_path))
    catalog.load_seeds(con)
    for k, v in (params or {}).items():
        con.execute("update seeds.scoring_parameters set value = ? where parameter = ?", [v, k])
    _replace(con, "cities", [dict(city_code=c, name_zh=CITY_NAMES[c][0], name_en=CITY_NAMES[c][1],
                                  city_kind="prefecture") for c in cities])
    _replace(con, "apportionment_keys", [dict(city_code=c, key="population", value=share * 1e7, share=share,
                                              method="reported") for c, share in cities.items()])
    _replace(con, "indicators", [{k: i[k] for k in IND_COLUMNS} for i in indicators])
    _replace(con, "plan_targets", [
        dict(target_code=code, milestone_year="2018", scope_level="special", action_code="", special_code="",
             indicator_code="", target_kind="quantified", value=v, lower="", upper="", unit="", comparator="",
             quote="") for code, v in (targets or {"T_none": 0}).items()])
    _replace(con, "weights", [dict(level=lv, code=c, parent_code=p, weight=w, note="") for lv, c, p, w in weights])
    for table in ("evidence_lists", "indicator_changes"):
        con.execute(f"delete from seeds.{table}")
    for table, records in (seeds or {}).items():
        _replace(con, table, records)
    df = pd.DataFrame(rows)
    df["file_id"] = df.city_code + df.period
    con.execute("create schema if not exists raw")
    con.register("tmp_rows", df)
    con.execute("create or replace table raw.report_files as select distinct file_id, file_id as original_name, "
                "'accepted' as status, timestamp '2021-01-01' as received_at from tmp_rows")
    con.execute("create or replace table raw.report_rows as select file_id, '指标' as sheet, "
                "cast(row_number() over (order by city_code, period, indicator_code) as integer) as row_number, "
                "city_code, period, kind, indicator_code, cast(value as double) as value, "
                "cast(value as varchar) as value_text, value_status, status_step, "
                "cast(city_target_2018 as double) as city_target_2018, "
                "cast(city_target_2025 as double) as city_target_2025 from tmp_rows")
    con.unregister("tmp_rows")
    con.execute("create or replace table raw.feed_records (feed_id varchar, snapshot_id varchar, record_number int, "
                "city_code varchar, period varchar, indicator_code varchar, value double, value_status varchar)")
    for k, f in enumerate(feed_rows or []):
        con.execute("insert into raw.feed_records values ('f', 's', ?, ?, ?, ?, ?, 'reported')",
                    [k, f["city_code"], f["period"], f["indicator_code"], f["value"]])
    build.build_models(con, reload_seeds=False, options={"mc_draws": draws, "mc_seed": 7})
    return con


def build_sample_warehouse(db_path: Path) -> tuple[duckdb.DuckDBPyConnection, dict[str, float]]:
    """The full synthetic sample (18 cities, 2015Q4-2020Q4) through the real intake, built with the real models.

    The sample reports are written as XLSX/CSV/JSON files and read by ``transforms.ingest.reports.intake``; if the
    intake is not importable (the tree is shared while in flux) the raw tables come straight from the generator instead.
    """
    con = duckdb.connect(str(db_path))
    catalog.load_seeds(con)
    try:
        from transforms.ingest.reports.intake import intake_inbox
    except ImportError:
        intake_inbox = None
    if intake_inbox is not None:
        inbox = db_path.parent / "inbox"
        samples.write_samples(inbox)
        intake_inbox(con, inbox, db_path.parent / "landing")
    else:
        df = pd.DataFrame(samples.generate_rows())
        df["file_id"] = df.city_code + df.period
        df["indicator_code"] = df.code
        df["status_step"] = df["status"].replace("", None)
        con.execute("create schema if not exists raw")
        con.register("df", df)
        con.execute("create or replace table raw.report_files as select distinct file_id, "
                    "file_id as original_name, 'accepted' as status, timestamp '2021-01-01' as received_at from df")
        con.execute("create or replace table raw.report_rows as select file_id, 'x' as sheet, "
                    "cast(row_number() over (order by city_code, period, indicator_code) as integer) as row_number, "
                    "city_code, period, kind, indicator_code, value, cast(value as varchar) as value_text, "
                    "value_status, status_step, null::double as city_target_2018, "
                    "null::double as city_target_2025 from df")
        con.unregister("df")
    con.execute("create or replace table raw.feed_records (feed_id varchar, snapshot_id varchar, record_number int, "
                "city_code varchar, period varchar, indicator_code varchar, value double, value_status varchar, "
                "source_record varchar, fetched_at timestamp)")
    t0 = time.perf_counter()
    timings = build.build_models(con)
    timings["total"] = time.perf_counter() - t0
    return con, timings
