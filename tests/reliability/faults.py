"""Fault injection for the reliability suite: ``kill -9`` a real run at a named point.

``HNPLUS_FAULT_KILL_AT=build`` (or ``build+0.8``: 0.8 s after build starts; comma-separated) names the points.
:func:`install_fault_hooks` wraps, in the test's child process only, every pipeline stage and the steps inside
publish with such points; the product code carries no hooks. Wrapping replaces module attributes the product
calls through (``pipeline`` stage functions, ``publish.dataset`` helpers, ``core.files.exchange_dirs``), never
the ``os`` module.
"""

from __future__ import annotations

import functools
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

FAULT_ENV = "HNPLUS_FAULT_KILL_AT"
STAGE_POINTS = ("ingest_reports", "fetch_feed", "load_feeds", "validate_inputs", "build", "audit", "publish")
PUBLISH_POINTS = ("publish.dataset_written", "publish.replace_window", "publish.swap_latest",
                  "publish.swap_periods", "publish.warehouse", "publish.done")


def _fault_spec() -> dict[str, float]:
    spec: dict[str, float] = {}
    for item in filter(None, (s.strip() for s in os.environ.get(FAULT_ENV, "").split(","))):
        name, _, delay = item.partition("+")
        spec[name] = float(delay or 0)
    return spec


def _kill_now() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def fault_point(name: str) -> None:
    """Kill this process here (or after the point's delay) if ``HNPLUS_FAULT_KILL_AT`` names the point."""
    spec = _fault_spec()
    if name not in spec:
        return
    delay = spec[name]
    if delay <= 0:
        _kill_now()
    timer = threading.Timer(delay, _kill_now)
    timer.daemon = True
    timer.start()


def _before(fn: Callable, point: str) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        fault_point(point)
        return fn(*args, **kwargs)

    return wrapper


def _after(fn: Callable, point: str) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        out = fn(*args, **kwargs)
        fault_point(point)
        return out

    return wrapper


def install_fault_hooks() -> None:
    """Put a :func:`fault_point` before every pipeline stage and at the steps inside publish, in this process.

    Points: ``STAGE_POINTS`` plus ``PUBLISH_POINTS``. ``publish.replace_window`` fires right after a republished
    dataset folder was exchanged with the existing one and before the old content is removed.
    """
    if not _fault_spec():
        return
    from transforms.core import files
    from transforms.pipeline import stages
    from transforms.publish import dataset

    for stage in STAGE_POINTS:
        setattr(stages, stage, _before(getattr(stages, stage), stage))
    dataset.build_dataset = _after(dataset.build_dataset, "publish.dataset_written")
    files.exchange_dirs = _after(files.exchange_dirs, "publish.replace_window")
    real_swap = dataset.swap_symlink

    @functools.wraps(real_swap)
    def swap(link: Path, target: str) -> None:
        if link.name == "latest":
            fault_point("publish.swap_latest")
        real_swap(link, target)
        if link.name == "latest":
            fault_point("publish.swap_periods")

    dataset.swap_symlink = swap
    dataset.publish_warehouse = _after(_before(dataset.publish_warehouse, "publish.warehouse"), "publish.done")
