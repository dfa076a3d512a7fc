"""Source rows of a feed become facts: (indicator, city, period) -> value, with the source rows kept as evidence.

Period rule (docs/feeds.md): a designation in year Y is a stock from ``YQ4`` onwards, so
``cumulative_from_year`` emits, for each city with a dated designation, the count of designations with
year <= Y for every ``YQ4`` from max(first year, period_from) to period_to. ``not_found`` rows become
value NULL / value_status ``not_found`` (never zero); absence of a city means no evidence, not zero.
``year_end_value`` reads one value per city and year as of ``YQ4``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from transforms.catalog import cities
from transforms.ingest.feeds.registry import Feed

_YEAR = re.compile(r"(19|20)\d{2}")

Row = dict[str, Any]
Key = tuple[str, str | None, str]  # (indicator_code, city_code, period)
Found = dict[tuple[str, str], list[tuple[int, Row]]]  # (indicator, city) -> [(year, source info)]
Missing = list[tuple[str, str | None, int | None, Row]]  # (indicator, city, year, source info)


def derive_records(feed: Feed, rows: list[Row], admin: list[Row] | None = None) -> list[Row]:
    """Turn source rows into (city_code, period, indicator_code, value, value_status, source_record) records,
    numbered in (indicator, city, period) order."""
    if feed.period_rule == "reference" or not feed.indicator_map:
        return []
    lookup = _city_lookup()
    lo, hi = feed.period_from or 2015, feed.period_to or 2020
    if feed.period_rule == "year_end_value":
        out = _year_end_values(feed, rows, lookup, lo, hi)
    elif feed.period_rule == "cumulative_from_year":
        found, missing = _sort_rows(feed, rows, lookup, admin or [])
        out = _cumulative_counts(found, lo, hi)
        _add_unknowns(out, missing, lo, hi)
    else:
        raise ValueError(f"feed {feed.feed_id}: unknown period_rule {feed.period_rule!r}")
    ordered = sorted(out.values(), key=lambda r: (r["indicator_code"], r["city_code"] or "~", r["period"]))
    for i, r in enumerate(ordered, 1):
        r["record_number"] = i
    return ordered


def _brief(feed: Feed, n: int, row: Row, **extra: Any) -> Row:
    """The fields of a source row that explain a record (its number, the mapped fields, the name)."""
    keep = [feed.map_field, feed.city_field, feed.county_field, feed.year_field, feed.status_field,
            feed.value_field, "name"]
    return {"source_row": n, **{k: row.get(k) for k in keep if k and k in row}, **extra}


def _year_end_values(feed: Feed, rows: list[Row], lookup: dict[str, str], lo: int, hi: int) -> dict[Key, Row]:
    out: dict[Key, Row] = {}
    for n, row in enumerate(rows, 1):
        ind, year = _indicator(feed, row), _year(row.get(feed.year_field))
        city = _city_code(row.get(feed.city_field), lookup)
        if ind is None or year is None or not (lo <= year <= hi):
            continue
        raw = str(row.get(feed.value_field, "")).strip()
        try:
            value, status = float(raw), "reported"
        except ValueError:
            value, status = None, ("not_found" if raw.lower() in ("not_found", "") else "invalid")
        key = (ind, city, f"{year}Q4")
        if key in out:  # duplicate source rows: keep the first, record the rest
            out[key]["source_record"].setdefault("duplicates", []).append(_brief(feed, n, row))
            continue
        out[key] = {"indicator_code": ind, "city_code": city, "period": f"{year}Q4", "value": value,
                    "value_status": status, "source_record": _brief(feed, n, row)}
    return out


def _sort_rows(feed: Feed, rows: list[Row], lookup: dict[str, str], admin: list[Row]) -> tuple[Found, Missing]:
    """Dated designations of a known city (found), and the rest: failed searches, undated, unmapped (missing)."""
    found: Found = defaultdict(list)
    missing: Missing = []
    for n, row in enumerate(rows, 1):
        ind = _indicator(feed, row)
        if ind is None:
            continue
        status = str(row.get(feed.status_field, "")).strip().lower() if feed.status_field else ""
        city, extra = _row_city(feed, row, lookup, admin)
        year = _year(row.get(feed.year_field))
        info = _brief(feed, n, row, **extra)
        if status == "not_found" or year is None:
            if year is None and status != "not_found":
                info["undated"] = True
            missing.append((ind, city, year, info))
        elif city is None:
            missing.append((ind, None, year, {**info, "unmapped_city": True}))
        else:
            found[(ind, city)].append((year, info))
    return found, missing


def _row_city(feed: Feed, row: Row, lookup: dict[str, str], admin: list[Row]) -> tuple[str | None, Row]:
    """The row's city (from its city field, else named in its text) and notes on how it was found."""
    city = _city_code(row.get(feed.city_field), lookup)
    extra: Row = {}
    if city is None and not (row.get(feed.city_field) or "").strip():
        city = _infer_city(row)
        if city:
            extra["city_inferred_from_text"] = True
    county = (row.get(feed.county_field) or "").strip() if feed.county_field else ""
    check = _county_check(county, city, admin) if county and city else None
    if check:
        extra["county_check"] = check
    return city, extra


