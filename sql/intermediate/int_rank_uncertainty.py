"""int_rank_uncertainty: each city's median rank and 5-95 % rank interval per (period, scope) over a seeded Monte
Carlo of the method choices (weights, aggregation, missing-data rule). A Python model: re-aggregating every city's
indicator scores a thousand times is a few numpy array operations but a thousand SQL self-joins. The body is
transforms/build/montecarlo.py; parameters mc_* of seeds/scoring_parameters.csv (docs/methodology.md)."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pyarrow as pa

DEPENDS_ON = (
    "intermediate.int_indicator_scores",
    "intermediate.int_indicator_score_variants",
    "intermediate.int_scope_scores",
    "intermediate.int_periods",
    "intermediate.int_scoring_parameters",
    "staging.stg_weights",
)


def model(con: duckdb.DuckDBPyConnection, options: Mapping[str, str]) -> pa.Table:
    """One row per (period, city, scope) of the non-baseline periods: median_rank, rank_p05, rank_p95, draws, seed."""
    from transforms.build.montecarlo import rank_uncertainty

    return rank_uncertainty(con, options)
