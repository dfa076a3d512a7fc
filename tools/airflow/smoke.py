"""Standalone REST smoke check: ``airflow standalone`` on loopback, driven only through its public REST API.

Why: ``dag.test()`` runs tasks in-process; this proves the real scheduler, dag-processor, execution API and
task subprocesses run the nightly DAG to success, as an operator's deployment would. No Airflow import here:
Airflow runs as a subprocess with its own temporary AIRFLOW_HOME; the data directory is temporary too.

    python -m tools.airflow.smoke            # prints a JSON summary, exit 1 on failure

The DAG is found by its tag (``nightly``) through the REST API; its id is declared in ``dags/`` only.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from transforms.cli.airflow import NIGHTLY_TAG, airflow_bin, airflow_env
from transforms.core.paths import DataPaths


class SmokeFailed(RuntimeError):
    """The standalone deployment did not run the DAG to success; the message says which step."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(what: str, check: Callable[[], Any], timeout: float, proc: subprocess.Popen, log: Path) -> Any:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SmokeFailed(f"airflow standalone exited ({proc.returncode}) while waiting for {what}; "
                              f"log tail:\n{_tail(log)}")
        try:
            got = check()
            if got:
                return got
        except (requests.RequestException, OSError, ValueError, KeyError) as exc:
            last = exc
        time.sleep(1)
    raise SmokeFailed(f"timed out after {timeout:.0f}s waiting for {what} (last error: {last}); "
                      f"log tail:\n{_tail(log)}")


def _tail(log: Path, n: int = 30) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def _group_members(pgid: int) -> list[str]:
    """Command lines of the live (non-zombie) processes in group ``pgid``; orphaned zombies are not counted,
    a container's PID 1 may never reap them."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                out.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:80])
        except (OSError, IndexError, ValueError):
            continue
    return out


def stop_process_group(proc: subprocess.Popen, grace: float = 15.0) -> list[str]:
    """Stop the process group this module started (standalone and its scheduler, api-server, triggerer,
    dag-processor children): TERM, wait until the whole group is gone, KILL what is left after ``grace``.
    Returns the command lines that were still alive (not zombies) when KILL was sent."""
    pgid = proc.pid  # start_new_session=True: the group id is the leader's pid
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return []
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        proc.poll()  # reap the leader when it exits
        if not _group_members(pgid):
            break
        time.sleep(0.5)
    lingering = _group_members(pgid)
    if lingering:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover
        pass
    return lingering


def _standalone_env(paths: DataPaths, port: int, portal_url: str) -> dict[str, str]:
    base = f"http://127.0.0.1:{port}"
    return airflow_env(paths, {
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        # Unpausing would otherwise also create the scheduled run of the latest 02:00 slot (catchup=False still
        # runs the most recent interval); this check wants exactly the one run it triggers.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "HNPLUS_PORTAL_URL": portal_url,
    })


def _session(base: str, home: Path, wait: Callable[[str, Callable[[], Any]], Any]) -> requests.Session:
    """A REST session with the admin's JWT (the password standalone generated into AIRFLOW_HOME)."""
    pw_file = home / "simple_auth_manager_passwords.json.generated"
    password = wait("the admin password", lambda: json.loads(pw_file.read_text())["admin"])

    def token() -> str:
        r = requests.post(f"{base}/auth/token", json={"username": "admin", "password": password}, timeout=5)
        r.raise_for_status()
        return str(r.json()["access_token"])

    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {wait('a JWT', token)}"
    return s


def _trigger_and_wait(s: requests.Session, base: str, when: str, summary: dict[str, Any],
                      wait: Callable[[str, Callable[[], Any]], Any]) -> str:
    """Find the DAG tagged nightly, unpause it, trigger one run and wait for its end; returns the run's state."""
    def tagged_dag() -> str | None:
        dags = s.get(f"{base}/api/v2/dags", params={"tags": NIGHTLY_TAG}, timeout=5).json()["dags"]
        return dags[0]["dag_id"] if len(dags) == 1 else None

    summary["dag_id"] = wait(f"the DAG tagged {NIGHTLY_TAG} to be parsed", tagged_dag)
    api = f"{base}/api/v2/dags/{summary['dag_id']}"
    r = s.patch(api, json={"is_paused": False}, timeout=10)
    if not r.ok:
        raise SmokeFailed(f"unpause: HTTP {r.status_code} {r.text[:300]}")
    r = s.post(f"{api}/dagRuns", json={"logical_date": when, "conf": {}}, timeout=10)
    if not r.ok:
        raise SmokeFailed(f"trigger: HTTP {r.status_code} {r.text[:300]}")
    run_id = summary["dag_run_id"] = r.json()["dag_run_id"]

    def finished() -> str | None:
        state = s.get(f"{api}/dagRuns/{run_id}", timeout=5).json()["state"]
        return state if state in ("success", "failed") else None

    state = wait(f"run {run_id} to finish", finished)
    tis = s.get(f"{api}/dagRuns/{run_id}/taskInstances", params={"limit": 100}, timeout=10).json()
    summary["tasks"] = sorted({(t["task_id"], t["state"]) for t in tis["task_instances"]})
    return str(state)


def run_smoke(
    portal_url: str,
    data_dir: Path | None = None,
    timeout: float = 300.0,
    logical_date: datetime | None = None,
) -> dict[str, Any]:
    """Start standalone, trigger the nightly DAG over REST, wait for success, stop; returns a summary.

    ``data_dir`` must already hold the inbox to ingest (for example the sample reports)."""
    t0 = time.monotonic()
    paths = DataPaths(Path(data_dir or tempfile.mkdtemp(prefix="hnplus-smoke-"))).ensure()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = _standalone_env(paths, port, portal_url)
    home = Path(env["AIRFLOW_HOME"])
    log = home / "standalone.log"
    summary: dict[str, Any] = {"api": base, "airflow_home": str(home), "data_dir": str(paths.root)}
    with open(log, "wb") as out:
        proc = subprocess.Popen([airflow_bin(), "standalone"], env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)

    def wait(what: str, check: Callable[[], Any]) -> Any:
        return _wait(what, check, max(5.0, timeout - (time.monotonic() - t0)), proc, log)

    try:
        wait("the API", lambda: requests.get(f"{base}/api/v2/version", timeout=3).ok)
        summary["api_up_s"] = round(time.monotonic() - t0, 1)
        s = _session(base, home, wait)
        when = (logical_date or datetime.now(UTC)).isoformat()
        summary["state"] = state = _trigger_and_wait(s, base, when, summary, wait)
        summary["seconds"] = round(time.monotonic() - t0, 1)
        if state != "success":
            raise SmokeFailed(f"run {summary['dag_run_id']} ended {state}: {summary['tasks']}")
        return summary
    finally:
        t_stop = time.monotonic()
        summary["lingering_after_term"] = stop_process_group(proc)
        summary["stop_s"] = round(time.monotonic() - t_stop, 1)


def main(argv: list[str] | None = None) -> int:
    """Run the smoke check with the bundled portal and sample reports; exit 1 on failure."""
    from tools.portal import start_portal
    from tools.samples import write_samples

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--keep", action="store_true", help="keep the temporary data dir (and AIRFLOW_HOME)")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="hnplus-smoke-"))
    write_samples(DataPaths(tmp).ensure().inbox)
    portal = start_portal()
    try:
        summary = run_smoke(portal.url, tmp, args.timeout)
        print(json.dumps(summary, indent=2, default=str))
        return 0
    except SmokeFailed as exc:
        print(f"SMOKE FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        portal.stop()
        if not args.keep:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
