"""Suites as code: every expectation tells the operator its severity and what a failure means."""

from __future__ import annotations

import re

import duckdb
import pytest

from expectations.suites import CHECKS_DIR, assets, sql_checks


@pytest.mark.parametrize("suite_name", list(assets()))
def test_every_expectation_has_severity_and_meaning(suite_name: str) -> None:
    suite = assets()[suite_name].build()
    assert suite.name == suite_name
    assert len(suite.expectations) >= 3
    for e in suite.expectations:
        assert e.meta["severity"] in ("critical", "warning"), e
        assert len(e.meta["failure_means"]) > 20, e


def test_every_sql_check_is_documented_and_belongs_to_a_suite() -> None:
    files = sorted(CHECKS_DIR.glob("*.sql"))
    assert len(files) >= 5
    found = {c.path for name in assets() for c in sql_checks(name)}
    assert found == set(files), "a check file is named after no suite"
    for p in files:
        assert p.read_text(encoding="utf-8").startswith("-- failure means:"), p


def test_sql_checks_return_their_keys(good_data_dir) -> None:  # noqa: ANN001
    """Each check's rows carry the key columns it declares, so its failures map onto rows of the asset."""
    con = duckdb.connect(str(good_data_dir / "work" / "build.duckdb"), read_only=True)
    try:
        for name in assets():
            for chk in sql_checks(name):
                cols = [d[0] for d in con.execute(chk.sql).description]
                assert set(chk.keys) <= set(cols), (chk.name, cols)
                assert re.fullmatch(r"[a-z_]+", chk.name)
    finally:
        con.close()
