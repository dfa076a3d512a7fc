"""Every listener of ``make airflow`` on loopback: Airflow's own log server (the function the scheduler and the
triggerer start), run with the environment of ``hnplus airflow-standalone``, binds 127.0.0.1, not every interface."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import psutil

from transforms.cli.airflow import loopback_env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(pid: int, port: int, timeout: float = 60) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
        addrs = [c.laddr.ip for p in procs for c in p.net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN and c.laddr.port == port]
        if addrs:
            return addrs
        time.sleep(0.3)
    return []


def test_log_server_binds_loopback(tmp_path) -> None:  # noqa: ANN001
    port = _free_port()
    env = dict(os.environ, **loopback_env(), AIRFLOW_HOME=str(tmp_path),
               AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{tmp_path / 'a.db'}")
    env.pop("HNPLUS_LISTEN_HOST", None)
    code = f"from airflow.utils.serve_logs.core import serve_logs; serve_logs(port={port})"
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        addrs = _listening(proc.pid, port)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert addrs == ["127.0.0.1"], addrs
