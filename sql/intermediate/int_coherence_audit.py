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


def model(con: duckdb.DuckDBPyConnection, options: Mapping[str, str]) -> pd.DataFrame | object:
    """One row per (period, scope, item, measure). In an incremental build (transforms/build/increment.py) only the
    recomputed periods are audited again: a period's measures depend on that period's scores only."""
    from transforms.build.coherence import coherence_audit
    from transforms.build.increment import Increment
    from transforms.build.runcache import run_cache

    periods = (run_cache() or {}).get("incremental_periods", lambda: None)()
    exists = con.execute("select count(*) from duckdb_tables() where schema_name = 'intermediate' and "
                         "table_name = 'int_coherence_audit'").fetchone()[0]
    if periods is None or not exists:
        return coherence_audit(con)
    return Increment(coherence_audit(con, periods), "period in (select unnest($periods))", {"periods": list(periods)})
