"""The naive baseline: the same L workload, with the same scoring method, the way a typical analyst writes it.

Why it exists: the bench reports DuckDB's time as a ratio to this, so this must do the *same* work, or the ratio is
not honest. It is a pandas port of what the bench runs, end to end, on every city:

* ingest: ``pd.read_csv`` per report file + ``concat``; the read checks of ``lstages.PARSE_SQL`` (quarantine with
  ``reason_code``); the record-level feed partitions with ``pd.read_parquet``, aggregated like ``lstages.FEEDS_SQL``;
* validation with Great Expectations on the pandas DataFrames (the ``lstages.VALIDATE_SQL`` rules on the staged
  report rows, and city / kind / date / id rules on the feed records);
* scoring: the ``sql/`` models of method 2.0.0 (values in force with carry-forward and the evidence lists' zeros
  and unknowns, city targets with rare counts and range targets, goalposts after COINr's outlier treatment, scores
  on one yardstick with dated weight changes, progress to the next milestone from its anchor, self-reported and
  independent parts of a special, observed coverage and the carried-forward share, action and overall scores,
  competition ranks, rank change, the size-adjusted view) with ``merge``/``groupby``/``transform``;
* the rank-uncertainty Monte Carlo of ``transforms/build/montecarlo.py`` (weights, aggregation, missing rule,
  status items dropped, the independent part's weight; raw and size-adjusted ranks) as a Python loop over the
  draws, same RNG stream;
* the marts written with ``to_parquet`` / ``to_csv``.

SQL details that pandas does differently are reproduced where they change results (each helper says why):
DuckDB's ``round`` (exact half away from zero), ``least``/``greatest`` (ignore NULL), ``fsum`` (``math.fsum``).
NULL and NaN are one thing here; the SQL only makes a NaN from a division by zero, which the bench's parameters
never reach. tests/bench/test_baseline_matches.py checks that every published column matches.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import math
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tools.bench.generate import feed_glob, report_glob
from transforms.catalog import STATUS_STEPS, TEMPLATE_VERSION

FEED_ID = "bench_registrations"  # lstages.FEED_ID
RECEIVED_AT = "2026-01-01 00:00:00"  # lstages.ingest_reports' received_at, as DuckDB prints the timestamp
MC_CHUNK = 50  # score.CHUNK: the RNG is drawn per chunk of draws, so the chunking decides the stream
READ_COLUMNS = {"模板版本": "template_version", "城市代码": "city_code", "报告期": "period", "类型": "kind_zh",
                "代码": "code", "单位": "unit", "本市目标2018": "t2018", "本市目标2025": "t2025",
                "佐证材料": "evidence", "备注": "note"}
ARROWS = {"achieved": "↑", "on_track": "↑", "moderately_improving": "➚", "stagnating": "→", "no_new_data": "→",
          "decreasing": "↓"}
LIGHTS = {"achieved": "green", "on_track": "green", "moderately_improving": "yellow", "stagnating": "orange",
          "no_new_data": "orange", "decreasing": "red"}  # the traffic_light macro: the light follows on_track
FEED_RULES_END = "2025-12-31"  # last day of the plan's horizon (2025Q4)


# --- helpers: SQL semantics pandas does not have --------------------------------------------------------------


def sql_round(x: pd.Series | np.ndarray, digits: int) -> np.ndarray:
    """DuckDB's ``round(double, d)``: half away from zero on the exact binary value.

    pandas/numpy round half to even on the already-rounded product ``x * 10**d``; on scores like 0.78125 the two
    differ, which moves ranks. The product's rounding error (Dekker's two-product) decides the ties exactly.
    """
    x = np.asarray(x, dtype=float)
    m = 10.0**digits
    y = x * m

    def split(a: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        c = 134217729.0 * a
        hi = c - (c - a)
        return hi, a - hi

    (xh, xl), (mh, ml) = split(x), split(np.float64(m))
    err = ((xh * mh - y) + xh * ml + xl * mh) + xl * ml
    t = np.trunc(y)
    tie = np.abs(y - t) == 0.5
    away = tie & ((err == 0) | (err * np.sign(y) > 0))
    return np.where(away, t + np.sign(y), np.where(tie, t, np.rint(y))) / m


def least(a: object, b: object) -> np.ndarray:
    """SQL ``least``: NULLs are ignored (``least(100, NULL)`` is 100), unlike ``np.minimum``."""
    return np.fmin(np.asarray(a, dtype=float), np.asarray(b, dtype=float))


def greatest(a: object, b: object) -> np.ndarray:
    """SQL ``greatest``: NULLs are ignored (``greatest(0, NULL)`` is 0), unlike ``np.maximum``."""
    return np.fmax(np.asarray(a, dtype=float), np.asarray(b, dtype=float))


def _bool(cond: object) -> np.ndarray:
    """A CASE condition as a plain bool array: NULL is not true."""
    if isinstance(cond, pd.Series):
        cond = cond.fillna(False)
    return np.asarray(cond, dtype=bool)


def case_num(whens: list[tuple[object, object]], default: float = np.nan) -> np.ndarray:
    """SQL ``case when`` with numeric results: the first true condition wins."""
    n = len(_bool(whens[0][0]))
    return np.select([_bool(c) for c, _ in whens],
                     [np.broadcast_to(np.asarray(v, dtype=float), (n,)) for _, v in whens], default=default)


def case_str(whens: list[tuple[object, object]], default: object = None) -> np.ndarray:
    """SQL ``case when`` with text results (None = NULL): the first true condition wins."""
    n = len(_bool(whens[0][0]))
    return np.select([_bool(c) for c, _ in whens],
                     [np.broadcast_to(np.asarray(v, dtype=object), (n,)) for _, v in whens], default=default)


def _arrow(on_track: pd.Series) -> pd.Series:
    return on_track.map(ARROWS)


def _seed(seeds: Path, name: str) -> pd.DataFrame:
    """A seed as DuckDB's ``read_csv(all_varchar)`` sees it: strings, only empty fields are null."""
    return pd.read_csv(seeds / name, dtype=str, keep_default_na=False, na_values=[""])


def _params(seeds: Path) -> dict:
    """``int_scoring_parameters`` (plus the Monte Carlo's ``mc_*``) as one typed dict."""
    p = dict(_seed(seeds, "scoring_parameters.csv")[["parameter", "value"]].itertuples(index=False))

    def flag(k: str) -> bool:
        return str(p.get(k, "")).strip().lower() in ("true", "t", "1")

    return {
        "method_version": p["method_version"], "baseline_period": p["baseline_period"],
        "baseline_search_quarters": int(p["baseline_search_quarters"]), "aggregation": p["aggregation"],
        "geometric_floor": float(p["geometric_floor"]), "coverage_threshold": float(p["coverage_threshold"]),
        "carry_forward_quarters": int(p["carry_forward_quarters"]), "missing_rule": p["missing_rule"],
        "missing_score": float(p["missing_score"]), "accept_city_not_applicable": flag("accept_city_not_applicable"),
        "zero_target_not_applicable": flag("zero_target_not_applicable"),
        "share_target_cap": float(p["share_target_cap"]), "goalpost_reference_to": p["goalpost_reference_to"],
        "winsor_abs_skew": float(p["winsor_abs_skew"]), "winsor_kurtosis": float(p["winsor_kurtosis"]),
        "winsor_max_points": int(p["winsor_max_points"]), "range_target_reading": p["range_target_reading"],
        "rare_count_threshold": float(p["rare_count_threshold"]), "independent_weight": float(p["independent_weight"]),
        "evidence_gap_threshold": float(p["evidence_gap_threshold"]),
        "status_step_scores": [float(p[f"status_score_{i}"]) for i in range(4)],
        "progress_on_track": float(p["progress_on_track"]), "progress_moderate": float(p["progress_moderate"]),
        "score_rounding": int(p["score_rounding"]),
        "mc_draws": int(p.get("mc_draws", 1000)), "mc_seed": int(p.get("mc_seed", 2015)),
        "mc_weight_spread": float(p.get("mc_weight_spread", 0.5)),
        "mc_geometric_share": float(p.get("mc_geometric_share", 0.5)),
        "mc_exclude_share": float(p.get("mc_exclude_share", 0.5)),
        "mc_status_drop_share": float(p.get("mc_status_drop_share", 0.5)),
        "mc_independent_weight_spread": float(p.get("mc_independent_weight_spread", 0.25)),
    }


def _period_index(period: pd.Series) -> pd.Series:
    return period.str[:4].astype(int) * 4 + period.str[-1].astype(int)


# --- ingest and parse -----------------------------------------------------------------------------------------


