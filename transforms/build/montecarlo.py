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
from functools import cached_property

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from transforms.build.increment import Increment
from transforms.build.kernel import tree_scores
from transforms.build.ranks import competition_ranks as _competition_ranks
from transforms.build.reuse import fingerprints_of, period_runs, split_periods
from transforms.build.runcache import run_cache
from transforms.core.memory import release_freed_memory

CHUNK = 50  # draws per random-number chunk (fixed: the seed decides the draws at every scale)
RANK_BLOCK_PERIODS = 4  # periods per ranking block
MC_RANK_BYTES = int(os.environ.get("HNPLUS_MC_RANK_BYTES", str(512 * 2**20)))  # rank store per block
MC_THREADS = int(os.environ.get("HNPLUS_MC_THREADS", "4"))  # at most this many threads (and no more than cores)
# the scoring variants a draw may pick (int_indicator_score_variants): name -> column, in bit order
VARIANTS = {"untreated": "score_untreated", "moving_goalposts": "score_moving", "rare_on_target": "score_rare_target"}


# the scored indicators of the ranked periods (those of a special and action with a weight) and their scopes:
# per row only the keys and the scores; the indicators' attributes once per indicator (_TREE). Every further
# string column per row cost ~150 MB at county scale (11 M rows) when the rows were read as one Arrow table; they
# are now streamed in batches (_BATCH_ROWS), and the narrow rows still make each batch cheaper.
_SCORED_ROWS = """
    from intermediate.int_indicator_scores as s
    inner join intermediate.int_periods as p on s.period = p.period
    inner join staging.stg_weights as w on w.weight_level = 'special' and w.code = s.special_code
    inner join staging.stg_weights as a on a.weight_level = 'action' and a.code = s.action_code
    where s.is_scored and not p.is_baseline
"""
_SCORED = """
    select s.period, s.city_code, s.indicator_code, s.observed_score, s.value, s.score_size_adjusted,
           s.value_status in ('reported', 'carried_forward') as has_value
""" + _SCORED_ROWS
_SCORED_CELLS = """
    select distinct s.period, s.city_code
""" + _SCORED_ROWS
# rows per Arrow batch when the score rows are streamed into the arrays: the whole result as one Arrow table was a
# transient of ~1.2 GB at county scale (11 M rows), held while the arrays filled, beside the other basis's arrays
_BATCH_ROWS = 1 << 20
_TREE = """
    select s.indicator_code, any_value(s.special_code) as special_code, any_value(s.weight) as weight,
           any_value(s.kind) as kind, any_value(s.evidence) as evidence, count(distinct s.weight) as weights
""" + _SCORED_ROWS + """
    group by s.indicator_code
"""
_SCOPES = """
    select s.period, s.city_code, s.scope, s.has_score
    from intermediate.int_scope_scores as s
    inner join intermediate.int_periods as p on s.period = p.period
    where not p.is_baseline
"""


def inputs(con: duckdb.DuckDBPyConnection, options: Mapping[str, str] | None = None,
           basis: str = "raw") -> _Inputs:
    """The dense inputs of ``basis``, read once per build run: the Monte Carlo and the sensitivity analysis read
    the same intermediate tables, so inside ``run_models`` the second reader gets the first one's arrays (and
    their cached blocks); outside a run a fresh read."""
    cache = run_cache()
    key = ("montecarlo_inputs", id(con), basis, tuple(sorted((options or {}).items())))
    if cache is None:
        return _Inputs(con, options, basis=basis)
    if key not in cache:
        cache[key] = _Inputs(con, options, basis=basis)
    return cache[key]


def _sorted_codes(*columns: pa.ChunkedArray) -> list[str]:
    """The distinct codes of ``columns``, sorted."""
    return sorted(set().union(*(pc.unique(c).to_pylist() for c in columns)) - {None})


