"""Shared fixtures. Tests never touch the developer's ./data: each session gets its own data directory."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Set before anything imports airflow or resolves data paths.
_SESSION_DATA = Path(tempfile.mkdtemp(prefix="hnplus-test-data-"))
os.environ.setdefault("HNPLUS_DATA_DIR", str(_SESSION_DATA))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

# Airflow reads its configuration once, at first import: every test process gets its own SQLite metadata DB.
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="hnplus-airflow-test-"))
for _k, _v in {
    "AIRFLOW_HOME": str(_AIRFLOW_HOME),
    "AIRFLOW__CORE__DAGS_FOLDER": str(Path(__file__).resolve().parent.parent / "dags"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}",
}.items():
    os.environ.setdefault(_k, _v)
