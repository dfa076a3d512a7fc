"""Start, check and stop the docker-compose.yml topology on this machine, from real parts and without Docker.

PostgreSQL (Debian's binaries, its own data directory under ``data/deploy/postgres``, run as the ``postgres``
system user when we are root: initdb refuses root) is the metadata DB; ``airflow api-server``, ``scheduler``,
``dag-processor`` and ``triggerer`` are separate processes; with ``executor="celery"`` a Redis (Debian's
redis-server) is the broker, Postgres the result backend, and two ``airflow celery worker`` processes run the
tasks. Every service is its own process group (its own session), recorded with its pid and start time in
``data/deploy/state.json``, so ``stop`` ends exactly what ``start`` began, children included. Every listener
is on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from tools.deploy.postgres import PG_SYSTEM_USER, as_pg_user, chown_pg, pg_bin, traversable
from tools.deploy.processes import (
    MARK,
    DeployError,
    alive,
    group_members,
    http_json,
    in_session,
    kill_pids,
    marked,
    ours_in_group,
    ours_in_session,
    owner,
    reap,
    start_time,
    stop_groups,
    tail,
    wait_for,
)
from tools.deploy.topology import (
    AIRFLOW_COMMANDS,
    CELERY_APP,
    DEFAULT_PORTS,
    WORKERS,
    Layout,
    airflow_env,
    free_port,
    load_or_create_secrets,
    portal_command,
    seed_inbox,
    worker_command,
    write_private,
)
from transforms.cli.airflow import airflow_bin
from transforms.core.paths import REPO_ROOT

__all__ = ["MARK", "PG_SYSTEM_USER", "DeployError", "Deployment", "alive", "group_members", "in_session", "marked",
           "owner"]


class Deployment:
    """One local deployment rooted in a data directory; ``start`` is idempotent (starts what is not running)."""

    def __init__(self, data_dir: Path, ports: dict[str, int] | None = None) -> None:
        self.layout = Layout(Path(data_dir))
        self._wanted_ports = ports or {}
        self.state: dict[str, Any] = self._load_state()

    # ---------------------------------------------------------------------------------------- state file
    def _load_state(self) -> dict[str, Any]:
        try:
            return json.loads(self.layout.state.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"services": {}}

    def _save_state(self) -> None:
        write_private(self.layout.state, json.dumps(self.state, indent=2) + "\n")

    @property
    def ports(self) -> dict[str, int]:
        return self.state["ports"]

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['api']}"

    @property
    def executor(self) -> str:
        return str(self.state.get("executor", "local"))

    def env(self) -> dict[str, str]:
        """The environment of every Airflow process (also what ``airflow`` CLI calls by an operator need)."""
        # inherited Airflow or hnplus settings (a developer's shell, a test session) must not leak in
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "HNPLUS_"))}
        env.update(airflow_env(self.layout, self.executor, self.ports, self.secrets))
        return env

    @property
    def secrets(self) -> dict[str, str]:
        return json.loads(self.layout.secrets.read_text(encoding="utf-8"))

    def running(self, name: str) -> bool:
        svc = self.state["services"].get(name)
        return bool(svc) and alive(svc["pid"], svc.get("started"))

    def pid(self, name: str) -> int:
        return int(self.state["services"][name]["pid"])

    def service_names(self) -> list[str]:
        """Start order; stop goes backwards."""
        names = ["postgres"]
        if self.executor == "celery":
            names.append("redis")
        names += ["portal", *AIRFLOW_COMMANDS]
        if self.executor == "celery":
            names += [f"airflow-worker-{n}" for n in range(1, WORKERS + 1)]
        return names

    # ------------------------------------------------------------------------------------------- start
    def start(self, executor: str = "local", timeout: float = 300.0) -> dict[str, Any]:
        """Bring every service up and wait until each is healthy; returns timings and where to log in."""
        t0 = time.monotonic()
        running = [n for n in self.state.get("services", {}) if self.running(n)]
        if running and self.state.get("executor") != executor:
            raise DeployError(f"a {self.state.get('executor')} deployment is running in {self.layout.root} "
                              f"({', '.join(running)}): make deploy-stop first")
        self.layout.root.mkdir(parents=True, exist_ok=True)
        for d in (self.layout.run, self.layout.logs, self.layout.airflow_home / "auth"):
            d.mkdir(parents=True, exist_ok=True)
        if not running:
            # whatever a dead deployment left (its services' and retired leaders' groups) is ended first
            retired = self.state.get("retired", []) + list(self.state.get("services", {}).values())
            for svc in retired:
                kill_pids(ours_in_group(svc["pid"], svc.get("started"), self.layout.root))
            self.state = {"services": {}, "executor": executor, "ports": self._pick_ports(), "retired": []}
        self.state["executor"] = executor
        self._save_state()
        sec = load_or_create_secrets(self.layout)
        write_private(self.layout.passwords_file, json.dumps({"admin": sec["admin_password"]}) + "\n")
        timings: dict[str, float] = {}
        seeded = seed_inbox(self.layout.data_dir)

        self._start_postgres(sec)
        timings["postgres_s"] = round(time.monotonic() - t0, 1)
        if executor == "celery":
            self._start_redis(sec)
        self._migrate()
        timings["migrated_s"] = round(time.monotonic() - t0, 1)
        if not self.running("portal"):
            # tools/ is not installed (not part of the product's wheel): the portal imports it from the repository
            self._spawn("portal", portal_command(self.ports["portal"]),
                        {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(REPO_ROOT),
                                                                                    os.environ.get("PYTHONPATH"))))})
        for name in AIRFLOW_COMMANDS:
            self.start_service(name, wait=False)
        if executor == "celery":
            for n in range(1, WORKERS + 1):
                self.start_service(f"airflow-worker-{n}", wait=False)
        self.wait_healthy(timeout=max(30.0, timeout - (time.monotonic() - t0)))
        timings["healthy_s"] = round(time.monotonic() - t0, 1)
        self.state["started_at"] = time.time()
        self._save_state()
        return {"executor": executor, "api": self.api_url, "user": "admin",
                "password_file": str(self.layout.secrets), "seeded_reports": seeded, **timings}

    def _pick_ports(self) -> dict[str, int]:
        picked: dict[str, int] = {}
        for key, default in DEFAULT_PORTS.items():
            env = os.environ.get(f"HNPLUS_DEPLOY_{key.upper()}_PORT")
            want = self._wanted_ports[key] if key in self._wanted_ports else (int(env) if env else default)
            port = free_port(want)
            while port in picked.values():
                port = free_port(0)
            picked[key] = port
        return picked

    def _marked_env(self, env: dict[str, str] | None = None) -> dict[str, str]:
        return dict(env if env is not None else os.environ, **{MARK: str(self.layout.root)})

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str]) -> None:
        env = self._marked_env(env)
        log = self.layout.logs / f"{name}.log"
        with open(log, "ab") as out:
            out.write(f"\n==== {time.strftime('%Y-%m-%dT%H:%M:%S%z')} start: {' '.join(cmd)}\n".encode())
            out.flush()
            proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True, cwd=str(self.layout.data_dir))
        self.state["services"][name] = {"pid": proc.pid, "started": start_time(proc.pid), "cmd": cmd,
                                        "log": str(log)}
        self._save_state()

    def _start_postgres(self, sec: dict[str, str]) -> None:
        lay = self.layout
        if self.running("postgres"):
            return
        traversable(lay.root)
        for d in (lay.run, lay.logs):
            chown_pg(d)
        if not (lay.pgdata / "PG_VERSION").exists():
            lay.pgdata.mkdir(mode=0o700, exist_ok=True)
            chown_pg(lay.pgdata)
            pwfile = lay.run / ".pgpass-init"
            write_private(pwfile, sec["postgres_password"] + "\n")
            chown_pg(pwfile)
            try:
                out = subprocess.run(as_pg_user([pg_bin("initdb"), "-D", str(lay.pgdata), "-U", "airflow",
                                                  f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8",
                                                  "--locale=C.UTF-8"]),
                                     capture_output=True, text=True, env=self._marked_env())
            finally:
                pwfile.unlink(missing_ok=True)
            if out.returncode != 0:
                raise DeployError(f"initdb failed: {out.stderr[-2000:]}")
        log = lay.logs / "postgres.log"
        log.touch()
        chown_pg(log)
        opts = (f"-c listen_addresses=127.0.0.1 -p {self.ports['postgres']} -k {lay.run} "
                "-c max_connections=200 -c shared_buffers=64MB")
        out = subprocess.run(as_pg_user([pg_bin("pg_ctl"), "-D", str(lay.pgdata), "-l", str(log), "-w",
                                          "-t", "60", "-o", opts, "start"]), capture_output=True, text=True,
                             env=self._marked_env())
        if out.returncode != 0:
            raise DeployError(f"pg_ctl start failed: {out.stdout[-1000:]} {out.stderr[-1000:]}\n{tail(log)}")
        pid = int((lay.pgdata / "postmaster.pid").read_text().split()[0])
        self.state["services"]["postgres"] = {"pid": pid, "started": start_time(pid), "log": str(log),
                                              "cmd": ["pg_ctl", "start", opts]}
        self._save_state()
        self._ensure_database(sec)

    def _ensure_database(self, sec: dict[str, str]) -> None:
        import psycopg2

        con = psycopg2.connect(host="127.0.0.1", port=self.ports["postgres"], user="airflow",
                               password=sec["postgres_password"], dbname="postgres", connect_timeout=10)
        try:
            con.autocommit = True
            with con.cursor() as cur:
                cur.execute("select 1 from pg_database where datname = 'airflow'")
                if cur.fetchone() is None:
                    cur.execute("create database airflow")
        finally:
            con.close()

    def _start_redis(self, sec: dict[str, str]) -> None:
        if self.running("redis"):
            return
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(server).exists():
            raise DeployError("redis-server not found: run `make deploy-deps` (apt-get install redis-server)")
        self.layout.redis_dir.mkdir(parents=True, exist_ok=True)
        conf = self.layout.redis_dir / "redis.conf"
        # the password lives in a mode-600 file, not on the command line (ps would show it)
        write_private(conf, "\n".join([
            "bind 127.0.0.1", f"port {self.ports['redis']}", "protected-mode yes",
            f"requirepass {sec['redis_password']}",
            f"dir {self.layout.redis_dir}", 'save ""', "appendonly no", "daemonize no", "",
        ]))
        self._spawn("redis", [server, str(conf)], os.environ.copy())
        log = Path(self.state["services"]["redis"]["log"])
        wait_for("redis", lambda: self._redis_ping(sec), 30, log, lambda: self.running("redis"))

    def _redis_ping(self, sec: dict[str, str]) -> bool:
        import redis

        return bool(redis.Redis(host="127.0.0.1", port=self.ports["redis"], password=sec["redis_password"],
                                socket_timeout=2).ping())

    def _migrate(self) -> None:
        log = self.layout.logs / "airflow-init.log"
        with open(log, "ab") as out:
            rc = subprocess.run([airflow_bin(), "db", "migrate"], env=self.env(), stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode
        if rc != 0:
            raise DeployError(f"airflow db migrate failed ({rc}); log tail:\n{tail(log)}")

    def command(self, name: str) -> list[str]:
        if name.startswith("airflow-worker-"):
            return [airflow_bin(), *worker_command(int(name.rsplit("-", 1)[1]))]
        return [airflow_bin(), *AIRFLOW_COMMANDS[name]]

    def start_service(self, name: str, wait: bool = True, timeout: float = 180.0) -> None:
        """Start one Airflow service if it is not running. The remains of a dead one (its children, whose
        leader was killed) are ended first, as a container's are when its main process dies."""
        if self.running(name):
            return
        old = self.state["services"].get(name)
        if old:  # the leader is dead: end what is left of its group, and remember the group for stop
            root = self.layout.root
            stale = sorted(set(ours_in_group(old["pid"], old.get("started"), root))
                           | set(ours_in_session(old["pid"], old.get("started"), root)))
            kill_pids(stale)
            deadline = time.monotonic() + 10
            while any(alive(p, None) for p in stale) and time.monotonic() < deadline:
                reap()
                time.sleep(0.1)
            self.state.setdefault("retired", []).append({"pid": old["pid"], "started": old.get("started")})
        self._spawn(name, self.command(name), self.env())
        if wait:
            self.wait_healthy(timeout=timeout)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> int:
        """Send ``sig`` to the main process of one service only (what a crash of that part looks like)."""
        pid = self.pid(name)
        os.kill(pid, sig)
        deadline = time.monotonic() + 10
        while alive(pid, None) and time.monotonic() < deadline:
            reap()
            time.sleep(0.1)
        return pid

    def restart(self, name: str, timeout: float = 180.0) -> None:
        if self.running(name):
            stop_groups([self.pid(name)])
        self.start_service(name, wait=True, timeout=timeout)

    # ------------------------------------------------------------------------------------------ health
    def health(self) -> dict[str, Any]:
        """What each part says about itself right now: the api-server's monitor, the scheduler's health server,
        the portal, and (Celery) a ping of every worker."""
        out: dict[str, Any] = {}
        try:
            mon = http_json(f"{self.api_url}/api/v2/monitor/health")
            out.update({k: (v or {}).get("status") for k, v in mon.items()})
        except (OSError, ValueError) as exc:
            out["api"] = f"down: {exc}"
        portal = f"http://127.0.0.1:{self.ports['portal']}/api/3/action/package_show?id=henan-policy-pilots"
        for key, url in (("scheduler_health", f"http://127.0.0.1:{self.ports['scheduler_health']}/health"),
                         ("portal", portal)):
            try:
                http_json(url)
                out[key] = "healthy"
            except (OSError, ValueError) as exc:
                out[key] = f"down: {exc}"
        out["processes"] = {n: self.running(n) for n in self.service_names()}
        return out

    def healthy(self, h: dict[str, Any] | None = None) -> bool:
        h = h or self.health()
        parts = ("metadatabase", "scheduler", "triggerer", "dag_processor", "scheduler_health", "portal")
        return all(h.get(k) == "healthy" for k in parts) and all(h["processes"].values())

    def celery_ping(self) -> list[str]:
        """Node names of the Celery workers that answer a broadcast ping."""
        out = subprocess.run([str(Path(airflow_bin()).parent / "celery"), "--app", CELERY_APP, "inspect", "ping",
                              "--json", "--timeout", "5"], env=self.env(), capture_output=True, text=True,
                             timeout=120)
        try:
            return sorted(json.loads(out.stdout.strip().splitlines()[-1]))
        except (ValueError, IndexError):
            return []

    def wait_healthy(self, timeout: float = 180.0) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            gone = [n for n in self.service_names() if not self.running(n)]
            if gone:
                logs = "\n".join(f"--- {n}\n{tail(Path(self.state['services'][n]['log']))}"
                                 for n in gone if n in self.state["services"])
                raise DeployError(f"exited: {', '.join(gone)}\n{logs}")
            h = self.health()
            return h if self.healthy(h) else None

        h = wait_for("every service to report healthy", check, timeout)
        if self.executor == "celery":
            want = WORKERS
            wait_for(f"{want} Celery workers to answer a ping", lambda: len(self.celery_ping()) >= want,
                     max(30.0, timeout / 2))
        return h

    # -------------------------------------------------------------------------------------------- stop
    def stop(self) -> dict[str, Any]:
        """Stop every service (Airflow and the portal first, then Redis, then Postgres with ``pg_ctl stop -m fast``)
        and check that none of their processes and none of their ports is left."""
        t0 = time.monotonic()
        services = self.state.get("services", {})
        # only groups whose leader is the very process we started (pid and start time): a recorded pid that died
        # may have been reused by a stranger; what a dead leader left is found by the mark below
        live = {n: s["pid"] for n, s in services.items() if alive(s["pid"], s.get("started"))}
        workers = [p for n, p in live.items() if n.startswith("airflow-worker-")]
        killed = stop_groups(workers, grace=30) if workers else []  # workers first: their tasks end cleanly
        killed += stop_groups([p for n, p in live.items() if n not in ("postgres", "redis") and p not in workers])
        if "redis" in live:
            killed += stop_groups([live["redis"]])
        if (self.layout.pgdata / "postmaster.pid").exists():
            subprocess.run(as_pg_user([pg_bin("pg_ctl"), "-D", str(self.layout.pgdata), "-m", "fast", "-w",
                                        "-t", "60", "stop"]), capture_output=True)
        if "postgres" in services and alive(services["postgres"]["pid"], services["postgres"].get("started")):
            killed += stop_groups([services["postgres"]["pid"]])
        # what dead leaders left (their groups, checked by ours_in_group), and anything else carrying the mark
        dead = [s for n, s in services.items() if n not in live] + self.state.get("retired", [])
        strays = sorted({p for s in dead for p in ours_in_group(s["pid"], s.get("started"), self.layout.root)}
                        | set(marked(self.layout.root)))
        kill_pids(strays)
        killed += strays
        # zombies of the processes ``start`` left to PID 1 disappear once it reaps them (a few seconds here)
        gone_by = time.monotonic() + 15
        while time.monotonic() < gone_by and any(Path(f"/proc/{p}").exists() for s in services.values()
                                                 for p in [s["pid"]]):
            reap()
            time.sleep(0.3)
        left = self.leftovers()
        self.state["services"] = {}
        self.state["retired"] = []
        self._save_state()
        return {"stopped_s": round(time.monotonic() - t0, 1), "killed_after_term": killed, "left": left}

    def leftovers(self) -> dict[str, Any]:
        """Processes of recorded services and listeners on the recorded ports that are still there."""
        import socket

        root = self.layout.root
        procs = {n: ours_in_group(s["pid"], s.get("started"), root) for n, s in self.state.get("services", {}).items()}
        procs["(retired)"] = sorted({p for s in self.state.get("retired", [])
                                     for p in ours_in_group(s["pid"], s.get("started"), root)})
        procs["(marked)"] = marked(root)
        listening = []
        for key, port in (self.state.get("ports") or {}).items():
            with socket.socket() as s:
                s.settimeout(0.5)
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    listening.append(f"{key}:{port}")
        return {"processes": {n: p for n, p in procs.items() if p}, "listening": listening}
