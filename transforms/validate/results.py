"""What a validation run found: one :class:`SuiteResult` per suite, kept as JSON between stages (Airflow runs
them in separate processes), recorded in ``meta.validation_results`` and summarised for XCom."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from transforms.core.files import file_safe
from transforms.core.paths import DataPaths

_BIG_RESULT_KEYS = ("unexpected_list", "unexpected_index_list", "unexpected_index_query", "partial_unexpected_counts")


@dataclass
class SuiteResult:
    """What one suite found on one asset in one run (JSON-serialisable, so stages in other processes can read it)."""

    asset: str
    suite: str
    success: bool
    critical_failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rows: list[dict] = field(default_factory=list)
    quarantined: int = 0
    skipped: str = ""
    gx_result: dict | None = None
    run_id: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def result_row(out: SuiteResult, expectation: str, column: str, severity: str, success: bool, unexpected: int,
         elements: int, sample: list, failure_means: str, outcome: str) -> dict:
    return {
        "run_id": out.run_id, "asset": out.asset, "suite": out.suite, "expectation": expectation,
        "column": column, "severity": severity, "failure_means": failure_means, "success": success,
        "unexpected_count": unexpected, "element_count": elements,
        "sample": json.dumps(sample, ensure_ascii=False, default=str), "outcome": outcome, "seconds": 0.0,
    }


def strip_result(result: dict) -> dict:
    """Drop the full index lists from a stored GX result (they can be larger than the data); keep the samples."""
    for r in result.get("results", []):
        res = r.get("result") or {}
        for k in _BIG_RESULT_KEYS:
            res.pop(k, None)
    return result


def jsonable(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def record_results(con: duckdb.DuckDBPyConnection, results: list[SuiteResult]) -> None:
    """Write results to ``meta.validation_results`` (one row per expectation, asset and run), replacing a rerun's."""
    con.execute("create schema if not exists meta")
    con.execute(
        """create table if not exists meta.validation_results (
            run_id varchar, asset varchar, suite varchar, expectation varchar, "column" varchar,
            severity varchar, failure_means varchar, success boolean, unexpected_count bigint,
            element_count bigint, sample varchar, seconds double)"""
    )
    con.execute("alter table meta.validation_results add column if not exists outcome varchar")
    rows = [r for res in results for r in res.rows]
    if not rows:
        return
    df = pd.DataFrame(rows)  # noqa: F841 (read by DuckDB through its replacement scan)
    for run_id, suite in {(r["run_id"], r["suite"]) for r in rows}:
        con.execute("delete from meta.validation_results where run_id = ? and suite = ?", [run_id, suite])
    con.execute("insert into meta.validation_results by name select * from df")


def results_dir(paths: DataPaths, run_id: str) -> Path:
    """Where a run's GX results are kept between stages (Airflow runs stages in separate processes)."""
    return paths.work / "validation" / file_safe(run_id)


def save_results(results: list[SuiteResult], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for r in results:
        (directory / f"{r.suite}.json").write_text(json.dumps(r.to_dict(), ensure_ascii=False, default=str),
                                                  encoding="utf-8")


def load_results(directory: Path) -> list[SuiteResult]:
    """Every suite result saved for a run, in the order of ``expectations.suites.assets()``."""
    from expectations.suites import assets

    order = list(assets())
    found = [SuiteResult(**json.loads(p.read_text(encoding="utf-8"))) for p in sorted(directory.glob("*.json"))]
    return sorted(found, key=lambda r: order.index(r.suite) if r.suite in order else len(order))


def summarise(results: list[SuiteResult]) -> dict:
    """A small XCom-friendly dict of a stage's results."""
    return {
        "suites": [{"suite": r.suite, "asset": r.asset, "success": r.success, "seconds": r.seconds,
                    "quarantined": r.quarantined, "skipped": r.skipped, "warnings": len(r.warnings)}
                   for r in results],
        "quarantined": sum(r.quarantined for r in results),
        "seconds": round(sum(r.seconds for r in results), 3),
    }
