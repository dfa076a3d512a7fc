"""The feed registry (``seeds/feeds.csv``): what each feed is, where it lives and how its rows map to facts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from transforms.catalog import read_seed
from transforms.core.paths import SEEDS_DIR

REGISTRY = SEEDS_DIR / "feeds.csv"
FORMATS = ("ckan_datastore", "csv")


@dataclass(frozen=True)
class Feed:
    """One row of ``seeds/feeds.csv`` (see docs/feeds.md for every column)."""

    feed_id: str
    title: str
    format: str  # ckan_datastore | csv
    resource_id: str
    resource_path: str
    indicators: tuple[str, ...]
    source: str
    licence: str
    synthetic: bool
    city_field: str
    county_field: str
    year_field: str
    status_field: str
    map_field: str
    indicator_map: tuple[tuple[str, str], ...]  # (prefix of map_field value or "*", indicator_code)
    value_field: str
    period_rule: str  # cumulative_from_year | year_end_value | reference
    period_from: int | None
    period_to: int | None
    expected_columns: tuple[str, ...]
    page_size: int
    max_bytes: int


def _split(text: str) -> tuple[str, ...]:
    return tuple(filter(None, text.split("|")))


def _feed(r: dict[str, str]) -> Feed:
    if r["format"] not in FORMATS:
        raise ValueError(f"feed {r['feed_id']}: unknown format {r['format']!r}")
    pairs = []
    for item in _split(r["indicator_map"]):
        key, _, code = item.partition("=")
        pairs.append((key.strip(), code.strip()))
    return Feed(
        feed_id=r["feed_id"],
        title=r["title"],
        format=r["format"],
        resource_id=r["resource_id"],
        resource_path=r["resource_path"],
        indicators=_split(r["indicators"]),
        source=r["source"],
        licence=r["licence"],
        synthetic=r["synthetic"].strip().lower() == "true",
        city_field=r["city_field"],
        county_field=r["county_field"],
        year_field=r["year_field"],
        status_field=r["status_field"],
        map_field=r["map_field"],
        indicator_map=tuple(pairs),
        value_field=r["value_field"],
        period_rule=r["period_rule"],
        period_from=int(r["period_from"]) if r["period_from"] else None,
        period_to=int(r["period_to"]) if r["period_to"] else None,
        expected_columns=_split(r["expected_columns"]),
        page_size=int(r["page_size"] or 100),
        max_bytes=int(r["max_bytes"] or 10_000_000),
    )


def load_registry(path: Path = REGISTRY) -> dict[str, Feed]:
    """Parse the feed registry; fails loudly on a malformed row (it is a reviewed seed, not remote data)."""
    return {r["feed_id"]: _feed(r) for r in read_seed(path.name, path.parent)}


def list_feeds(registry: Path = REGISTRY) -> list[str]:
    """Feed ids in registry order: the DAG maps one fetch task over this list."""
    return list(load_registry(registry))
