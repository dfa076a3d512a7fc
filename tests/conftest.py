"""Shared fixtures. Tests never touch the developer's ./data: each session gets its own data directory."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Set before anything imports airflow or resolves data paths.
_SESSION_DATA = Path(tempfile.mkdtemp(prefix="hnplus-test-data-"))
os.environ.setdefault("HNPLUS_DATA_DIR", str(_SESSION_DATA))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
