"""Compare two published datasets: which scores and ranks moved, and why.

Why: when a city asks "why did we drop three places?", the answer is one of a few things: its own inputs
changed, an old report was revised (a report for an earlier period replaced), the method changed, or only the
other cities moved. The published ``metadata.json`` carries the input checksums and the method version, so the
reasons can be told apart without the warehouse. Datasets of different formats (``format_version``: a file or
column renamed, see docs/data_dictionary.md) compare too: only the league table's key, score and rank and the score
changes' contributions are read, and those names are the same in every format.

Reasons per (period, city, scope) row, most specific first:

* ``method_changed``  - the two datasets have different ``method_version``;
* ``inputs_changed``  - the city's report for that period was added, removed or replaced (different sha256);
* ``revision``        - the city's report for this or an earlier period was replaced (old data revised; scores that
  depend on earlier periods, such as growth and rank change, move with it);
* ``feeds_changed``   - an open-data feed snapshot differs;
* ``other_cities``    - nothing of this city changed, only others' (ranks and goalposts are relative);
* ``later_periods``   - only data of later quarters changed (the method scores against the whole series);
* ``unexplained``     - none of the above (should not happen: investigate).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from transforms.publish.layout import resolve_dataset

KEY = ["period", "city_code", "scope"]
EPS = 1e-9


def _load(ds: Path) -> tuple[pd.DataFrame, dict]:
    meta = json.loads((ds / "metadata.json").read_text(encoding="utf-8"))
    pq, csv = ds / "league_table.parquet", ds / "league_table.csv"
    df = pd.read_parquet(pq) if pq.exists() else pd.read_csv(csv, dtype={"city_code": str, "period": str})
    return df, meta


def _format(meta: dict) -> int:
    """The dataset's format version; datasets published before it was recorded are format 1."""
    return int(meta.get("format_version") or 1)