def scoring_parameters(con: duckdb.DuckDBPyConnection, options: Mapping[str, str] | None = None) -> dict:
    """The typed row of ``intermediate.int_scoring_parameters`` as a dict, ``options`` overriding it."""
    cur = con.execute("select * from intermediate.int_scoring_parameters")
    params = dict(zip([d[0] for d in cur.description], cur.fetchall()[0], strict=True))
    params.update(options or {})
    return params


class VaryingWeight(ValueError):
    """A dated weight change to a value other than 0: the score step weighs each indicator alike in every period."""


def _one_weight_per_indicator(meta: pd.DataFrame) -> None:
    """Refuse, naming them, indicators whose scored rows carry more than one weight. A dated change to 0 (shown, not
    scored: seeds/indicator_changes.csv) leaves the scored rows one weight; a change to another value would make
    the rank intervals and sensitivity indices weigh every period with one of them while the scores use both."""
    varying = sorted(meta.index[meta["weights"] > 1])
    if varying:
        raise VaryingWeight(
            f"indicators {', '.join(varying)} have more than one weight across the scored periods (a dated weight "
            "change in seeds/indicator_changes.csv to a value other than 0). The uncertainty and sensitivity "
            "analysis weighs an indicator alike in every period; retire it from a date (weight 0) or change its "
            "weight in seeds/weights.csv. / 指标权重随期变化(非 0 的分期权重调整)暂不支持:"
            "请改为自某期起权重为 0,或修改 weights.csv。")


