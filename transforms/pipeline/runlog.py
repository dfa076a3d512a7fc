"""Run logs in ``data/runs/``: one JSON per finished run, and a plain failure summary the operator finds there."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from transforms.core.files import file_safe
from transforms.core.paths import DataPaths, data_paths


def log_run(paths: DataPaths, run_id: str, info: dict) -> None:
    """Add ``info`` to the run's log (``data/runs/<run>.json``): the feed load writes its part every night, publish
    adds the dataset when there is one, so a night whose build is skipped still leaves a log naming stale feeds."""
    path = paths.ensure().runs / f"{file_safe(run_id)}.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except ValueError:
        record = {}
    record.update(info, run_id=run_id, finished_at=datetime.now(UTC).isoformat())
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")


def record_failure(run_id: str, task_id: str, error: str, paths: DataPaths | None = None) -> Path:
    """Write a plain failure summary the operator finds in ``data/runs/`` (called by the DAG's callback)."""
    paths = (paths or data_paths()).ensure()
    safe = file_safe(run_id)
    path = paths.runs / f"FAILED-{safe}-{task_id}.json"
    path.write_text(json.dumps({
        "run_id": run_id, "task_id": task_id, "error": error,
        "at": datetime.now(UTC).isoformat(),
        "what_next": "see docs/operations.md; the last good dataset in data/published/latest is unchanged",
    }, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
