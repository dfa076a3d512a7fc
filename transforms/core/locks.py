"""Two locks on a data directory: the run lock (one whole run at a time) and the stage lock (one writer of the
working DuckDB at a time). Both are ``flock``s, so the kernel drops them when the holder dies, even on ``kill -9``.

Why two: Airflow runs each stage in its own process, so the stage lock serialises the writers of the working
database; but two whole runs would still interleave stage by stage, which the run lock prevents.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from transforms.core.paths import DataPaths, data_paths


class RunLocked(RuntimeError):
    """Another run holds the data directory; the message says who and since when."""


def _lock_path(paths: DataPaths) -> Path:
    return paths.work / ".run.lock"


def lock_holder(paths: DataPaths | None = None) -> dict[str, Any] | None:
    """What the current holder wrote into the lock file (pid, run_id, started_at), if anything."""
    p = _lock_path(paths or data_paths())
    try:
        return json.loads(p.read_text(encoding="utf-8") or "null")
    except (OSError, ValueError):
        return None


def _acquire(fd: int, path: Path, paths: DataPaths, wait: bool, timeout: float | None) -> None:
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if not wait or (deadline is not None and time.monotonic() > deadline):
                holder = lock_holder(paths) or {}
                raise RunLocked(
                    f"another hnplus run holds {path} (run_id={holder.get('run_id')!r}, pid={holder.get('pid')}, "
                    f"started {holder.get('started_at')}); nothing was changed. Wait for it to finish, or check "
                    "that the pid is alive (the lock is released automatically when its process ends)."
                ) from None
            time.sleep(0.2)


@contextmanager
def run_lock(
    paths: DataPaths | None = None, run_id: str = "manual", wait: bool = False, timeout: float | None = None
) -> Iterator[Path]:
    """Hold the run lock of a data directory for a whole run.

    ``wait=False`` refuses at once with :class:`RunLocked`; ``wait=True`` waits (up to ``timeout`` seconds).
    """
    paths = (paths or data_paths()).ensure()
    path = _lock_path(paths)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path, paths, wait, timeout)
        info = {"pid": os.getpid(), "run_id": run_id, "started_at": datetime.now(UTC).isoformat()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def stage_lock(paths: DataPaths) -> Iterator[None]:
    """Hold the working database's writer lock; waits for a stage of another process to finish."""
    with open(paths.work / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fcntl.flock(lock, fcntl.LOCK_EX)  # wait for the other stage to finish
        yield
