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


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    ok = ~(np.isnan(a) | np.isnan(b))
    if ok.sum() < 3 or not _varies(a[ok][:, None])[0] or not _varies(b[ok][:, None])[0]:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def _row(period: str, scope: str, level: str, code: str | None, measure: str, value: float, flag: str | None,
         n: int) -> dict:
    return dict(period=period, scope=scope, item_level=level, item_code=code, measure=measure,
                value=None if value != value else round(value, 6), is_flagged=flag is not None, flag=flag, n_cities=n)


def _scope_rows(period: str, scope: str, level: str, parts: pd.DataFrame) -> list[dict]:
    """Alpha, PCA and pairwise correlations of the parts (columns) of one scope over the cities (rows)."""
    parts = parts.dropna(axis=1, how="all").dropna(axis=0)
    items = parts.to_numpy(dtype=float)
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
    codes = list(parts.columns)
    negative = 0
    for i, a in enumerate(codes):
        for b in codes[i + 1:]:
            r = _corr(parts[a].to_numpy(float), parts[b].to_numpy(float))
            if r == r and r < 0:
                negative += 1
                out.append(_row(period, scope, level, f"{a}|{b}", "pair_correlation", r, "negative_within_scope", n))
    out.append(_row(period, scope, level, None, "negative_pairs", float(negative), None, n))
    return out


def _indicator_rows(period: str, ind: pd.DataFrame, specials: pd.DataFrame, scopes: pd.DataFrame) -> list[dict]:
    """Each indicator's correlation with its special, its action and the overall score across the cities."""
    scores = ind.pivot(index="city_code", columns="indicator_code", values="score")
    meta = ind.drop_duplicates("indicator_code").set_index("indicator_code")
    cities = scores.index
    out = []
    for code in scores.columns:
        special, action = meta.loc[code, "special_code"], meta.loc[code, "action_code"]
        values = scores[code].to_numpy(float)
        parents = (("corr_with_special", specials, special), ("corr_with_action", scopes, action),
                   ("corr_with_overall", scopes, "overall"))
        for measure, table, column in parents:
            if column not in table.columns:
                continue
            parent = table[column].reindex(cities).to_numpy(float)
            r = _corr(values, parent)
            flag = "negative_with_parent" if r == r and r < 0 and measure != "corr_with_overall" else None
            n = int((~(np.isnan(values) | np.isnan(parent))).sum())
            out.append(_row(period, action, "indicator", code, measure, r, flag, n))
    return out


def coherence_audit(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every audit measure of every ranked period, long format (columns ``COLUMNS``)."""
    ind = con.execute(
        "select s.period, s.city_code, s.indicator_code, s.special_code, s.action_code, s.score "
        "from intermediate.int_indicator_scores as s join intermediate.int_periods as p using (period) "
        "where s.is_scored and s.score is not null and not p.is_baseline").df()
    sp = con.execute(
        "select s.period, s.city_code, s.special_code, s.action_code, s.score from intermediate.int_special_scores "
        "as s join intermediate.int_periods as p using (period) where not p.is_baseline").df()
    sc = con.execute(
        "select s.period, s.city_code, s.scope, s.score from intermediate.int_scope_scores as s "
        "join intermediate.int_periods as p using (period) where not p.is_baseline and s.has_score").df()
    rows: list[dict] = []
    for period in sorted(set(sc["period"])):
        specials = sp[sp.period == period].pivot(index="city_code", columns="special_code", values="score")
        scopes = sc[sc.period == period].pivot(index="city_code", columns="scope", values="score")
        rows += _indicator_rows(period, ind[ind.period == period], specials, scopes)
        actions = sorted(c for c in scopes.columns if c != "overall")
        for action in actions:
            members = sorted(sp.loc[(sp.period == period) & (sp.action_code == action), "special_code"].unique())
            rows += _scope_rows(period, action, "special", specials[members])
            r = _corr(scopes[action].to_numpy(float), scopes["overall"].to_numpy(float))
            rows.append(_row(period, "overall", "action", action, "corr_with_overall", r,
                             "uncorrelated_with_overall" if r == r and abs(r) < UNCORRELATED_BELOW else None,
                             int(scopes[[action, "overall"]].dropna().shape[0])))
        rows += _scope_rows(period, "overall", "action", scopes[actions])
    return pd.DataFrame(rows, columns=COLUMNS)