def _cumulative_counts(found: Found, lo: int, hi: int) -> dict[Key, Row]:
    """For each city, the count of designations up to each year from its first (or ``lo``) to ``hi``."""
    out: dict[Key, Row] = {}
    for (ind, city), events in found.items():
        first = min(y for y, _ in events)
        for y in range(max(first, lo), hi + 1):
            contributing = [i for yy, i in sorted(events, key=lambda e: e[1]["source_row"]) if yy <= y]
            out[(ind, city, f"{y}Q4")] = {
                "indicator_code": ind, "city_code": city, "period": f"{y}Q4",
                "value": float(len(contributing)), "value_status": "reported",
                "source_record": {"rule": "cumulative_from_year", "rows": contributing},
            }
    return out


def _add_unknowns(out: dict[Key, Row], missing: Missing, lo: int, hi: int) -> None:
    """Undated or failed searches: value unknown (NULL) for every period they could affect."""
    for ind, city, year, info in missing:
        for y in range(max(year or lo, lo), hi + 1):
            key = (ind, city, f"{y}Q4")
            if key in out:  # a known count exists: it is a lower bound, say so
                out[key]["source_record"].setdefault("possibly_more", []).append(info)
                continue
            out[key] = {"indicator_code": ind, "city_code": city, "period": f"{y}Q4", "value": None,
                        "value_status": "not_found",
                        "source_record": {"rule": "not_found_or_undated", "rows": [info]}}


def _city_lookup() -> dict[str, str]:
    out: dict[str, str] = {}
    for c in cities():
        for alias in (c.code, c.name_zh, c.name_short, *c.aliases):
            out[alias.strip().lower()] = c.code
    return out


def _city_code(value: str | None, lookup: dict[str, str]) -> str | None:
    v = (value or "").strip().rstrip("?？").strip().lower()
    return lookup.get(v) if v else None


def city_codes(rows: list[Row], city_field: str) -> list[str | None]:
    """The city code each record's city field names (None when it names none of the 18): the fetch gate compares
    the mapped share with the last good snapshot, since a garbled city column would just make values disappear."""
    lookup = _city_lookup()
    return [_city_code(str(r.get(city_field) or ""), lookup) for r in rows]


def _infer_city(row: Row) -> str | None:
    """A city named inside another field (e.g. 河南省周口市太昊伏羲陵…) when the city field is empty."""
    hits = {c.code for c in cities() for v in row.values() if isinstance(v, str) and c.name_zh in v}
    return hits.pop() if len(hits) == 1 else None


def _year(value: Any) -> int | None:
    m = _YEAR.search(str(value or ""))
    return int(m.group(0)) if m else None


def _indicator(feed: Feed, row: Row) -> str | None:
    key = str(row.get(feed.map_field, "")) if feed.map_field else ""
    for prefix, code in feed.indicator_map:
        if prefix == "*" or key.startswith(prefix):
            return code
    return None


def _county_check(county: str, city_code: str | None, admin: list[Row]) -> str | None:
    """Validate a county named in a feed against the admin-code feed: ok | mismatch:<parent> | unverified."""
    if not admin:
        return "unverified: no admin_codes snapshot"
    name = county.split("(")[0].split("(")[0].strip()
    hits = {(r["code"], r["parent_code"]) for r in admin
            if r.get("level") == "county" and (r["name"] == name or r["name"].startswith(name))}
    if not hits:
        # Often a unit name (e.g. a maker space), not a county: only say so when it looks like a county.
        return "unverified: county not in GB/T 2260 list" if name.endswith(("县", "区", "市")) else None
    if any(parent == city_code for _, parent in hits):
        return "ok"
    return "mismatch: admin parent " + ",".join(sorted({p for _, p in hits}))
