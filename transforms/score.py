"""Scoring steps that SQL does clumsily: the rank-uncertainty Monte Carlo, and the two-phase build around it.

Why Python here: the Monte Carlo re-aggregates every city's indicator scores a thousand times under perturbed
weights and method choices; that is a few vectorised numpy array operations, but a thousand SQL self-joins.
Everything else about the scores lives in ``sql/intermediate`` and ``sql/marts`` (see docs/methodology.md).

Order of a build: seeds -> staging + intermediate models -> ``rank_uncertainty`` -> marts (the marts read
``intermediate.int_rank_uncertainty``).
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from transforms import build
from transforms.catalog import load_seeds
from transforms.paths import SEEDS_DIR, SQL_DIR

PARAMETERS_SEED = "scoring_parameters.csv"
CHUNK = 50  # draws per vectorised batch: bounds memory to a few tens of MB


def load_scoring_parameters(con: duckdb.DuckDBPyConnection, seeds_dir: Path = SEEDS_DIR) -> None:
    """Load seeds/scoring_parameters.csv as ``seeds.scoring_parameters`` (until catalog.SEED_TABLES lists it)."""
    con.execute("create schema if not exists seeds")
    con.execute(
        "create or replace table seeds.scoring_parameters as "
        "select * from read_csv(?, header = true, all_varchar = true, quote = '\"', escape = '\"')",
        [str(seeds_dir / PARAMETERS_SEED)],
    )


def method_version(seeds_dir: Path = SEEDS_DIR) -> str:
    """The scoring method version declared in seeds/scoring_parameters.csv."""
    return _parameters_from_csv(seeds_dir)["method_version"]


def _parameters_from_csv(seeds_dir: Path) -> dict[str, str]:
    df = pd.read_csv(seeds_dir / PARAMETERS_SEED, dtype=str, keep_default_na=False)
    return dict(zip(df["parameter"], df["value"], strict=True))


def run_layers(con: duckdb.DuckDBPyConnection, layers: tuple[str, ...], sql_dir: Path = SQL_DIR) -> dict[str, float]:
    """Materialise the models of the given layers only (``build.run_models`` restricted to ``layers``)."""
    return build.run_models(con, sql_dir, layers=layers)


def build_with_scores(
    con: duckdb.DuckDBPyConnection,
    sql_dir: Path = SQL_DIR,
    seeds_dir: Path = SEEDS_DIR,
    draws: int | None = None,
    seed: int | None = None,
    reload_seeds: bool = True,
) -> dict[str, float]:
    """The build stage: seeds, staging + intermediate, the rank Monte Carlo, then the marts (candidate schema).

    ``reload_seeds=False`` keeps whatever ``seeds.*`` tables the caller prepared (tests use tiny catalogues)
    but still makes sure ``seeds.scoring_parameters`` exists.
    """
    if reload_seeds:
        load_seeds(con, seeds_dir)
    if reload_seeds or not _table_exists(con, "seeds", "scoring_parameters"):
        load_scoring_parameters(con, seeds_dir)
    params = {k: v for k, v in con.execute("select parameter, value from seeds.scoring_parameters").fetchall()}
    timings = run_layers(con, ("staging", "intermediate"), sql_dir)
    t0 = time.perf_counter()
    rank_uncertainty(
        con,
        draws=int(draws if draws is not None else params.get("mc_draws", 1000)),
        seed=int(seed if seed is not None else params.get("mc_seed", 2015)),
    )
    timings["python.rank_uncertainty"] = round(time.perf_counter() - t0, 4)
    timings.update(run_layers(con, ("marts",), sql_dir))
    return timings


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
    ).fetchone()[0])


class _Inputs:
    """Indicator scores as dense arrays [period, city, indicator] plus the aggregation tree."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        p = {k: v for k, v in con.execute("select parameter, value from seeds.scoring_parameters").fetchall()}
        self.missing_score = float(p.get("missing_score", 0))
        self.floor = float(p.get("geometric_floor", 1))
        self.rounding = int(p.get("score_rounding", 4))
        self.spread = float(p.get("mc_weight_spread", 0.5))
        self.p_geometric = float(p.get("mc_geometric_share", 0.5))
        self.p_exclude = float(p.get("mc_exclude_share", 0.5))
        self.aggregation = p.get("aggregation", "arithmetic")
        self.missing_rule = p.get("missing_rule", "zero")

        ind = con.execute(
            """
            select s.period, s.city_code, s.indicator_code, s.special_code, s.action_code, s.weight,
                   s.observed_score, s.value_status in ('reported', 'carried_forward') as has_value
            from intermediate.int_indicator_scores as s
            inner join intermediate.int_periods as p on s.period = p.period
            inner join staging.stg_weights as w on w.weight_level = 'special' and w.code = s.special_code
            inner join staging.stg_weights as a on a.weight_level = 'action' and a.code = s.action_code
            where s.is_scored and not p.is_baseline
            """
        ).df()
        scopes = con.execute(
            """
            select s.period, s.city_code, s.scope, s.has_score
            from intermediate.int_action_scores as s
            inner join intermediate.int_periods as p on s.period = p.period
            where not p.is_baseline
            """
        ).df()
        self.periods = sorted(set(scopes["period"]) | set(ind["period"]))
        self.cities = sorted(set(scopes["city_code"]) | set(ind["city_code"]))
        self.indicators = sorted(set(ind["indicator_code"]))
        w_sp = con.execute(
            "select code, parent_code, weight from staging.stg_weights where weight_level = 'special'"
        ).df()
        w_ac = con.execute("select code, weight from staging.stg_weights where weight_level = 'action'").df()
        used_specials = set(ind["special_code"])
        w_sp = w_sp[w_sp["code"].isin(used_specials)].sort_values("code")
        self.specials = list(w_sp["code"])
        self.actions = sorted(set(w_sp["parent_code"]) & set(w_ac["code"]))
        self.scopes = [*self.actions, "overall"]
        n_p, n_c, n_i = len(self.periods), len(self.cities), len(self.indicators)
        n_k, n_a = len(self.specials), len(self.actions)
        pi = {v: i for i, v in enumerate(self.periods)}
        ci = {v: i for i, v in enumerate(self.cities)}
        ii = {v: i for i, v in enumerate(self.indicators)}
        ki = {v: i for i, v in enumerate(self.specials)}
        ai = {v: i for i, v in enumerate(self.actions)}
        self.obs = np.full((n_p, n_c, n_i), np.nan)
        self.applicable = np.zeros((n_p, n_c, n_i), dtype=bool)
        self.missing = np.zeros((n_p, n_c, n_i), dtype=bool)
        if len(ind):
            ip = ind["period"].map(pi).to_numpy()
            ic = ind["city_code"].map(ci).to_numpy()
            ii_ = ind["indicator_code"].map(ii).to_numpy()
            self.obs[ip, ic, ii_] = ind["observed_score"].astype(float).to_numpy()
            self.applicable[ip, ic, ii_] = True
            self.missing[ip, ic, ii_] = ~ind["has_value"].astype(bool).to_numpy()
        meta = ind.drop_duplicates("indicator_code").set_index("indicator_code")
        self.w_ind = np.array([float(meta.loc[c, "weight"]) for c in self.indicators])
        self.ind_to_special = np.zeros((n_i, n_k))
        for c in self.indicators:
            self.ind_to_special[ii[c], ki[meta.loc[c, "special_code"]]] = 1.0
        self.w_special = w_sp["weight"].astype(float).to_numpy()
        self.special_to_action = np.zeros((n_k, n_a))
        for code, parent in zip(w_sp["code"], w_sp["parent_code"], strict=True):
            if parent in ai:
                self.special_to_action[ki[code], ai[parent]] = 1.0
        w_ac = w_ac.set_index("code")
        self.w_action = np.array([float(w_ac.loc[a, "weight"]) for a in self.actions])
        self.has_score = np.zeros((n_p, n_c, n_a + 1), dtype=bool)
        si = {v: i for i, v in enumerate(self.scopes)}
        sc = scopes[scopes["scope"].isin(si)]
        self.has_score[sc["period"].map(pi).to_numpy(), sc["city_code"].map(ci).to_numpy(),
                       sc["scope"].map(si).to_numpy()] = sc["has_score"].astype(bool).to_numpy()


