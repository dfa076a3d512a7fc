"""The inbox: which files to take in, and who sent them (the first folder level names the submitter)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from transforms.core.files import safe_join
from transforms.ingest.reports.lookup import catalog_lookup
from transforms.ingest.reports.text import norm_key

IGNORED_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}

Ignored = list[tuple[str, str]]  # (path, why)


@dataclass(frozen=True)
class InboxEntry:
    """One file found in an inbox: where it is, the name to report, who sent it."""

    path: Path
    original_name: str
    submitter: str | None


def iter_inbox(inbox: Path, ignored: Ignored | None = None, exclude: Path | None = None) -> Iterator[InboxEntry]:
    """Files below ``inbox`` in sorted order; the first folder level is the submitter.

    Symlinks are never followed (a link could point anywhere on the server); editor lock files and OS
    junk are skipped. Both are listed in ``ignored``. ``exclude`` (the landing folder, should it sit
    inside the inbox) is never walked, or intake would take in its own copies.
    """
    inbox = Path(inbox)
    excluded = exclude.resolve() if exclude is not None else None
    ignored = ignored if ignored is not None else []
    for dirpath, dirnames, filenames in os.walk(inbox, followlinks=False):
        base = Path(dirpath)
        _prune_dirs(base, dirnames, inbox, excluded, ignored)
        for fn in sorted(filenames):
            entry = _entry(base / fn, inbox, ignored)
            if entry is not None:
                yield entry


def _prune_dirs(base: Path, dirnames: list[str], inbox: Path, excluded: Path | None, ignored: Ignored) -> None:
    """Walk sub-folders in sorted order, never into a symlinked folder or the excluded one."""
    dirnames.sort()
    for d in list(dirnames):
        if (base / d).is_symlink():
            ignored.append(((base / d).relative_to(inbox).as_posix(), "symlink"))
            dirnames.remove(d)
        elif excluded is not None and (base / d).resolve() == excluded:
            dirnames.remove(d)


def _entry(p: Path, inbox: Path, ignored: Ignored) -> InboxEntry | None:
    """The inbox entry for one path, or None (listed in ``ignored``) for links, lock files and non-files."""
    rel = p.relative_to(inbox)
    fn = p.name
    if p.is_symlink():
        ignored.append((rel.as_posix(), "symlink"))
        return None
    if fn.lower() in IGNORED_NAMES or fn.startswith(("~$", ".~lock", ".")):
        ignored.append((rel.as_posix(), "lock_or_system_file"))
        return None
    if not p.is_file():
        ignored.append((rel.as_posix(), "not_a_regular_file"))
        return None
    parts = rel.parts
    submitter = parts[0] if len(parts) > 1 else None
    name = Path(*parts[1:]).as_posix() if len(parts) > 1 else parts[0]
    return InboxEntry(p, name, submitter)


def entries_for_paths(paths: list[Path], inbox_root: Path) -> tuple[list[InboxEntry], Ignored]:
    """Inbox entries for files and folders named on the command line (``hnplus intake PATH...``)."""
    entries: list[InboxEntry] = []
    ignored: Ignored = []
    for p in paths:
        p = Path(p)
        if p.is_symlink():
            ignored.append((str(p), "symlink"))
        elif p.is_dir():
            entries.extend(iter_inbox(p, ignored))
        elif p.is_file():
            entries.append(InboxEntry(p, p.name, _submitter_of(p, inbox_root)))
        else:
            ignored.append((str(p), "not_found"))
    return entries, ignored


def _submitter_of(p: Path, inbox_root: Path) -> str | None:
    """The submitter folder of a file inside the inbox; outside it, a parent folder named after a city."""
    try:
        rel = p.resolve().relative_to(inbox_root.resolve())
    except ValueError:
        return p.parent.name if norm_key(p.parent.name) in catalog_lookup().city_aliases else None
    return rel.parts[0] if len(rel.parts) > 1 else None


def copy_into_inbox(src: Path, inbox: Path, submitter: str | None = None) -> Path:
    """Put a file into an inbox (optionally a submitter folder) without letting the folder name escape it."""
    dest_dir = safe_join(inbox, submitter) if submitter else inbox
    dest_dir.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy2(src, dest_dir / src.name))
