"""Where things live. One place, so ``HNPLUS_DATA_DIR`` moves every generated file at once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SEEDS_DIR = REPO_ROOT / "seeds"
SQL_DIR = REPO_ROOT / "sql"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
REALDATA_DIR = REPO_ROOT.parent / "shared" / "realdata"


@dataclass(frozen=True)
class DataPaths:
    """All generated locations below one data directory."""

    root: Path

    @property
    def samples(self) -> Path:
        return self.root / "samples"

    @property
    def inbox(self) -> Path:
        """Where city reports arrive (one folder per submitter is allowed)."""
        return self.root / "inbox"

    @property
    def landing(self) -> Path:
        """Every received file, stored unchanged under its sha256."""
        return self.root / "landing"

    @property
    def feed_archive(self) -> Path:
        return self.root / "feeds"

    @property
    def work(self) -> Path:
        """The pipeline's private working warehouse (one writer)."""
        return self.root / "work"

    @property
    def work_db(self) -> Path:
        return self.work / "build.duckdb"

    @property
    def warehouse(self) -> Path:
        """The analysts' copy, replaced atomically at publish time."""
        return self.root / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        return self.root / "published"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    def ensure(self) -> DataPaths:
        for p in (self.root, self.inbox, self.landing, self.feed_archive, self.work, self.published, self.runs):
            p.mkdir(parents=True, exist_ok=True)
        return self


def data_paths() -> DataPaths:
    """Resolve the data directory from ``HNPLUS_DATA_DIR`` (default ``./data`` in the repo)."""
    root = Path(os.environ.get("HNPLUS_DATA_DIR", REPO_ROOT / "data")).resolve()
    return DataPaths(root)
