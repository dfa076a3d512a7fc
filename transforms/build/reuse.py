"""Incremental scoring: the score models (the rank Monte Carlo, the sensitivity analysis) keep a period's rows from
the previous build when that period's inputs are unchanged, and compute only the others.

Why it is exact: ranks compare cities within one period, the random draws and the Sobol sample do not depend on the
data, and every period's intervals and indices are computed from that period's rows of the score tables and from
what all periods share (``period_fingerprints`` hashes exactly these). With method 2.0 the goalposts and the
apportioned targets are fixed by the data up to 2018Q4, so a corrected report of a later period changes one
period's fingerprint (and the carry-forward window after it); one of 2018 or before can change them all.
tests/scoring/test_incremental_scoring.py compares incremental builds with full rebuilds after random changes.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
from collections.abc import Mapping
from typing import Protocol

import duckdb
import numpy as np
import pyarrow as pa

from transforms.build.runcache import run_cache


class _Inputs(Protocol):
    """What a fingerprint reads of the score inputs (``scoreinputs.ScoreInputs``): the catalogue and the tree."""

    params: dict
    all_periods: list[str]
    cities: list[str]
    indicators: list[str]
    scopes: list[str]
    specials: list[str]
    actions: list[str]
    w_ind: np.ndarray
    w_special: np.ndarray
    w_action: np.ndarray
    status_items: np.ndarray
    unit_indicators: list[np.ndarray]
    action_specials: list[np.ndarray]
    special_units: list


# Reuse a period's rows from the previous build when that period's inputs are the same (period_fingerprints): a
# night with one changed report recomputes only the periods it touches. Off (HNPLUS_SCORE_REUSE=0) for a run that
# must recompute everything, such as a test of the computation itself.
REUSE = os.environ.get("HNPLUS_SCORE_REUSE", "1") != "0"

_CODE_FILES = ("montecarlo.py", "scoreinputs.py", "kernel.py", "sensitivity.py", "ranks.py", "reuse.py")


def _code_fingerprint() -> bytes:
    """The code and the libraries the intervals and indices come from: a change to either recomputes every period."""
    h = hashlib.sha256()
    here = os.path.dirname(os.path.abspath(__file__))
    for name in _CODE_FILES:
        with open(os.path.join(here, name), "rb") as f:
            h.update(f.read())
    for lib in ("numpy", "SALib", "numba"):
        h.update(f"{lib}={importlib.metadata.version(lib)}".encode())
    return h.digest()


def _shared(inp: _Inputs, extra: Mapping[str, object] | None) -> hashlib._Hash:
    """What every period's computation shares: the parameters and options, the cities, indicators, scopes,
    aggregation tree and weights, the code and library versions, ``extra``."""
    shared = hashlib.sha256(_code_fingerprint())
    for key, value in sorted({**{k: str(v) for k, v in inp.params.items()},
                              **{f"extra.{k}": str(v) for k, v in (extra or {}).items()}}.items()):
        shared.update(f"{key}={value}\n".encode())
    for codes in (inp.cities, inp.indicators, inp.scopes, inp.specials, inp.actions):
        shared.update(("\x1f".join(codes) + "\x1e").encode())
    for arr in (inp.w_ind, inp.w_special, inp.w_action, inp.status_items, *inp.unit_indicators,
                *inp.action_specials):
        shared.update(np.ascontiguousarray(arr).tobytes() + b"\x1e")
    shared.update(repr(inp.special_units).encode())
    return shared


def period_fingerprints(inp: _Inputs, data: Mapping[str, str],
                        extra: Mapping[str, object] | None = None) -> dict[str, str]:
    """period -> a fingerprint of everything that period's intervals and indices are computed from: its rows of
    the score tables (``data``: observed scores of both bases, applicability, missing flags, scopes with a score,
    the scoring variants, hashed in SQL by ``scoreinputs.row_hashes``) and what every period shares (``_shared``).
    Ranks compare cities within one period and the random draws do not depend on the data, so a period with the
    same fingerprint has the same results: the reuse rule's premise, which tests/scoring/test_incremental_scoring.py
    checks against full rebuilds. ``inp`` need hold no period's arrays (``scoreinputs.inputs(..., periods=())``)."""
    shared = _shared(inp, extra)
    out = {}
    for p in inp.all_periods:
        h = shared.copy()
        h.update(f"{p}|{data.get(p, '')}".encode())
        out[p] = h.hexdigest()[:32]
    return out


def kept_periods(con: duckdb.DuckDBPyConnection, table: str, fingerprints: Mapping[str, str],
                 rows_per_period: Mapping[str, int], basis: str | None = None) -> set[str] | None:
    """The periods whose every row (``rows_per_period``, of ``basis`` if given) in the previous build's ``table``
    carries the period's current fingerprint: those rows stay. None when reuse is off, or the table is not there or
    older than the fingerprints (then the model writes the whole table). Counted in SQL: the kept rows themselves
    are never read."""
    if not REUSE or not fingerprints:
        return None
    fps = pa.table({"period": list(fingerprints), "fingerprint": list(fingerprints.values())})  # noqa: F841
    try:
        by_basis = "" if basis is None else " and t.rank_basis = $basis"
        rows = con.execute(
            f"select t.period, count(*) from {table} as t inner join fps as f on t.period = f.period "
            f"and t.inputs_fingerprint = f.fingerprint{by_basis} group by t.period",
            {} if basis is None else {"basis": basis}).fetchall()
    except duckdb.Error:  # first build, or a table from before the fingerprints (or without rank_basis)
        return None
    counts = dict(rows)
    return {p for p, n in rows_per_period.items() if counts.get(p, 0) == n}


def reuse_stats(model: str, periods: int, computed: list[str]) -> None:
    """Record in the build run's cache how many periods a score model computed (the rest were reused), and which:
    the build reports it, the bench and the tests read it, and promotion rewrites those periods of the marts."""
    cache = run_cache()
    if cache is not None:
        cache.setdefault("score_reuse", {})[model] = {"periods": periods, "computed": len(computed),
                                                      "computed_periods": computed}


def score_periods(stats: Mapping[str, Mapping[str, int]]) -> dict[str, str]:
    """``run_models``' score ``stats`` as a build reports them: model -> "computed/periods" (e.g. "1/40")."""
    return {model: f"{s['computed']}/{s['periods']}" for model, s in sorted(stats.items()) if "computed" in s}


def split_periods(con: duckdb.DuckDBPyConnection, table: str, model: str, fingerprints: Mapping[str, str],
                  rows_per_period: Mapping[str, int], basis: str | None = None) -> tuple[set[str] | None, np.ndarray]:
    """(the periods whose previous rows stay, None = rewrite the table; the periods to compute [P] bool)."""
    kept = kept_periods(con, table, fingerprints, rows_per_period, basis)
    done = kept if kept is not None else {p for p, n in rows_per_period.items() if n == 0}
    todo = np.array([p not in done for p in fingerprints], dtype=bool)
    reuse_stats(model, len(todo), [p for p, t in zip(fingerprints, todo, strict=True) if t])
    return kept, todo
