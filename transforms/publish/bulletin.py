"""The quarterly bulletin (通报) of one period as an A4 PDF, in Chinese and in English, from the period's published
files (league_table, score_changes, metadata), typeset with Typst (the ``typst`` wheel from PyPI).

Why Typst: the provincial office circulates a PDF. Typst (a compiled typesetter in one wheel, no system
libraries) lays out CJK text, tables and colour scales well, embeds subsets of the fonts, and with
``date: none`` and a fixed timestamp gives the same bytes for the same data. WeasyPrint needs Pango from the
system; ReportLab needs every table laid out by hand. The layout lives in ``bulletin.typ``; this module only
prepares the words and numbers (so data never becomes markup).
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from transforms.catalog import indicators, read_seed
from transforms.core.files import sha256_file
from transforms.publish.bulletin_map import henan_svg
from transforms.publish.bulletin_text import TEXT, fmt_num
from transforms.publish.labels import CAUSES, EVIDENCE_AGREEMENT, ON_TRACK, action_order, light_text

TEMPLATE = Path(__file__).resolve().parent / "bulletin.typ"
FONT_DIRS = ("/usr/share/fonts/truetype/wqy", "/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto")
FONT_FAMILIES = ("WenQuanYi Zen Hei", "Noto Sans CJK SC")
FIXED_TIMESTAMP = datetime(2015, 1, 1, tzinfo=UTC)
LANGS = ("zh", "en")
LEAGUE_COLUMNS = ("period", "city_code", "city_name", "city_name_en", "scope", "scope_name", "scope_name_en", "score",
                  "rank", "rank_change", "rank_p05", "rank_p95", "traffic_light", "on_track", "coverage",
                  "independent_share", "self_report_score", "independent_score", "evidence_agreement",
                  "is_milestone_change")


class BulletinUnavailable(RuntimeError):
    """No CJK font is installed (Debian fonts-wqy-zenhei or fonts-noto-cjk; ``make browser`` installs one)."""


def bulletin_name(lang: str) -> str:
    """The file name of a period's bulletin in ``lang``."""
    return f"bulletin_{lang}.pdf"


_COMPILING = threading.Lock()


@cache
def _compiler() -> object:
    """One Typst compiler per process: loading the CJK fonts is the slow part, so it happens once."""
    import typst

    dirs = [d for d in FONT_DIRS if Path(d).is_dir()]
    fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=True, font_paths=dirs)
    if not any(f in fonts.families() for f in FONT_FAMILIES):
        raise BulletinUnavailable(f"no CJK font ({' or '.join(FONT_FAMILIES)}) in {', '.join(FONT_DIRS)}: "
                                  "apt-get install fonts-wqy-zenhei")
    return typst.Compiler(str(TEMPLATE), root=str(TEMPLATE.parent), font_paths=fonts,
                          ignore_system_fonts=True)


