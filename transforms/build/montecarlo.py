"""The rank-uncertainty Monte Carlo: the numpy body of the Python model sql/intermediate/int_rank_uncertainty.py.

Why Python here: the Monte Carlo re-aggregates every city's indicator scores a thousand times under perturbed
weights and method choices; that is a few vectorised numpy array operations, but a thousand SQL self-joins.
Everything else about the scores lives in ``sql/intermediate`` and ``sql/marts`` (see docs/methodology.md).

The model runner (transforms.build.models) runs it after the intermediate models it reads and before the marts
that read ``intermediate.int_rank_uncertainty``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from transforms.build.increment import Increment
from transforms.build.kernel import tree_scores
from transforms.build.ranks import competition_ranks as _competition_ranks
from transforms.build.reuse import period_fingerprints, split_periods
from transforms.build.scoreinputs import VARIANTS, ScoreInputs, _dense, inputs, row_hashes
from transforms.core.memory import release_freed_memory

CHUNK = 50  # draws per random-number chunk (fixed: the seed decides the draws at every scale)
RANK_BLOCK_PERIODS = 4  # periods per ranking block
MC_RANK_BYTES = int(os.environ.get("HNPLUS_MC_RANK_BYTES", str(512 * 2**20)))  # rank store per block
MC_THREADS = int(os.environ.get("HNPLUS_MC_THREADS", "4"))  # at most this many threads (and no more than cores)
def _scope_scores_by_scope(inp: ScoreInputs, w_ind: np.ndarray, w_special: np.ndarray, w_action: np.ndarray,
                           n_geo: int, exclude: np.ndarray, out: tuple[np.ndarray, np.ndarray] | None = None,
                           cells: tuple[int, int] | None = None, alpha: np.ndarray | None = None,
                           combo: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Scores and presence [scope, cells, d] for d draws (weights [d, n]; the first ``n_geo`` draws geometric;
    ``alpha`` [d] the weight of a special's independent part, independent_weight by default); ``cells`` = (first,
    last) of the (period, city) cells, all by default.

    Draws are the last axis; nothing of size [draws, cells, indicators] is ever built, which at 333 cities would
    take gigabytes. The tree is aggregated by the compiled ``kernel.tree_scores``; special scores are arithmetic
    means.
    """
    n_scopes, d = len(inp.actions) + 1, len(w_ind)
    alpha = np.full(d, inp.alpha) if alpha is None else alpha
    first, last = cells if cells is not None else (0, inp.obs.shape[0] * inp.obs.shape[1])
    shape = (n_scopes, last - first, d)
    # ``out``: buffers the caller reuses chunk after chunk (a fresh 60 MB array costs its page faults every time)
    scores, present = out if out is not None else (np.empty(shape), np.empty(shape, dtype=bool))
    zero, excl = inp.rule_cells(first, last, combo)
    # each draw's indicator weights under the rule it draws, 0 under the other ([indicators, d], draws contiguous);
    # every array C-contiguous, writeable float64: the one signature ``kernel.warm`` compiles
    tree_scores(zero, excl, *inp.tree, _dense((w_ind * ~exclude[:, None]).T), _dense((w_ind * exclude[:, None]).T),
                _dense(w_special.T), _dense(w_action.T), _dense(alpha), int(n_geo), float(inp.floor), scores, present)
    return scores, present


def _scope_scores(inp: ScoreInputs, w_ind: np.ndarray, w_special: np.ndarray, w_action: np.ndarray,
                  n_geo: int, exclude: np.ndarray) -> np.ndarray:
    """Scores [d, P, C, scope] for a batch of d draws (NaN where a scope has no score)."""
    s, ok = _scope_scores_by_scope(inp, w_ind, w_special, w_action, n_geo, exclude)
    p, c = inp.obs.shape[:2]
    return np.where(ok, s, np.nan).reshape(len(s), p, c, len(w_ind)).transpose(3, 1, 2, 0)


