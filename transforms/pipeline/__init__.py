"""The nightly job, the one interface of ``dags/`` and the CLI to the stages.

``stages`` holds one function per stage and ``run_all`` (every stage in order, without Airflow); ``gate`` the
fingerprint that lets an unchanged night skip the build; ``metadata`` what a dataset records about its inputs;
``runlog`` the run logs in ``data/runs/``; ``warehouse`` the working DuckDB, one stage at a time.
"""

from transforms.pipeline.gate import input_fingerprint, should_build
from transforms.pipeline.runlog import record_failure
from transforms.pipeline.stages import (
    AuditFailed,
    audit,
    build,
    feed_ids,
    fetch_feed,
    fetch_feeds,
    ingest_reports,
    load_feeds,
    publish,
    run_all,
    run_all_exclusive,
    validate_inputs,
)
from transforms.pipeline.warehouse import warehouse
from transforms.publish.notice import announce_publication

__all__ = [
    "AuditFailed", "announce_publication", "audit", "build", "feed_ids", "fetch_feed", "fetch_feeds",
    "ingest_reports",
    "input_fingerprint", "load_feeds", "publish", "record_failure", "run_all", "run_all_exclusive",
    "should_build", "validate_inputs", "warehouse",
]
