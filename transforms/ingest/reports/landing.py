"""Landing: every received file is stored unchanged under its sha256 before anything reads it."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

CHUNK = 1 << 20


def land(path: Path, landing: Path, store: bool = True) -> tuple[str, int, Path | None]:
    """Copy the file into ``landing/<sha256>`` (atomic rename) and return (sha256, size, stored path).

    The file is hashed while it is copied (one read). With ``store=False`` (a file far above the size limit)
    it is only hashed: it will be rejected, and copying it first would let one oversized upload fill the
    disk. It stays in the inbox for the operator. Files are opened without following a symlink swapped in
    after the inbox walk."""
    if not store:
        return (*_hash_only(path), None)
    landing.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=landing, prefix=".incoming-")
    h = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb", opener=_nofollow_opener) as src:
            while chunk := src.read(CHUNK):
                h.update(chunk)
                out.write(chunk)
                size += len(chunk)
        dest = landing / h.hexdigest()
        if dest.exists():
            os.unlink(tmp)
        else:
            os.replace(tmp, dest)
            os.chmod(dest, 0o444)
        return h.hexdigest(), size, dest
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _hash_only(path: Path) -> tuple[str, int]:
    """sha256 and size without a copy (``core.files.sha256_file`` would follow a symlink)."""
    with open(path, "rb", opener=_nofollow_opener) as src:
        return hashlib.file_digest(src, "sha256").hexdigest(), os.fstat(src.fileno()).st_size


def _nofollow_opener(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))
