"""int_rank_sensitivity: which method choice drives each city's overall-rank uncertainty: first-order and total
Sobol indices per choice (weights, aggregation, missing-data rule, status items, independent weight), for the raw
and the size-adjusted rank of every ranked period. A Python model (SALib; body in transforms/build/sensitivity.py)."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd

DEPENDS_ON = (
    "intermediate.int_indicator_scores",
    "intermediate.int_indicator_score_variants",
    "intermediate.int_scope_scores",
    "intermediate.int_periods",
    "intermediate.int_scoring_parameters",
    "staging.stg_weights",
)


def model(con: duckdb.DuckDBPyConnection, options: Mapping[str, str]) -> pd.DataFrame:
    """One row per (period, city, rank basis, choice)."""
    from transforms.build.sensitivity import rank_sensitivity

    return rank_sensitivity(con, options)
