"""Run logs in ``data/runs/``: one JSON per finished run, and a plain failure summary the operator finds there."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from transforms.core.files import file_safe
from transforms.core.paths import DataPaths, data_paths


def log_run(paths: DataPaths, run_id: str, info: dict) -> None:
    safe = file_safe(run_id)
    record = dict(info, run_id=run_id, finished_at=datetime.now(UTC).isoformat())
    (paths.runs / f"{safe}.json").write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")


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
