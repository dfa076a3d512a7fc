"""Is a complete download plausible, compared with the last good snapshot? A Great Expectations suite built from
the last good snapshot, run on the new records before they may become current.

A broken export can parse cleanly: half the list, a city column blanked or garbled, a paging fault that repeats
records. The suite expects at least ``1 - max_record_drop`` of the last good record count and, for the city and
year fields (and the city field mapped to one of the 18 cities), a filled share no more than ``max_record_drop``
below the last good one; exact duplicate records beyond those of the last good snapshot are refused as well.
A failure is a :class:`FeedFault` (``implausible_count`` / ``implausible_values``), so the fetch keeps the last good
snapshot and the answer goes to quarantine with the reason.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from functools import cache
from typing import Any

from transforms.ingest.feeds.archive import canonical
from transforms.ingest.feeds.client import FeedFault
from transforms.ingest.feeds.derive import city_codes
from transforms.ingest.feeds.registry import Feed

Row = dict[str, Any]
CITY_CODE = "city_code (mapped)"
_LOCK = threading.Lock()  # one GX context per process; feeds are fetched in threads


@cache
def _batch_definition() -> Any:
    """A private ephemeral GX context with one pandas dataframe asset (the validate stage keeps its own)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas(name="feed_snapshots").add_dataframe_asset(name="snapshot")
    return asset.add_batch_definition_whole_dataframe(name="whole")


def _frame(feed: Feed, rows: list[Row]) -> Any:
    """The fields the suite looks at: city, year (empty text as null) and the city mapped to a code."""
    import pandas as pd

    cols: dict[str, list[Any]] = {}
    for fld in filter(None, (feed.city_field, feed.year_field)):
        cols[fld] = [str(r.get(fld) or "").strip() or None for r in rows]
    if feed.city_field:
        cols[CITY_CODE] = city_codes(rows, feed.city_field)
    return pd.DataFrame(cols, dtype=object)


def snapshot_suite(feed: Feed, good: list[Row], max_drop: float) -> Any:
    """The expectations a new snapshot must meet, from the last good one."""
    import great_expectations as gx

    exps: list[Any] = [gx.expectations.ExpectTableRowCountToBeBetween(
        min_value=math.ceil(len(good) * (1 - max_drop)), meta={"code": "implausible_count"})]
    frame = _frame(feed, good)
    for col in frame.columns:
        share = float(frame[col].notna().mean()) if len(frame) else 0.0
        if share - max_drop > 0:
            exps.append(gx.expectations.ExpectColumnValuesToNotBeNull(
                column=col, mostly=round(share - max_drop, 6), meta={"code": "implausible_values"}))
    return gx.ExpectationSuite(name=f"feed_snapshot_{feed.feed_id}", expectations=exps)


def check_snapshot(feed: Feed, rows: list[Row], good: list[Row], good_id: str, max_drop: float) -> None:
    """Raise :class:`FeedFault` when ``rows`` fail the suite built from the last good snapshot ``good``."""
    suite = snapshot_suite(feed, good, max_drop)
    with _LOCK:
        result = _batch_definition().get_batch(batch_parameters={"dataframe": _frame(feed, rows)}).validate(suite)
    failed = [r for r in result.results if not r.success]
    if failed:
        codes = [r.expectation_config.meta["code"] for r in failed]
        code = "implausible_count" if "implausible_count" in codes else "implausible_values"
        raise FeedFault(code, "; ".join(_describe(r, len(rows), len(good)) for r in failed)
                        + f" (last good snapshot {good_id}); held for review")
    dup_now, dup_good = _duplicates(rows), _duplicates(good)
    if dup_now > dup_good:
        raise FeedFault("implausible_values", f"{dup_now} records repeat another one exactly ({dup_good} in the "
                        f"last good snapshot {good_id}): a paging or export fault would count them twice; held")


def _describe(r: Any, n_now: int, n_good: int) -> str:
    cfg = r.expectation_config
    if cfg.type == "expect_table_row_count_to_be_between":
        return f"{n_now} records, the last good snapshot has {n_good} (at least {cfg.kwargs['min_value']} expected)"
    filled = 100 - float(r.result.get("unexpected_percent") or 0)
    return f"field {cfg.kwargs['column']!r} filled in {filled:.0f}% of records (at least {cfg.kwargs['mostly']:.0%})"


def _duplicates(rows: list[Row]) -> int:
    keys = [canonical(r) for r in rows]
    return len(keys) - len(set(keys))
