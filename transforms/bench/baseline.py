"""The naive baseline: the same L workload the way a typical analyst writes it in pandas.

``pd.read_csv`` per file + ``concat``, parsing with pandas, validation with Great Expectations on the pandas
DataFrame, scoring with ``merge``/``groupby`` (goalpost min-max per period and indicator, weighted means up to
specials, actions and overall, competition rank), the feed rows read with ``pd.read_parquet`` and aggregated with
``groupby``, output written with ``to_parquet``/``to_csv``. It is a simplified scoring (no carried values beyond a
4-quarter ``ffill``, no targets), so it does *less* work than the SQL models: the ratio flatters the baseline.
Run on a fraction of the cities and extrapolated linearly when asked (every step is linear in the cities).
"""

from __future__ import annotations

import glob
import logging
import os
import time
from pathlib import Path

import pandas as pd

from transforms.bench.generate import feed_glob, report_glob
from transforms.catalog import MILESTONE_STATUSES


def _gx_validate(df: pd.DataFrame, cities: list[str], indicators: list[str]) -> dict:
    """The raw_report_rows rules as GX expectations on the pandas DataFrame (the usual analyst route)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    import great_expectations.expectations as gxe

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    ctx = gx.get_context(mode="ephemeral")
    asset = ctx.data_sources.add_pandas("bench").add_dataframe_asset("report_rows")
    batch_def = asset.add_batch_definition_whole_dataframe("all")
    periods = sorted(df["period"].dropna().unique().tolist())
    suite = ctx.suites.add(gx.ExpectationSuite(name="baseline_report_rows", expectations=[
        gxe.ExpectColumnValuesToNotBeNull(column="city_code"),
        gxe.ExpectColumnValuesToBeInSet(column="city_code", value_set=cities),
        gxe.ExpectColumnValuesToMatchRegex(column="period", regex=r"^20(1[5-9]|2[0-5])Q[1-4]$"),
        gxe.ExpectColumnValuesToBeInSet(column="period", value_set=periods),
        gxe.ExpectColumnValuesToBeInSet(column="indicator_code", value_set=indicators),
        gxe.ExpectColumnValuesToBeInSet(column="value_status", value_set=["reported", "not_applicable",
                                                                           "not_reported"]),
        gxe.ExpectColumnValuesToBeInSet(column="milestone_status", value_set=list(MILESTONE_STATUSES)),
        gxe.ExpectColumnValuesToBeBetween(column="share_value", min_value=0, max_value=100),
        gxe.ExpectColumnValuesToBeBetween(column="quantity_value", min_value=0),
        gxe.ExpectColumnValuesToBeInSet(column="count_is_whole", value_set=[True]),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["city_code", "period", "indicator_code"]),
    ]))
    res = batch_def.get_batch(batch_parameters={"dataframe": df}).validate(suite)
    return {"success": bool(res.success), "expectations": len(res.results),
            "failed": [r.expectation_config.type for r in res.results if not r.success]}


def run_baseline(root: Path, fraction: float = 1.0) -> dict:
    """Run the pandas pipeline on the first ``fraction`` of the cities; per-step seconds and row counts."""
    seeds = root / "seeds"
    cities = pd.read_csv(seeds / "cities.csv", dtype=str)
    n_cities = max(1, round(len(cities) * fraction))
    keep = sorted(cities["city_code"])[:n_cities]
    files = sorted(f for f in glob.glob(report_glob(root)) if Path(f).parent.parent.name[2:] in set(keep))
    steps: dict[str, float] = {}

    t = time.perf_counter()
    frames = []
    for f in files:
        d = pd.read_csv(f, dtype=str, keep_default_na=False)
        d["file"] = f
        frames.append(d)
    raw = pd.concat(frames, ignore_index=True)
    steps["ingest"] = time.perf_counter() - t

    t = time.perf_counter()
    ind = pd.read_csv(seeds / "indicators.csv", dtype=str, keep_default_na=False)
    df = pd.DataFrame({
        "city_code": raw["城市代码"], "period": raw["报告期"],
        "item_type": raw["类型"].map({"专项": "milestone", "指标": "indicator"}),
    })
    df["indicator_code"] = raw["代码"].where(raw["类型"] == "指标", "ms_" + raw["代码"])
    df["value"] = pd.to_numeric(raw["本期数值"].replace({"不适用": None, "": None}), errors="coerce")
    ms = raw["推进状态"].where(raw["推进状态"].isin(MILESTONE_STATUSES))
    df["milestone_status"] = ms
    df["value_status"] = "reported"
    is_ms = df["item_type"] == "milestone"
    na = (raw["本期数值"] == "不适用") | (is_ms & (raw["推进状态"] == "不适用"))
    df.loc[na, "value_status"] = "not_applicable"
    df.loc[~na & ~is_ms & df["value"].isna(), "value_status"] = "not_reported"
    df = df.merge(ind[["indicator_code", "kind", "unit", "special_code", "action_code", "weight", "direction"]],
                  on="indicator_code", how="left")
    df["share_value"] = df["value"].where(df["kind"] == "share")
    df["quantity_value"] = df["value"].where(df["kind"].isin(["count", "amount"]))
    df["count_is_whole"] = (df["value"].round() == df["value"]).where((df["kind"] == "count") & df["value"].notna())
    steps["validate"] = time.perf_counter() - t
    t = time.perf_counter()
    import great_expectations  # noqa: F401 - a fixed start-up cost, kept out of the linear extrapolation

    steps["gx_import"] = time.perf_counter() - t
    t = time.perf_counter()
    gx_out = _gx_validate(df, keep if fraction < 1 else cities["city_code"].tolist(), ind["indicator_code"].tolist())
    steps["validate"] += time.perf_counter() - t

    t = time.perf_counter()
    feed = pd.read_parquet(Path(feed_glob(root)).parent.parent, filters=[("city_code", "in", keep)],
                           columns=["city_code", "reg_date", "kind"])
    dates = pd.to_datetime(feed["reg_date"])
    feed["period"] = dates.dt.year.astype(str) + "Q" + dates.dt.quarter.astype(str)
    fagg = feed.groupby(["city_code", "period", "kind"]).size().rename("n").reset_index()
    fagg = fagg.sort_values(["city_code", "kind", "period"])
    fagg["value"] = fagg.groupby(["city_code", "kind"])["n"].cumsum().astype(float)
    fagg = fagg.rename(columns={"kind": "indicator_code"})
    steps["feeds"] = time.perf_counter() - t

    t = time.perf_counter()
    periods = sorted(df["period"].unique())
    spine = pd.MultiIndex.from_product([keep, periods, ind["indicator_code"]],
                                       names=["city_code", "period", "indicator_code"]).to_frame(index=False)
    spine = spine.merge(ind[["indicator_code", "kind", "special_code", "action_code", "weight", "direction"]],
                        on="indicator_code")
    vals = df[["city_code", "period", "indicator_code", "value", "milestone_status"]]
    facts = spine.merge(vals, on=["city_code", "period", "indicator_code"], how="left")
    facts = facts.merge(fagg[["city_code", "period", "indicator_code", "value"]].rename(columns={"value": "fv"}),
                        on=["city_code", "period", "indicator_code"], how="left")
    facts["value"] = facts["value"].fillna(facts["fv"])
    step = {s: i for i, s in enumerate(MILESTONE_STATUSES)}
    facts.loc[facts["kind"] == "milestone", "value"] = facts["milestone_status"].map(step)
    facts = facts.sort_values(["city_code", "indicator_code", "period"])
    facts["value"] = facts.groupby(["city_code", "indicator_code"])["value"].ffill(limit=4)
    g = facts.groupby(["period", "indicator_code"])["value"]
    lo, hi = g.transform("min"), g.transform("max")
    score = ((facts["value"] - lo) / (hi - lo).where(hi > lo) * 100)
    score = score.where(facts["direction"] != "lower", 100 - score)
    facts["score"] = score.where(facts["kind"] != "milestone", facts["value"] / 3 * 100)
    facts["w"] = facts["weight"].astype(float)
    facts = facts[facts["special_code"].astype(bool) & (facts["w"] > 0)]
    facts["ws"] = facts["w"] * facts["score"]
    facts["wn"] = facts["w"].where(facts["score"].notna())
    sp = facts.groupby(["city_code", "period", "special_code", "action_code"])[["ws", "wn"]].sum().reset_index()
    sp["score"] = sp["ws"] / sp["wn"].where(sp["wn"] > 0)
    act = sp.groupby(["city_code", "period", "action_code"])["score"].mean().rename("score").reset_index()
    ov = act.groupby(["city_code", "period"])["score"].mean().rename("score").reset_index()
    ov["action_code"] = "overall"
    league = pd.concat([act, ov], ignore_index=True).rename(columns={"action_code": "scope"})
    league["score"] = league["score"].round(1)
    league["rank"] = league.groupby(["period", "scope"])["score"].rank(method="min", ascending=False)
    steps["score"] = time.perf_counter() - t

    t = time.perf_counter()
    out = root / "baseline_out"
    out.mkdir(parents=True, exist_ok=True)
    facts.to_parquet(out / "indicator_scores.parquet")
    sp.to_parquet(out / "special_scores.parquet")
    league.to_parquet(out / "league_table.parquet")
    league.to_csv(out / "league_table.csv", index=False)
    steps["publish"] = time.perf_counter() - t

    return {"fraction": n_cities / len(cities), "cities": n_cities, "files": len(files), "rows": len(raw),
            "feed_rows": len(feed), "league_rows": len(league), "gx": gx_out,
            "steps_s": {k: round(v, 3) for k, v in steps.items()}, "total_s": round(sum(steps.values()), 3)}
