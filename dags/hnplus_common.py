"""What both hnplus DAGs share, declared once: the published Assets, the start date and the task defaults.

Not a DAG file (Airflow parses it and finds none); the DAG files import it from the DAGs folder, which Airflow puts on
``sys.path``. No I/O and no heavy import here: it runs at every parse.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Asset

#: The league table readers use; the nightly DAG's publish task updates it, the after-publish DAG runs on it.
LEAGUE_TABLE = Asset(name="hnplus_league_table", uri="file:///hnplus/published/latest/league_table.parquet")
#: The analysts' DuckDB copy, replaced at the same publish.
WAREHOUSE = Asset(name="hnplus_warehouse", uri="file:///hnplus/warehouse.duckdb")
#: Before the first period, so backfills work.
START_DATE = pendulum.datetime(2016, 1, 1, tz="Asia/Shanghai")


def default_args(**overrides: Any) -> dict[str, Any]:
    """Task defaults of every hnplus DAG (owner, retries with backoff), with a DAG's own additions."""
    return {
        "owner": "hnplus-data",
        "retries": 2,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        **overrides,
    }
