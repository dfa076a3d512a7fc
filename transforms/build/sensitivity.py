"""Variance-based sensitivity of every city's overall rank to each method choice (first-order S_i, total S_Ti).

The choices are those of the rank Monte Carlo (``montecarlo.draw_chunks``): the weights (every indicator, special
and action weight, one group), the aggregation (arithmetic or geometric), the missing-data rule (zero or
exclude), the self-declared status items (kept or dropped), the weight of the independent evidence, the outlier
treatment (COINr or none), the goalposts (frozen at 2018Q4 or moving with the whole series) and the rare counts
(on goalposts or on their fractional targets). SALib draws
a scrambled Sobol sequence of N x (choices + 2) points (Saltelli's scheme, no second-order terms) and estimates
S_i and S_Ti with its Saltelli/Jansen estimators (applied to all cities at once) and bootstrap confidence
intervals; the model evaluations reuse the Monte Carlo's vectorised aggregation, so they cost what as many Monte
Carlo draws cost. A rank that never moves
has no variance to apportion: its indices are null.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import duckdb
import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from transforms.build.increment import Increment
from transforms.build.montecarlo import (
    MC_THREADS,
    _competition_ranks,
    _scope_scores_by_scope,
    group_by_variant,
    period_blocks,
)
from transforms.build.reuse import period_fingerprints, split_periods
from transforms.build.scoreinputs import VARIANTS, ScoreInputs, inputs, ranked_cities, row_hashes
from transforms.core.memory import release_freed_memory

CHOICES = ("weights", "aggregation", "missing_rule", "status_items", "independent_weight", "outlier_treatment",
           "goalposts", "rare_counts")
RESAMPLES = 100


def problem(inp: ScoreInputs) -> dict:
    """The SALib problem: every weight multiplier is its own variable, grouped as one choice 'weights'."""
    n_w = len(inp.w_ind) + len(inp.w_special) + len(inp.w_action)
    names = [f"w{i}" for i in range(n_w)] + list(CHOICES[1:])
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names),
            "groups": ["weights"] * n_w + list(CHOICES[1:])}


def _choices(inp: ScoreInputs, x: np.ndarray) -> tuple[np.ndarray, ...]:
    """Sample points [d, vars] in the unit cube as the Monte Carlo's draws (same ranges and probabilities)."""
    lo, spread = 1 - inp.spread, 2 * inp.spread
    n_i, n_k = len(inp.w_ind), len(inp.w_special)
    n_w = n_i + n_k + len(inp.w_action)
    w_ind = inp.w_ind[None] * (lo + spread * x[:, :n_i])
    w_sp = inp.w_special[None] * (lo + spread * x[:, n_i:n_i + n_k])
    w_ac = inp.w_action[None] * (lo + spread * x[:, n_i + n_k:n_w])
    geometric = x[:, n_w] < inp.p_geometric
    exclude = x[:, n_w + 1] < inp.p_exclude
    drop = x[:, n_w + 2] < float(inp.params["mc_status_drop_share"])
    a_spread = float(inp.params["mc_independent_weight_spread"])
    alpha = inp.alpha - a_spread + 2 * a_spread * x[:, n_w + 3]
    p_variant = float(inp.params["mc_variant_share"])
    combo = ((x[:, n_w + 4:n_w + 4 + len(VARIANTS)] < p_variant) * (1 << np.arange(len(VARIANTS)))).sum(axis=1)
    w_ind[np.ix_(drop, inp.status_items)] = 0.0
    return np.arange(len(x)), w_ind, w_sp, w_ac, geometric, exclude, alpha, combo


def overall_ranks(inp: ScoreInputs, x: np.ndarray, periods: tuple[int, int] | None = None) -> np.ndarray:
    """The overall rank [P, C, d] of every city under each of the d sample points (0 where not ranked), for the
    periods [p0, p1) of ``periods`` (all by default): ranks compare cities within one period."""
    p0, p1 = periods if periods is not None else (0, len(inp.periods))
    P, C = p1 - p0, len(inp.cities)
    out = np.zeros((P, C, len(x)), dtype=np.int32)
    valid = inp.has_score[p0:p1, :, -1][..., None]

    def rank_chunk(chunk: tuple) -> None:
        positions, w_ind, w_sp, w_ac, geometric, exclude, alpha, combo = chunk
        order = np.argsort(~geometric, kind="stable")  # geometric draws first (kernel.tree_scores)
        scores, ok = _scope_scores_by_scope(inp, w_ind[order], w_sp[order], w_ac[order], int(geometric.sum()),
                                            exclude[order], cells=(p0 * C, p1 * C), alpha=alpha[order],
                                            combo=combo)
        d = len(order)
        overall, present = scores[-1].reshape(P, C, d), ok[-1].reshape(P, C, d) & valid
        out[:, :, positions[order]] = _competition_ranks(overall, present, inp.rounding, axis=1)

    chunks = group_by_variant(list(_choices(inp, x)))
    # as the Monte Carlo: numpy releases the GIL in its array loops, one thread per core, each chunk its columns
    with ThreadPoolExecutor(max_workers=max(1, min(os.cpu_count() or 1, MC_THREADS))) as pool:
        list(pool.map(rank_chunk, chunks))
    return out


