"""Run the Great Expectations suites in ``expectations/`` and record every result in DuckDB.

GX on DuckDB through SQLAlchemy is broken in GX 1.24.1 (see docs/architecture.md), so assets are
validated as pandas batches of exactly the columns the suite needs.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field

import duckdb
import pandas as pd


@dataclass
class SuiteResult:
    asset: str
    suite: str
    success: bool
    critical_failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rows: list[dict] = field(default_factory=list)


def _quiet_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


def validate_frame(df: pd.DataFrame, suite_name: str, asset: str, run_id: str) -> SuiteResult:
    """Validate one DataFrame with one suite from ``expectations.suites``."""
    _quiet_gx()
    import great_expectations as gx

    from expectations.suites import SUITES

    t0 = time.perf_counter()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas(name=f"src_{suite_name}")
    data_asset = source.add_dataframe_asset(name=asset)
    batch_def = data_asset.add_batch_definition_whole_dataframe(name="whole")
    suite = context.suites.add(SUITES[suite_name]())
    vd = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"vd_{suite_name}", data=batch_def, suite=suite)
    )
    res = vd.run(batch_parameters={"dataframe": df}, result_format={"result_format": "SUMMARY"})
    out = SuiteResult(asset=asset, suite=suite_name, success=bool(res.success))
    for r in res.results:
        cfg = r.expectation_config
        meta = cfg.meta or {}
        result = r.result or {}
        sample = result.get("partial_unexpected_list") or []
        row = {
            "run_id": run_id,
            "asset": asset,
            "suite": suite_name,
            "expectation": cfg.type,
            "column": cfg.kwargs.get("column") or ",".join(cfg.kwargs.get("column_list", []) or []),
            "severity": meta.get("severity", "critical"),
            "failure_means": meta.get("failure_means", ""),
            "success": bool(r.success),
            "unexpected_count": int(result.get("unexpected_count") or 0),
            "element_count": int(result.get("element_count") or len(df)),
            "sample": json.dumps(sample[:10], ensure_ascii=False, default=str),
        }
        out.rows.append(row)
        if not r.success and row["severity"] == "critical":
            out.critical_failures.append(f"{cfg.type}({row['column']}): {row['failure_means']}")
    out.seconds = round(time.perf_counter() - t0, 3)
    return out


def record_results(con: duckdb.DuckDBPyConnection, results: list[SuiteResult]) -> None:
    """Append results to ``meta.validation_results`` (one row per expectation and run)."""
    con.execute("create schema if not exists meta")
    con.execute(
        """create table if not exists meta.validation_results (
            run_id varchar, asset varchar, suite varchar, expectation varchar, "column" varchar,
            severity varchar, failure_means varchar, success boolean, unexpected_count bigint,
            element_count bigint, sample varchar, seconds double)"""
    )
    rows = [dict(r, seconds=res.seconds) for res in results for r in res.rows]
    if not rows:
        return
    df = pd.DataFrame(rows)  # noqa: F841 (read by DuckDB through its replacement scan)
    con.execute("delete from meta.validation_results where run_id = ?", [rows[0]["run_id"]])
    con.execute("insert into meta.validation_results by name select * from df")
