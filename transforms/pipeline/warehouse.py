"""The working DuckDB of the pipeline, opened by one stage at a time.

Each stage opens the file, does its work and closes it: DuckDB allows one writer, and Airflow runs tasks in
separate processes, so the stage lock (``core.locks``) makes the next stage wait rather than fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from transforms.core.locks import stage_lock
from transforms.core.paths import DataPaths, data_paths


@contextmanager
def warehouse(paths: DataPaths | None = None, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the working DuckDB under an exclusive file lock, so two runs never write at once."""
    paths = (paths or data_paths()).ensure()
    with stage_lock(paths):
        con = duckdb.connect(str(paths.work_db), read_only=read_only)
        try:
            yield con
        finally:
            con.close()
