"""File primitives: hashing, atomic writes and swaps, and names from outside that must not escape their folder.

Why one module: readers open published files while the nightly run writes them, so every write that readers can
see is a rename of a finished file, folder or symlink; and every checksum in the published metadata is computed
the same way.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
from pathlib import Path

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class UnsafePath(ValueError):
    """A name from outside would leave its folder (``..``, an absolute path, a NUL byte, a symlink out)."""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in chunks (published files may be tens of MB)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) beside ``path`` and rename it over, so a reader sees the old or the new file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def swap_symlink(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` atomically (create a new link beside it, then rename over)."""
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)


def exchange_dirs(a: Path, b: Path) -> bool:
    """Swap two directories in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    rc = fn(_AT_FDCWD, os.fsencode(str(a)), _AT_FDCWD, os.fsencode(str(b)), _RENAME_EXCHANGE)
    if rc != 0:
        err = ctypes.get_errno()
        if err in (22, 38, 95):  # EINVAL / ENOSYS / EOPNOTSUPP: filesystem or kernel without it
            return False
        raise OSError(err, os.strerror(err), str(b))
    return True


def replace_dir(src: Path, dst: Path) -> None:
    """Move the finished folder ``src`` to ``dst`` so that ``dst`` is never missing, even if ``dst`` exists:
    a fresh name is one rename; an existing folder is swapped atomically and the old content removed after."""
    if not dst.exists():
        os.replace(src, dst)
        return
    if exchange_dirs(src, dst):
        shutil.rmtree(src, ignore_errors=True)  # src now holds the old content
        return
    old = dst.with_name(f".{dst.name}.old.{os.getpid()}")
    os.replace(dst, old)  # fallback: the short window remains on systems without RENAME_EXCHANGE
    os.replace(src, dst)
    shutil.rmtree(old, ignore_errors=True)


def safe_join(root: Path, *parts: str) -> Path:
    """``root / parts`` but refuse anything that ends up outside ``root`` (checked after resolving links)."""
    for part in parts:
        text = str(part)
        if not text or "\x00" in text:
            raise UnsafePath(f"empty name or NUL byte in {text!r}")
        if os.path.isabs(text) or text.startswith(("/", "\\")) or (len(text) > 1 and text[1] == ":"):
            raise UnsafePath(f"absolute path not allowed: {text!r}")
        if any(seg == ".." for seg in text.replace("\\", "/").split("/")):
            raise UnsafePath(f"'..' not allowed in {text!r}")
    base = Path(root).resolve()
    target = base.joinpath(*parts)
    resolved = target.resolve()
    if resolved != base and base not in resolved.parents:
        raise UnsafePath(f"{target} resolves to {resolved}, outside {base}")
    return target


def file_safe(name: str) -> str:
    """``name`` as a plain file-name component: anything but letters, digits and ``-_.`` becomes ``_`` (run ids
    name run logs and validation folders)."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


def safe_name(name: str) -> str:
    """One plain file-name component (no folder separators): what a submitter or dataset id may be."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        raise UnsafePath(f"not a plain file name: {name!r}")
    return name
