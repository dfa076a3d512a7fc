"""Which reporting period a run is for, and the skip-if-unchanged gate on an empty data directory."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from transforms.core.paths import DataPaths
from transforms.core.periods import period_for_run
from transforms.pipeline.gate import inputs_fingerprint_unchanged, should_build


@pytest.mark.parametrize(
    ("logical_date", "expected"),
    [
        ("2026-01-01T18:00:00+00:00", "2025Q4"),  # 02:00 on 2 January in Shanghai: Q4 2025 just closed
        ("2025-12-31T15:59:59+00:00", "2025Q3"),  # 23:59:59 on 31 December in Shanghai: Q4 still open
        ("2025-12-31T16:30:00+00:00", "2025Q4"),  # 00:30 on 1 January in Shanghai
        ("2019-04-10T02:00:00+08:00", "2019Q1"),
        ("2018-10-01T02:00:00+08:00", "2018Q3"),
        (datetime(2021, 1, 5, 18, tzinfo=UTC), "2020Q4"),
    ],
)
def test_period_from_logical_date(logical_date: str | datetime, expected: str) -> None:
    assert period_for_run(logical_date) == expected


def test_period_param_wins_and_is_checked() -> None:
    assert period_for_run("2026-01-01T18:00:00+00:00", "2018q4") == "2018Q4"
    assert period_for_run("2026-01-01T18:00:00+00:00", "  ") == "2025Q4"
    with pytest.raises(ValueError, match="2018Q4"):
        period_for_run(None, "2018-12")


def test_nothing_published_means_build(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path).ensure()
    assert inputs_fingerprint_unchanged(paths) is False
    assert should_build(False, paths) is True
    assert should_build(True, paths) is True