class _Inputs:
    """Indicator scores as dense arrays [period, city, indicator] plus the aggregation tree."""

    def __init__(self, con: duckdb.DuckDBPyConnection, options: Mapping[str, str] | None = None,
                 basis: str = "raw") -> None:
        self._read_parameters(scoring_parameters(con, options))
        scopes = con.sql(_SCOPES).to_arrow_table()
        cells = con.sql(_SCORED_CELLS).to_arrow_table()  # one row per (period, city): the codes, not the rows
        self.periods = _sorted_codes(cells["period"], scopes["period"])
        self.cities = _sorted_codes(cells["city_code"], scopes["city_code"])
        tree = con.sql(_TREE).df()  # one row per scored indicator
        self.indicators = sorted(set(tree["indicator_code"]) - {None})
        self._build_tree(con, tree)
        self._fill_arrays(con, scopes, basis)
        self._read_variants(con, basis)
        release_freed_memory()  # the Arrow tables and temporaries of the reads above
        self._rules: dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]] = {}

    def _read_parameters(self, p: dict) -> None:
        self.params = p
        self.missing_score = float(p["missing_score"])
        self.floor = float(p["geometric_floor"])
        self.rounding = int(p["score_rounding"])
        self.spread = float(p["mc_weight_spread"])
        self.p_geometric = float(p["mc_geometric_share"])
        self.p_exclude = float(p["mc_exclude_share"])
        self.aggregation = p["aggregation"]
        self.missing_rule = p["missing_rule"]

    def _at(self, rows: pa.Table, third: tuple[str, list[str]] | None = None) -> tuple[np.ndarray, ...]:
        """Positions (period, city, third dimension) of ``rows`` in the arrays, by Arrow hash lookups (a Python
        lookup per row takes seconds at 333 cities); rows outside the arrays get -1."""
        column, values = third or ("indicator_code", self.indicators)
        return tuple(
            pc.fill_null(pc.index_in(rows[c], value_set=pa.array(v, type=pa.string())), -1).to_numpy().astype(np.intp)
            for c, v in (("period", self.periods), ("city_code", self.cities), (column, values)))

    def _build_tree(self, con: duckdb.DuckDBPyConnection, tree: pd.DataFrame) -> pd.DataFrame:
        """The aggregation tree as index lists (ascending): a special's indicators, an action's specials; weights.
        ``tree`` holds each indicator's attributes (special, weight, kind, evidence), one row per indicator (_TREE);
        returned indexed by indicator."""
        meta = tree.set_index("indicator_code").reindex(self.indicators)
        _one_weight_per_indicator(meta)
        w_sp = con.execute(
            "select code, parent_code, weight from staging.stg_weights where weight_level = 'special'"
        ).df()
        w_ac = con.execute("select code, weight from staging.stg_weights where weight_level = 'action'").df()
        w_sp = w_sp[w_sp["code"].isin(set(meta["special_code"]))].sort_values("code")
        self.specials = list(w_sp["code"])
        self.actions = sorted(set(w_sp["parent_code"]) & set(w_ac["code"]))
        self.scopes = [*self.actions, "overall"]
        ii = {v: i for i, v in enumerate(self.indicators)}
        ki = {v: i for i, v in enumerate(self.specials)}
        ai = {v: i for i, v in enumerate(self.actions)}
        self.w_ind = meta["weight"].astype(float).to_numpy()
        # the city's self-declared status items (状态事项): a choice of the uncertainty analysis drops them
        self.status_items = (meta["kind"] == "status").to_numpy(dtype=bool)
        # a special's parts: its self-reported and its independent indicators (int_special_scores), each part an
        # arithmetic mean, the special their mean with the part weights of independent_weight
        units = sorted({(meta.loc[c, "special_code"], meta.loc[c, "evidence"]) for c in self.indicators})
        ui = {u: i for i, u in enumerate(units)}
        members: list[list[int]] = [[] for _ in units]
        for c in self.indicators:
            members[ui[meta.loc[c, "special_code"], meta.loc[c, "evidence"]]].append(ii[c])
        self.unit_indicators = [np.array(m, dtype=np.intp) for m in members]
        self.alpha = float(self.params["independent_weight"])
        self.special_units = [[] for _ in self.specials]
        for (special, evidence), i in ui.items():
            self.special_units[ki[special]].append((i, evidence == "independent"))
        self.w_special = w_sp["weight"].astype(float).to_numpy()
        members = [[] for _ in self.actions]
        for code, parent in zip(w_sp["code"], w_sp["parent_code"], strict=True):
            if parent in ai:
                members[ai[parent]].append(ki[code])
        self.action_specials = [np.array(m, dtype=np.intp) for m in members]
        w_ac = w_ac.set_index("code")
        self.w_action = np.array([float(w_ac.loc[a, "weight"]) for a in self.actions])
        return meta

    def _fill_arrays(self, con: duckdb.DuckDBPyConnection, scopes: pa.Table, basis: str) -> None:
        """Dense [period, city, indicator] scores and flags, [period, city, scope] has_score, and the indicator
        scores [cells, indicators] under each missing-data rule: 'zero' scores a missing value as missing_score,
        'exclude' leaves it out (NaN = does not enter the mean). The score rows are read in batches (each cell is
        one row, so the order of the batches does not matter)."""
        n_p, n_c, n_i = len(self.periods), len(self.cities), len(self.indicators)
        self.obs = np.full((n_p, n_c, n_i), np.nan)
        self.applicable = np.zeros((n_p, n_c, n_i), dtype=bool)
        self.missing = np.zeros((n_p, n_c, n_i), dtype=bool)
        for scored in con.sql(_SCORED).to_arrow_reader(_BATCH_ROWS):
            at = self._at(scored)
            # raw or size-adjusted observed scores (the size-adjusted view scores only reported values)
            observed = scored["observed_score"] if basis == "raw" else pc.if_else(
                pc.is_valid(scored["value"]), scored["score_size_adjusted"], None)
            self.obs[at] = pc.cast(observed, pa.float64()).to_numpy(zero_copy_only=False)
            self.applicable[at] = True
            self.missing[at] = ~pc.fill_null(scored["has_value"], False).to_numpy(zero_copy_only=False)
        self.has_score = np.zeros((n_p, n_c, len(self.scopes)), dtype=bool)
        at = self._at(scopes, ("scope", self.scopes))
        keep = at[2] >= 0
        self.has_score[tuple(x[keep] for x in at)] = pc.fill_null(scopes["has_score"], False).to_numpy(
            zero_copy_only=False)[keep]
        obs, app = self.obs.reshape(n_p * n_c, n_i), self.applicable.reshape(n_p * n_c, n_i)
        zero = np.where(app, np.where(self.missing.reshape(n_p * n_c, n_i), self.missing_score, obs), np.nan)
        exclude = np.where(app, obs, np.nan)
        self.rule_values = (zero, exclude)

    def _read_variants(self, con: duckdb.DuckDBPyConnection, basis: str) -> None:
        """The other defensible scores of each observed value (int_indicator_score_variants): NaN = the nominal
        score holds. The size-adjusted view takes its own rows where it has them, else the raw ones."""
        self.variants = {name: np.full(self.obs.shape, np.nan) for name in VARIANTS}
        try:
            reader = con.sql("select * from intermediate.int_indicator_score_variants where basis = 'raw' or "
                             "(basis = 'size_adjusted' and $1) order by basis",
                             params=[basis == "size_adjusted"]).to_arrow_reader(_BATCH_ROWS)
        except duckdb.CatalogException:  # a build without the model: no variants
            return
        for rows in reader:  # in order: the size-adjusted rows after the raw ones win where they exist
            at = self._at(rows)
            inside = (at[0] >= 0) & (at[1] >= 0) & (at[2] >= 0)
            for name, column in VARIANTS.items():
                vals = pc.cast(rows[column], pa.float64()).to_numpy(zero_copy_only=False)
                keep = inside & ~np.isnan(vals)
                self.variants[name][tuple(x[keep] for x in at)] = vals[keep]

    def rule_values_for(self, combo: int) -> tuple[np.ndarray, np.ndarray]:
        """The indicator scores [cells, indicators] under each missing-data rule for a combination of the scoring
        variants (bit 0: no outlier treatment, bit 1: moving goalposts, bit 2: rare counts on targets)."""
        if combo == 0:
            return self.rule_values
        obs = self.obs.copy()
        for bit, name in enumerate(VARIANTS):  # later bits win: moving over untreated, rare counts over both
            if combo >> bit & 1:
                alt = self.variants[name]
                obs = np.where(np.isnan(alt), obs, alt)
        n_p, n_c, n_i = obs.shape
        obs, app = obs.reshape(n_p * n_c, n_i), self.applicable.reshape(n_p * n_c, n_i)
        zero = np.where(app, np.where(self.missing.reshape(n_p * n_c, n_i), self.missing_score, obs), np.nan)
        return zero, np.where(app, obs, np.nan)

    def rule_cells(self, first: int, last: int, combo: int) -> tuple[np.ndarray, np.ndarray]:
        """The cells [first, last) of ``rule_values_for(combo)``, contiguous, kept for the next chunk of draws."""
        key = (first, last, combo)
        if key not in self._rules:
            zero, exclude = self.rule_values_for(combo)
            self._rules[key] = (_dense(zero[first:last]), _dense(exclude[first:last]))
        return self._rules[key]

    @cached_property
    def tree(self) -> tuple[np.ndarray, ...]:
        """The aggregation tree as the flat index arrays of ``kernel.tree_scores``."""
        def ptr(groups: list) -> np.ndarray:
            return np.cumsum([0] + [len(g) for g in groups]).astype(np.int64)

        def flat(groups: list) -> np.ndarray:
            return np.array([x for g in groups for x in g], dtype=np.int64)

        return (ptr(self.unit_indicators), flat(self.unit_indicators), ptr(self.special_units),
                flat([[u for u, _ in s] for s in self.special_units]),
                np.array([i for s in self.special_units for _, i in s], dtype=np.bool_),
                ptr(self.action_specials), flat(self.action_specials))


