"""Two runs at once, and a full disk while writing: a clear refusal or a clean failure, old outputs intact."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from reliability_helpers import add_changed_report, copy_data, run_child

from tools.portal import PortalHandle
from transforms import pipeline
from transforms.core.locks import RunLocked, lock_holder, run_lock
from transforms.core.paths import REPO_ROOT, DataPaths
from transforms.publish.integrity import check_published

HOLD = """
import sys, time
from pathlib import Path
from transforms.core.paths import DataPaths
from transforms import pipeline
from transforms.core import locks
paths = DataPaths(Path(sys.argv[1]))
if sys.argv[2] == "run":
    with locks.run_lock(paths, run_id="nightly-holder"):
        print("HELD", flush=True)
        time.sleep(float(sys.argv[3]))
else:
    with pipeline.warehouse(paths):
        print("HELD", flush=True)
        time.sleep(float(sys.argv[3]))
"""


def _hold(paths: DataPaths, kind: str, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(paths.root), kind, str(seconds)], cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "HELD"
    return proc


def test_second_run_refuses_with_a_clear_message(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "d").ensure()
    holder = _hold(paths, "run", 30)
    try:
        assert lock_holder(paths)["run_id"] == "nightly-holder"
        t0 = time.monotonic()
        with pytest.raises(RunLocked) as exc:
            pipeline.run_all_exclusive("second", paths, "http://127.0.0.1:9")
        assert time.monotonic() - t0 < 2
        msg = str(exc.value)
        assert "nightly-holder" in msg and f"pid={holder.pid}" in msg and "nothing was changed" in msg
        assert not paths.work_db.exists()  # the refused run touched nothing
        t0 = time.monotonic()
        with pytest.raises(RunLocked), run_lock(paths, "waiter", wait=True, timeout=1.0):
            pass
        assert 0.9 < time.monotonic() - t0 < 3
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # the kernel dropped the flock of the killed holder: the next run is not blocked by a stale lock
    with run_lock(paths, "after-kill") as p:
        assert p.exists() and lock_holder(paths)["run_id"] == "after-kill"


def test_second_run_can_wait_for_the_first(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "d").ensure()
    holder = _hold(paths, "run", 1.5)
    t0 = time.monotonic()
    with run_lock(paths, "waiter", wait=True, timeout=20):
        waited = time.monotonic() - t0
    holder.wait()
    assert 0.5 < waited < 10


def test_stage_lock_of_warehouse_waits_not_fails(tmp_path: Path) -> None:
    """pipeline.warehouse() blocks a second writer until the first stage closes (it does not error)."""
    paths = DataPaths(tmp_path / "d").ensure()
    holder = _hold(paths, "stage", 2.0)
    t0 = time.monotonic()
    with pipeline.warehouse(paths) as con:
        waited = time.monotonic() - t0
        assert con.execute("select 42").fetchone() == (42,)
    holder.wait()
    assert waited > 1.0


# ------------------------------------------------------------------------------------------------ full disk
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A size-limited filesystem: tmpfs when we may mount (root), else RLIMIT_FSIZE in the child."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    ok = os.geteuid() == 0 and shutil.which("mount") and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=400m", "tmpfs", str(mnt)], capture_output=True).returncode == 0
    try:
        yield mnt, "tmpfs" if ok else "rlimit"
    finally:
        if ok:
            subprocess.run(["umount", "-l", str(mnt)], check=False)


def _used(path: Path) -> int:
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death by signal
    resource.setrlimit(resource.RLIMIT_FSIZE, (8 * 1024 * 1024, 8 * 1024 * 1024))


def test_full_disk_fails_cleanly_and_keeps_old_outputs(template: DataPaths, portal: PortalHandle,
                                                       small_disk: tuple[Path, str]) -> None:
    mnt, kind = small_disk
    paths = copy_data(template, mnt / "data")
    a_latest = os.readlink(paths.published / "latest")
    a_meta = (paths.published / "latest" / "metadata.json").read_bytes()
    wh_before = paths.warehouse.read_bytes()
    add_changed_report(paths)
    if kind == "tmpfs":
        room = _used(mnt) + 12 * 1024 * 1024  # 12 MB free: the new dataset (~45 MB) cannot be written
        subprocess.run(["mount", "-o", f"remount,size={room}", str(mnt)], check=True)
        proc = run_child(paths, "disk-full", portal.url)
    else:
        proc = run_child(paths, "disk-full", portal.url, preexec=_limit_file_size)
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-3000:])  # an exception, not a crash
    err = proc.stderr.lower()
    assert any(s in err for s in ("no space left", "errno 28", "file too large", "errno 27", "could not write",
                                  "out of space", "disk")), proc.stderr[-3000:]
    assert "Traceback" in proc.stderr
    print(f"[disk full via {kind}] {proc.stderr.strip().splitlines()[-1][:300]}")
    # old outputs intact: the same dataset, byte for byte, and the analysts' warehouse untouched
    assert os.readlink(paths.published / "latest") == a_latest
    assert (paths.published / "latest" / "metadata.json").read_bytes() == a_meta
    assert check_published(paths.published) == []
    assert paths.warehouse.read_bytes() == wh_before
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    assert con.execute("select count(*) from marts.league_table").fetchone()[0] == 18 * 12 * 20
    con.close()
    # publish cleaned its own temp folder on the way out (it is only left by SIGKILL)
    assert [p.name for p in (paths.published / "datasets").iterdir() if p.name.startswith(".")] == []
    # the working DuckDB is not corrupted: it opens and still holds every staged row
    with pipeline.warehouse(paths, read_only=True) as con:
        assert con.execute("select count(*) from raw.report_rows").fetchone()[0] > 30_000
    # (the next run after freeing space is the recovery of tests/reliability/test_kill.py)
