"""The score step's inputs: the indicator scores of the ranked periods as dense arrays [period, city, indicator],
the aggregation tree and the scoring variants, read from the intermediate tables for the rank Monte Carlo
(``montecarlo``) and the sensitivity analysis (``sensitivity``); and, per period, a hash of the rows they are read
from (``row_hashes``), so that a night with a few changed reports reads only the periods it recomputes
(``reuse.period_fingerprints``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from transforms.build.runcache import run_cache
from transforms.core.memory import release_freed_memory

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
# every (period, city) of the arrays, whichever periods are read: a period's cells sit at the same positions
_CELLS = f"select period, city_code from ({_SCORED_CELLS}) union select distinct period, city_code from ({_SCOPES})"
# only some periods' rows (an incremental night): appended to a query whose last clause is its ``where``
_IN_PERIODS = " and s.period in (select unnest($periods))"
# per period, an order-free hash of every row the score models read of it (_SCORED with the columns of both bases,
# _SCOPES, the scoring variants): counted in SQL, so that a night reads the arrays of the changed periods only
_ROW_HASHES = f"""
    select period, count(*), sum(h)::varchar from (
        select period, hash(city_code, indicator_code, observed_score, value, score_size_adjusted, has_value) as h
        from ({_SCORED})
        union all
        select period, hash('scope', city_code, scope, has_score) from ({_SCOPES})
        {{variants}}
    ) group by period
"""


def ranked_cities(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """period -> how many cities have an overall score (the outputs of the sensitivity analysis), every period."""
    return dict(con.execute(f"select period, count(*) filter (where has_score) from ({_SCOPES}) "
                            "where scope = 'overall' group by period").fetchall())


def row_hashes(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """period -> the count and hash of its rows (``_ROW_HASHES``), once per build run (both score models read it)."""
    cache = run_cache()
    key = ("score_row_hashes", id(con))
    if cache is not None and key in cache:
        return cache[key]
    variants = "union all select period, hash(v) from intermediate.int_indicator_score_variants as v"
    try:
        con.execute("select 1 from intermediate.int_indicator_score_variants limit 0")
    except duckdb.CatalogException:  # a build without the model (_read_variants reads none either)
        variants = ""
    out = {p: f"{n}:{h}" for p, n, h in con.execute(_ROW_HASHES.format(variants=variants)).fetchall()}
    if cache is not None:
        cache[key] = out
    return out


def inputs(con: duckdb.DuckDBPyConnection, options: Mapping[str, str] | None = None,
           basis: str = "raw", periods: Sequence[str] | None = None) -> ScoreInputs:
    """The dense inputs of ``basis`` for ``periods`` (every period by default; ``()``: the catalogue and the tree
    alone, what the fingerprints need), read once per build run: the Monte Carlo and the sensitivity analysis read
    the same intermediate tables, so inside ``run_models`` the second reader gets the first one's arrays (and
    their cached blocks); outside a run a fresh read."""
    cache = run_cache()
    wanted = None if periods is None else tuple(sorted(periods))
    key = ("montecarlo_inputs", id(con), basis, tuple(sorted((options or {}).items())), wanted)
    if cache is None:
        return ScoreInputs(con, options, basis=basis, periods=wanted)
    if key not in cache:
        cache[key] = ScoreInputs(con, options, basis=basis, periods=wanted)
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


def _catalogue(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str], pd.DataFrame]:
    """(every period, every city, one row per scored indicator with its attributes): the same for both bases and
    every choice of periods, so read once per build run (three aggregations over every score row)."""
    cache = run_cache()
    key = ("score_catalogue", id(con))
    if cache is not None and key in cache:
        return cache[key]
    cells = con.sql(_CELLS).to_arrow_table()  # one row per (period, city): the codes, not the rows
    out = _sorted_codes(cells["period"]), _sorted_codes(cells["city_code"]), con.sql(_TREE).df()
    if cache is not None:
        cache[key] = out
    return out


class ScoreInputs:
    """Indicator scores as dense arrays [period, city, indicator] plus the aggregation tree."""

    def __init__(self, con: duckdb.DuckDBPyConnection, options: Mapping[str, str] | None = None,
                 basis: str = "raw", periods: Sequence[str] | None = None) -> None:
        self._read_parameters(scoring_parameters(con, options))
        # every period (what the fingerprints and the kept rows are counted over), the cities, and the periods read
        self.all_periods, self.cities, tree = _catalogue(con)
        self.periods = self.all_periods if periods is None else sorted(set(periods) & set(self.all_periods))
        self._only = None if periods is None else {"periods": self.periods}
        scopes = self._rows(con, _SCOPES).to_arrow_table()
        self.indicators = sorted(set(tree["indicator_code"]) - {None})
        self._build_tree(con, tree)
        self._fill_arrays(con, scopes, basis)
        self._read_variants(con, basis)
        release_freed_memory()  # the Arrow tables and temporaries of the reads above
        self._rules: dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]] = {}

    def _rows(self, con: duckdb.DuckDBPyConnection, query: str) -> duckdb.DuckDBPyRelation:
        """``query``'s rows of the periods read (its last clause is a ``where`` on ``s``)."""
        return con.sql(query) if self._only is None else con.sql(query + _IN_PERIODS, params=self._only)

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
        for scored in self._rows(con, _SCORED).to_arrow_reader(_BATCH_ROWS):
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
            only = "" if self._only is None else " and s.period in (select unnest($periods))"
            reader = con.sql("select * from intermediate.int_indicator_score_variants as s where (basis = 'raw' or "
                             f"(basis = 'size_adjusted' and $sized)){only} order by basis",
                             params={"sized": basis == "size_adjusted", **(self._only or {})}
                             ).to_arrow_reader(_BATCH_ROWS)
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


