"""One real published data directory per session (sample reports + the fake portal), copied per test.

Kill tests run the real pipeline in a child process (`run_child`) and ``kill -9`` it through
``HNPLUS_FAULT_KILL_AT`` (see faults.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_helpers import copy_data

from tools.portal import PortalHandle, start_portal
from tools.samples import write_samples
from transforms import pipeline
from transforms.core.paths import DataPaths


@pytest.fixture(scope="session")
def portal() -> Iterator[PortalHandle]:
    handle = start_portal()
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory, portal: PortalHandle) -> DataPaths:
    """A data directory after one complete run on the sample reports (dataset "A")."""
    paths = DataPaths(tmp_path_factory.mktemp("template")).ensure()
    write_samples(paths.inbox)
    pipeline.run_all("template", paths, portal.url)
    return paths


@pytest.fixture
def data(template: DataPaths, tmp_path: Path) -> DataPaths:
    return copy_data(template, tmp_path / "data")
