"""The plan catalogue (``seeds/``) as typed Python records and as DuckDB tables, and the scoring method version."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from transforms.core.paths import SEEDS_DIR

#: The steps of a status item (状态事项), in order: its value is the step's index 0..3.
STATUS_STEPS = ("未启动", "推进中", "基本完成", "已完成")
#: What a report row is (``raw.report_rows.kind``): a quantity or a status item. The catalogue's ``kind``
#: (seeds/indicators.csv) refines a quantity as ``amount``, ``count`` or ``share``; ``status`` is the same word.
REPORT_KINDS = ("quantity", "status")
TEMPLATE_VERSION = "HNPLUS-R1"


def _method_version(seeds_dir: Path = SEEDS_DIR) -> str:
    """The scoring method version, declared once in seeds/scoring_parameters.csv and stored with every result."""
    for row in read_seed("scoring_parameters.csv", seeds_dir):
        if row["parameter"] == "method_version":
            return row["value"]
    raise RuntimeError(f"method_version missing from {seeds_dir / 'scoring_parameters.csv'}")


def read_seed(name: str, seeds_dir: Path = SEEDS_DIR) -> list[dict[str, str]]:
    """Read one seed CSV as strings; seeds are small and reviewed by hand."""
    with open(seeds_dir / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@dataclass(frozen=True)
class City:
    code: str
    name_zh: str
    name_short: str
    name_en: str
    aliases: tuple[str, ...]


@cache
def cities() -> tuple[City, ...]:
    """The 18 scored cities in code order."""
    return tuple(
        City(r["city_code"], r["name_zh"], r["name_short"], r["name_en"], tuple(r["aliases"].split("|")))
        for r in read_seed("cities.csv")
    )


@cache
def indicators() -> tuple[dict[str, str], ...]:
    return tuple(read_seed("indicators.csv"))


def load_seeds(con: duckdb.DuckDBPyConnection, seeds_dir: Path = SEEDS_DIR) -> list[str]:
    """(Re)create schema ``seeds`` from every ``seeds/*.csv`` (table = file stem), so models join the catalogue."""
    con.execute("create schema if not exists seeds")
    tables = []
    for path in sorted(seeds_dir.glob("*.csv")):
        con.execute(
            f"create or replace table seeds.{path.stem} as "
            "select * from read_csv(?, header = true, all_varchar = true, quote = '\"', escape = '\"')",
            [str(path)],
        )
        tables.append(path.stem)
    return tables


METHOD_VERSION = _method_version()