def _read_reports(files: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every report CSV as strings, with its file name and line number; and the file list with id and size."""
    frames, meta = [], []
    for f in files:
        d = pd.read_csv(f, dtype=str, keep_default_na=False)
        d["filename"] = f
        d["row_number"] = np.arange(2, len(d) + 2)
        frames.append(d)
        content = Path(f).read_bytes()
        meta.append({"filename": f, "file_id": hashlib.sha256(content).hexdigest(), "size": len(content)})
    return pd.concat(frames, ignore_index=True), pd.DataFrame(meta)


def _parse(raw: pd.DataFrame, files: pd.DataFrame, ind: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``lstages.PARSE_SQL``: typed report rows, and the rows failing the read checks with a reason."""
    p = raw.rename(columns=READ_COLUMNS)
    for c in READ_COLUMNS.values():  # DuckDB reads an empty field as NULL
        p[c] = p[c].mask(p[c] == "")
    p["value_text"], p["status_text"] = raw["本期数值"], raw["推进状态"]
    p = p.merge(files[["filename", "file_id"]], on="filename", how="left")
    is_ms, is_ind = p["kind_zh"] == "专项", p["kind_zh"] == "指标"
    p["kind"] = p["kind_zh"].map({"专项": "status", "指标": "quantity"})
    p["indicator_code"] = ("ms_" + p["code"]).where(is_ms, p["code"])
    p["value"] = pd.to_numeric(p["value_text"], errors="coerce")
    p["value_status"] = case_str([
        (is_ms & (p["status_text"] == "不适用"), "not_applicable"), (is_ms & (p["status_text"] == ""), "not_reported"),
        (is_ms, "reported"), (p["value_text"] == "不适用", "not_applicable"), (p["value_text"] == "", "not_reported"),
    ], "reported")
    cat = p[["indicator_code"]].merge(ind[["indicator_code", "unit"]].rename(columns={"unit": "ind_unit"}),
                                      on="indicator_code", how="left", indicator=True)
    known = (cat["_merge"] == "both").to_numpy()
    ind_unit = cat["ind_unit"].to_numpy(dtype=object)
    unit_differs = (p["unit"].fillna("").to_numpy(dtype=object) != ind_unit) & pd.notna(ind_unit)
    p["reason_code"] = case_str([
        (~(is_ms | is_ind), "unknown_kind"),
        (p["template_version"] != TEMPLATE_VERSION, "template_version"),
        (~known, "unknown_indicator"),
        (is_ms & ~p["status_text"].isin(["", "不适用", *STATUS_STEPS]), "unknown_status_step"),
        (is_ind & ~p["value_text"].isin(["", "不适用"]) & p["value"].isna(), "not_a_number"),
        (is_ind.to_numpy() & unit_differs, "unit_not_canonical"),
    ])
    bad = p["reason_code"].notna()
    ok = p[~bad]
    rows = pd.DataFrame({
        "file_id": ok["file_id"], "sheet": "csv", "row_number": ok["row_number"], "city_code": ok["city_code"],
        "period": ok["period"], "kind": ok["kind"], "indicator_code": ok["indicator_code"],
        "value": ok["value"].where((ok["value_status"] == "reported") & (ok["kind"] == "quantity")),
        "value_text": ok["value_text"], "value_status": ok["value_status"],
        "status_step": ok["status_text"].where(ok["status_text"].isin(STATUS_STEPS)),
        "city_target_2018": pd.to_numeric(ok["t2018"], errors="coerce"),
        "city_target_2025": pd.to_numeric(ok["t2025"], errors="coerce"),
        "evidence": ok["evidence"], "note": ok["note"],
    }).reset_index(drop=True)
    q = p[bad]
    quarantine = pd.DataFrame({
        "file_id": q["file_id"], "original_name": q["filename"], "sheet": "csv", "row_number": q["row_number"],
        "column_name": "本期数值", "reason_code": q["reason_code"], "message_zh": "数据行未通过读取检查",
        "message_en": "row failed the read checks",
        "raw_record": q.drop(columns=["reason_code"]).to_json(orient="records", lines=True, force_ascii=False)
        .splitlines() if len(q) else [],
    }).reset_index(drop=True)
    return rows, quarantine


def _read_feeds(root: Path, keep: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """The record-level feed partitions (one Parquet file per year) of the kept cities."""
    files = sorted(glob.glob(feed_glob(root)))
    parts = [pd.read_parquet(f, columns=["record_id", "city_code", "reg_date", "kind"],
                             filters=[("city_code", "in", keep)]) for f in files]
    return pd.concat(parts, ignore_index=True), files


def _aggregate_feeds(records: pd.DataFrame, files: list[str]) -> pd.DataFrame:
    """``lstages.FEEDS_SQL`` (``raw.feed_records``): cumulative city-quarter counts per kind, numbered."""
    dates = pd.to_datetime(records["reg_date"])
    period = dates.dt.year.astype(str) + "Q" + dates.dt.quarter.astype(str)
    agg = (records.assign(period=period.where(dates.notna()))
           .groupby(["city_code", "period", "kind"], dropna=False).size().rename("n").reset_index()
           .rename(columns={"kind": "indicator_code"}))
    agg = agg.sort_values(["city_code", "indicator_code", "period"])
    agg["value"] = agg.groupby(["city_code", "indicator_code"], dropna=False)["n"].cumsum().astype(float)
    agg = agg.sort_values(["city_code", "period", "indicator_code"], ignore_index=True)
    agg.insert(0, "record_number", np.arange(1, len(agg) + 1))
    agg.insert(0, "snapshot_id", hashlib.sha256("|".join(sorted(files)).encode()).hexdigest()[:16])
    agg.insert(0, "feed_id", FEED_ID)
    agg["value_status"] = "reported"
    return agg.drop(columns="n")


# --- validation with Great Expectations -------------------------------------------------------------------------


def _gx_run(ctx: object, name: str, df: pd.DataFrame, expectations: list) -> dict:
    """Validate ``df`` against ``expectations`` (each tagged with its rule in ``meta``); failed rules by severity."""
    import great_expectations as gx

    asset = ctx.data_sources.add_pandas(name).add_dataframe_asset(name)
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": df})
    res = batch.validate(ctx.suites.add(gx.ExpectationSuite(name=name, expectations=expectations)))
    failed = [r.expectation_config.meta for r in res.results if not r.success]
    return {"expectations": len(res.results),
            "failed": sorted({m["rule"] for m in failed if m.get("severity") != "warning"}),
            "warnings": sorted({m["rule"] for m in failed if m.get("severity") == "warning"})}


def _gx_reports(ctx: object, rows: pd.DataFrame, ind: pd.DataFrame, cities: list[str]) -> dict:
    """``lstages.VALIDATE_SQL``'s rules as GX expectations on the staged report rows."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column as C

    df = rows.merge(ind[["indicator_code", "kind", "unit"]].rename(columns={"kind": "catalogue_kind"}),
                    on="indicator_code", how="left")
    df["value_fraction"] = df["value"] % 1  # count_is_whole: GX has no "is a whole number"

    def rule(name: str, severity: str = "critical") -> dict:
        return {"meta": {"rule": name, "severity": severity}}

    kind, item, status = C("catalogue_kind"), C("kind"), C("value_status")
    exps = [
        gxe.ExpectColumnValuesToNotBeNull(column="city_code", **rule("city_code_not_null")),
        gxe.ExpectColumnValuesToBeInSet(column="city_code", value_set=cities, **rule("city_code_in_catalogue")),
        gxe.ExpectColumnValuesToNotBeNull(column="period", **rule("period_in_range")),
        gxe.ExpectColumnValuesToMatchRegex(column="period", regex=r"^(?:2015Q4|20(?:1[6-9]|2[0-5])Q[1-4])$",
                                           **rule("period_in_range")),
        gxe.ExpectColumnValuesToBeInSet(column="indicator_code", value_set=ind["indicator_code"].tolist(),
                                        **rule("indicator_in_catalogue")),
        gxe.ExpectColumnValuesToBeInSet(column="value_status", value_set=["reported", "not_applicable",
                                                                           "not_reported"],
                                        **rule("value_status_in_set")),
        gxe.ExpectColumnValuesToBeInSet(column="status_step", value_set=list(STATUS_STEPS),
                                        **rule("status_step_in_set")),
        # status_matches_value: the row's kind agrees with the catalogue, a reported item has its value
        gxe.ExpectColumnValuesToBeInSet(column="kind", value_set=["status"], row_condition=kind == "status",
                                        **rule("status_matches_value")),
        gxe.ExpectColumnValuesToBeInSet(column="kind", value_set=["quantity"],
                                        row_condition=kind.is_not_null() & (kind != "status"),
                                        **rule("status_matches_value")),
        gxe.ExpectColumnValuesToNotBeNull(column="status_step",
                                          row_condition=(item == "status") & (status == "reported"),
                                          **rule("status_matches_value")),
        gxe.ExpectColumnValuesToNotBeNull(column="value", row_condition=(item != "status") & (status == "reported"),
                                          **rule("status_matches_value")),
        gxe.ExpectColumnValuesToBeNull(column="value", row_condition=(item != "status") & (status != "reported"),
                                       **rule("status_matches_value")),
        gxe.ExpectColumnValuesToBeBetween(column="value", min_value=0, max_value=100, row_condition=kind == "share",
                                          **rule("share_between_0_100")),
        gxe.ExpectColumnValuesToBeBetween(column="value", min_value=0, row_condition=kind.is_in(["count", "amount"]),
                                          **rule("quantity_not_negative")),
        gxe.ExpectColumnValuesToBeBetween(column="value_fraction", min_value=0, max_value=0,
                                          row_condition=kind == "count", **rule("count_is_whole")),
        gxe.ExpectColumnValuesToBeInSet(column="unit", value_set=["%"], row_condition=kind == "share",
                                        **rule("unit_matches_kind")),
        gxe.ExpectColumnValuesToBeInSet(column="unit", value_set=["个", "家", "人", "类"],
                                        row_condition=kind == "count", **rule("unit_matches_kind")),
        gxe.ExpectColumnValuesToBeInSet(column="unit", value_set=["status"], row_condition=kind == "status",
                                        **rule("unit_matches_kind")),
        gxe.ExpectColumnValuesToNotBeInSet(column="unit", value_set=["%", "status"], row_condition=kind == "amount",
                                           **rule("unit_matches_kind")),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["city_code", "period", "indicator_code"],
                                            **rule("city_period_indicator_unique")),
        gxe.ExpectColumnValuesToBeOfType(column="value", type_="float64", **rule("types_ok")),
    ]
    out = _gx_run(ctx, "report_rows", df, exps)
    per_period = df.groupby("period")["city_code"].nunique().rename("cities").reset_index()
    warn = _gx_run(ctx, "report_periods", per_period, [gxe.ExpectColumnValuesToBeBetween(
        column="cities", min_value=len(cities), max_value=len(cities), **rule("periods_missing_cities", "warning"))])
    out["expectations"] += warn["expectations"]
    out["warnings"] += warn["warnings"]
    return out


def _gx_feeds(ctx: object, records: pd.DataFrame, cities: list[str], kinds: list[str], start: str) -> dict:
    """The record-level feed rows: known city and kind, a registration date in the plan's span, unique ids."""
    import great_expectations.expectations as gxe

    df = records.assign(reg_date=pd.to_datetime(records["reg_date"]))

    def rule(name: str) -> dict:
        return {"meta": {"rule": name, "severity": "critical"}}

    exps = [
        gxe.ExpectColumnValuesToNotBeNull(column="record_id", **rule("record_id_unique")),
        gxe.ExpectColumnValuesToBeUnique(column="record_id", **rule("record_id_unique")),
        gxe.ExpectColumnValuesToNotBeNull(column="city_code", **rule("feed_city_in_catalogue")),
        gxe.ExpectColumnValuesToBeInSet(column="city_code", value_set=cities, **rule("feed_city_in_catalogue")),
        gxe.ExpectColumnValuesToNotBeNull(column="kind", **rule("feed_kind_in_catalogue")),
        gxe.ExpectColumnValuesToBeInSet(column="kind", value_set=kinds, **rule("feed_kind_in_catalogue")),
        gxe.ExpectColumnValuesToNotBeNull(column="reg_date", **rule("feed_date_in_range")),
        gxe.ExpectColumnValuesToBeBetween(column="reg_date", min_value=pd.Timestamp(start),
                                          max_value=pd.Timestamp(FEED_RULES_END), **rule("feed_date_in_range")),
    ]
    return _gx_run(ctx, "feed_records", df, exps)


# --- scoring: the sql/ models ---------------------------------------------------------------------------------


def _periods(stg: pd.DataFrame, prm: dict) -> pd.DataFrame:
    """``int_periods``: the reported periods from the baseline on, with their milestone year."""
    bp = prm["baseline_period"]
    ok = stg["period"].str.fullmatch(r"[0-9]{4}Q[1-4]").fillna(False).astype(bool) & (stg["period"] >= bp)
    p = pd.DataFrame({"period": sorted(stg.loc[ok, "period"].unique())})
    year, quarter = p["period"].str[:4].astype(int), p["period"].str[-1].astype(int)
    by, bq = int(bp[:4]), int(bp[-1])
    p["period_year"], p["period_quarter"] = year, quarter
    p["period_index"] = year * 4 + quarter
    p["years_since_baseline"] = (year * 4 + quarter - by * 4 - bq) / 4.0
    p["milestone_year"] = np.where(year <= 2018, 2018, 2025)
    p["years_to_milestone"] = p["milestone_year"] - by
    # the path to the next milestone starts at the baseline for 2018 and at 2018Q4 for 2025
    y18 = p["milestone_year"] == 2018
    p["anchor_period"] = np.where(y18, f"{by}Q4", "2018Q4")
    p["anchor_index"] = np.where(y18, by * 4 + bq, 2018 * 4 + 4)
    p["milestone_index"] = p["milestone_year"] * 4 + 4
    p["is_baseline"] = p["period"] == bp
    p["previous_period"] = p["period"].shift()
    p["is_milestone_change"] = (p["milestone_year"] != p["milestone_year"].shift()) & p["previous_period"].notna()
    return p


def _list_evidence(v: pd.DataFrame, lists: pd.DataFrame, is_feed: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per cell: whether a complete list (absence = 0) covers the period, and the list evidence of a feed cell."""
    done = lists.assign(is_complete_now=(lists["completeness"] == "complete") & (lists["absent_means"] == "zero"))
    cells = v[["indicator_code", "period"]].merge(done[["indicator_code", "complete_from", "complete_to",
                                                        "is_complete_now"]], on="indicator_code", how="left")
    inside = (cells["period"] >= cells["complete_from"]) & (cells["period"] <= cells["complete_to"])
    complete = (cells["is_complete_now"].fillna(False).astype(bool) & inside).to_numpy()
    has_list = cells["is_complete_now"].notna().to_numpy()
    evidence = case_str([(~is_feed.to_numpy() | ~has_list, None), (v["feed_value"].notna(), "listed"),
                         (complete, "absent_from_complete_list")], "unknown_partial_list")
    return complete, evidence


def _indicator_values(cities: pd.DataFrame, periods: pd.DataFrame, ind: pd.DataFrame, stg: pd.DataFrame,
                      feed: pd.DataFrame, lists: pd.DataFrame, prm: dict) -> pd.DataFrame:
    """``int_indicator_values``: one row per (city, period, indicator), the value in force and why it is absent."""
    keys = ["city_code", "period", "indicator_code"]
    spine = (cities[["city_code"]].merge(periods[["period", "period_index"]], how="cross")
             .merge(ind[["indicator_code", "data_source", "kind"]], how="cross"))
    appl = cities[["city_code"]].merge(ind[["indicator_code", "applies_to"]], how="cross")
    appl["is_applicable"] = [a == "all" or c in str(a).split("|") for c, a in zip(appl["city_code"],
                                                                                   appl["applies_to"], strict=True)]
    spine = spine.merge(appl[["city_code", "indicator_code", "is_applicable"]], on=["city_code", "indicator_code"])

    # the latest report row per cell
    latest = (stg.sort_values(["received_at", "file_id", "source_row"], ascending=False)
              .drop_duplicates(keys)[[*keys, "value_status", "status_step", "value", "file_id", "original_name",
                                      "sheet", "source_row"]]
              .rename(columns={"value_status": "report_value_status", "value": "report_value"}))
    v = spine.merge(latest, on=keys, how="left")

    # the feed value in force: the latest feed record at or before the period (a feed may skip quarters)
    fv = feed[feed["value"].notna() & feed["city_code"].notna() & feed["indicator_code"].notna()
              & feed["period"].str.fullmatch(r"[0-9]{4}Q[1-4]").fillna(False).astype(bool)].copy()
    fv["period_index"] = _period_index(fv["period"])
    is_feed = v["data_source"] == "feed"
    left = v.loc[is_feed, ["city_code", "indicator_code", "period_index"]].sort_values("period_index")
    asof = pd.merge_asof(left.reset_index(), fv[["city_code", "indicator_code", "period_index", "feed_id",
                                                 "snapshot_id", "record_number", "value"]]
                         .sort_values("period_index").rename(columns={"value": "feed_value"}),
                         on="period_index", by=["city_code", "indicator_code"], direction="backward").set_index("index")
    for c in ("feed_id", "snapshot_id", "record_number", "feed_value"):
        v[c] = asof[c].reindex(v.index)
    for c in ("file_id", "original_name", "sheet", "source_row"):
        v[c] = v[c].where(~is_feed)

    complete, v["list_evidence"] = _list_evidence(v, lists, is_feed)
    step = {s: float(i) for i, s in enumerate(STATUS_STEPS)}
    v["value"] = case_num([
        (v["kind"] == "status", v["status_step"].map(step).to_numpy(dtype=float)),
        (is_feed, np.where(v["feed_value"].notna(), v["feed_value"].to_numpy(dtype=float),
                           np.where(complete, 0.0, np.nan))),
        (v["report_value_status"] == "reported", v["report_value"].to_numpy(dtype=float)),
    ])
    claimed_na = (v["report_value_status"] == "not_applicable") & v["value"].isna()
    v["city_claimed_not_applicable"] = claimed_na & v["is_applicable"]
    v["observed_status"] = case_str([
        (~v["is_applicable"], "not_applicable"),
        (claimed_na & prm["accept_city_not_applicable"], "not_applicable"),
        (v["value"].notna(), "reported"),
        (v["list_evidence"] == "unknown_partial_list", "unknown"),  # a partial list says nothing of the city
    ], "missing")

    # carry forward: the city's own last reported value, at most carry_forward_quarters back
    v = v.sort_values(["city_code", "indicator_code", "period_index"], ignore_index=True)
    reported = v["observed_status"] == "reported"
    last = (pd.Series(np.arange(len(v)), dtype=float).where(reported)
            .groupby([v["city_code"], v["indicator_code"]]).ffill())  # row of the last reported value so far
    last_pos = last.fillna(0).astype(int).to_numpy()
    v["last_reported_index"] = v["period_index"].to_numpy()[last_pos].astype(float)
    v.loc[last.isna(), "last_reported_index"] = np.nan
    carried = ((v["observed_status"] == "missing") & v["last_reported_index"].notna()
               & (v["period_index"] - v["last_reported_index"] <= prm["carry_forward_quarters"]))
    src = last_pos[carried.to_numpy()]
    out = v.copy()
    carry_cols = ["value", "status_step", "file_id", "original_name", "sheet", "source_row", "feed_id",
                  "snapshot_id", "record_number"]
    for c in carry_cols:
        out.loc[carried, c] = v[c].to_numpy()[src]
    out["carried_from_period"] = None
    out.loc[carried, "carried_from_period"] = v["period"].to_numpy()[src]
    out["quarters_carried"] = (v["period_index"] - v["last_reported_index"]).where(carried)
    out["value_status"] = case_str([(carried, "carried_forward"), (v["observed_status"] == "missing", "not_reported")],
                               v["observed_status"].to_numpy(dtype=object))
    out["absence_reason"] = case_str([
        (~v["is_applicable"], "catalogue_not_applicable"),
        (v["observed_status"] == "not_applicable", "city_claimed_not_applicable_accepted"),
        (v["observed_status"] == "reported", None),
        (v["city_claimed_not_applicable"], "city_claimed_not_applicable"),
        (v["report_value_status"].isna() & (v["data_source"] != "feed"), "no_report_row"),
        (v["observed_status"] == "unknown", "partial_list"),
        (v["data_source"] == "feed", "no_feed_record"),
    ], "blank")
    out["is_true_zero"] = reported & (v["value"] == 0)
    out["value_source"] = np.where(v["data_source"] == "feed", "feed", "report")
    return out[["city_code", "period", "period_index", "indicator_code", "is_applicable", "value", "status_step",
                "value_status", "absence_reason", "city_claimed_not_applicable", "is_true_zero",
                "carried_from_period", "quarters_carried", "value_source", "list_evidence", "file_id", "original_name",
                "sheet",
                "source_row", "feed_id", "snapshot_id", "record_number"]]


def _city_targets(values: pd.DataFrame, periods: pd.DataFrame, ind: pd.DataFrame, stg: pd.DataFrame,
                  targets: pd.DataFrame, keys: pd.DataFrame, prm: dict) -> pd.DataFrame:
    """``int_city_targets``: 2018 and 2025 targets per city, declared or apportioned, baseline and sources."""
    pair = ["city_code", "indicator_code"]
    tind = ind[ind["target_method"].isin(["apportioned", "uniform"])]
    bp = prm["baseline_period"]
    base_idx = periods.loc[periods["period"] == bp, "period_index"]
    appl = values[values["is_applicable"]]
    if len(base_idx):
        elig = appl[(appl["value_status"] == "reported")
                    & (appl["period_index"] <= int(base_idx.iloc[0]) + prm["baseline_search_quarters"])]
    else:
        elig = appl.iloc[:0]
    baselines = (elig.sort_values("period_index").drop_duplicates(pair)[[*pair, "value", "period"]]
                 .rename(columns={"value": "baseline_value", "period": "baseline_period"}))
    applicable = appl[appl["indicator_code"].isin(tind["indicator_code"])][pair].drop_duplicates()
    prov = applicable.merge(baselines, on=pair, how="left")
    province = prov.groupby("indicator_code")["baseline_value"].agg(  # the SQL's fsum: exact, order-free
        baseline_total=lambda v: math.fsum(v.fillna(0)),
        baseline_mean=lambda v: math.fsum(v.dropna()) / v.count() if v.count() else np.nan)
    decl = stg.assign(key=stg["period"] + RECEIVED_AT).sort_values("key", kind="stable")
    d18 = decl[decl["city_target_2018"].notna()].drop_duplicates(pair)[[*pair, "city_target_2018"]]
    d25 = decl[decl["city_target_2025"].notna()].drop_duplicates(pair)[[*pair, "city_target_2025"]]
    pop = keys[keys["apportion_key"] == "population"][["city_code", "key_share"]]

    j = (applicable.merge(tind[["indicator_code", "kind", "direction", "target_method", "target_code",
                                "apportion_key"]], on="indicator_code")
         .merge(targets[["target_code", "target_value"]].rename(columns={"target_value": "province_target_2018"}),
                on="target_code")
         .merge(province.reset_index(), on="indicator_code")
         .merge(pop, on="city_code", how="left")
         .merge(baselines, on=pair, how="left")
         .merge(d18.rename(columns={"city_target_2018": "declared_2018"}), on=pair, how="left")
         .merge(d25.rename(columns={"city_target_2025": "declared_2025"}), on=pair, how="left"))
    cap, by = prm["share_target_cap"], int(bp[:4])
    f = (2025 - by) / (2018 - float(by))
    uniform, share = j["target_method"] == "uniform", j["kind"] == "share"
    b_share = (j["apportion_key"] == "baseline_share") & (j["baseline_total"] > 0)
    j["baseline_source"] = case_str([(j["baseline_period"].isna(), "assumed_zero"),
                                 (j["baseline_period"] == bp, "baseline_period")], "first_reported")
    b = j["baseline_value"].fillna(0)
    j["baseline_value"] = b
    j["share_key"] = case_str([(uniform, "uniform"), (b_share, "baseline_share")], "population")
    j["target_share"] = case_num([(uniform, 1.0), (b_share, (b / j["baseline_total"]).to_numpy())],
                             j["key_share"].to_numpy(dtype=float))
    p18, bt, bm = j["province_target_2018"], j["baseline_total"], j["baseline_mean"]
    j["apportioned_target_2018"] = np.where(uniform, p18, p18 * j["target_share"])
    p25 = case_num([(uniform & share, least(cap, bm + (p18 - bm) * f)), (uniform, p18.to_numpy(dtype=float))],
               (j["target_share"] * greatest(0, bt + (p18 - bt) * f)).to_numpy(dtype=float))
    j["apportioned_target_2025"] = p25
    d18v, d25v = j["declared_2018"], j["declared_2025"]
    j["target_2018"] = d18v.fillna(j["apportioned_target_2018"])
    extends = d18v.notna() & (((j["direction"] == "higher") & (d18v > b)) | ((j["direction"] == "lower") & (d18v < b)))
    ext = b + (d18v - b) * f
    j["target_2025"] = case_num([(d25v.notna(), d25v.to_numpy(dtype=float)),
                             (extends, np.where(share, least(cap, ext), greatest(0, ext))),
                             (share, least(cap, p25))], p25)
    j["target_2018_source"] = case_str([(d18v.notna(), "city_declared"), (uniform, "provincial_uniform")],
                                   ("apportioned_" + j["share_key"]).to_numpy(dtype=object))
    j["target_2025_source"] = case_str([
        (d25v.notna(), "city_declared"), (extends, "extended_city_path"),
        (uniform & share, "extended_provincial_path_capped"), (uniform, "provincial_uniform_2018_level"),
    ], ("extended_provincial_path_apportioned_" + j["share_key"]).to_numpy(dtype=object))
    j["is_apportioned"] = d18v.isna() & (j["target_method"] == "apportioned")
    # a count whose apportioned target is a fraction of a unit for some city is a rare count (scored on goalposts)
    low = j.groupby("indicator_code")["apportioned_target_2018"].transform("min")
    j["is_rare_count"] = ((j["kind"] == "count") & (j["target_method"] == "apportioned")
                          & (low < prm["rare_count_threshold"]))
    return j


def _moments(x: np.ndarray) -> tuple[float, float]:
    """DuckDB's ``skewness`` and ``kurtosis`` (sample, excess): null below 3 / 4 values or without variance."""
    s = pd.Series(x, dtype=float)
    if len(s) == 0 or s.max() == s.min():
        return np.nan, np.nan
    return s.skew(), s.kurt()


def _treatment(x: np.ndarray, prm: dict) -> dict:
    """COINr's outlier treatment of one reference pool (``int_goalposts``' shape / attempts / first_pass)."""
    skew, kurt = _moments(x)

    def fails(sk: float, ku: float) -> bool | None:
        """``abs(skew) >= a and kurt >= b`` in SQL's three-valued logic (NULL moments: None)."""
        c = [None if np.isnan(m) else bool(t) for m, t in ((sk, abs(sk) >= prm["winsor_abs_skew"]),
                                                           (ku, ku >= prm["winsor_kurtosis"]))]
        return False if False in c else (None if None in c else True)

    out = {"value_min": np.min(x) if len(x) else np.nan, "value_max": np.max(x) if len(x) else np.nan,
           "skew": skew, "treatment": "none", "winsor_bound": np.nan}
    if not fails(skew, kurt):
        return out
    tail = np.sort(x) if skew < 0 else -np.sort(-x)  # from the long tail inwards
    for k in range(1, min(prm["winsor_max_points"], len(tail) - 1) + 1):
        bound = tail[k]  # the k most extreme values set to the (k+1)-th
        if fails(*_moments(np.maximum(x, bound) if skew < 0 else np.minimum(x, bound))) is False:
            return {**out, "treatment": "winsorised", "winsor_bound": bound}
    return {**out, "treatment": "log_mirrored" if skew < 0 else "log"}


def _treat(x: object, treatment: pd.Series, tmin: pd.Series, tmax: pd.Series) -> np.ndarray:
    """The ``treat_value`` macro: a value on its goalposts' treated scale (log, mirrored log or as is)."""
    x = np.asarray(x, dtype=float)
    tmin, tmax = np.asarray(tmin, dtype=float), np.asarray(tmax, dtype=float)
    with np.errstate(invalid="ignore"):
        return case_num([(treatment == "log", np.log(greatest(x - tmin, 0) + 1)),
                         (treatment == "log_mirrored", -np.log(greatest(tmax - x, 0) + 1))], x)


def _goalposts(values: pd.DataFrame, ind: pd.DataFrame, keys: pd.DataFrame, tg: pd.DataFrame,
               prm: dict) -> pd.DataFrame:
    """``int_goalposts``: fixed goalposts through 2018Q4 (goalpost indicators and rare counts), after COINr's
    outlier treatment, extended to 2025 and put on the treated scale; raw and per million."""
    rare = set(tg.loc[tg["is_rare_count"], "indicator_code"])
    gind = ind[(ind["target_method"] == "goalpost") | ind["indicator_code"].isin(rare)]
    pop = keys[(keys["apportion_key"] == "population") & (keys["key_value"] > 0)][["city_code", "key_value"]]
    per_capita = gind.loc[gind["size_denominator"] == "population", ["indicator_code"]]
    bases = pd.concat([gind[["indicator_code"]].assign(basis="raw"), per_capita.assign(basis="per_million")],
                      ignore_index=True)
    vr = values[(values["value_status"] == "reported") & (values["period"] <= prm["goalpost_reference_to"])]
    vr = vr[["city_code", "indicator_code", "value"]].merge(bases, on="indicator_code").merge(pop, on="city_code",
                                                                                              how="left")
    per_m = vr["basis"] == "per_million"
    vr["value"] = vr["value"].where(~per_m, vr["value"] / (vr["key_value"] / 1e6))
    vr = vr[(~per_m | vr["key_value"].notna()) & vr["value"].notna()]
    pools = {k: g.to_numpy(dtype=float) for k, g in vr.groupby(["indicator_code", "basis"])["value"]}
    st = pd.DataFrame([{"indicator_code": c, "basis": b, **_treatment(pools.get((c, b), np.array([])), prm)}
                       for c, b in zip(bases["indicator_code"], bases["basis"], strict=True)])
    st = st.merge(gind[["indicator_code", "direction", "kind"]], on="indicator_code")
    wins, lower = st["treatment"] == "winsorised", st["direction"] == "lower"
    lo = st["winsor_bound"].where(wins & (st["skew"] < 0), st["value_min"])
    hi = st["winsor_bound"].where(wins & (st["skew"] > 0), st["value_max"])
    ext = lo + (hi - lo) * 10.0 / 3.0
    lo25 = np.where(lower, greatest(0, hi - (hi - lo) * 10.0 / 3.0), lo)
    hi25 = case_num([(lower, hi.to_numpy(dtype=float)), (st["kind"] == "share", least(prm["share_target_cap"], ext))],
                    ext.to_numpy(dtype=float))
    st["treat_min"], st["treat_max"] = least(st["value_min"], lo25), greatest(st["value_max"], hi25)
    t = (st["treatment"], st["treat_min"], st["treat_max"])
    st["goalpost_low"], st["goalpost_high"] = _treat(lo25, *t), _treat(hi25, *t)
    st["goalpost_good_2018"] = _treat(np.where(lower, lo, hi), *t)
    return st


def _goalpost_score(v: pd.Series, lo: pd.Series, hi: pd.Series, lower: pd.Series) -> np.ndarray:
    clamped = least(greatest(v, lo), hi)
    return np.where(lower, 100 * (hi - clamped) / (hi - lo), 100 * (clamped - lo) / (hi - lo))


def _target_progress(v: object, b: object, t: object, lower: pd.Series) -> np.ndarray:
    """The ``target_progress`` macro: 0 at the baseline, 1 at the target (direction 'lower' runs downwards)."""
    v, b, t = (np.asarray(x, dtype=float) for x in (v, b, t))
    lower = _bool(lower)
    with np.errstate(divide="ignore", invalid="ignore"):
        return case_num([(lower & (t < b), (b - v) / (b - t)),
                         (lower & (v <= t), 1 + np.nan_to_num((t - v) / np.where(t != 0, t, np.nan), nan=0.0)),
                         (lower, t / v), (t > b, (v - b) / (t - b))], v / t)


def _yardstick(basis: pd.Series, x: object, s: pd.DataFrame, ms: dict) -> np.ndarray:
    """The ``yardstick_score`` macro: a value scored on its indicator's one yardstick (to 2025), by basis."""
    x = pd.Series(np.asarray(x, dtype=float), index=s.index)
    lower = s["direction"] == "lower"
    tp = _target_progress(x, s["baseline_value"], s["target_2025"], lower)
    treated = _treat(x, s["treatment"], s["treat_min"], s["treat_max"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out = case_num([(basis == "status", x.map(ms).to_numpy(dtype=float)),
                        (basis == "target", 100 * least(greatest(tp, 0), 1)),
                        (basis == "goalpost", _goalpost_score(treated, s["goalpost_low"], s["goalpost_high"], lower))])
    return np.where(x.isna().to_numpy(), np.nan, out)  # nothing to score: null (the macro's first branch)


def _changes_in_force(changes: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    """The latest dated change of weight and of direction in force per (indicator, period), and its reason."""
    c = changes.merge(periods[["period"]], how="cross")
    c = c[c["effective_from"] <= c["period"]].sort_values("effective_from", kind="stable")
    key = ["indicator_code", "period"]
    out = c.groupby(key).tail(1)[[*key, "reason"]].rename(columns={"reason": "change_reason"})
    for field in ("weight", "direction"):
        last = c[c["field"] == field].groupby(key).tail(1)[[*key, "value"]]
        out = out.merge(last.rename(columns={"value": f"changed_{field}"}), on=key, how="left")
    return out.reindex(columns=[*key, "change_reason", "changed_weight", "changed_direction"])


def _indicator_frame(values: pd.DataFrame, periods: pd.DataFrame, ind: pd.DataFrame, tg: pd.DataFrame,
                     gp: pd.DataFrame, keys: pd.DataFrame, changes: pd.DataFrame, prm: dict) -> pd.DataFrame:
    """``int_indicator_scores``' joined: a cell with its catalogue entry (dated changes applied), period, targets,
    goalposts (raw and per million), population, and the city's values at the baseline and the anchor."""
    pair = ["city_code", "indicator_code"]
    goal = ["treatment", "treat_min", "treat_max", "goalpost_low", "goalpost_high"]
    raw = gp[gp["basis"] == "raw"][["indicator_code", *goal, "goalpost_good_2018"]]
    sa = gp[gp["basis"] == "per_million"][["indicator_code", *goal]].rename(columns={c: c + "_sa" for c in goal})
    pop = keys[keys["apportion_key"] == "population"][["city_code", "key_value"]].rename(
        columns={"key_value": "population"})
    cells = values[[*pair, "period", "value"]]
    s = (values.merge(ind[["indicator_code", "special_code", "action_code", "kind", "direction", "target_method",
                           "evidence", "weight", "size_denominator"]], on="indicator_code")
         .merge(periods[["period", "is_baseline", "milestone_year", "is_milestone_change", "anchor_period",
                         "anchor_index", "milestone_index"]], on="period")
         .merge(tg[[*pair, "baseline_value", "baseline_source", "target_2018", "target_2025", "target_2018_source",
                    "target_2025_source", "is_apportioned", "is_rare_count"]], on=pair, how="left")
         .merge(raw, on="indicator_code", how="left").merge(sa, on="indicator_code", how="left")
         .merge(pop, on="city_code", how="left")
         .merge(_changes_in_force(changes, periods), on=["indicator_code", "period"], how="left")
         .merge(cells[cells["period"] == prm["baseline_period"]].drop(columns="period")
                .rename(columns={"value": "baseline_raw"}), on=pair, how="left")
         .merge(cells.rename(columns={"period": "anchor_period", "value": "anchor_raw"}),
                on=[*pair, "anchor_period"], how="left"))
    s["direction"] = s["changed_direction"].fillna(s["direction"])
    s["weight"] = pd.to_numeric(s["changed_weight"], errors="coerce").fillna(s["weight"])
    s["is_rare_count"] = s["is_rare_count"].fillna(False).astype(bool)
    s["value_per_million"] = (s["value"] / (s["population"] / 1e6)).where(
        (s["size_denominator"] == "population") & (s["population"] > 0))
    has_target = s["target_method"].isin(["apportioned", "uniform"]) & ~s["is_rare_count"]
    s["score_basis"] = case_str([
        (s["value_status"] == "not_applicable", "not_applicable"), (s["value_status"] == "unknown", "unknown"),
        (s["target_method"] == "retired", "retired"), ((s["weight"] == 0) | (s["target_method"] == "context"),
                                                       "context"),
        (s["kind"] == "status", "status"),
        (has_target & (s["target_2025"] == 0) & prm["zero_target_not_applicable"], "zero_target"),
        (has_target & s["target_2025"].notna(), "target"), (s["goalpost_high"] > s["goalpost_low"], "goalpost"),
    ], "no_variation")
    return s


def _indicator_scores(values: pd.DataFrame, periods: pd.DataFrame, ind: pd.DataFrame, tg: pd.DataFrame,
                      gp: pd.DataFrame, keys: pd.DataFrame, changes: pd.DataFrame, prm: dict) -> pd.DataFrame:
    """``int_indicator_scores``: 0-100 score per cell on one yardstick, progress to the period's milestone from
    its anchor, on-track status, light and arrow."""
    s = _indicator_frame(values, periods, ind, tg, gp, keys, changes, prm)
    basis, v, lower = s["score_basis"], s["value"], s["direction"] == "lower"
    ms = dict(enumerate(prm["status_step_scores"]))
    s["is_scored"] = basis.isin(["target", "goalpost", "status"])
    s["milestone_target"] = s["target_2018"].where(s["milestone_year"] == 2018, s["target_2025"])
    obs = _yardstick(basis, v, s, ms)
    anchor = _yardstick(basis, s["anchor_raw"], s, ms)
    tgt = basis == "target"
    milestone = case_num([
        ((basis == "status") | (s["milestone_year"] == 2025), 100.0),
        (tgt, 100 * least(greatest(_target_progress(s["target_2018"], s["baseline_value"], s["target_2025"],
                                                    lower), 0), 1)),
        (basis == "goalpost", _goalpost_score(s["goalpost_good_2018"], s["goalpost_low"], s["goalpost_high"],
                                              lower)),
    ])
    with np.errstate(divide="ignore", invalid="ignore"):
        vpm = s["value_per_million"]
        pm_ok = (basis == "goalpost") & vpm.notna() & (s["goalpost_high_sa"] > s["goalpost_low_sa"])
        obs_pm = np.where(pm_ok, _goalpost_score(_treat(vpm, s["treatment_sa"], s["treat_min_sa"],
                                                        s["treat_max_sa"]),
                                                 s["goalpost_low_sa"], s["goalpost_high_sa"], lower), np.nan)
        elapsed = (s["period_index"] - s["anchor_index"]) / (s["milestone_index"] - s["anchor_index"])
        ms_nz = np.where(milestone != 0, milestone, np.nan)
        p_now = np.where(tgt, _target_progress(v, s["baseline_value"], s["milestone_target"], lower), obs / ms_nz)
        p_anchor = np.where(tgt, _target_progress(s["anchor_raw"], s["baseline_value"], s["milestone_target"],
                                                  lower), anchor / ms_nz)
        achieved = np.where(p_anchor < 1, (p_now - p_anchor) / (1 - p_anchor), np.nan)
        ratio = achieved / elapsed.where(elapsed != 0).to_numpy(dtype=float)
    scored = s["is_scored"]
    s["on_track"] = case_str([
        (~scored | s["is_baseline"] | v.isna(), None), (s["value_status"] == "carried_forward", "no_new_data"),
        (p_now >= 1, "achieved"), (np.isnan(p_anchor), None), (p_anchor >= 1, "decreasing"),
        (ratio >= prm["progress_on_track"], "on_track"), (ratio >= prm["progress_moderate"], "moderately_improving"),
        (ratio >= 0, "stagnating"), (ratio < 0, "decreasing"),
    ])
    missing = prm["missing_score"] if prm["missing_rule"] == "zero" else np.nan
    s["observed_score"] = sql_round(obs, 6)
    s["score"] = sql_round(case_num([(~scored, np.nan), (v.notna(), obs)], missing), 6)
    s["score_size_adjusted"] = sql_round(case_num([(~scored, np.nan), (v.notna(), np.where(np.isnan(obs_pm), obs,
                                                                                           obs_pm))], missing), 6)
    s["overachievement"] = np.where(tgt, sql_round(100 * greatest(p_now - 1, 0), 6), np.nan)
    s["baseline_score"] = sql_round(_yardstick(basis, s["baseline_raw"], s, ms), 6)
    s["anchor_score"], s["milestone_score"] = sql_round(anchor, 6), sql_round(milestone, 6)
    s["achieved_share"], s["elapsed_share"], s["progress_ratio"] = achieved, elapsed, ratio
    s["trend_arrow"] = _arrow(s["on_track"])
    s["traffic_light"] = s["on_track"].map(LIGHTS)
    s["target_value"] = s["target_2025"]
    s["target_source"] = s["target_2018_source"].where(s["milestone_year"] == 2018, s["target_2025_source"])
    return s


def _wam(df: pd.DataFrame, by: list[str], w: str, col: str) -> pd.Series:
    """The ``weighted_arithmetic_mean`` macro per group: over the rows where ``col`` is not null, with ``fsum``."""
    has = df[col].notna()
    g = pd.DataFrame({"wx": (df[w] * df[col]).where(has, 0.0), "w": df[w].where(has, 0.0)}).groupby(
        [df[c] for c in by]).agg(math.fsum)
    return g["wx"] / g["w"].where(g["w"] != 0)


def _special_scores(scores: pd.DataFrame, prm: dict) -> pd.DataFrame:
    """``int_special_scores``: per special its self-reported and independent parts (weighted arithmetic means of
    their scored indicators), weighted independent_weight; observed coverage and the carried-forward share.

    The SQL adds with ``fsum`` (compensated: the result does not depend on row order), so this does with
    ``math.fsum``; pandas' ``sum`` differs from it in the last bit, which moves a rounded score off a tie.
    """
    s = scores[scores["is_scored"] & scores["special_code"].notna()].copy()
    s["ms_entered"] = s["milestone_score"].where(s["score"].notna())
    s["observed"] = (s["value_status"] == "reported").astype(float)
    s["carried"] = (s["value_status"] == "carried_forward").astype(float)
    for st in ("reported", "carried_forward", "not_reported"):
        s[st] = s["value_status"] == st
    by = ["city_code", "period", "special_code", "action_code", "evidence"]
    parts = pd.DataFrame({c: _wam(s, by, "weight", src) for c, src in (
        ("score", "score"), ("score_size_adjusted", "score_size_adjusted"), ("milestone_score", "ms_entered"),
        ("observed", "observed"), ("carried", "carried"))})
    parts = parts.join(s.groupby(by).agg(
        indicators_applicable=("weight", "size"), indicators_reported=("reported", "sum"),
        indicators_carried_forward=("carried_forward", "sum"), indicators_not_reported=("not_reported", "sum")))
    parts = parts.reset_index()
    iw = prm["independent_weight"]
    indep = parts["evidence"] == "independent"
    parts["part_weight"] = np.where(indep, iw, 1 - iw)
    parts["is_independent"] = indep.astype(float).where(parts["score"].notna())
    parts["self_observed"] = parts["observed"].where(parts["evidence"] == "self_report")
    by = by[:-1]
    g = pd.DataFrame({c: _wam(parts, by, "part_weight", src) for c, src in (
        ("score", "score"), ("score_size_adjusted", "score_size_adjusted"), ("milestone_score", "milestone_score"),
        ("independent_share", "is_independent"), ("coverage", "observed"), ("carried_forward_share", "carried"))})
    grouped = parts.groupby(by)
    g["independent_share"] = g["independent_share"].fillna(0.0)
    g["self_report_score"] = parts["score"].where(parts["evidence"] == "self_report").groupby(
        [parts[c] for c in by]).max()
    g["independent_score"] = parts["score"].where(indep).groupby([parts[c] for c in by]).max()
    g["report_coverage"] = parts["self_observed"].groupby([parts[c] for c in by]).max().fillna(0.0)
    for c in ("indicators_applicable", "indicators_reported", "indicators_carried_forward",
              "indicators_not_reported"):
        g[c] = grouped[c].sum()
    return g.reset_index()


def _weighted_mean(df: pd.DataFrame, by: list[str], col: str, geometric: bool, floor: float) -> pd.Series:
    """Weighted mean of ``col`` (weights ``w``) over its non-null rows; geometric means floor the values first.

    Sums with ``math.fsum``, as the SQL's ``fsum``.
    """
    has = df[col].notna()
    term = np.log(greatest(df[col], floor)) if geometric else df[col]
    g = pd.DataFrame({"wx": (df["w"] * term).where(has, 0.0), "w": df["w"].where(has, 0.0)}).groupby(
        [df[c] for c in by]).agg(math.fsum)
    mean = g["wx"] / g["w"].where(g["w"] != 0)
    return np.exp(mean) if geometric else mean


def _aggregate(df: pd.DataFrame, by: list[str], cols: dict[str, str], prm: dict) -> pd.DataFrame:
    """One level of ``int_scope_scores`` (specials -> action, actions -> overall), weights ``w``: both means of
    the score, the selected method's mean of the size-adjusted, milestone, self-reported and independent scores,
    the independent share and the coverages. ``cols`` names the parts' columns."""
    floor, geo = prm["geometric_floor"], prm["aggregation"] == "geometric"
    out = pd.DataFrame({
        "score_arithmetic": _weighted_mean(df, by, cols["arithmetic"], False, floor),
        "score_geometric": _weighted_mean(df, by, cols["geometric"], True, floor),
    })
    for name in ("score_size_adjusted_all", "milestone_all", "self_report_all", "independent_all"):
        out[name] = _weighted_mean(df, by, cols[name], geo, floor)
    d = df.assign(share_entered=df["independent_share"].where(df[cols["selected"]].notna()))
    for name, src in (("independent_share", "share_entered"), ("coverage", "coverage"),
                      ("carried_forward_share", "carried_forward_share"), ("report_coverage", "report_coverage")):
        out[name] = _wam(d, by, "w", src)
    out["parts_applicable"] = df.groupby(by).size()
    out["parts_scored"] = df.groupby(by)[cols["selected"]].count()
    return out.reset_index()


def _scope_scores(sp: pd.DataFrame, weights: pd.DataFrame, prm: dict) -> pd.DataFrame:
    """``int_scope_scores``' actions and overall: the scope scores before the threshold, progress and ranks."""
    geo = prm["aggregation"] == "geometric"
    wsp = weights[weights["weight_level"] == "special"][["code", "weight"]].rename(columns={"weight": "w"})
    a = sp.merge(wsp, left_on="special_code", right_on="code").rename(columns={"action_code": "scope"})
    acts = _aggregate(a, ["city_code", "period", "scope"], {
        "arithmetic": "score", "geometric": "score", "score_size_adjusted_all": "score_size_adjusted",
        "milestone_all": "milestone_score", "self_report_all": "self_report_score",
        "independent_all": "independent_score", "selected": "score"}, prm)
    acts["score_all"] = acts["score_geometric"] if geo else acts["score_arithmetic"]
    wac = weights[weights["weight_level"] == "action"][["code", "weight"]].rename(columns={"weight": "w"})
    o = acts.merge(wac, left_on="scope", right_on="code")
    ov = _aggregate(o, ["city_code", "period"], {
        "arithmetic": "score_arithmetic", "geometric": "score_geometric",
        **{c: c for c in ("score_size_adjusted_all", "milestone_all", "self_report_all", "independent_all")},
        "selected": "score_all"}, prm).assign(scope="overall")
    u = pd.concat([acts.drop(columns="score_all"), ov], ignore_index=True)
    u["score_all"] = u["score_geometric"] if geo else u["score_arithmetic"]
    return u


def _int_scope_scores(sp: pd.DataFrame, weights: pd.DataFrame, periods: pd.DataFrame, prm: dict) -> pd.DataFrame:
    """``int_scope_scores``: action and overall scores, coverage threshold, progress to the milestone from the
    anchor, status, evidence parts, ranks."""
    u = _scope_scores(sp, weights, prm).merge(
        periods[["period", "is_baseline", "milestone_year", "is_milestone_change", "anchor_period", "period_index",
                 "anchor_index", "milestone_index"]], on="period")
    u["elapsed_share"] = (u["period_index"] - u["anchor_index"]) / (u["milestone_index"] - u["anchor_index"])
    u["aggregation"], u["coverage_threshold"] = prm["aggregation"], prm["coverage_threshold"]
    usable = u["coverage"] + u["carried_forward_share"]
    u["has_score"] = u["score_arithmetic"].notna() & (usable >= prm["coverage_threshold"])
    u["no_score_reason"] = case_str([(u["score_arithmetic"].isna(), "no_scored_indicator"),
                                     (usable < prm["coverage_threshold"], "insufficient_data")])
    at = u[["city_code", "scope", "period", "score_all"]]
    base = at[at["period"].isin(set(periods.loc[periods["is_baseline"], "period"]))]
    u = u.merge(base.drop(columns="period").rename(columns={"score_all": "baseline_score"}),
                on=["city_code", "scope"], how="left")
    u = u.merge(at.rename(columns={"period": "anchor_period", "score_all": "anchor_score"}),
                on=["city_code", "scope", "anchor_period"], how="left")
    m, an, sc = u["milestone_all"], u["anchor_score"], u["score_all"]
    with np.errstate(divide="ignore", invalid="ignore"):
        u["achieved_share"] = ((sc - an) / (m - an)).where(m > an)
        u["progress_ratio"] = u["achieved_share"] / u["elapsed_share"].where(u["elapsed_share"] != 0)
    pr = u["progress_ratio"]
    u["on_track"] = case_str([
        (~u["has_score"] | u["is_baseline"], None), (u["report_coverage"] == 0, "no_new_data"),
        (sc >= m, "achieved"), (an.isna(), None), (m <= an, "decreasing"),
        (pr >= prm["progress_on_track"], "on_track"), (pr >= prm["progress_moderate"], "moderately_improving"),
        (pr >= 0, "stagnating"), (pr < 0, "decreasing"),
    ])
    r = prm["score_rounding"]
    u["score"] = np.where(u["has_score"], sql_round(sc, r), np.nan)
    u["score_size_adjusted"] = np.where(u["has_score"], sql_round(u["score_size_adjusted_all"], r), np.nan)
    ranked = u["has_score"] & ~u["is_baseline"]
    for col, out in (("score", "rank"), ("score_size_adjusted", "rank_size_adjusted")):
        u[out] = (u.loc[ranked, col].groupby([u.loc[ranked, "period"], u.loc[ranked, "scope"]])
                  .rank(method="min", ascending=False, na_option="bottom")).reindex(u.index).astype("Int64")
    u = u.sort_values(["city_code", "scope", "period"], ignore_index=True)
    u["rank_change"] = u.groupby(["city_code", "scope"])["rank"].shift() - u["rank"]
    u["trend_arrow"] = _arrow(u["on_track"])
    u["traffic_light"] = np.where(u["has_score"], u["on_track"].map(LIGHTS), "grey")
    return _evidence_columns(u, prm)


def _evidence_columns(u: pd.DataFrame, prm: dict) -> pd.DataFrame:
    """``int_scope_scores``' final: the self-reported and independent scores, their gap and agreement."""
    r, has = prm["score_rounding"], u["has_score"]
    self_all, ind_all = u["self_report_all"], u["independent_all"]
    u["self_report_score"] = np.where(has, sql_round(self_all, r), np.nan)
    u["independent_score"] = np.where(has, sql_round(ind_all, r), np.nan)
    u["independent_share"] = u["independent_share"].where(has)
    u["evidence_gap"] = np.where(has, sql_round(self_all - ind_all, r), np.nan)
    u["evidence_agreement"] = case_str([
        (~has, None), (ind_all.isna(), "no_independent_evidence"),
        ((self_all - ind_all).abs() > prm["evidence_gap_threshold"], "differ")], "agree")
    u["milestone_score"] = u["milestone_all"]
    u["score_unpublished"] = u["score_all"]
    u["score_size_adjusted_unpublished"] = u["score_size_adjusted_all"]
    return u


# --- rank uncertainty: transforms/build/montecarlo.py rank_uncertainty(), as a loop over the draws ------------


def _mc_draws(rng: np.random.Generator, d: int, n: tuple[int, int, int], prm: dict) -> dict:
    """One chunk of ``montecarlo.draw_chunks``' random choices, drawn in its order (the seed decides the stream)."""
    lo, hi = 1 - prm["mc_weight_spread"], 1 + prm["mc_weight_spread"]
    iw, spread = prm["independent_weight"], prm["mc_independent_weight_spread"]
    return {"f_ind": rng.uniform(lo, hi, (d, n[0])), "f_sp": rng.uniform(lo, hi, (d, n[1])),
            "f_ac": rng.uniform(lo, hi, (d, n[2])), "geometric": rng.random(d) < prm["mc_geometric_share"],
            "exclude": rng.random(d) < prm["mc_exclude_share"], "drop": rng.random(d) < prm["mc_status_drop_share"],
            "alpha": rng.uniform(iw - spread, iw + spread, d)}


def _mc_tree(scores: pd.DataFrame, weights: pd.DataFrame, periods: pd.DataFrame) -> dict:
    """The scored cells and the aggregation tree as group numbers: indicator -> part of a special (self-reported |
    independent) -> special -> action -> overall, and the (period, city, scope) rows that get intervals."""
    not_base = periods.loc[~periods["is_baseline"], "period"]
    wsp_all = weights[weights["weight_level"] == "special"]
    wac_all = weights[weights["weight_level"] == "action"]
    ind = scores[scores["is_scored"] & scores["period"].isin(not_base) & scores["special_code"].isin(wsp_all["code"])
                 & scores["action_code"].isin(wac_all["code"])]
    indicators = sorted(ind["indicator_code"].unique())
    wsp = wsp_all[wsp_all["code"].isin(set(ind["special_code"]))].sort_values("code")
    act_codes = sorted(set(wsp["parent_code"]) & set(wac_all["code"]))
    meta = ind.drop_duplicates("indicator_code").set_index("indicator_code")
    x = ind[["period", "city_code", "indicator_code", "special_code", "evidence"]].copy()
    x["ind_pos"] = x["indicator_code"].map({c: i for i, c in enumerate(indicators)})
    x["missing"] = ~ind["value_status"].isin(["reported", "carried_forward"])
    x["obs_raw"] = ind["observed_score"].astype(float)
    x["obs_size_adjusted"] = ind["score_size_adjusted"].astype(float).where(ind["value"].notna())
    x["u_group"] = x.groupby(["period", "city_code", "special_code", "evidence"]).ngroup()
    units = x.drop_duplicates("u_group").sort_values("u_group")[["u_group", "period", "city_code", "special_code",
                                                                 "evidence"]]
    units["sp_group"] = units.groupby(["period", "city_code", "special_code"]).ngroup()
    # a special with one part (over all indicators) is that part's mean; with two, their weighted mean
    n_parts = meta.groupby("special_code")["evidence"].nunique()
    sp = units.drop_duplicates("sp_group").sort_values("sp_group")[["sp_group", "period", "city_code",
                                                                    "special_code"]]
    sp["sp_pos"] = sp["special_code"].map({c: i for i, c in enumerate(wsp["code"])})
    sp["scope"] = sp["special_code"].map(wsp.set_index("code")["parent_code"])
    sp["single"] = sp["special_code"].map(n_parts).to_numpy() == 1
    sp = sp[sp["scope"].isin(act_codes)]
    sp["ac_group"] = sp.groupby(["period", "city_code", "scope"]).ngroup()
    ac = sp.drop_duplicates("ac_group").sort_values("ac_group")[["ac_group", "period", "city_code", "scope"]]
    ac["ac_pos"] = ac["scope"].map({c: i for i, c in enumerate(act_codes)})
    ac["ov_group"] = ac.groupby(["period", "city_code"]).ngroup()
    ov = ac.drop_duplicates("ov_group").sort_values("ov_group")[["period", "city_code"]].assign(scope="overall")
    out = pd.concat([ac[["period", "city_code", "scope"]], ov], ignore_index=True)
    return {"x": x, "units": units, "sp": sp, "ac": ac, "out": out,
            "w_ind": meta.loc[indicators, "weight"].to_numpy(dtype=float),
            "status": (meta.loc[indicators, "kind"] == "status").to_numpy(),
            "w_sp": wsp["weight"].to_numpy(dtype=float),
            "w_ac": wac_all.set_index("code").loc[act_codes, "weight"].to_numpy(dtype=float)}


def _mean(values: np.ndarray, w: np.ndarray, group: np.ndarray, geometric: bool, floor: float) -> np.ndarray:
    """Weighted mean per group over the present values with a positive weight total (NaN = absent)."""
    w = np.where(~np.isnan(values), w, np.nan)
    term = np.log(greatest(values, floor)) if geometric else values
    g = pd.DataFrame({"g": group, "wx": w * term, "w": w}).groupby("g").sum()
    res = g["wx"] / g["w"].where(g["w"] > 0)
    return np.exp(res.to_numpy()) if geometric else res.to_numpy()


def _mc_scores(t: dict, obs: np.ndarray, draw: dict, k: int, prm: dict) -> np.ndarray:
    """Draw ``k``'s scores of every scope row of ``t["out"]``: actions first, then overall."""
    x, units, sp, ac, floor = t["x"], t["units"], t["sp"], t["ac"], prm["geometric_floor"]
    w_ind = t["w_ind"] * draw["f_ind"][k]
    if draw["drop"][k]:
        w_ind = np.where(t["status"], 0.0, w_ind)  # the self-declared status items dropped
    vals = obs if draw["exclude"][k] else np.where(x["missing"].to_numpy(), prm["missing_score"], obs)
    s_unit = _mean(vals, w_ind[x["ind_pos"].to_numpy()], x["u_group"].to_numpy(), False, floor)
    alpha = draw["alpha"][k]
    w_part = np.where(units["evidence"].to_numpy() == "independent", alpha, 1 - alpha)
    s_two = _mean(s_unit, w_part, units["sp_group"].to_numpy(), False, floor)
    s_one = pd.Series(s_unit).groupby(units["sp_group"].to_numpy()).first().to_numpy()
    sp_rows = sp["sp_group"].to_numpy()
    s_sp = np.where(sp["single"].to_numpy(), s_one[sp_rows], s_two[sp_rows])
    geometric = bool(draw["geometric"][k])
    s_ac = _mean(s_sp, (t["w_sp"] * draw["f_sp"][k])[sp["sp_pos"].to_numpy()], sp["ac_group"].to_numpy(),
                 geometric, floor)
    s_ov = _mean(s_ac, (t["w_ac"] * draw["f_ac"][k])[ac["ac_pos"].to_numpy()], ac["ov_group"].to_numpy(),
                 geometric, floor)
    return np.concatenate([s_ac, s_ov])


def _rank_uncertainty(scores: pd.DataFrame, actions: pd.DataFrame, weights: pd.DataFrame, periods: pd.DataFrame,
                      prm: dict) -> pd.DataFrame:
    """Median rank and 5-95 % interval per (period, city, scope) under perturbed weights and method choices, for
    the raw and the size-adjusted rank (the same draws)."""
    draws, seed = prm["mc_draws"], prm["mc_seed"]
    t = _mc_tree(scores, weights, periods)
    out = t["out"].merge(actions[~actions["is_baseline"]][["period", "city_code", "scope", "has_score"]],
                         on=["period", "city_code", "scope"], how="left")
    out["has_score"] = out["has_score"].fillna(False).astype(bool)
    rank_group = out.groupby(["period", "scope"]).ngroup()
    rng = np.random.default_rng(seed)
    n = (len(t["w_ind"]), len(t["w_sp"]), len(t["w_ac"]))
    bases = {"": t["x"]["obs_raw"].to_numpy(), "_size_adjusted": t["x"]["obs_size_adjusted"].to_numpy()}
    ranks = {b: np.full((draws, len(out)), np.nan, dtype=np.float32) for b in bases}
    for start in range(0, draws, MC_CHUNK):
        draw = _mc_draws(rng, min(MC_CHUNK, draws - start), n, prm)
        for k in range(len(draw["alpha"])):
            for b, obs in bases.items():
                sc = pd.Series(_mc_scores(t, obs, draw, k, prm))
                valid = out["has_score"] & sc.notna()
                ranks[b][start + k] = sc.round(prm["score_rounding"]).where(valid).groupby(rank_group).rank(
                    method="min", ascending=False).to_numpy()
    ok = out["has_score"].to_numpy()
    for b, r in ranks.items():
        counts = (~np.isnan(r)).sum(axis=0)
        srt = np.sort(r, axis=0)  # NaN last
        for name, p in (("median_rank", 0.5), ("rank_p05", 0.05), ("rank_p95", 0.95)):
            k = np.clip(np.ceil(p * counts).astype(int) - 1, 0, max(draws - 1, 0))  # nearest rank
            q = np.take_along_axis(srt, k[None], axis=0)[0]
            out[name + b] = pd.array(np.where(ok & (counts > 0), q, np.nan), dtype="Int64")
    out["draws"], out["seed"] = draws, seed
    return out.drop(columns="has_score")


# --- marts ----------------------------------------------------------------------------------------------------


def _marts(scores: pd.DataFrame, sp: pd.DataFrame, acts: pd.DataFrame, unc: pd.DataFrame, cities: pd.DataFrame,
           actions_seed: pd.DataFrame, periods: pd.DataFrame, prm: dict) -> dict[str, pd.DataFrame]:
    """``sql/marts``: the published tables, baseline period left out."""
    not_base = set(periods.loc[~periods["is_baseline"], "period"])
    mv = prm["method_version"]
    a = acts[acts["period"].isin(not_base)]
    r4 = ["score_arithmetic", "score_geometric", "coverage", "carried_forward_share", "baseline_score",
          "anchor_score", "milestone_score", "achieved_share", "elapsed_share", "progress_ratio", "independent_share"]
    cols = ["period", "city_code", "scope", "score", "score_arithmetic", "score_geometric", "aggregation", "coverage",
            "carried_forward_share", "coverage_threshold", "has_score", "no_score_reason", "parts_applicable",
            "parts_scored", "baseline_score", "milestone_year", "is_milestone_change", "anchor_period",
            "anchor_score", "milestone_score", "achieved_share", "elapsed_share", "progress_ratio", "on_track",
            "trend_arrow", "traffic_light", "rank", "rank_change", "score_size_adjusted", "rank_size_adjusted",
            "self_report_score", "independent_score", "independent_share", "evidence_gap", "evidence_agreement"]
    scope_scores = (a[cols].assign(**{c: sql_round(a[c], 4) for c in r4}, method_version=mv)
                     .sort_values(["period", "city_code", "scope"], ignore_index=True))

    scored = actions_seed[actions_seed["scored"].str.lower().isin(["true", "t", "1"])]
    names = pd.concat([pd.DataFrame({"scope": ["overall"], "scope_name": ["总体"], "scope_name_en": ["Overall"]}),
                       scored[["action_code", "name_zh", "name_en"]].set_axis(["scope", "scope_name",
                                                                                "scope_name_en"], axis=1)])
    lt = (a.merge(cities[["city_code", "name_zh", "name_en"]].rename(columns={"name_zh": "city_name",
                                                                              "name_en": "city_name_en"}),
                  on="city_code")
          .merge(names, on="scope", how="left")
          .merge(unc.rename(columns={"draws": "rank_draws"}).drop(columns="seed"),
                 on=["period", "city_code", "scope"], how="left"))
    intervals = [f"{q}{b}" for b in ("", "_size_adjusted") for q in ("median_rank", "rank_p05", "rank_p95")]
    league = lt[["period", "city_code", "city_name", "city_name_en", "scope", "scope_name", "scope_name_en",
                 "score", "rank", "rank_change", "score_size_adjusted", "rank_size_adjusted", *intervals,
                 "rank_draws", "coverage", "carried_forward_share", "has_score", "no_score_reason", "milestone_year",
                 "is_milestone_change", "progress_ratio", "on_track", "trend_arrow", "traffic_light",
                 "self_report_score", "independent_score", "independent_share", "evidence_gap",
                 "evidence_agreement", "aggregation"]]
    league = (league.assign(**{c: sql_round(lt[c], 4) for c in ("coverage", "carried_forward_share",
                                                                "progress_ratio", "independent_share")},
                            method_version=mv)
              .sort_values(["period", "scope", "rank", "city_code"], na_position="last", ignore_index=True))

    s = sp[sp["period"].isin(not_base)]
    r4 = ["score", "score_size_adjusted", "milestone_score", "self_report_score", "independent_score",
          "independent_share", "coverage", "carried_forward_share"]
    special_scores = (s[["period", "city_code", "special_code", "action_code", *r4, "indicators_applicable",
                         "indicators_reported", "indicators_carried_forward", "indicators_not_reported"]]
                      .assign(**{c: sql_round(s[c], 4) for c in r4}, method_version=mv)
                      .sort_values(["period", "city_code", "special_code"], ignore_index=True))
    return {"league_table": league, "scope_scores": scope_scores, "special_scores": special_scores,
            "indicator_scores": _indicator_mart(scores, not_base, mv),
            "rank_uncertainty": unc[unc["period"].isin(not_base)].assign(method_version=mv).sort_values(
                ["period", "scope", "city_code"], ignore_index=True)}


def _indicator_mart(scores: pd.DataFrame, not_base: set, mv: str) -> pd.DataFrame:
    """``marts.indicator_scores``."""
    cols = ["period", "city_code", "indicator_code", "special_code", "action_code", "kind", "direction", "evidence",
            "score_basis", "is_scored", "weight", "change_reason", "value", "status_step", "value_per_million",
            "value_status", "absence_reason", "list_evidence", "is_true_zero", "is_carried_forward",
            "carried_from_period", "quarters_carried", "value_source", "baseline_value", "baseline_source",
            "milestone_year", "is_milestone_change", "milestone_target", "target_value", "target_2018",
            "target_2025", "target_source", "is_apportioned", "is_rare_count", "treatment", "goalpost_low",
            "goalpost_high", "observed_score", "score", "score_size_adjusted", "overachievement", "anchor_period",
            "anchor_score", "milestone_score", "achieved_share", "elapsed_share", "progress_ratio", "on_track",
            "trend_arrow", "traffic_light", "file_id", "original_name", "sheet", "source_row", "feed_id",
            "snapshot_id", "record_number"]
    s = scores[scores["period"].isin(not_base)]
    s = s.assign(is_carried_forward=s["value_status"] == "carried_forward",
                 **{c: sql_round(s[c], 4) for c in ("achieved_share", "elapsed_share", "progress_ratio")})
    return s[cols].assign(method_version=mv).sort_values(["period", "city_code", "indicator_code"],
                                                         ignore_index=True)


def _score(rows: pd.DataFrame, files: pd.DataFrame, feed: pd.DataFrame, seeds: Path,
           keep: list[str]) -> tuple[dict, dict[str, pd.DataFrame]]:
    """The staging and intermediate models, up to (not including) the Monte Carlo."""
    prm = _params(seeds)
    cities = _seed(seeds, "cities.csv")
    cities = cities[cities["city_code"].isin(keep)]
    ind = _seed(seeds, "indicators.csv").rename(columns={"source": "data_source"})
    ind["weight"] = ind["weight"].astype(float)
    targets = _seed(seeds, "plan_targets.csv")
    targets["target_value"] = pd.to_numeric(targets["value"], errors="coerce")
    reading = {"lower": "lower", "upper": "upper"}.get(prm["range_target_reading"])  # a range as the parameter says
    if reading:
        is_range = targets["comparator"] == "range"
        targets["target_value"] = targets["target_value"].mask(is_range, pd.to_numeric(targets[reading],
                                                                                        errors="coerce"))
    keys = _seed(seeds, "apportionment_keys.csv").rename(columns={"key": "apportion_key"})
    keys["key_value"], keys["key_share"] = keys["value"].astype(float), keys["share"].astype(float)
    weights = _seed(seeds, "weights.csv").rename(columns={"level": "weight_level"})
    weights["weight"] = weights["weight"].astype(float)

    stg = rows.merge(files[["file_id", "original_name"]], on="file_id").rename(columns={"row_number": "source_row"})
    stg["received_at"] = pd.Timestamp(RECEIVED_AT)
    periods = _periods(stg, prm)
    values = _indicator_values(cities, periods, ind, stg, feed, _seed(seeds, "evidence_lists.csv"), prm)
    tg = _city_targets(values, periods, ind, stg, targets, keys, prm)
    gp = _goalposts(values, ind, keys, tg, prm)
    scores = _indicator_scores(values, periods, ind, tg, gp, keys, _seed(seeds, "indicator_changes.csv"), prm)
    sp = _special_scores(scores, prm)
    acts = _int_scope_scores(sp, weights, periods, prm)
    return prm, {"cities": cities, "periods": periods, "scores": scores, "special": sp, "actions": acts,
                 "weights": weights, "plan_actions": _seed(seeds, "plan_actions.csv")}


def run_baseline(root: Path, fraction: float = 1.0) -> dict:
    """Run the pandas pipeline on the first ``fraction`` of the cities (1.0 = all); per-step seconds and counts."""
    seeds = root / "seeds"
    all_cities = sorted(_seed(seeds, "cities.csv")["city_code"])
    n_cities = max(1, round(len(all_cities) * fraction))
    keep = all_cities[:n_cities]
    kept = set(keep)
    report_files = sorted(f for f in glob.glob(report_glob(root)) if Path(f).parent.parent.name[2:] in kept)
    steps: dict[str, float] = {}

    t = time.perf_counter()
    raw, files = _read_reports(report_files)
    steps["ingest"] = time.perf_counter() - t

    t = time.perf_counter()
    ind = _seed(seeds, "indicators.csv")
    rows, quarantine = _parse(raw, files, ind)
    files["original_name"] = files["filename"].map(lambda f: Path(f).name)
    n_raw = len(raw)
    del raw
    steps["parse"] = time.perf_counter() - t

    t = time.perf_counter()
    records, feed_files = _read_feeds(root, keep)
    feed = _aggregate_feeds(records, feed_files)
    steps["feeds"] = time.perf_counter() - t

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    t = time.perf_counter()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    steps["gx_import"] = time.perf_counter() - t
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    t = time.perf_counter()
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    gx_rep = _gx_reports(ctx, rows, ind, keep)
    steps["gx_reports"] = time.perf_counter() - t
    t = time.perf_counter()
    feed_kinds = ind.loc[ind["source"].isin(["feed", "both"]), "indicator_code"].tolist()
    bp = _params(seeds)["baseline_period"]
    start = pd.Period(bp, freq="Q").start_time.strftime("%Y-%m-%d")  # the baseline quarter's first day
    gx_feed = _gx_feeds(ctx, records, keep, feed_kinds, start)
    n_records = len(records)
    del records
    steps["gx_feeds"] = time.perf_counter() - t

    t = time.perf_counter()
    prm, m = _score(rows, files, feed, seeds, keep)
    steps["score"] = time.perf_counter() - t

    t = time.perf_counter()
    unc = _rank_uncertainty(m["scores"], m["actions"], m["weights"], m["periods"], prm)
    steps["monte_carlo"] = time.perf_counter() - t

    t = time.perf_counter()
    marts = _marts(m["scores"], m["special"], m["actions"], unc, m["cities"], m["plan_actions"], m["periods"], prm)
    out = root / "baseline_out"
    out.mkdir(parents=True, exist_ok=True)
    for name, df in marts.items():
        df.to_parquet(out / f"{name}.parquet", index=False)
    marts["league_table"].to_csv(out / "league_table.csv", index=False)
    steps["publish"] = time.perf_counter() - t

    failed = gx_rep["failed"] + gx_feed["failed"]
    return {"fraction": n_cities / len(all_cities), "cities": n_cities, "files": len(report_files), "rows": n_raw,
            "rows_staged": len(rows), "rows_quarantined": len(quarantine), "feed_rows": n_records,
            "feed_records": len(feed), "facts": len(m["scores"]), "league_rows": len(marts["league_table"]),
            "gx": {"success": not failed, "expectations": gx_rep["expectations"] + gx_feed["expectations"],
                   "failed": failed, "warnings": gx_rep["warnings"], "reports": gx_rep, "feeds": gx_feed},
            "steps_s": {k: round(v, 3) for k, v in steps.items()}, "total_s": round(sum(steps.values()), 3)}
