"""After each publication: announce the new dataset (``published/notice.json`` and ``NOTICE.md``)."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, get_current_context, task
from hnplus_common import LEAGUE_TABLE, START_DATE, default_args

DOC = """
### hnplus after publish
Scheduled on the `hnplus_league_table` asset: runs after every successful `publish` of `hnplus_nightly`
and writes `published/notice.json` and `published/NOTICE.md` (dataset id, where `latest` points, the size of
the league table, the top three cities overall for the run's period, stale feeds). Idempotent: running it
again rewrites the same notice for whatever `latest` points at.
"""


@dag(
    dag_id="hnplus_after_publish",
    schedule=[LEAGUE_TABLE],  # runs whenever the nightly DAG publishes
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["hnplus", "publish"],
    doc_md=DOC,
    default_args=default_args(execution_timeout=timedelta(minutes=5)),
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