def nominal_scores(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Scores recomputed in numpy with the seeded weights and parameters: a cross-check of the SQL models."""
    inp = ScoreInputs(con)
    n_geo = int(inp.aggregation == "geometric")
    exclude = np.array([inp.missing_rule == "exclude"])
    s = _scope_scores(inp, inp.w_ind[None], inp.w_special[None], inp.w_action[None], n_geo, exclude)[0]
    P, C, S = s.shape
    return pd.DataFrame({
        "period": np.repeat(inp.periods, C * S),
        "city_code": np.tile(np.repeat(inp.cities, S), P),
        "scope": np.tile(inp.scopes, P * C),
        "score": s.reshape(-1),
    })


def _rank_quantiles(inp: ScoreInputs, chunks: list[tuple], draws: int, p0: int,
                    p1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For periods [p0, p1): per (period, city, scope) the number of draws with a rank and the nearest-rank
    median, 5th and 95th percentile ranks (arrays [p1 - p0, C, S])."""
    P, C, S = p1 - p0, len(inp.cities), len(inp.scopes)
    n_cells = P * C * S
    # ranks per cell (period, city, scope) x draw; no rank in a draw is stored as the largest int16, so a sort
    # puts it last. int16 holds ranks up to 32,766 cities.
    none = np.iinfo(np.int16).max
    # every draw is in exactly one chunk, and a quantile does not depend on the order of the draws: chunk i fills
    # the columns [starts[i], starts[i] + its draws) (a slice, not a scatter to the draws' positions: 3 s less at L)
    starts = np.cumsum([0] + [len(c[0]) for c in chunks[:-1]]).tolist()
    ranks = np.empty((n_cells, draws), dtype=np.int16)
    has_score = inp.has_score[p0:p1].transpose(2, 0, 1)[..., None]  # [S, P, C, 1]
    buffers = threading.local()

    def rank_chunk(c0: int, chunk: tuple) -> None:
        _, w_ind, w_sp, w_ac, geometric, exclude, alpha, combo = chunk
        d = len(w_ind)
        if getattr(buffers, "d", None) != d:
            buffers.d = d
            buffers.out = (np.empty((S, P * C, d)), np.empty((S, P * C, d), dtype=bool))
            buffers.ranks = np.empty((P, C, S, d), dtype=np.int16)
        order = np.argsort(~geometric, kind="stable")  # geometric draws first (kernel.tree_scores)
        scores, ok = _scope_scores_by_scope(inp, w_ind[order], w_sp[order], w_ac[order], int(geometric.sum()),
                                            exclude[order], out=buffers.out, cells=(p0 * C, p1 * C),
                                            alpha=alpha[order], combo=combo)
        scores, valid = scores.reshape(S, P, C, d), has_score & ok.reshape(S, P, C, d)
        r = buffers.ranks
        for si in range(S):  # small blocks again: cache-sized temporaries
            for b0 in range(0, P, RANK_BLOCK_PERIODS):
                b1 = min(P, b0 + RANK_BLOCK_PERIODS)
                block = _competition_ranks(scores[si, b0:b1], valid[si, b0:b1], inp.rounding, axis=1)
                r[b0:b1, :, si] = np.where(block > 0, block, none)
        ranks[:, c0:c0 + d] = r.reshape(n_cells, d)

    # numpy releases the GIL in its array loops: one thread per core; each chunk writes its own columns
    with ThreadPoolExecutor(max_workers=max(1, min(os.cpu_count() or 1, MC_THREADS))) as pool:
        list(pool.map(rank_chunk, starts, chunks))
    counts = (ranks != none).sum(axis=1)
    ranks.sort(axis=1)
    rows = np.arange(n_cells)

    def q(p: float) -> np.ndarray:
        # nearest-rank quantiles (inverted CDF) keep intervals on whole ranks; draws without a rank sort last
        k = np.clip(np.ceil(p * counts).astype(int) - 1, 0, max(draws - 1, 0))
        return ranks[rows, k].astype(float) if draws else np.full(n_cells, np.nan)

    shape = (P, C, S)
    return counts.reshape(shape), q(0.5).reshape(shape), q(0.05).reshape(shape), q(0.95).reshape(shape)


def draw_chunks(inp: ScoreInputs, draws: int, seed: int) -> list[tuple]:
    """The random method choices of every draw (same seed, same draws at every scale): indicator, special and
    action weights times Uniform(1 - spread, 1 + spread), geometric aggregation with probability
    mc_geometric_share, the 'exclude' missing rule with probability mc_exclude_share, the status items dropped with
    probability mc_status_drop_share, the independent part's weight uniform within independent_weight -/+
    mc_independent_weight_spread, and each scoring variant (no outlier treatment, moving goalposts, rare counts on
    targets) with probability mc_variant_share. The random numbers are drawn in chunks of ``CHUNK`` in the seed's
    order; the draws are then regrouped into chunks that share one combination of variants (one set of matrices
    per chunk) and carry their positions."""
    rng = np.random.default_rng(seed)
    lo, hi = 1 - inp.spread, 1 + inp.spread
    p_drop = float(inp.params["mc_status_drop_share"])
    a_spread = float(inp.params["mc_independent_weight_spread"])
    p_variant = float(inp.params["mc_variant_share"])
    parts = []
    for start in range(0, draws, CHUNK):
        d = min(CHUNK, draws - start)
        w_ind = inp.w_ind[None] * rng.uniform(lo, hi, (d, len(inp.w_ind)))
        w_sp = inp.w_special[None] * rng.uniform(lo, hi, (d, len(inp.w_special)))
        w_ac = inp.w_action[None] * rng.uniform(lo, hi, (d, len(inp.w_action)))
        geometric = rng.random(d) < inp.p_geometric
        exclude = rng.random(d) < inp.p_exclude
        drop = rng.random(d) < p_drop
        alpha = rng.uniform(inp.alpha - a_spread, inp.alpha + a_spread, d)
        # no random number is spent on the variants when none can be drawn (mc_variant_share = 0)
        combo = (((rng.random((d, len(VARIANTS))) < p_variant) * (1 << np.arange(len(VARIANTS)))).sum(axis=1)
                 if p_variant > 0 else np.zeros(d, dtype=np.int64))
        w_ind[np.ix_(drop, inp.status_items)] = 0.0
        parts.append((np.arange(start, start + d), w_ind, w_sp, w_ac, geometric, exclude, alpha, combo))
    return group_by_variant([np.concatenate(cols) for cols in zip(*parts, strict=True)]) if parts else []


def group_by_variant(draws: list[np.ndarray]) -> list[tuple]:
    """Chunks of at most ``CHUNK`` draws that share one combination of scoring variants (the last array)."""
    combo = draws[-1]
    chunks = []
    for c in np.unique(combo):
        idx = np.flatnonzero(combo == c)
        for k in range(0, len(idx), CHUNK):
            sel = idx[k:k + CHUNK]
            chunks.append((*(a[sel] for a in draws[:-1]), int(c)))
    return chunks


def period_blocks(inp: ScoreInputs, draws: int) -> list[tuple[int, int]]:
    """Blocks [p0, p1) of the periods read whose every draw's rank (int16, for exact quantiles) fits in
    MC_RANK_BYTES: ranks compare cities within a period, so a block is computed on its own (all
    40 periods at 333 cities, 7 at 2,850). The sensitivity analysis uses the same blocks (and cached cell blocks)."""
    P, C, S = len(inp.periods), len(inp.cities), len(inp.scopes)
    step = max(1, min(P, MC_RANK_BYTES // max(1, C * S * max(draws, 1) * 2)))
    return [(p0, min(P, p0 + step)) for p0 in range(0, P, step)]


def _intervals(inp: ScoreInputs, chunks: list[tuple], draws: int) -> tuple[np.ndarray, ...]:
    """Median and 5-95 % ranks [P, C, S] (NaN where no rank) of the periods read, in the period blocks of
    ``period_blocks``."""
    P, C, S = len(inp.periods), len(inp.cities), len(inp.scopes)
    (med, p05, p95), counts = (np.full((P, C, S), np.nan) for _ in range(3)), np.zeros((P, C, S), dtype=np.int64)
    for p0, p1 in period_blocks(inp, draws):
        counts[p0:p1], med[p0:p1], p05[p0:p1], p95[p0:p1] = _rank_quantiles(inp, chunks, draws, p0, p1)
        release_freed_memory()  # the block's rank store and buffers
    mask = (counts > 0) & inp.has_score
    return tuple(np.where(mask, x, np.nan).reshape(-1) for x in (med, p05, p95))


def rank_uncertainty(con: duckdb.DuckDBPyConnection, options: Mapping[str, str] | None = None) -> pa.Table | Increment:
    """Monte Carlo of each city's rank per (period, scope) under perturbed weights and method choices
    (``draw_chunks``), for the raw and the size-adjusted rank. Cities without a published score for a scope get no
    rank. Returns the rows of ``int_rank_uncertainty``. Draws and seed are the parameters mc_draws and mc_seed
    (``options`` may override them); the size-adjusted view uses the same draws. A period whose inputs have the
    fingerprint of the previous build keeps that build's rows (``reuse.REUSE``); the others are computed."""
    meta = inputs(con, options, periods=())  # the catalogue and the tree: what the fingerprints need
    fingerprints = period_fingerprints(meta, row_hashes(con), {"model": "int_rank_uncertainty"})
    C, S = len(meta.cities), len(meta.scopes)
    kept, todo = split_periods(con, "intermediate.int_rank_uncertainty", "int_rank_uncertainty", fingerprints,
                               dict.fromkeys(meta.all_periods, C * S))
    # only the periods to compute are read (all of them: the same read as without reuse)
    periods = None if todo.all() else [p for p, t in zip(fingerprints, todo, strict=True) if t]
    inp, sized = inputs(con, options, periods=periods), inputs(con, options, basis="size_adjusted", periods=periods)
    draws, seed = int(inp.params["mc_draws"]), int(inp.params["mc_seed"])
    P = len(inp.periods)
    chunks = draw_chunks(inp, draws, seed) if P else []
    med, p05, p95 = _intervals(inp, chunks, draws)
    med_s, p05_s, p95_s = _intervals(sized, draw_chunks(sized, draws, seed) if P else [], draws)
    df = pd.DataFrame({  # noqa: F841 (read by DuckDB through its replacement scan)
        "period": np.repeat(inp.periods, C * S),
        "city_code": np.tile(np.repeat(inp.cities, S), P),
        "scope": np.tile(inp.scopes, P * C),
        "median_rank": med, "rank_p05": p05, "rank_p95": p95,
        "median_rank_size_adjusted": med_s, "rank_p05_size_adjusted": p05_s,
        "rank_p95_size_adjusted": p95_s,
        "draws": np.full(P * C * S, draws),
        "seed": np.full(P * C * S, seed),
    })
    df["inputs_fingerprint"] = df["period"].map(fingerprints)
    computed = con.sql(
        "select cast(period as varchar) as period, cast(city_code as varchar) as city_code, "
        "cast(scope as varchar) as scope, cast(median_rank as integer) as median_rank, "
        "cast(rank_p05 as integer) as rank_p05, cast(rank_p95 as integer) as rank_p95, "
        "cast(median_rank_size_adjusted as integer) as median_rank_size_adjusted, "
        "cast(rank_p05_size_adjusted as integer) as rank_p05_size_adjusted, "
        "cast(rank_p95_size_adjusted as integer) as rank_p95_size_adjusted, "
        "cast(draws as integer) as draws, cast(seed as bigint) as seed, "
        "cast(inputs_fingerprint as varchar) as inputs_fingerprint "
        "from df order by period, scope, city_code").to_arrow_table()
    if kept is None:  # the whole table
        return computed
    # the kept periods' rows stay where they are; the others (computed, or gone) are replaced
    return Increment(computed, "period not in (select unnest($kept))", {"kept": sorted(kept)})
