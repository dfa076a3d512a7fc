"""The catalogue as the reader matches it: cities, indicators and specials by any code, name or alias.

Built once from ``transforms.catalog`` (the one place that reads ``seeds/``) with every name reduced to its
matching key, because clerks write 洛阳、洛阳市、Luoyang or 410300 and all mean the same city.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from transforms.catalog import cities, indicators, read_seed
from transforms.ingest.reports.text import cell_text, norm_key


@dataclass(frozen=True)
class Indicator:
    code: str
    name_zh: str
    unit: str
    kind: str
    special_code: str
    applies_to: str
    source: str


@dataclass(frozen=True)
class Special:
    code: str
    name_zh: str
    seq: int
    action_code: str


@dataclass(frozen=True)
class CatalogLookup:
    """The reference lists the reader needs, keyed for matching."""

    cities: dict[str, str]  # code -> name_zh
    cities_en: dict[str, str]  # code -> name_en
    city_aliases: dict[str, str]  # normalised alias/code -> code
    indicators: dict[str, Indicator]  # code -> Indicator (incl. ms_*)
    indicator_by_name: dict[str, str]  # normalised name_zh -> code
    specials: dict[str, Special]
    special_by_name: dict[str, str]


def _city_keys() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    names: dict[str, str] = {}
    names_en: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for c in cities():
        names[c.code] = c.name_zh
        names_en[c.code] = c.name_en
        for n in (c.code, c.name_zh, c.name_short, c.name_en, *c.aliases):
            if n:
                aliases[norm_key(n)] = c.code
    return names, names_en, aliases


def _indicator_keys() -> tuple[dict[str, Indicator], dict[str, str]]:
    by_code: dict[str, Indicator] = {}
    by_name: dict[str, str] = {}
    for r in indicators():
        ind = Indicator(
            r["indicator_code"], r["name_zh"], r["unit"], r["kind"], r["special_code"], r["applies_to"], r["source"]
        )
        by_code[ind.code] = ind
        if ind.kind != "status":
            by_name[norm_key(ind.name_zh)] = ind.code
    return by_code, by_name


def _special_keys() -> tuple[dict[str, Special], dict[str, str]]:
    by_code: dict[str, Special] = {}
    by_name: dict[str, str] = {}
    for r in read_seed("plan_specials.csv"):
        sp = Special(r["special_code"], r["name_zh"], int(r["seq"]), r["action_code"])
        by_code[sp.code] = sp
        by_name[norm_key(sp.name_zh)] = sp.code
    return by_code, by_name


@cache
def catalog_lookup() -> CatalogLookup:
    """The matching tables; cached because every file needs them."""
    return CatalogLookup(*_city_keys(), *_indicator_keys(), *_special_keys())


_PROVINCE = ("", "河南省", "河南", "henan", "henanprovince")
# what may follow a city's name in an office's name (洛阳市人民政府, 郑州市发改委); never 县/区/市 (新乡县: a county)
_OFFICE_WORDS = ("人民政府", "政府", "市委", "发展", "发改", "工业", "工信", "统计", "大数据", "科技", "商务", "办公",
                 "委员会", "网信", "互联网", "行动", "领导小组")


def resolve_city(text: Any, loose: bool = False) -> str | None:
    """City code for a code, name or alias in ``cities.csv``, also behind 河南省 or before an office's name
    (河南省洛阳市, 洛阳市人民政府); None otherwise. A county (新乡县, 巩义市) is never a city by substring.

    ``loose`` (for submitter folder names only, where a wrong match can only refuse a file): any city name inside
    the text counts (郑州-张三 → 410100), so the rule "a city reports only for itself" is not weakened."""
    key = norm_key(cell_text(text))
    if not key:
        return None
    aliases = catalog_lookup().city_aliases
    if key in aliases:
        return aliases[key]
    for alias in sorted(aliases, key=len, reverse=True):
        if len(alias) < 2 or alias.isascii() or alias not in key:
            continue
        before, _, after = key.partition(alias)
        if loose or (before in _PROVINCE and (not after or after.startswith(_OFFICE_WORDS))):
            return aliases[alias]
    return None


@dataclass(frozen=True)
class County:
    """A 省直管县 (directly administered county) and the city it is counted under."""

    code: str
    name_zh: str
    parent_code: str
    parent_name: str


@cache
def _counties() -> dict[str, County]:
    out: dict[str, County] = {}
    for r in read_seed("directly_administered_counties.csv"):
        c = County(r["county_code"], r["name_zh"], r["parent_city_code"], r["parent_name_zh"])
        for k in (c.code, c.name_zh, c.name_zh[:-1] if len(c.name_zh) > 2 else c.name_zh):
            out.setdefault(norm_key(k), c)
    return out


def resolve_county(text: Any) -> County | None:
    """The 省直管县 named or coded by ``text`` (seeds/directly_administered_counties.csv), else None."""
    key = norm_key(cell_text(text))
    return _counties().get(key) if key else None
