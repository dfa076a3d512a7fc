"""What the Python models of one ``run_models`` call share (the dense score arrays the Monte Carlo and the
sensitivity analysis both read, the score step's reuse statistics, the incremental plan): filled by the models,
dropped when the run ends, so no later build sees stale objects. Its own module so that the runner
(``models``) and the modules it runs (``reuse``, ``montecarlo``) can both reach it without importing each other."""

from __future__ import annotations

import contextvars

RUN_CACHE: contextvars.ContextVar[dict | None] = contextvars.ContextVar("hnplus_build_run_cache", default=None)


def run_cache() -> dict | None:
    """The current build run's shared objects (None outside ``run_models``: nothing is cached then)."""
    return RUN_CACHE.get()