def _indices(prob: dict, y: np.ndarray, seed: int) -> dict[str, np.ndarray] | None:
    """SALib's Sobol analysis of one output (the reference path the vectorised one is tested against)."""
    if np.ptp(y) == 0:
        return None
    res = sobol_analyze.analyze(prob, y.astype(float), calc_second_order=False, num_resamples=RESAMPLES,
                                print_to_console=False, seed=seed)
    return {k: np.asarray(res[k], dtype=float) for k in ("S1", "S1_conf", "ST", "ST_conf")}


def indices(y: np.ndarray, groups: int, seed: int) -> dict[str, np.ndarray]:
    """S_i, S_Ti and their 95 % bootstrap half-widths [groups, outputs] for outputs y [evaluations, outputs] laid
    out as SALib's Sobol sample (A, AB_1 .. AB_D, B per base sample), with SALib's own estimators
    (``first_order``: Saltelli 2010, ``total_order``: Jansen), vectorised over the outputs: one call per output
    would take minutes at 333 cities. NaN where an output never varies."""
    y = y.astype(float)
    varies = np.ptp(y, axis=0) > 0
    # SALib standardises each output before estimating (Sobol.analyze): the same here, per output
    y = (y - y.mean(axis=0)) / np.where(varies, y.std(axis=0), 1.0)
    step = groups + 2
    a, b = y[0::step], y[step - 1::step]
    n = len(a)
    rng = np.random.default_rng(seed)
    boot = _Bootstrap(a, b, rng.integers(n, size=(RESAMPLES, n)))
    z = 1.959963984540054  # the standard normal's 97.5 % point, as SALib's conf_level = 0.95
    out = {k: np.full((groups, y.shape[1]), np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib warns once per call on outputs that never vary: masked below
        for j in range(groups):
            ab = y[j + 1::step]
            out["S1"][j] = sobol_analyze.first_order(a, ab, b)
            out["ST"][j] = sobol_analyze.total_order(a, ab, b)
            s1, st = boot.estimates(ab)
            out["S1_conf"][j], out["ST_conf"][j] = z * s1.std(axis=0, ddof=1), z * st.std(axis=0, ddof=1)
    for k in out:
        out[k][:, ~varies] = np.nan
    return out


class _Bootstrap:
    """SALib's estimators on every bootstrap resample at once. A resample is a count vector over the base samples
    (how often each is drawn), so each mean over a resample is one row of a [resamples, n] x [n, outputs] matrix
    product: no resampled copy of the outputs is made (copying them took minutes at 333 cities). Equal to
    ``first_order(a[r], ab[r], b[r])`` per resample r up to float rounding; a resample on which an output is
    constant scores 0, as SALib does."""

    def __init__(self, a: np.ndarray, b: np.ndarray, resamples: np.ndarray) -> None:
        n = a.shape[0]
        self.a, self.b, self.n = a, b, n
        self.counts = np.zeros((len(resamples), n))
        np.add.at(self.counts, (np.repeat(np.arange(len(resamples)), n), resamples.ravel()), 1.0)
        c = self.counts
        mean = (c @ a + c @ b) / (2 * n)
        self.var = (c @ (a * a) + c @ (b * b)) / (2 * n) - mean * mean
        # the outputs are standardised (variance 1): a resample's variance below this is rounding of a constant
        self.ok = self.var > 1e-9

    def estimates(self, ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(first-order, total) estimates [resamples, outputs] for one group's AB matrix."""
        c, n, var = self.counts, self.n, np.where(self.ok, self.var, 1.0)
        s1 = (c @ (self.b * (ab - self.a))) / n / var
        st = 0.5 * (c @ ((self.a - ab) ** 2)) / n / var
        return np.where(self.ok, s1, 0.0), np.where(self.ok, st, 0.0)


KEYS = ("S1", "S1_conf", "ST", "ST_conf")


def _block_indices(inp: ScoreInputs, x: np.ndarray, p0: int, p1: int, seed: int) -> tuple[np.ndarray, ...]:
    """(ranked cells as positions in [P x C], the indices [4, choices, outputs] in ``KEYS`` order, the rank
    variance [outputs]) of the periods [p0, p1). Every output's indices depend on its own ranks only (the
    bootstrap's resamples are drawn from the seed afresh per call), so blocks give the whole sample's values."""
    C = len(inp.cities)
    ranks = overall_ranks(inp, x, (p0, p1))  # [p1 - p0, C, evaluations]
    ranked = inp.has_score[p0:p1, :, -1].reshape(-1)
    y = ranks.reshape((p1 - p0) * C, len(x)).T[:, ranked]
    del ranks
    # one period's outputs at a time: the bootstrap's matrix products round in the last bit by their shape, so a
    # period computed alone (an incremental night) must see the shape it has in a full build
    ends = np.cumsum(inp.has_score[p0:p1, :, -1].sum(axis=1)).tolist()
    parts = [indices(y[:, a:b], len(CHOICES), seed) for a, b in zip([0, *ends], ends, strict=False) if b > a]
    # a warehouse with no ranked city (no report loaded yet) has no outputs: no rows, not an error
    idx = {k: np.concatenate([part[k] for part in parts], axis=1) if parts else np.empty((len(CHOICES), 0))
           for k in KEYS}
    release_freed_memory()  # the block's ranks and the bootstrap's arrays
    return np.flatnonzero(ranked) + p0 * C, np.stack([idx[k] for k in KEYS]), y.var(axis=0)


def rank_sensitivity(con: duckdb.DuckDBPyConnection, options: Mapping[str, str] | None = None,
                     ) -> pd.DataFrame | Increment:
    """S_i and S_Ti of each choice for every ranked (period, city), raw and size-adjusted overall rank.

    Computed in the Monte Carlo's period blocks (``montecarlo.period_blocks``): every evaluation's rank of every
    cell at once is [evaluations x cells] (1.2 GB as float64 at 2,850 units over 40 periods, three times over
    while standardised); a block holds its periods' only. One block at 333 cities. A period whose inputs have the
    fingerprint of the previous build keeps that build's rows (``reuse.REUSE``)."""
    frames, kept_by_basis = [], {}
    meta = inputs(con, options, periods=())  # the catalogue and the tree: what the fingerprints need
    ranked = ranked_cities(con)
    for basis in ("raw", "size_adjusted"):
        fingerprints = period_fingerprints(meta, row_hashes(con), {"model": "int_rank_sensitivity", "basis": basis})
        kept_by_basis[basis], todo = split_periods(
            con, "intermediate.int_rank_sensitivity", f"int_rank_sensitivity.{basis}", fingerprints,
            {p: ranked.get(p, 0) * len(CHOICES) for p in meta.all_periods}, basis=basis)
        if kept_by_basis[basis] is not None and not todo.any():
            continue  # every period kept: no sample, no rows
        # only the periods to compute are read (all of them: the same read as without reuse)
        periods = None if todo.all() else [p for p, t in zip(fingerprints, todo, strict=True) if t]
        inp = inputs(con, options, basis=basis, periods=periods)
        n, seed = int(inp.params["sa_base_samples"]), int(inp.params["sa_seed"])
        C = len(inp.cities)
        x = sobol_sample.sample(problem(inp), n, calc_second_order=False, seed=seed)
        blocks = period_blocks(inp, int(inp.params["mc_draws"])) or [(0, 0)]  # no period: one empty block
        parts = [_block_indices(inp, x, p0, p1, seed) for p0, p1 in blocks]
        cells, idx, variance = (np.concatenate(a, axis=-1) for a in zip(*parts, strict=True))
        periods = np.asarray(inp.periods, dtype=str)[cells // C]
        for i, choice in enumerate(CHOICES):
            frames.append(pd.DataFrame({
                "period": periods, "city_code": np.asarray(inp.cities, dtype=str)[cells % C],
                "rank_basis": basis, "choice": choice, "first_order": idx[0, i], "first_order_conf": idx[1, i],
                "total_order": idx[2, i], "total_order_conf": idx[3, i], "rank_variance": variance,
                "evaluations": len(x), "seed": seed, "inputs_fingerprint": [fingerprints[p] for p in periods]}))
    out = _ordered(frames)
    if any(k is None for k in kept_by_basis.values()):  # the whole table
        return out
    # the kept (period, basis) rows stay where they are; the others (computed, or gone) are replaced
    return Increment(out, "(rank_basis = 'raw' and period not in (select unnest($raw))) or (rank_basis = "
                     "'size_adjusted' and period not in (select unnest($size_adjusted)))",
                     {b: sorted(k or ()) for b, k in kept_by_basis.items()})


_COLUMNS = ("period", "city_code", "rank_basis", "choice", "first_order", "first_order_conf", "total_order",
            "total_order_conf", "rank_variance", "evaluations", "seed", "inputs_fingerprint")


def _ordered(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The rows in one order and one set of types, however many were computed: the choices in CHOICES order within
    (period, city, basis)."""
    # the empty frame only when nothing was computed: concatenated with the computed ones it would turn every float
    # column into Python objects first (1.8 M rows at county scale: some 700 MB more at the build's peak)
    parts = [f[list(_COLUMNS)] for f in frames] or [pd.DataFrame({c: pd.Series(dtype="object") for c in _COLUMNS})]
    out = pd.concat(parts, ignore_index=True).astype({
        "evaluations": "int64", "seed": "int64", "first_order": "float64", "first_order_conf": "float64",
        "total_order": "float64", "total_order_conf": "float64", "rank_variance": "float64"})
    out["_choice"] = out["choice"].map({c: i for i, c in enumerate(CHOICES)})
    out = out.sort_values(["period", "city_code", "rank_basis", "_choice"], kind="stable", ignore_index=True)
    return out.drop(columns="_choice")
