"""The audit page of the site (``audit.html``): how sure the ranking is and how coherent the index is, per period,
in Chinese and English, rendered from the dataset's own files (coherence_audit, rank_sensitivity, league_table,
evidence_pairs). Plain HTML tables and no script: it prints and opens from ``file://``."""

from __future__ import annotations

import html
from pathlib import Path

import duckdb

FLAGS = {
    "negative_within_scope": ("范围内负相关", "negative correlation within the scope"),
    "negative_with_parent": ("与上级负相关", "negatively correlated with its special or action"),
    "uncorrelated_with_overall": ("与总体不相关 (|r|<0.3)", "uncorrelated with the overall score (|r| < 0.3)"),
    "low_alpha": ("α 偏低 (<0.7)", "low alpha (< 0.7)"),
}
CHOICES = {
    "weights": ("权重", "weights"), "aggregation": ("汇总方法", "aggregation"),
    "missing_rule": ("缺失规则", "missing-data rule"), "status_items": ("自报状态事项", "self-declared status items"),
    "independent_weight": ("独立证据权重", "weight of independent evidence"),
    "outlier_treatment": ("异常值处理", "outlier treatment"), "goalposts": ("计分区间", "goalposts"),
    "rare_counts": ("稀有计数规则", "rare-count rule"),
}


def _table(head: list[str], rows: list[list[object]]) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in r) + "</tr>" for r in rows)
    return f'<div class="scroll"><table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table></div>'


def _fmt(v: object) -> str:
    if v is None or v != v:  # noqa: PLR0124 (NaN)
        return "—"
    return f"{v:.2f}" if isinstance(v, float) else str(v)


def _period_section(con: duckdb.DuckDBPyConnection, period: str) -> str:
    names = dict(con.execute("select distinct city_code, city_name from league").fetchall())
    league = con.execute(
        "select city_code, rank, median_rank, rank_p05, rank_p95, rank_size_adjusted, rank_p05_size_adjusted, "
        "rank_p95_size_adjusted from league where period = ? and scope = 'overall' order by rank nulls last, "
        "city_code", [period]).fetchall()
    sens = {(c, ch): (s1, st) for c, ch, s1, st in con.execute(
        "select city_code, choice, first_order, total_order from sensitivity where period = ? and rank_basis = 'raw'",
        [period]).fetchall()}
    rows = []
    for city, rank, med, p05, p95, rsa, p05s, p95s in league:
        drivers = sorted(((st or 0, ch) for (c, ch), (_, st) in sens.items() if c == city), reverse=True)
        top = "; ".join(f"{CHOICES[ch][0]} {st:.2f}" for st, ch in drivers[:2] if st > 0.05) or "—"
        rows.append([f"{names.get(city, city)} ({city})", rank, med, f"{p05}–{p95}", rsa, f"{p05s}–{p95s}", top])
    intervals = _table(["城市 city", "名次 rank", "中位 median", "5–95% 区间 interval", "调整后名次 size-adj.",
                        "调整后区间 interval", "主要来源 S_Ti (drives the uncertainty)"], rows)
    audit = con.execute(
        "select item_code, measure, value from audit where period = ? and scope = 'overall' and item_level = 'action' "
        "order by measure, item_code", [period]).fetchall()
    summary = [[m, code or "", v] for code, m, v in audit if m != "pair_correlation"]
    flagged = con.execute(
        "select scope, item_level, item_code, measure, value, flag from audit where period = ? and is_flagged "
        "order by flag, scope, item_code", [period]).fetchall()
    flag_rows = [[s, lvl, code, m, v, f"{FLAGS[f][0]} / {FLAGS[f][1]}"] for s, lvl, code, m, v, f in flagged]
    return (f'<section id="p{period}"><h2>{period}</h2>'
            "<h3>名次的不确定性与敏感性 / How sure the ranks are</h3>" + intervals
            + "<h3>总体得分的一致性 / Coherence of the overall score</h3>"
            + _table(["审查量 measure", "行动 action", "值 value"], summary)
            + f"<h3>审查标记 / Audit flags ({len(flag_rows)})</h3>"
            + _table(["范围 scope", "层级 level", "对象 item", "审查量 measure", "值 value", "标记 flag"], flag_rows)
            + "</section>")


