"""The GX side of a validation: one ephemeral context per process, and a validation definition per suite."""

from __future__ import annotations

import logging
import os
from functools import cache
from typing import Any


def quiet_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


@cache
def _context() -> Any:
    """One ephemeral GX context per process, with one pandas data source that every suite reads from."""
    quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.data_sources.add_pandas(name="hnplus")
    return context


def validation_definition(suite_name: str, skipped_columns: frozenset[str] = frozenset()) -> Any:
    import great_expectations as gx

    from expectations.suites import assets

    context = _context()
    built = assets()[suite_name].build()
    if skipped_columns:
        built = gx.ExpectationSuite(name=built.name, meta=built.meta, expectations=[
            e for e in built.expectations if getattr(e, "column", None) not in skipped_columns])
    source = context.data_sources.get("hnplus")
    try:
        data_asset = source.get_asset(suite_name)
    except (LookupError, ValueError):
        data_asset = source.add_dataframe_asset(name=suite_name)
    try:
        batch_def = data_asset.get_batch_definition("whole")
    except (KeyError, LookupError, ValueError):
        batch_def = data_asset.add_batch_definition_whole_dataframe(name="whole")
    suite = context.suites.add_or_update(built)
    return context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"vd_{suite_name}", data=batch_def, suite=suite))
