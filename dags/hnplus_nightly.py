"""Nightly hnplus run: wiring and schedule only; every step is a function in ``transforms.pipeline``."""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, dag, get_current_context, task

LEAGUE_TABLE = Asset(name="hnplus_league_table", uri="file:///hnplus/published/latest/league_table.parquet")
WAREHOUSE = Asset(name="hnplus_warehouse", uri="file:///hnplus/warehouse.duckdb")


def _on_failure(context: dict) -> None:
    from transforms.pipeline import record_failure

    ti = context.get("task_instance")
    record_failure(
        run_id=str(context.get("run_id")),
        task_id=getattr(ti, "task_id", "?"),
        error=repr(context.get("exception")),
    )


DOC = """
### hnplus nightly
Ingests the cities' quarterly reports, fetches the open-data feeds (one mapped task per feed), validates
the inputs with Great Expectations, builds the DuckDB models, audits the candidate marts and publishes the
league table atomically. A failed audit publishes nothing: the last good dataset stays in place.
Runbook: `docs/operations.md`.
"""


@dag(
    dag_id="hnplus_nightly",
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    tags=["hnplus", "nightly"],
    doc_md=DOC,
    default_args={
        "owner": "hnplus-data",
        "retries": 2,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=10),
        "execution_timeout": timedelta(minutes=30),
        "on_failure_callback": _on_failure,
    },
)
def hnplus_nightly() -> None:
    @task
    def ingest_reports() -> dict:
        from transforms.pipeline import ingest_reports

        return ingest_reports()

    @task
    def list_feeds() -> list[str]:
        from transforms.pipeline import feed_ids

        return feed_ids()

    @task(retries=0)
    def fetch_feed(feed_id: str) -> dict:
        from transforms.pipeline import fetch_feed

        return fetch_feed(feed_id)

    @task
    def load_feeds(results: list[dict]) -> dict:
        from transforms.pipeline import load_feeds

        return load_feeds(list(results), get_current_context()["run_id"])

    @task(retries=0)
    def validate_inputs() -> dict:
        from transforms.pipeline import validate_inputs

        return validate_inputs(get_current_context()["run_id"])

    @task
    def build() -> dict:
        from transforms.pipeline import build

        return build()

    @task(retries=0)
    def audit() -> dict:
        from transforms.pipeline import audit

        return audit(get_current_context()["run_id"])

    @task(outlets=[LEAGUE_TABLE, WAREHOUSE])
    def publish() -> dict:
        from transforms.pipeline import publish

        return publish(get_current_context()["run_id"])

    reports = ingest_reports()
    fetched = fetch_feed.expand(feed_id=list_feeds())
    loaded = load_feeds(fetched)
    checked = validate_inputs()
    built = build()
    audited = audit()
    [reports, loaded] >> checked >> built >> audited >> publish()


hnplus_nightly()