def _reports(meta: dict) -> dict[tuple[str, str], frozenset[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for r in (meta.get("inputs") or {}).get("reports", []):
        out.setdefault((str(r.get("city_code")), str(r.get("period"))), set()).add(
            str(r.get("sha256") or r.get("file_id")))
    return {k: frozenset(v) for k, v in out.items()}


def _feeds(meta: dict) -> dict[str, str | None]:
    return {f["feed_id"]: f.get("snapshot_id") for f in (meta.get("inputs") or {}).get("feeds", [])}


def _num(v: object) -> float | None:
    if v is None or v is pd.NA:
        return None
    f = float(v)  # type: ignore[arg-type]
    return None if math.isnan(f) else f


def _contributions(ds: Path) -> pd.DataFrame | None:
    pq = ds / "score_changes.parquet"
    if not pq.exists():  # datasets before method 2.0 have no contributions
        return None
    return pd.read_parquet(pq, columns=[*KEY, "indicator_code", "contribution"])


def indicator_attribution(a: Path, b: Path, top: int = 3) -> dict[tuple[str, str, str], list[dict]]:
    """Per (period, city, scope): the indicators whose contribution to the score moved most from ``a`` to ``b``
    (both datasets need score_changes, i.e. method 2.0 or later); empty when either lacks it."""
    ca, cb = _contributions(Path(a)), _contributions(Path(b))
    if ca is None or cb is None:
        return {}
    m = ca.merge(cb, on=[*KEY, "indicator_code"], how="outer", suffixes=("_a", "_b")).fillna(
        {"contribution_a": 0.0, "contribution_b": 0.0})
    m["delta"] = m["contribution_b"] - m["contribution_a"]
    m = m[m["delta"].abs() > 5e-5]
    m = m.reindex(m["delta"].abs().sort_values(ascending=False).index)
    out: dict[tuple[str, str, str], list[dict]] = {}
    for key, g in m.groupby(KEY, sort=False):
        out[tuple(key)] = [{"indicator_code": r.indicator_code, "contribution_change": round(float(r.delta), 4)}
                           for r in g.head(top).itertuples(index=False)]
    return out


def _reasons(city: str, period: str, method_changed: bool, changed_inputs: set, revised: set,
             changed_feeds: list[str]) -> list[str]:
    """Why a row changed: the method, its own inputs, an earlier report revised, a feed; else what moved it."""
    reasons = []
    if method_changed:
        reasons.append("method_changed")
    if (city, period) in changed_inputs:
        reasons.append("inputs_changed")
    if any(c == city and p <= period for c, p in revised):
        reasons.append("revision")
    if changed_feeds:
        reasons.append("feeds_changed")
    if not reasons:
        # goalposts and ranks are relative: other cities' data and later quarters can move this city too
        if any(c != city and p <= period for c, p in changed_inputs):
            reasons.append("other_cities")
        elif any(p > period for _, p in changed_inputs):
            reasons.append("later_periods")
        else:
            reasons.append("unexplained")
    return reasons


def diff_datasets(a: Path, b: Path) -> dict:
    """Differences from dataset ``a`` (old) to ``b`` (new): changed rows with reasons, and a summary."""
    df_a, meta_a = _load(Path(a))
    df_b, meta_b = _load(Path(b))
    method_changed = meta_a.get("method_version") != meta_b.get("method_version")
    rep_a, rep_b = _reports(meta_a), _reports(meta_b)
    changed_inputs = {k for k in set(rep_a) | set(rep_b) if rep_a.get(k) != rep_b.get(k)}
    feeds_a, feeds_b = _feeds(meta_a), _feeds(meta_b)
    changed_feeds = sorted(f for f in set(feeds_a) | set(feeds_b) if feeds_a.get(f) != feeds_b.get(f))
    revised = {k for k in changed_inputs if k in rep_a and k in rep_b}  # replaced, not added or removed

    attribution = indicator_attribution(Path(a), Path(b))
    cols = KEY + ["score", "rank"]
    m = df_a[cols].merge(df_b[cols], on=KEY, how="outer", suffixes=("_a", "_b"), indicator="presence")
    changes = []
    for row in m.sort_values(KEY).itertuples(index=False):
        sa, sb = _num(row.score_a), _num(row.score_b)
        ra, rb = _num(row.rank_a), _num(row.rank_b)
        status = {"both": "changed", "left_only": "removed", "right_only": "added"}[row.presence]
        if status == "changed" and _same(sa, sb) and _same(ra, rb):
            continue
        city, period = row.city_code, row.period
        reasons = _reasons(city, period, method_changed, changed_inputs, revised, changed_feeds)
        changes.append({
            "period": period, "city_code": city, "scope": row.scope, "status": status,
            "score_a": sa, "score_b": sb, "score_change": None if sa is None or sb is None else round(sb - sa, 4),
            "rank_a": None if ra is None else int(ra), "rank_b": None if rb is None else int(rb),
            "rank_change": None if ra is None or rb is None else int(ra - rb),
            "reasons": reasons,
            "indicators": attribution.get((period, city, row.scope), []),
        })
    by_reason: dict[str, int] = {}
    for c in changes:
        for r in c["reasons"]:
            by_reason[r] = by_reason.get(r, 0) + 1
    return {
        "a": {"dataset_id": meta_a.get("dataset_id"), "method_version": meta_a.get("method_version"),
              "format_version": _format(meta_a), "path": str(a)},
        "b": {"dataset_id": meta_b.get("dataset_id"), "method_version": meta_b.get("method_version"),
              "format_version": _format(meta_b), "path": str(b)},
        "method_changed": method_changed,
        "format_changed": _format(meta_a) != _format(meta_b),
        "inputs_changed": [{"city_code": c, "period": p, "revision": (c, p) in revised}
                           for c, p in sorted(changed_inputs)],
        "feeds_changed": changed_feeds,
        "rows_compared": int(len(m)),
        "changes": changes,
        "summary": {"rows_changed": len(changes), "by_reason": dict(sorted(by_reason.items()))},
    }


def _same(x: float | None, y: float | None) -> bool:
    if x is None or y is None:
        return x is None and y is None
    return abs(x - y) <= EPS


def render_text(diff: dict, limit: int = 40, scope: str | None = "overall") -> str:
    """A plain report for the terminal: header, input changes, then the biggest movers (``scope=None``: all)."""
    a, b = diff["a"], diff["b"]
    lines = [f"hnplus diff {a['dataset_id']} -> {b['dataset_id']}",
             f"method: {a['method_version']} -> {b['method_version']}"
             + (" (CHANGED)" if diff["method_changed"] else ""),
             *([f"format: {a['format_version']} -> {b['format_version']} (names changed, values not: see the "
                "data dictionary's renames)"] if diff["format_changed"] else []),
             f"rows compared: {diff['rows_compared']}, changed: {diff['summary']['rows_changed']}"]
    for reason, n in diff["summary"]["by_reason"].items():
        lines.append(f"  {reason}: {n}")
    if diff["inputs_changed"]:
        lines.append("inputs changed (city period):")
        for i in diff["inputs_changed"][:limit]:
            lines.append(f"  {i['city_code']} {i['period']}" + (" revised report" if i["revision"] else ""))
    if diff["feeds_changed"]:
        lines.append("feeds changed: " + ", ".join(diff["feeds_changed"]))
    rows = [c for c in diff["changes"] if scope is None or c["scope"] == scope]
    rows.sort(key=lambda c: (-abs(c["rank_change"] or 0), -abs(c["score_change"] or 0), c["period"], c["city_code"]))
    if rows:
        lines.append(f"{'period':<7} {'city':<7} {'scope':<14} {'score':>17} {'rank':>9}  reasons")
        for c in rows[:limit]:
            score = f"{_f(c['score_a'])}->{_f(c['score_b'])}"
            rank = f"{_i(c['rank_a'])}->{_i(c['rank_b'])}"
            lines.append(f"{c['period']:<7} {c['city_code']:<7} {c['scope']:<14} {score:>17} {rank:>9}  "
                         + ",".join(c["reasons"]))
            if c.get("indicators"):
                lines.append("        indicators: " + ", ".join(
                    f"{i['indicator_code']} {i['contribution_change']:+.2f}" for i in c["indicators"]))
        if len(rows) > limit:
            lines.append(f"... {len(rows) - limit} more")
    return "\n".join(lines) + "\n"


def cli_diff(dataset_a: str, dataset_b: str, published_root: Path, scope: str = "overall", limit: int = 40,
             as_json: bool = False) -> str:
    """What ``hnplus diff DATASET_A DATASET_B`` prints: datasets by id, ``latest``, a period or a path."""
    result = diff_datasets(resolve_dataset(dataset_a, published_root), resolve_dataset(dataset_b, published_root))
    if as_json:
        return json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    return render_text(result, limit=limit, scope=None if scope == "all" else scope)


def _f(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def _i(v: int | None) -> str:
    return "-" if v is None else str(v)
