"""After each publication: announce the new dataset (``published/notice.json`` and ``NOTICE.md``)."""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, dag, get_current_context, task

# Same name and uri as in dags/hnplus_nightly.py: this DAG runs whenever the nightly run publishes.
LEAGUE_TABLE = Asset(name="hnplus_league_table", uri="file:///hnplus/published/latest/league_table.parquet")

DOC = """
### hnplus after publish
Scheduled on the `hnplus_league_table` asset: runs after every successful `publish` of `hnplus_nightly`
and writes `published/notice.json` and `published/NOTICE.md` (dataset id, where `latest` points, the size of
the league table, the top three cities overall for the run's period, stale feeds). Idempotent: running it
again rewrites the same notice for whatever `latest` points at.
"""


@dag(
    dag_id="hnplus_after_publish",
    schedule=[LEAGUE_TABLE],
    start_date=pendulum.datetime(2016, 1, 1, tz="Asia/Shanghai"),  # before the first period: backfills work
    catchup=False,
    max_active_runs=1,
    tags=["hnplus", "publish"],
    doc_md=DOC,
    default_args={
        "owner": "hnplus-data",
        "retries": 2,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "execution_timeout": timedelta(minutes=5),
    },
)
def hnplus_after_publish() -> None:
    @task
    def announce() -> str:
        from transforms.pipeline import announce_publication

        extra: dict = {}
        events = get_current_context().get("triggering_asset_events") or {}
        for asset_events in events.values():
            for event in asset_events:
                extra = dict(event.extra or {})
        return str(announce_publication(extra.get("period"), extra.get("dataset_id")))

    announce()


hnplus_after_publish()
