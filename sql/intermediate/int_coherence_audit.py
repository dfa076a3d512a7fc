"""int_coherence_audit: the statistical coherence audit of every ranked period (JRC): indicator correlations with
their special, action and the overall score; Cronbach's alpha and PCA of each action's specials and of the overall
score's actions; the flags. A Python model (numpy; body in transforms/build/coherence.py)."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd

DEPENDS_ON = (
    "intermediate.int_indicator_scores",
    "intermediate.int_special_scores",
    "intermediate.int_scope_scores",
    "intermediate.int_periods",
)


def model(con: duckdb.DuckDBPyConnection, options: Mapping[str, str]) -> pd.DataFrame:
    """One row per (period, scope, item, measure)."""
    from transforms.build.coherence import coherence_audit

    return coherence_audit(con)
