"""Nightly hnplus run: wiring and schedule only; every step is a function in ``transforms.pipeline``."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Param, dag, get_current_context, task
from hnplus_common import LEAGUE_TABLE, START_DATE, WAREHOUSE, default_args

from transforms.core.periods import PERIOD_PATTERN  # a few lines of re: cheap at parse time


def _on_failure(context: dict) -> None:
    from transforms.pipeline import record_failure

    ti = context.get("task_instance")
    record_failure(
        run_id=str(context.get("run_id")),
        task_id=getattr(ti, "task_id", "?"),
        error=repr(context.get("exception")),
    )


def _portal_url() -> str | None:
    """The open-data portal's base URL from the Airflow connection ``hnplus_portal`` (for example
    ``AIRFLOW_CONN_HNPLUS_PORTAL=http://portal:8765``); without one, transforms falls back to HNPLUS_PORTAL_URL."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = Connection.get("hnplus_portal")
    except AirflowNotFoundException:
        return None
    scheme = conn.conn_type if conn.conn_type in ("http", "https") else "http"
    port = f":{conn.port}" if conn.port else ""
    path = f"/{conn.schema.strip('/')}" if conn.schema else ""
    return f"{scheme}://{conn.host}{port}{path}"


DOC = """
### hnplus nightly
Ingests the cities' quarterly reports, fetches the open-data feeds (one mapped task per feed), validates
the inputs with Great Expectations, builds the DuckDB models, audits the candidate marts and publishes the
league table atomically. A failed audit publishes nothing: the last good dataset stays in place.

* **Period**: a run is *for* the last quarter completed before its logical date (Asia/Shanghai), or for the
  `period` param (`2018Q4`). The league table is always rebuilt for every period from the accepted reports, so
  a run for a past period is deterministic: same inputs, same `dataset_id`, same bytes.
* **Skip when nothing changed**: `should_build` compares the inputs' fingerprint with the published
  `metadata.json`; when equal, validate_inputs/build/audit/publish are skipped (ingest and feed fetch still run,
  the feeds with conditional GET). `force=true` rebuilds anyway.
* Runbook: `docs/operations.md`; deployment: `docs/deployment.md`.
"""


@dag(
    dag_id="hnplus_nightly",
    schedule="0 2 * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=3),
    tags=["hnplus", "nightly"],
    doc_md=DOC,
    params={
        "period": Param("", type="string", pattern=rf"^({PERIOD_PATTERN})?$",
                        description="Reporting period like 2018Q4; empty = the quarter before the logical date"),
        "force": Param(False, type="boolean", description="Rebuild and publish even if the inputs are unchanged"),
    },
    default_args=default_args(
        max_retry_delay=timedelta(minutes=10),
        execution_timeout=timedelta(minutes=30),
        on_failure_callback=_on_failure,
    ),
)
def hnplus_nightly() -> None:
    @task
    def resolve_period() -> str:
        from transforms.core.periods import period_for_run

        ctx = get_current_context()
        return period_for_run(ctx.get("logical_date"), ctx["params"].get("period"))

    # multiple_outputs=False: a `-> dict` annotation would make Airflow push every key as its own XCom as well
    # (~40 extra Execution-API writes per run for the four feeds and the ingest summary); the whole dict is enough
    @task(multiple_outputs=False)
    def ingest_reports() -> dict:
        from transforms.pipeline import ingest_reports

        return ingest_reports()

    @task
    def list_feeds() -> list[str]:
        from transforms.pipeline import feed_ids

        return feed_ids()

    @task(retries=0, multiple_outputs=False)
    def fetch_feed(feed_id: str) -> dict:
        from transforms.pipeline import fetch_feed

        return fetch_feed(feed_id, base_url=_portal_url())

    @task(multiple_outputs=False)
    def load_feeds(results: list[dict]) -> dict:
        from transforms.pipeline import load_feeds

        # one slice request; iterating would probe one offset past the end and log "XCom not found"
        return load_feeds(list(results[:]), get_current_context()["run_id"])

    @task(retries=0, multiple_outputs=False)
    def validate_inputs() -> dict:
        from transforms.pipeline import validate_inputs

        return validate_inputs(get_current_context()["run_id"])

    @task.short_circuit
    def should_build() -> bool:
        from transforms.pipeline import should_build

        return should_build(bool(get_current_context()["params"].get("force")))

    @task(multiple_outputs=False)
    def build() -> dict:
        from transforms.pipeline import build

        return build()

    @task(retries=0, multiple_outputs=False)
    def audit() -> dict:
        from transforms.pipeline import audit

        return audit(get_current_context()["run_id"])

    @task(outlets=[LEAGUE_TABLE, WAREHOUSE], multiple_outputs=False)
    def publish(period: str) -> dict:
        from transforms.pipeline import publish

        out = publish(get_current_context()["run_id"])
        extra = {"dataset_id": out["dataset_id"], "period": period}
        events = get_current_context()["outlet_events"]
        events[LEAGUE_TABLE].extra = extra
        events[WAREHOUSE].extra = extra
        return dict(out, period=period)

    period = resolve_period()
    reports = ingest_reports()
    fetched = fetch_feed.expand(feed_id=list_feeds())
    loaded = load_feeds(fetched)
    changed = should_build()
    checked = validate_inputs()
    built = build()
    audited = audit()
    # the gate first: the fingerprint does not depend on validation (accepted files, feed snapshots, seeds, SQL),
    # and a no-change run then skips the Great Expectations suites too, not only build/audit/publish
    [period, reports, loaded] >> changed >> checked >> built >> audited >> publish(period)


hnplus_nightly()