def _dense(a: np.ndarray) -> np.ndarray:
    return np.require(a, dtype=np.float64, requirements=["C", "W"])


def _scope_scores_by_scope(inp: _Inputs, w_ind: np.ndarray, w_special: np.ndarray, w_action: np.ndarray,
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


def _scope_scores(inp: _Inputs, w_ind: np.ndarray, w_special: np.ndarray, w_action: np.ndarray,
                  n_geo: int, exclude: np.ndarray) -> np.ndarray:
    """Scores [d, P, C, scope] for a batch of d draws (NaN where a scope has no score)."""
    s, ok = _scope_scores_by_scope(inp, w_ind, w_special, w_action, n_geo, exclude)
    p, c = inp.obs.shape[:2]
    return np.where(ok, s, np.nan).reshape(len(s), p, c, len(w_ind)).transpose(3, 1, 2, 0)


def nominal_scores(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Scores recomputed in numpy with the seeded weights and parameters: a cross-check of the SQL models."""
    inp = _Inputs(con)
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


def _rank_quantiles(inp: _Inputs, chunks: list[tuple], draws: int, p0: int,
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


def draw_chunks(inp: _Inputs, draws: int, seed: int) -> list[tuple]:
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


def period_blocks(inp: _Inputs, draws: int, todo: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Blocks [p0, p1) of the periods of ``todo`` (all by default) whose every draw's rank (int16, for exact
    quantiles) fits in MC_RANK_BYTES: ranks compare cities within a period, so a block is computed on its own (all
    40 periods at 333 cities, 7 at 2,850). The sensitivity analysis uses the same blocks (and cached cell blocks)."""
    P, C, S = len(inp.periods), len(inp.cities), len(inp.scopes)
    step = max(1, min(P, MC_RANK_BYTES // max(1, C * S * max(draws, 1) * 2)))
    return period_runs(np.ones(P, dtype=bool) if todo is None else todo, step)


def _intervals(inp: _Inputs, chunks: list[tuple], draws: int,
               todo: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Median and 5-95 % ranks [P, C, S] (NaN where no rank) of the periods of ``todo`` (all by default; the others
    stay NaN), in the period blocks of ``period_blocks``."""
    P, C, S = len(inp.periods), len(inp.cities), len(inp.scopes)
    (med, p05, p95), counts = (np.full((P, C, S), np.nan) for _ in range(3)), np.zeros((P, C, S), dtype=np.int64)
    for p0, p1 in period_blocks(inp, draws, todo):
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
    inp = inputs(con, options)
    sized = inputs(con, options, basis="size_adjusted")
    draws, seed = int(inp.params["mc_draws"]), int(inp.params["mc_seed"])
    P, C, S = len(inp.periods), len(inp.cities), len(inp.scopes)
    fingerprints = fingerprints_of([inp, sized], {"model": "int_rank_uncertainty"})
    kept, todo = split_periods(con, "intermediate.int_rank_uncertainty", "int_rank_uncertainty", fingerprints,
                               dict.fromkeys(inp.periods, C * S))
    chunks = draw_chunks(inp, draws, seed) if todo.any() else []
    med, p05, p95 = _intervals(inp, chunks, draws, todo)
    med_s, p05_s, p95_s = _intervals(sized, draw_chunks(sized, draws, seed) if todo.any() else [], draws, todo)
    rows = np.repeat(todo, C * S)
    df = pd.DataFrame({  # noqa: F841 (read by DuckDB through its replacement scan)
        "period": np.repeat(inp.periods, C * S)[rows],
        "city_code": np.tile(np.repeat(inp.cities, S), P)[rows],
        "scope": np.tile(inp.scopes, P * C)[rows],
        "median_rank": med[rows], "rank_p05": p05[rows], "rank_p95": p95[rows],
        "median_rank_size_adjusted": med_s[rows], "rank_p05_size_adjusted": p05_s[rows],
        "rank_p95_size_adjusted": p95_s[rows],
        "draws": np.full(int(rows.sum()), draws),
        "seed": np.full(int(rows.sum()), seed),
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
