"""Why a city's score and rank moved, read from a published dataset: the indicator contributions of
``score_changes`` (which add up exactly to the score change) and the cities that moved past it, in Chinese and
English for the city staff who ask."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from transforms.catalog import indicators
from transforms.publish.labels import CAUSES


@dataclass
class Explanation:
    """A scope's change for one city between a period and the previous one."""

    city_code: str
    city_name: str
    period: str
    previous_period: str | None
    scope: str
    scope_name: str
    score: float | None
    previous_score: float | None
    rank: int | None
    previous_rank: int | None
    explained_change: float
    contributions: list[dict] = field(default_factory=list)
    overtaken_by: list[str] = field(default_factory=list)
    overtook: list[str] = field(default_factory=list)


def _league_row(con: duckdb.DuckDBPyConnection, city: str, period: str, scope: str) -> dict | None:
    cur = con.execute("select * from league where city_code = ? and period = ? and scope = ?", [city, period, scope])
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None


def _movers(con: duckdb.DuckDBPyConnection, city: str, period: str, previous: str,
            scope: str) -> tuple[list[str], list[str]]:
    """Cities that passed the city (were behind or level, now ahead) and those it passed."""
    rows = con.execute(
        "select now.city_name, now.rank < me.rank and before.rank >= me_before.rank, "
        "now.rank > me.rank and before.rank <= me_before.rank "
        "from league as now "
        "join league as before on before.city_code = now.city_code and before.scope = now.scope "
        "join league as me on me.period = now.period and me.scope = now.scope "
        "join league as me_before on me_before.period = before.period and me_before.scope = before.scope "
        "where now.period = ? and before.period = ? and now.scope = ? and me.city_code = ? "
        "and me_before.city_code = ? and now.city_code != ? order by now.rank",
        [period, previous, scope, city, city, city]).fetchall()
    return [n for n, passed, _ in rows if passed], [n for n, _, was_passed in rows if was_passed]


def explain(dataset: Path, city: str, period: str, scope: str = "overall", top: int = 8) -> Explanation:
    """The explanation of ``city``'s change in ``scope`` from the previous period to ``period``."""
    dataset = Path(dataset)
    league, changes = str(dataset / "league_table.parquet"), str(dataset / "score_changes.parquet")
    for path in (league, changes):
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path} not found: is this a published dataset of method 2.0 or later?")
    con = duckdb.connect()
    try:
        con.read_parquet(league).create_view("league")
        con.read_parquet(changes).create_view("changes")
        now = _league_row(con, city, period, scope)
        if now is None:
            raise ValueError(f"no league-table row for city {city}, period {period}, scope {scope}")
        rows = con.execute(
            "select * from changes where city_code = ? and period = ? and scope = ? "
            "order by abs(score_change) desc, indicator_code", [city, period, scope]).df()
        previous = rows["previous_period"].iloc[0] if len(rows) else None
        before = _league_row(con, city, previous, scope) if previous else None
        passed_by, passed = _movers(con, city, period, previous, scope) if before else ([], [])
    finally:
        con.close()
    names = {i["indicator_code"]: (i["name_zh"], i["name_en"]) for i in indicators()}
    moved = rows[rows["score_change"].abs() > 5e-5]
    items = [dict(r, name_zh=names.get(r["indicator_code"], ("", ""))[0],
                  name_en=names.get(r["indicator_code"], ("", ""))[1]) for r in moved.head(top).to_dict("records")]
    return Explanation(
        city_code=city, city_name=now["city_name"], period=period, previous_period=previous, scope=scope,
        scope_name=f"{now['scope_name'] or scope} / {now['scope_name_en'] or scope}", score=now["score"],
        previous_score=before["score"] if before else None, rank=now["rank"],
        previous_rank=before["rank"] if before else None,
        explained_change=float(rows["score_change"].sum()) if len(rows) else 0.0, contributions=items,
        overtaken_by=passed_by, overtook=passed)


def _number(x: object, digits: int = 1) -> str:
    return "—" if x is None or x != x else f"{x:.{digits}f}"  # x != x: NaN


def render(e: Explanation) -> str:
    """Plain text, Chinese and English on each line, for the terminal and for a letter to a city."""
    rank_move = ""
    if e.rank is not None and e.previous_rank is not None:
        delta = e.previous_rank - e.rank
        rank_move = f" ({'↑' if delta > 0 else '↓' if delta < 0 else '='}{abs(delta) if delta else ''})"
    lines = [
        f"{e.city_name} ({e.city_code}) · {e.period} · {e.scope_name}",
        f"名次 rank {e.previous_rank if e.previous_rank is not None else '—'} → "
        f"{e.rank if e.rank is not None else '—'}{rank_move}; 得分 score {_number(e.previous_score, 2)} → "
        f"{_number(e.score, 2)} (与上期 {e.previous_period or '—'} 相比 / since {e.previous_period or '—'})",
        f"得分变化 {e.explained_change:+.2f} 分,来自以下指标 / the change of {e.explained_change:+.2f} points "
        f"comes from these indicators:",
    ]
    shown = 0.0
    for c in e.contributions:
        zh, en = CAUSES.get(c["cause"], (c["cause"], c["cause"]))
        shown += c["score_change"]
        lines.append(f"  {c['score_change']:+7.2f}  {c['name_zh']} / {c['name_en']} ({c['indicator_code']}): "
                     f"{zh} / {en}, {_number(c['previous_value'], 2)} → {_number(c['value'], 2)}")
    lines.append(f"  {e.explained_change - shown:+7.2f}  其余指标 / all other indicators")
    if not e.contributions:
        lines.append("  (本期无指标变化 / no indicator changed)")
    if e.overtaken_by:
        lines.append("超过本市的城市 / cities that moved ahead: " + "、".join(e.overtaken_by))
    if e.overtook:
        lines.append("本市超过的城市 / cities this city moved ahead of: " + "、".join(e.overtook))
    lines.append("名次还取决于其他城市的得分;贡献 = 有效权重 × 指标得分,合计等于得分变化。")
    lines.append("A rank also depends on the other cities' scores; a contribution is effective weight x score, and "
                 "the contributions add up to the change.")
    return "\n".join(lines)
