"""The statistical coherence audit of the index, per period, as the JRC audits composite indicators: how each
indicator correlates with its special, its action and the overall score; Cronbach's alpha and a principal component
analysis of the specials of each action and of the actions in the overall score; and the flags those audits raise.

Pearson correlations across the cities of a period; alpha = k / (k - 1) * (1 - sum of item variances / variance of
the item sum); PCA on the correlation matrix (eigenvalues in descending order, share of variance). Flags:
``negative_within_scope`` (a negative correlation between two parts of one scope), ``uncorrelated_with_overall``
(|r| < 0.3 between an action and the overall score), ``low_alpha`` (alpha < 0.7), ``negative_with_parent`` (an
indicator negatively correlated with its special or action).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

UNCORRELATED_BELOW = 0.3
ALPHA_BELOW = 0.7
COLUMNS = ["period", "scope", "item_level", "item_code", "measure", "value", "is_flagged", "flag", "n_cities"]


def _varies(x: np.ndarray) -> np.ndarray:
    """Which columns have a spread beyond rounding noise (scores are rounded to 6 decimals upstream)."""
    return np.nanstd(x, axis=0) > 1e-9 * max(1.0, float(np.nanmax(np.abs(x))) if x.size else 1.0)


def cronbach_alpha(items: np.ndarray) -> float:
    """Cronbach's alpha of items [cases, k] (sample variances); NaN for fewer than two items or no variance."""
    n, k = items.shape
    if k < 2 or n < 2:
        return float("nan")
    total = items.sum(axis=1).var(ddof=1)
    if not _varies(items.sum(axis=1)[:, None])[0]:
        return float("nan")
    return float(k / (k - 1) * (1 - items.var(axis=0, ddof=1).sum() / total))


def pca_eigenvalues(items: np.ndarray) -> np.ndarray:
    """Eigenvalues of the items' correlation matrix, descending (items without variance are left out)."""
    keep = _varies(items)
    if keep.sum() < 2:
        return np.array([])
    return np.sort(np.linalg.eigvalsh(np.corrcoef(items[:, keep], rowvar=False)))[::-1]


def _varies_columns(x: np.ndarray) -> np.ndarray:
    """``_varies`` of each column on its own (its own largest value sets the noise floor); NaN are left out."""
    if x.shape[0] == 0:
        return np.zeros(x.shape[1], dtype=bool)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        spread = np.nanstd(x, axis=0)
        top = np.nanmax(np.abs(x), axis=0)
    return spread > 1e-9 * np.fmax(1.0, top)