def _pairs_section(con: duckdb.DuckDBPyConnection) -> str:
    """The cities' own maker-space counts against the provincial registry at the last year-end."""
    last = con.execute("select max(period) from pairs").fetchone()[0]
    if last is None:
        return ""
    names = dict(con.execute("select distinct city_code, city_name from league").fetchall())
    rows = [[f"{names.get(c, c)} ({c})", rep, ind, rel, s] for c, rep, ind, rel, s in con.execute(
        "select city_code, reported_value, independent_value, relative_difference, pair_status from pairs "
        "where period = ? order by city_code", [last]).fetchall()]
    return (f"<section><h2>自报与独立数据 / Self-report against independent data ({last})</h2>"
            "<p>众创空间:城市自报数与省级名录数;差距超过自报值 20% 为 mismatch。 / Maker spaces: the city's report "
            "against the provincial registry; more than 20 % apart is a mismatch.</p>"
            + _table(["城市 city", "城市自报 reported", "省级名录 registry", "相对差 relative gap", "结果 status"],
                     rows)
            + "</section>")


def write_audit_page(out: Path) -> Path:
    """``audit.html`` in the dataset folder ``out`` (nothing when the dataset has no audit tables)."""
    needed = {"league": "league_table.parquet", "audit": "coherence_audit.parquet",
              "sensitivity": "rank_sensitivity.parquet", "pairs": "evidence_pairs.parquet"}
    if not all((out / f).is_file() for f in needed.values()):
        return out / "audit.html"
    con = duckdb.connect()
    try:
        for view, f in needed.items():
            con.read_parquet(str(out / f)).create_view(view)
        periods = [p for (p,) in con.execute("select distinct period from audit order by period desc").fetchall()]
        pairs = con.execute("select pair_status, count(*) from pairs group by 1 order by 1").fetchall()
        pair_table = _pairs_section(con)
        nav = " · ".join(f'<a href="#p{p}">{p}</a>' for p in periods)
        sections = "".join(_period_section(con, p) for p in periods)
    finally:
        con.close()
    page = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>审查与敏感性 / Audit and sensitivity — hnplus</title><link rel="stylesheet" href="assets/style.css">
<style>.scroll{{overflow-x:auto;max-width:100%}} table{{border-collapse:collapse}} td,th{{padding:2px 8px;
border-bottom:1px solid #ddd;text-align:left;white-space:nowrap}}</style></head>
<body><main><p><a href="index.html">← 排名 / league table</a></p>
<h1>审查与敏感性 / Audit and sensitivity</h1>
<p>名次区间:1000 次模拟同时改变权重、汇总方法、缺失规则、是否计入自报状态事项、独立证据权重、异常值处理、计分区间、
稀有计数规则;S_Ti 为该选择
(含交互)解释的名次方差比例。一致性审查按 JRC 方法:相关系数、Cronbach α、主成分。</p>
<p>Rank intervals: 1,000 draws varying the weights, the aggregation, the missing-data rule, the self-declared status
items, the weight of independent evidence, the outlier treatment, the goalposts and the rare-count rule; S_Ti is
the share of the rank's variance a choice explains with its interactions. Coherence as the JRC audits it:
correlations, Cronbach's alpha, principal components.
Self-report against independent data: {", ".join(f"{s} {n}" for s, n in pairs)}.</p>
<p>{nav}</p>{pair_table}{sections}</main></body></html>
"""
    (out / "audit.html").write_text(page, encoding="utf-8")
    return out / "audit.html"
