"""Fixtures for the scoring tests (helpers live in scoring_helpers.py, importable by the test modules)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from scoring_helpers import build_sample_warehouse, make_warehouse


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[Callable[..., duckdb.DuckDBPyConnection]]:
    """Factory: ``tiny(cities=..., indicators=..., weights=..., rows=...)`` -> connection to the built warehouse."""
    opened: list[duckdb.DuckDBPyConnection] = []

    def _make(**kwargs: object) -> duckdb.DuckDBPyConnection:
        con = make_warehouse(tmp_path / f"tiny{len(opened)}.duckdb", **kwargs)  # type: ignore[arg-type]
        opened.append(con)
        return con

    yield _make
    for con in opened:
        con.close()


@pytest.fixture(scope="session")
def sample_warehouse(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[str, float]]]:
    con, timings = build_sample_warehouse(tmp_path_factory.mktemp("scoring") / "sample.duckdb")
    yield con, timings
    con.close()
