"""The processes of a local deployment: each service is its own process group, marked with ``MARK`` in its
environment (children included), so ``stop`` and the tests find and end exactly what a deployment started, even
what a killed parent left behind."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Every process of a deployment carries this variable (value: its ``data/deploy`` folder), children included:
#: ``stop`` and the tests find with it whatever a killed parent left behind, in any process group.
MARK = "HNPLUS_DEPLOY_ROOT"


class DeployError(RuntimeError):
    """A part did not come up (or down); the message says which and shows its log tail."""


def _proc_stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def start_time(pid: int) -> int | None:
    """The kernel's start time of ``pid`` (ticks since boot): with the pid it names one process, never a reuse."""
    st = _proc_stat(pid)
    return int(st[19]) if st else None


def alive(pid: int, started: int | None) -> bool:
    """The recorded process still runs (not a zombie, not another process that got the same pid)."""
    st = _proc_stat(pid)
    return bool(st) and st[0] != "Z" and (started is None or int(st[19]) == started)


def _live_with(field: int, value: int) -> list[int]:
    """Live (non-zombie) processes whose /proc stat field ``field`` (after the name) equals ``value``."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > field and fields[field] == str(value) and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of process group ``pgid``."""
    return _live_with(2, pgid)


def in_session(sid: int) -> list[int]:
    """Live processes of session ``sid`` (every service is started as the leader of its own session)."""
    return _live_with(3, sid)


def marked(root: Path) -> list[int]:
    """Live processes whose environment carries ``MARK=root`` (read from /proc; root sees every process)."""
    want = f"{MARK}={root}".encode()
    out = []
    for env in Path("/proc").glob("[0-9]*/environ"):
        try:
            if want in env.read_bytes().split(b"\0"):
                pid = int(env.parent.name)
                st = _proc_stat(pid)
                if st and st[0] != "Z":
                    out.append(pid)
        except (OSError, ValueError):
            continue
    return [p for p in out if p != os.getpid()]


_OUR_PROGRAMS = ("airflow", "celery", "postgres", "redis-server", "tools.portal")


def ours_in_group(pgid: int, started: int | None, root: Path) -> list[int]:
    """Live members of the group of a leader we started (``pgid``, its recorded start time) that are ours: not
    older than that leader, and carrying the mark or, since setproctitle overwrites the environment area of
    Airflow's workers (``airflow worker -- LocalExecutor``), running one of our programs. A dead leader's group
    id is only trusted with both checks, so a stranger's group that reuses the pid is never touched."""
    return _ours(group_members(pgid), started, root)


def ours_in_session(sid: int, started: int | None, root: Path) -> list[int]:
    """The same for the session of a leader we started: Airflow's task processes may leave the leader's process
    group (a LocalExecutor task runs in a group of its own) but stay in its session."""
    return _ours(in_session(sid), started, root)


def _ours(pids: list[int], started: int | None, root: Path) -> list[int]:
    ours = set(marked(root))
    out = []
    for pid in pids:
        st = _proc_stat(pid)
        if not st or (started is not None and int(st[19]) < started):
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if pid in ours or any(word in cmd for word in _OUR_PROGRAMS):
            out.append(pid)
    return out


def kill_pids(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def owner(pid: int, candidates: dict[str, int]) -> str | None:
    """Which of ``candidates`` (name -> pid) ``pid`` descends from, following the parent chain."""
    by_pid = {v: k for k, v in candidates.items()}
    while pid > 1:
        if pid in by_pid:
            return by_pid[pid]
        st = _proc_stat(pid)
        if not st:
            return None
        pid = int(st[1])
    return None


def reap() -> None:
    """Collect exited children of this process (the tests start the topology in-process)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def stop_groups(pgids: list[int], grace: float = 30.0) -> list[int]:
    """TERM every group, wait until all are gone, KILL what is left after ``grace``; returns the pids KILLed."""
    for pgid in pgids:
        try:
            os.killpg(pgid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        reap()
        if not any(group_members(g) for g in pgids):
            return []
        time.sleep(0.3)
    left = [p for g in pgids for p in group_members(g)]
    for pgid in pgids:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(group_members(g) for g in pgids):
        reap()
        time.sleep(0.2)
    return left


def tail(path: Path, n: int = 25) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def wait_for(what: str, check: Callable[[], Any], timeout: float, log: Path | None = None,
             still_alive: Callable[[], bool] | None = None) -> Any:
    """Poll ``check`` until it returns something truthy; raise DeployError with the log tail on timeout."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if still_alive is not None and not still_alive():
            raise DeployError(f"{what}: the process exited; log tail:\n{tail(log) if log else ''}")
        try:
            got = check()
            if got:
                return got
        except (OSError, ValueError, KeyError, urllib.error.URLError) as exc:
            last = exc
        time.sleep(1)
    raise DeployError(f"timed out after {timeout:.0f}s waiting for {what} (last error: {last}); "
                      f"log tail:\n{tail(log) if log else ''}")


def http_json(url: str, timeout: float = 5) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 (loopback URLs we built)
        return json.loads(r.read() or b"null")
