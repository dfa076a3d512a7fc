"""Where published datasets live and how readers find them: ``datasets/<id>``, ``latest`` and period links."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

DATASETS = "datasets"  # published/<DATASETS>/<dataset_id>/ (data/runs/ holds the run logs, not datasets)
LATEST = "latest"
KEEP_DATASETS = 30  # published datasets kept for diffs; override with HNPLUS_KEEP_DATASETS


def datasets_dir(published_root: Path) -> Path:
    """The folder that holds one sub-folder per published dataset."""
    return published_root / DATASETS


def link_target(dataset_id: str, period: str | None = None) -> str:
    """The relative target of ``latest`` (``period=None``) or of a period link."""
    return f"{DATASETS}/{dataset_id}" + ("" if period is None else f"/periods/{period}")


def linked_dataset(link: Path) -> str | None:
    """The dataset id a ``latest`` or period link points at, or None for anything else."""
    if not link.is_symlink():
        return None
    parts = os.readlink(link).split("/")
    return parts[1] if len(parts) > 1 and parts[0] == DATASETS else None


def resolve_dataset(ref: str | Path, published_root: Path) -> Path:
    """A dataset folder from a dataset id (or a unique prefix of one), ``latest``, a period, or a path."""
    p = Path(ref)
    if p.is_dir() and (p / "metadata.json").exists():
        return p.resolve()
    datasets = datasets_dir(published_root)
    for cand in (datasets / str(ref), published_root / str(ref)):
        if (cand / "metadata.json").exists():
            return cand.resolve()
    matches = sorted(d for d in datasets.glob(f"{ref}*") if (d / "metadata.json").exists()) \
        if datasets.is_dir() else []
    if len(matches) == 1:
        return matches[0].resolve()
    raise FileNotFoundError(f"no published dataset {ref!r} under {published_root} (or {len(matches)} matches)")


def prune_datasets(published_root: Path, keep: int = KEEP_DATASETS) -> list[str]:
    """Delete all but the ``keep`` most recently published datasets, never one that a link (``latest``, a period)
    uses. Why: each dataset is a full copy (~30 MB); older ones are kept only for ``hnplus diff`` and audits."""
    datasets = datasets_dir(published_root)
    if not datasets.is_dir():
        return []
    used = {linked_dataset(p) for p in published_root.iterdir()} - {None}
    dirs = sorted((d for d in datasets.iterdir() if d.is_dir() and not d.name.startswith(".")),
                  key=lambda d: (d.stat().st_mtime_ns, d.name), reverse=True)
    removed = [d.name for d in dirs[keep:] if d.name not in used]
    for name in removed:
        shutil.rmtree(datasets / name, ignore_errors=True)
    return removed


def published_metadata(published_root: Path) -> dict | None:
    """``metadata.json`` of the dataset ``latest`` points at, or None before the first publish."""
    meta = published_root / LATEST / "metadata.json"
    if not meta.is_file():
        return None
    return json.loads(meta.read_text(encoding="utf-8"))