def _mean(values: np.ndarray, weights: np.ndarray, membership: np.ndarray, geometric: np.ndarray,
          floor: float) -> np.ndarray:
    """Weighted mean of ``values`` [d, P, C, n] into groups [n, g], arithmetic or geometric per draw [d]."""
    present = ~np.isnan(values)
    w = weights[:, None, None, :] * present
    den = w @ membership
    x = np.where(present, values, 0.0)
    arith = (w * x) @ membership
    geo = (w * np.log(np.maximum(x, floor))) @ membership
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(geometric[:, None, None, None], np.exp(geo / den), arith / den)
    return np.where(den > 0, out, np.nan)


def _scope_scores(inp: _Inputs, w_ind: np.ndarray, w_special: np.ndarray, w_action: np.ndarray,
                  geometric: np.ndarray, exclude: np.ndarray) -> np.ndarray:
    """Scores [d, P, C, scope] for a batch of d draws (weights [d, n], method flags [d])."""
    x = np.where(inp.missing[None] & ~exclude[:, None, None, None], inp.missing_score, inp.obs[None])
    x = np.where(inp.applicable[None], x, np.nan)
    specials = _mean(x, w_ind, inp.ind_to_special, np.zeros_like(geometric), inp.floor)  # always arithmetic
    actions = _mean(specials, w_special, inp.special_to_action, geometric, inp.floor)
    overall = _mean(actions, w_action, np.ones((len(inp.actions), 1)), geometric, inp.floor)
    return np.concatenate([actions, overall], axis=-1)


