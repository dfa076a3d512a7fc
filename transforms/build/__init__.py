"""The build stage: seeds, then every model of ``sql/`` (SQL and Python) in dependency order, marts into the
candidate schema. The rank Monte Carlo is the Python model ``sql/intermediate/int_rank_uncertainty.py``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import duckdb

from transforms.build.candidate import CANDIDATE_SCHEMA, CandidateNotAudited, audit_passed, promote_candidate
from transforms.build.models import LAYERS, Model, discover, run_models
from transforms.catalog import load_seeds
from transforms.core.paths import SEEDS_DIR, SQL_DIR


def build_models(
    con: duckdb.DuckDBPyConnection,
    sql_dir: Path = SQL_DIR,
    seeds_dir: Path = SEEDS_DIR,
    options: Mapping[str, str] | None = None,
    reload_seeds: bool = True,
    stats: dict | None = None,
) -> dict[str, float]:
    """Load the seeds and materialise every model; returns seconds per model.

    ``reload_seeds=False`` keeps the ``seeds.*`` tables the caller prepared (tests build tiny catalogues);
    ``options`` override scoring parameters for Python models, e.g. ``{"mc_draws": "40"}``; ``stats`` receives the
    periods each score model computed and reused (``montecarlo.reuse_stats``).
    """
    if reload_seeds:
        load_seeds(con, seeds_dir)
    return run_models(con, sql_dir, options=options, stats=stats)


__all__ = [
    "CANDIDATE_SCHEMA", "LAYERS", "CandidateNotAudited", "Model", "audit_passed", "build_models", "discover",
    "promote_candidate", "run_models",
]