def _frames(folder: Path, period: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    con = duckdb.connect()
    try:
        con.read_parquet(str(folder / "league_table.parquet")).create_view("league")
        have = {c for (c, *_) in con.execute("describe league").fetchall()}
        cols = ", ".join(c for c in LEAGUE_COLUMNS if c in have)  # only what the bulletin shows: fewer, faster
        league = con.execute(f"select {cols} from league where period = ? order by scope, rank, city_code",
                             [period]).df()
        path = folder / "score_changes.parquet"
        changes = con.execute("select city_code, indicator_code, score_change, cause, previous_value, value "
                              "from read_parquet(?) where period = ? and scope = 'overall'",
                              [str(path), period]).df() if path.is_file() else pd.DataFrame()
    finally:
        con.close()
    return league, changes


@cache
def _names() -> dict[str, tuple[str, str]]:
    """Indicator names; a special's status item (``ms_<special>``) is named after its special."""
    names = {i["indicator_code"]: (i["name_zh"], i["name_en"]) for i in indicators()}
    for s in read_seed("plan_specials.csv"):
        names[f"ms_{s['special_code']}"] = (f"{s['name_zh']}推进状态", f"{s['name_en']}: implementation status")
    return names


def _name(row: dict, lang: str, col: str = "city_name") -> str:
    return str(row[col] if lang == "zh" else row.get(f"{col}_en") or row[col])


def _league(overall: pd.DataFrame, lang: str) -> dict:
    T = TEXT[lang]
    rows = []
    for r in overall.to_dict("records"):
        rc = r.get("rank_change")
        change = T["new"] if pd.isna(rc) else f"▲{int(rc)}" if rc > 0 else f"▼{-int(rc)}" if rc < 0 else "–"
        interval = "–" if pd.isna(r.get("rank_p05")) else f"{int(r['rank_p05'])}–{int(r['rank_p95'])}"
        status = ON_TRACK.get(r.get("on_track") or "", ("–", "–"))[0 if lang == "zh" else 1]
        rows.append({"light": r.get("traffic_light") or "grey", "cells": [
            "–" if pd.isna(r["rank"]) else str(int(r["rank"])), change, _name(r, lang), fmt_num(r["score"]), interval,
            light_text(r.get("traffic_light"), lang) or "–", status, fmt_num(r.get("coverage"), pct=True),
            fmt_num(r.get("independent_share"), pct=True)]})
    return {"head": T["league_head"], "rows": rows, "widths": T["league_widths"],
            "left": [2, 5, 6], "light_col": 5, "note": T["league_note"]}


def _map(overall: pd.DataFrame, lang: str) -> str | None:
    """The overall scores on the map of Henan (SVG), or None without the map package."""
    recs = overall.to_dict("records")
    return henan_svg({r["city_code"]: None if pd.isna(r["score"]) else float(r["score"]) for r in recs},
                     {r["city_code"]: f"{_name(r, lang)} {fmt_num(r['score'])}" for r in recs})


def _heat(league: pd.DataFrame, lang: str) -> dict:
    order = action_order()
    acts = sorted({(s, n, e) for s, n, e in zip(league.scope, league.scope_name, league.scope_name_en, strict=True)
                   if s != "overall"}, key=lambda a: order.get(a[0], 99))
    by = {(r["city_code"], r["scope"]): r["score"] for r in league.to_dict("records")}
    overall = league[league.scope == "overall"]
    rows = [{"city": _name(r, lang), "cells": [
        [fmt_num(by.get((r["city_code"], a[0]))), None if pd.isna(by.get((r["city_code"], a[0]), float("nan")))
         else round(float(by[(r["city_code"], a[0])]), 1)] for a in acts]} for r in overall.to_dict("records")]
    key = "; ".join(f"{order.get(a[0], i + 1)} {a[1] if lang == 'zh' else a[2]}" for i, a in enumerate(acts))
    return {"actions": [[str(order.get(a[0], i + 1))] for i, a in enumerate(acts)], "rows": rows,
            "city_word": TEXT[lang]["city"], "key": TEXT[lang]["heat_key"] + key}


def _value(code: str, v: object, lang: str) -> str:
    """A value as the reader knows it: a special's status item by its step, a number otherwise."""
    if code.startswith("ms_") and fmt_num(v) != "–" and 0 <= int(float(v)) <= 3:
        return TEXT[lang]["statuses"][int(float(v))]
    return fmt_num(v, 2)


def _contributions(all_rows: pd.DataFrame, lang: str, top: int = 3) -> list[str]:
    """The ``top`` indicator contributions to a city's overall score change (``all_rows``: the city's rows of
    score_changes), and the rest as one line."""
    if all_rows.empty:
        return []
    mine = all_rows[all_rows.score_change.abs() > 5e-3]
    mine = mine.reindex(mine.score_change.abs().sort_values(ascending=False).index).head(top)
    out = []
    for c in mine.to_dict("records"):
        code = c["indicator_code"]
        name = _names().get(code, (code, code))[0 if lang == "zh" else 1]
        cause = CAUSES.get(c["cause"], (c["cause"], c["cause"]))[0 if lang == "zh" else 1]
        out.append(f"{c['score_change']:+.2f} {name} ({cause}, {_value(code, c.get('previous_value'), lang)} → "
                   f"{_value(code, c.get('value'), lang)})")
    rest = float(all_rows.score_change.sum() - mine.score_change.sum())
    if out and abs(rest) >= 5e-3:
        out.append(TEXT[lang]["others"].format(v=f"{rest:+.2f}"))
    return out


def _movers(overall: pd.DataFrame, changes: pd.DataFrame, lang: str) -> list[dict]:
    """The three largest rises and falls in rank, each with the indicator contributions that moved its score."""
    T = TEXT[lang]
    moved = overall[overall.rank_change.notna() & (overall.rank_change != 0)]
    picks = pd.concat([moved.nlargest(3, "rank_change"), moved.nsmallest(3, "rank_change")]).drop_duplicates(
        "city_code")
    # each city's rows once (a boolean filter of every row per mover and again per contribution cost more than
    # the rest of the bulletin); a group keeps the rows' order, so every sum below adds in the same order
    by_city = dict(iter(changes.groupby("city_code", sort=False))) if not changes.empty else {}
    out = []
    for r in picks.to_dict("records"):
        rc, now = int(r["rank_change"]), int(r["rank"])
        mine = by_city.get(r["city_code"], changes.iloc[0:0])
        delta = mine.score_change.sum() if not changes.empty else 0.0
        title = T["mover"].format(city=_name(r, lang), arrow="▲" if rc > 0 else "▼", n=abs(rc), before=now + rc,
                                  now=now, delta=f"{delta:+.2f}")
        out.append({"title": title, "lines": _contributions(mine, lang) or [T["no_change_rows"]]})
    return out


def _laggards(league: pd.DataFrame, lang: str) -> dict:
    """The three lowest scores of each action, in the actions' order (18 cities: plain lists, not pandas)."""
    order = action_order()
    by_scope: dict[str, list[dict]] = {}
    for r in league[league.scope != "overall"].to_dict("records"):
        by_scope.setdefault(r["scope"], []).append(r)
    rows = []
    for scope in sorted(sorted(by_scope), key=lambda sc: order.get(sc, 99)):
        part = by_scope[scope]
        # the lowest first, ties in the league's order (a stable sort: what nsmallest(keep='first') returns)
        low = sorted((r for r in part if not pd.isna(r["score"])), key=lambda r: r["score"])[:3]
        rows.append([_name(part[0], lang, "scope_name"), "; ".join(
            f"{_name(r, lang)} {fmt_num(r['score'])} ({light_text(r.get('traffic_light'), lang)})" for r in low)])
    return {"head": TEXT[lang]["laggards_head"], "rows": rows}


def _evidence(league: pd.DataFrame, lang: str) -> list[str]:
    T = TEXT[lang]
    overall = league[league.scope == "overall"]
    share = overall.independent_share.dropna() if "independent_share" in overall else pd.Series(dtype=float)
    lines = [T["evidence_share"].format(lo=fmt_num(share.min(), pct=True), hi=fmt_num(share.max(), pct=True),
                                        med=fmt_num(share.median(), pct=True))] if len(share) else []
    if "evidence_agreement" in league:
        counts = league.evidence_agreement.value_counts()
        lines.append(T["evidence_counts"].format(**{k: int(counts.get(k, 0)) for k in EVIDENCE_AGREEMENT}))
        differ = overall[overall.evidence_agreement == "differ"]
        if len(differ):
            lines.append(T["evidence_differ"] + "、".join(
                f"{_name(r, lang)} ({fmt_num(r['self_report_score'])} / {fmt_num(r['independent_score'])})"
                for r in differ.to_dict("records")))
    return lines


def bulletin_data(folder: Path, period: str, lang: str, meta: dict,
                  frames: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> dict:
    """Every word and number of the bulletin of ``period`` in ``lang``, from the files in ``folder`` (``frames``:
    their league and score-change rows, read once for both languages by ``write_bulletins``)."""
    from transforms.publish.bulletin_text import method_lines, summary_lines

    T = TEXT[lang]
    league, changes = frames if frames is not None else _frames(folder, period)
    overall = league[league.scope == "overall"].sort_values(["rank", "city_code"], na_position="last")
    checksum = sha256_file(folder / "league_table.csv") if (folder / "league_table.csv").is_file() else "–"
    return {
        "lang": lang, "fonts": list(FONT_FAMILIES), "title": T["title"], "period": period,
        "subtitle": T["subtitle"].format(period=period), "page_words": T["page"],
        "dataset_line": T["dataset_line"].format(dataset=meta.get("dataset_id", ""),
                                                 method=meta.get("method_version", "")),
        "headings": T["headings"], "summary": summary_lines(overall, league, period, lang),
        "league": _league(overall, lang), "heat": _heat(league, lang), "map": _map(overall, lang),
        "map_note": T["map_note"], "movers": _movers(overall, changes, lang), "no_movers": T["no_movers"],
        "laggards": _laggards(league, lang), "evidence": _evidence(league, lang),
        "method": method_lines(meta, period, checksum, lang),
    }


def write_bulletins(folder: Path, period: str, meta: dict) -> list[Path]:
    """Write ``bulletin_zh.pdf`` and ``bulletin_en.pdf`` of ``period`` into ``folder``; same data, same bytes."""
    compiler = _compiler()
    frames = _frames(folder, period)
    out = []
    for lang in LANGS:
        data = json.dumps(bulletin_data(folder, period, lang, meta, frames), ensure_ascii=False, sort_keys=True,
                          allow_nan=False, default=str)
        path = folder / bulletin_name(lang)
        with _COMPILING:  # one compiler per process, one compilation at a time (publish writes periods in threads)
            pdf = compiler.compile(format="pdf", sys_inputs={"data": data}, timestamp=FIXED_TIMESTAMP)
        path.write_bytes(pdf)
        out.append(path)
    return out
