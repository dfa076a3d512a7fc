"""Fixtures: one data directory where a good dataset was published, copied per test so each may break it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from validation_helpers import GOOD_RUN, build, stage_sample_reports

from transforms import pipeline
from transforms.core.paths import DataPaths


@pytest.fixture(scope="session")
def good_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir after one clean run: inputs validated, marts built, audited, promoted and published."""
    root = tmp_path_factory.mktemp("good")
    paths = DataPaths(root).ensure()
    stage_sample_reports(paths.work_db)
    pipeline.validate_inputs(GOOD_RUN, paths)
    build(paths)
    audit = pipeline.audit(GOOD_RUN, paths)
    pipeline.publish(GOOD_RUN, paths)
    (root / "audit_data_docs.txt").write_text(audit["data_docs"], encoding="utf-8")
    return root


@pytest.fixture
def data(good_data_dir: Path, tmp_path: Path) -> DataPaths:
    """A private copy of the good data dir (``latest`` stays a relative symlink)."""
    dest = tmp_path / "data"
    shutil.copytree(good_data_dir, dest, symlinks=True)
    return DataPaths(dest)