def _competition_ranks(scores: np.ndarray, valid: np.ndarray, rounding: int) -> np.ndarray:
    """Competition ranks (1, 2, 2, 4) over the city axis (-2) of [d, P, C, S]; NaN where not valid."""
    s = np.where(valid, np.round(scores, rounding), -np.inf)
    higher = (s[..., None, :, :] > s[..., :, None, :]).sum(axis=-2)  # for each city i: count of j with s_j > s_i
    return np.where(valid, 1.0 + higher, np.nan)


def nominal_scores(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Scores recomputed in numpy with the seeded weights and parameters: a cross-check of the SQL models."""
    inp = _Inputs(con)
    geometric = np.array([inp.aggregation == "geometric"])
    exclude = np.array([inp.missing_rule == "exclude"])
    s = _scope_scores(inp, inp.w_ind[None], inp.w_special[None], inp.w_action[None], geometric, exclude)[0]
    P, C, S = s.shape
    return pd.DataFrame({
        "period": np.repeat(inp.periods, C * S),
        "city_code": np.tile(np.repeat(inp.cities, S), P),
        "scope": np.tile(inp.scopes, P * C),
        "score": s.reshape(-1),
    })


def rank_uncertainty(con: duckdb.DuckDBPyConnection, draws: int = 1000, seed: int = 2015) -> None:
    """Monte Carlo of each city's rank per (period, scope) under perturbed weights and method choices.

    Each draw multiplies every indicator, special and action weight by Uniform(1 - spread, 1 + spread), picks
    arithmetic or geometric aggregation and the 'zero' or 'exclude' missing-data rule. Cities without a published
    score for a scope (coverage below threshold) get no rank. Writes ``intermediate.int_rank_uncertainty``.
    """
    inp = _Inputs(con)
    rng = np.random.default_rng(seed)
    P, C, S = len(inp.periods), len(inp.cities), len(inp.scopes)
    ranks = np.empty((draws, P, C, S), dtype=np.float32)
    lo, hi = 1 - inp.spread, 1 + inp.spread
    for start in range(0, draws, CHUNK):
        d = min(CHUNK, draws - start)
        w_ind = inp.w_ind[None] * rng.uniform(lo, hi, (d, len(inp.w_ind)))
        w_sp = inp.w_special[None] * rng.uniform(lo, hi, (d, len(inp.w_special)))
        w_ac = inp.w_action[None] * rng.uniform(lo, hi, (d, len(inp.w_action)))
        geometric = rng.random(d) < inp.p_geometric
        exclude = rng.random(d) < inp.p_exclude
        scores = _scope_scores(inp, w_ind, w_sp, w_ac, geometric, exclude)
        valid = inp.has_score[None] & ~np.isnan(scores)
        ranks[start:start + d] = _competition_ranks(scores, valid, inp.rounding)
    any_valid = ~np.isnan(ranks).all(axis=0)
    safe = np.where(np.isnan(ranks), np.inf, ranks) if draws else ranks
    # nearest-rank quantiles (inverted CDF) keep intervals on whole ranks; NaN draws sort last and are ignored
    counts = (~np.isnan(ranks)).sum(axis=0)
    srt = np.sort(safe, axis=0)

    def q(p: float) -> np.ndarray:
        k = np.clip(np.ceil(p * counts).astype(int) - 1, 0, max(draws - 1, 0))
        return np.take_along_axis(srt, k[None], axis=0)[0]

    med, p05, p95 = q(0.5), q(0.05), q(0.95)
    mask = any_valid & inp.has_score
    df = pd.DataFrame({  # noqa: F841 (read by DuckDB through its replacement scan)
        "period": np.repeat(inp.periods, C * S),
        "city_code": np.tile(np.repeat(inp.cities, S), P),
        "scope": np.tile(inp.scopes, P * C),
        "median_rank": np.where(mask, med, np.nan).reshape(-1),
        "rank_p05": np.where(mask, p05, np.nan).reshape(-1),
        "rank_p95": np.where(mask, p95, np.nan).reshape(-1),
        "draws": np.full(P * C * S, draws),
        "seed": np.full(P * C * S, seed),
    })
    con.execute("create schema if not exists intermediate")
    con.execute(
        "create or replace table intermediate.int_rank_uncertainty as select period, city_code, scope, "
        "cast(median_rank as integer) as median_rank, cast(rank_p05 as integer) as rank_p05, "
        "cast(rank_p95 as integer) as rank_p95, cast(draws as integer) as draws, cast(seed as bigint) as seed "
        "from df order by period, scope, city_code"
    )
