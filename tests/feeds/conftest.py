"""Fixtures: a real portal on a free loopback port and a fast client config (short timeouts, tiny backoff)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.portal import SAMPLES_DIR, PortalHandle, start_portal
from transforms.ingest.feeds.client import ClientConfig


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    """A private copy of the committed samples, so a test may change content without touching seeds/."""
    dest = tmp_path / "samples"
    shutil.copytree(SAMPLES_DIR, dest)
    return dest


@pytest.fixture
def portal(samples: Path) -> Iterator[PortalHandle]:
    handle = start_portal("127.0.0.1", 0, samples_dir=samples)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return tmp_path / "archive"


@pytest.fixture
def fast() -> ClientConfig:
    return ClientConfig(connect_timeout=0.5, read_timeout=0.4, retries=1, backoff_factor=0.01,
                        backoff_max=0.05, max_retry_after=1.0)