def _corr_columns(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson r of each column of ``a`` with the same column of ``b`` over the rows where both are known, and the
    number of those rows. NaN for fewer than 3 rows or a side without spread. One pass over [cases, columns]
    arrays instead of a ``np.corrcoef`` call per pair (the same formula: cov / sd_a / sd_b, clipped to [-1, 1])."""
    ok = ~(np.isnan(a) | np.isnan(b))
    n = ok.sum(axis=0)
    a_ok, b_ok = np.where(ok, a, np.nan), np.where(ok, b, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        da = np.where(ok, a - np.nansum(a_ok, axis=0) / n, 0.0)
        db = np.where(ok, b - np.nansum(b_ok, axis=0) / n, 0.0)
        cov_ab = (da * db).sum(axis=0) / (n - 1)
        sd_a = np.sqrt((da * da).sum(axis=0) / (n - 1))
        sd_b = np.sqrt((db * db).sum(axis=0) / (n - 1))
        r = np.clip(cov_ab / sd_a / sd_b, -1.0, 1.0)
    valid = (n >= 3) & _varies_columns(a_ok) & _varies_columns(b_ok)
    return np.where(valid, r, np.nan), n


def _row(period: str, scope: str, level: str, code: str | None, measure: str, value: float, flag: str | None,
         n: int) -> dict:
    return dict(period=period, scope=scope, item_level=level, item_code=code, measure=measure,
                value=None if value != value else round(value, 6), is_flagged=flag is not None, flag=flag, n_cities=n)


def _scope_rows(period: str, scope: str, level: str, codes: list[str], parts: np.ndarray) -> list[dict]:
    """Alpha, PCA and pairwise correlations of the parts (columns ``codes``) of one scope over the cities (rows)."""
    keep = ~np.isnan(parts).all(axis=0)
    codes = [c for c, k in zip(codes, keep, strict=True) if k]
    items = parts[:, keep]
    items = items[~np.isnan(items).any(axis=1)]
    n = len(items)
    if n < 3 or items.shape[1] < 2:
        return [_row(period, scope, level, None, "cronbach_alpha", float("nan"), None, n)]
    alpha = cronbach_alpha(items)
    out = [_row(period, scope, level, None, "cronbach_alpha", alpha,
                "low_alpha" if alpha == alpha and alpha < ALPHA_BELOW else None, n)]
    eig = pca_eigenvalues(items)
    for i, e in enumerate(eig[:3], start=1):
        out.append(_row(period, scope, level, None, f"pca_eigenvalue_{i}", float(e), None, n))
    if len(eig):
        out.append(_row(period, scope, level, None, "pca_variance_explained_1", float(eig[0] / eig.sum()), None, n))
    first, second = np.triu_indices(len(codes), 1)  # the pairs (a, b) with a before b, in order
    pair_r, _ = _corr_columns(items[:, first], items[:, second])
    negative = 0
    for i, j, r in zip(first, second, pair_r, strict=True):
        if r == r and r < 0:
            negative += 1
            out.append(_row(period, scope, level, f"{codes[i]}|{codes[j]}", "pair_correlation", float(r),
                            "negative_within_scope", n))
    out.append(_row(period, scope, level, None, "negative_pairs", float(negative), None, n))
    return out


class _Cube:
    """One score table as a dense [period, city, item] array (NaN where absent), with which rows exist: the
    per-period pivots of the audit become slices, without a pandas filter per period and scope. DuckDB numbers the
    periods, cities and items (sorted, as the pivots sorted them), so no string is handled per row in Python."""

    def __init__(self, con: duckdb.DuckDBPyConnection, rows: str, item: str, shape: tuple[int, int],
                 args: dict | None = None) -> None:
        self.items = [code for (code,) in con.execute(
            f"select distinct {item} from ({rows}) where {item} is not null order by 1", args or {}).fetchall()]
        self.index = {code: i for i, code in enumerate(self.items)}
        cells = con.execute(
            f"with items as (select {item}, row_number() over (order by {item}) - 1 as i from "
            f"(select distinct {item} from ({rows}) where {item} is not null)) "
            f"select periods.p, cities.c, items.i, coalesce(facts.score, cast('nan' as double)) as score "
            f"from ({rows}) as facts join temp.audit_periods as periods using (period) "
            f"join temp.audit_cities as cities using (city_code) join items using ({item})", args or {}).fetchnumpy()
        p, c, i = (np.asarray(cells[k], dtype=np.int64) for k in ("p", "c", "i"))
        self.values = np.full((*shape, len(self.items)), np.nan)
        self.values[p, c, i] = np.asarray(cells["score"], dtype=float)
        self.has_item = np.zeros((shape[0], len(self.items)), dtype=bool)
        self.has_item[p, i] = True
        self.has_city = np.zeros(shape, dtype=bool)
        self.has_city[p, c] = True

    def present(self, p: int) -> list[str]:
        """The items with a row in period ``p`` (the columns of that period's pivot), sorted."""
        return [code for code, has in zip(self.items, self.has_item[p], strict=True) if has]

    def column(self, p: int, code: str | None) -> int | None:
        """The item's index if it has a row in period ``p`` (else None: the pivot would lack that column)."""
        i = self.index.get(code) if isinstance(code, str) else None
        return i if i is not None and self.has_item[p, i] else None


def _indicator_rows(period: str, p: int, ind: _Cube, specials: _Cube, scopes: _Cube,
                    meta: dict[str, tuple[str | None, str | None]]) -> list[dict]:
    """Each indicator's correlation with its special, its action and the overall score across the cities."""
    codes = ind.present(p)
    if not codes:
        return []
    values = ind.values[p][:, [ind.index[c] for c in codes]]
    measures = {}
    for measure, table, parent_of in (("corr_with_special", specials, 0), ("corr_with_action", scopes, 1),
                                      ("corr_with_overall", scopes, None)):
        parents = [table.column(p, "overall" if parent_of is None else meta[c][parent_of]) for c in codes]
        have = [k for k, j in enumerate(parents) if j is not None]
        r, n = _corr_columns(values[:, have], table.values[p][:, [parents[k] for k in have]])
        measures[measure] = {k: (float(rk), int(nk)) for k, rk, nk in zip(have, r, n, strict=True)}
    out = []
    for k, code in enumerate(codes):
        action = meta[code][1]
        for measure, found in measures.items():
            if k not in found:
                continue
            r, n = found[k]
            flag = "negative_with_parent" if r == r and r < 0 and measure != "corr_with_overall" else None
            out.append(_row(period, action, "indicator", code, measure, r, flag, n))
    return out


IND_ROWS = ("select s.period, s.city_code, s.indicator_code, s.special_code, s.action_code, s.score "
            "from intermediate.int_indicator_scores as s join intermediate.int_periods as p using (period) "
            "where s.is_scored and s.score is not null and not p.is_baseline")
SP_ROWS = ("select s.period, s.city_code, s.special_code, s.action_code, s.score from intermediate.int_special_scores "
           "as s join intermediate.int_periods as p using (period) where not p.is_baseline")
SC_ROWS = ("select s.period, s.city_code, s.scope, s.score from intermediate.int_scope_scores as s "
           "join intermediate.int_periods as p using (period) where not p.is_baseline and s.has_score")


def coherence_audit(con: duckdb.DuckDBPyConnection, periods: Sequence[str] | None = None) -> pd.DataFrame:
    """Every audit measure of every ranked period (of ``periods`` only, if given), long format (``COLUMNS``).
    A period's measures depend on that period's scores only (they compare cities within it)."""
    only = "" if periods is None else " and s.period in (select unnest($periods))"
    ind_rows, sp_rows, sc_rows = IND_ROWS + only, SP_ROWS + only, SC_ROWS + only
    args = {} if periods is None else {"periods": list(periods)}
    con.execute(f"create or replace temp table audit_periods as select period, row_number() over (order by period) "
                f"- 1 as p from (select distinct period from ({sc_rows}))", args)
    con.execute(f"create or replace temp table audit_cities as select city_code, row_number() over (order by "
                f"city_code) - 1 as c from (select city_code from ({ind_rows}) union select city_code from "
                f"({sp_rows}) union select city_code from ({sc_rows}))", args)
    try:
        periods = [period for (period,) in con.execute("select period from temp.audit_periods order by p").fetchall()]
        shape = (len(periods), con.execute("select count(*) from temp.audit_cities").fetchone()[0])
        ind_cube = _Cube(con, ind_rows, "indicator_code", shape, args)
        sp_cube = _Cube(con, sp_rows, "special_code", shape, args)
        sc_cube = _Cube(con, sc_rows, "scope", shape, args)
        # special and action follow from the indicator (the catalogue): one row per indicator
        meta = {code: (special, action) for code, special, action in con.execute(
            f"select indicator_code, any_value(special_code), any_value(action_code) from ({ind_rows}) "
            f"group by indicator_code", args).fetchall()}
        members_of: dict[tuple[str, str], list[str]] = {}
        for period, action, special in con.execute(
                f"select distinct period, action_code, special_code from ({sp_rows}) where special_code is not null "
                f"order by special_code", args).fetchall():
            members_of.setdefault((period, action), []).append(special)
    finally:
        con.execute("drop table if exists temp.audit_periods; drop table if exists temp.audit_cities")
    rows: list[dict] = []
    for p, period in enumerate(periods):
        rows += _indicator_rows(period, p, ind_cube, sp_cube, sc_cube, meta)
        sp_cities, sc_cities = sp_cube.has_city[p], sc_cube.has_city[p]
        scopes = sc_cube.values[p][sc_cities]
        overall_at = sc_cube.column(p, "overall")
        actions = sorted(c for c in sc_cube.present(p) if c != "overall")
        for action in actions:
            if overall_at is None:
                raise KeyError(f"{period}: action scores without an overall score")
            members = members_of.get((period, action), [])
            specials = sp_cube.values[p][sp_cities][:, [sp_cube.index[m] for m in members]]
            rows += _scope_rows(period, action, "special", members, specials)
            r, n = _corr_columns(scopes[:, [sc_cube.column(p, action)]], scopes[:, [overall_at]])
            r0 = float(r[0])
            rows.append(_row(period, "overall", "action", action, "corr_with_overall", r0,
                             "uncorrelated_with_overall" if r0 == r0 and abs(r0) < UNCORRELATED_BELOW else None,
                             int(n[0])))
        rows += _scope_rows(period, "overall", "action", actions,
                            scopes[:, [sc_cube.column(p, a) for a in actions]])
    return pd.DataFrame(rows, columns=COLUMNS)
