"""PostgreSQL from Debian's binaries for a local deployment: initdb refuses root, so the cluster runs as the
``postgres`` system user (``runuser``), in its own data directory under ``data/deploy/postgres``."""

from __future__ import annotations

import glob
import os
import pwd
from pathlib import Path

from tools.deploy.processes import DeployError

PG_SYSTEM_USER = "postgres"


def pg_bin(name: str) -> str:
    """A PostgreSQL server binary from Debian's package (``/usr/lib/postgresql/<major>/bin``), newest major."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[4]))
    if not found:
        raise DeployError(f"{name} not found under /usr/lib/postgresql/*/bin: run `make deploy-deps` "
                          "(apt-get install postgresql)")
    return found[-1]


def as_pg_user(cmd: list[str]) -> list[str]:
    """Run a server command as the ``postgres`` system user when we are root (initdb and postgres refuse root)."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", PG_SYSTEM_USER, "--", *cmd]


def chown_pg(path: Path) -> None:
    if os.geteuid() == 0:
        pw = pwd.getpwnam(PG_SYSTEM_USER)
        os.chown(path, pw.pw_uid, pw.pw_gid)


def traversable(path: Path) -> None:
    """The postgres user must reach its data directory: add search (x, not read) permission on our own folders."""
    if os.geteuid() != 0:
        return
    for p in [path, *path.parents]:
        mode = p.stat().st_mode
        if not mode & 0o001:
            if p.stat().st_uid != os.geteuid():
                raise DeployError(f"{p} is not searchable by the {PG_SYSTEM_USER} user; chmod o+x it")
            os.chmod(p, mode | 0o001)
