"""What runs: the services of docker-compose.yml, their commands and their Airflow variables, for this machine.

One place for the service list, so ``tests/deployment/test_compose_in_step.py`` can hold docker-compose.yml and
the local topology to the same services, commands and variables. Only what is really host-specific differs:
addresses (127.0.0.1 and free ports instead of service names), paths (under ``data/deploy``) and the secrets
(generated into ``data/deploy/secrets.json`` instead of taken from ``.env``).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

from transforms.core.paths import REPO_ROOT

EXECUTORS = {"local": "LocalExecutor", "celery": "CeleryExecutor"}

#: Airflow variables with the same value here and in docker-compose.yml's x-airflow-common environment.
SHARED_SETTINGS: dict[str, str] = {
    "AIRFLOW__CORE__PARALLELISM": "4",
    "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "true",
    "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
    "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "true",
    # the health server binds 0.0.0.0 by default; the compose healthcheck and ours ask on loopback
    "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",
    # a task whose process died (its worker or scheduler killed) is failed, then retried, after 60 s, not 300 s
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "60",
    # a scheduler that died with tasks queued or running: the next one adopts or resets them within 60 s
    "AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL": "60",
    "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
    "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    "GX_ANALYTICS_ENABLED": "False",
}

#: Variables both have, with a value that names a place of its own deployment (host, port, path, secret).
PLACE_SETTINGS = (
    "AIRFLOW__CORE__EXECUTOR",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CORE__FERNET_KEY",
    "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    "AIRFLOW__CORE__DAGS_FOLDER",
    "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CELERY__RESULT_BACKEND",
    "HNPLUS_DATA_DIR",
    "HNPLUS_PORTAL_URL",
)

#: Only here: in compose the image sets AIRFLOW_HOME and PATH, and the api-server listens on the container's
#: 8080 (published on 127.0.0.1 by ``ports``); on this host every listener is bound to 127.0.0.1 on a free port.
LOCAL_ONLY_SETTINGS = (
    "AIRFLOW_HOME",
    "PATH",
    "AIRFLOW__API__HOST",
    "AIRFLOW__API__PORT",
    "AIRFLOW__API__BASE_URL",
    "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT",
)

#: compose service -> ``airflow`` arguments (the compose ``command``). ``--skip-serve-logs``: Airflow's log server
#: binds every interface and cannot be told otherwise; the api-server reads the task logs from the shared log
#: folder instead (one host here, the ``airflow-logs`` volume in compose).
AIRFLOW_COMMANDS: dict[str, list[str]] = {
    "airflow-apiserver": ["api-server"],
    "airflow-scheduler": ["scheduler", "--skip-serve-logs"],
    "airflow-dag-processor": ["dag-processor"],
    "airflow-triggerer": ["triggerer", "--skip-serve-logs"],
}
WORKER_COMMAND = ["celery", "worker", "--skip-serve-logs"]
#: Celery workers in the local Celery mode (compose: ``docker compose --profile celery up --scale airflow-worker=2``).
WORKERS = 2
CELERY_APP = "airflow.providers.celery.executors.celery_executor.app"

DEFAULT_PORTS = {"postgres": 5433, "redis": 6380, "api": 8080, "scheduler_health": 8974, "portal": 8765}


def free_port(preferred: int = 0) -> int:
    """``preferred`` when it is free on 127.0.0.1, else any free port."""
    for port in (preferred, 0) if preferred else (0,):
        with socket.socket() as s:
            # as the servers do: a port whose last connections are in TIME_WAIT is free for a new listener
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise OSError("no free port on 127.0.0.1")  # pragma: no cover


@dataclass
class Layout:
    """Where one local deployment keeps its state: everything under ``<data dir>/deploy`` (git-ignored)."""

    data_dir: Path
    root: Path = field(init=False)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).resolve()
        self.root = self.data_dir / "deploy"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets.json"

    @property
    def state(self) -> Path:
        return self.root / "state.json"

    @property
    def pgdata(self) -> Path:
        return self.root / "postgres"

    @property
    def run(self) -> Path:
        """Postgres' unix socket and the pid files."""
        return self.root / "run"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def airflow_home(self) -> Path:
        return self.root / "airflow"

    @property
    def passwords_file(self) -> Path:
        return self.airflow_home / "auth" / "passwords.json"

    @property
    def redis_dir(self) -> Path:
        return self.root / "redis"


def load_or_create_secrets(layout: Layout) -> dict[str, str]:
    """Passwords and the fernet key are generated once per data directory (mode 600); the JWT secret is new at
    every start (tokens of a previous start stop working). Nothing here is ever committed: data/ is ignored."""
    from cryptography.fernet import Fernet

    layout.root.mkdir(parents=True, exist_ok=True)
    try:
        got = json.loads(layout.secrets.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        got = {}
    for key, make in {
        "postgres_password": lambda: secrets.token_urlsafe(24),
        "redis_password": lambda: secrets.token_urlsafe(24),
        "admin_password": lambda: secrets.token_urlsafe(18),
        "fernet_key": lambda: Fernet.generate_key().decode(),
    }.items():
        got.setdefault(key, make())
    got["jwt_secret"] = secrets.token_urlsafe(48)
    write_private(layout.secrets, json.dumps(got, indent=2) + "\n")
    return got


def write_private(path: Path, text: str) -> None:
    """Write ``text`` into a file only its owner can read, never visible with looser permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def airflow_env(layout: Layout, executor: str, ports: dict[str, int], sec: dict[str, str]) -> dict[str, str]:
    """The variables every Airflow process of the local topology gets (compose: x-airflow-common environment)."""
    api = f"http://127.0.0.1:{ports['api']}"
    pg = f"airflow:{sec['postgres_password']}@127.0.0.1:{ports['postgres']}/airflow"
    env = dict(SHARED_SETTINGS)
    env.update({
        "AIRFLOW__CORE__EXECUTOR": EXECUTORS[executor],
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(layout.passwords_file),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{pg}",
        "AIRFLOW__CORE__FERNET_KEY": sec["fernet_key"],
        "AIRFLOW__API_AUTH__JWT_SECRET": sec["jwt_secret"],
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api}/execution/",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CELERY__BROKER_URL": f"redis://:{sec['redis_password']}@127.0.0.1:{ports['redis']}/0",
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://{pg}",
        "HNPLUS_DATA_DIR": str(layout.data_dir),
        "HNPLUS_PORTAL_URL": f"http://127.0.0.1:{ports['portal']}",
        "AIRFLOW_HOME": str(layout.airflow_home),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(ports["api"]),
        "AIRFLOW__API__BASE_URL": api,
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(ports["scheduler_health"]),
    })
    return env


def portal_command(port: int) -> list[str]:
    """The bundled open-data portal (compose service ``portal``); the one place that names its module."""
    return [sys.executable, "-m", "tools.portal", "--host", "127.0.0.1", "--port", str(port)]


def seed_inbox(data_dir: Path) -> int:
    """Place the synthetic sample reports in an empty inbox (as ``hnplus run`` does); returns how many."""
    from tools.samples import write_samples
    from transforms.core.paths import DataPaths

    paths = DataPaths(data_dir).ensure()
    if any(p.is_file() for p in paths.inbox.rglob("*")):
        return 0
    return len(write_samples(paths.inbox))


def worker_command(n: int) -> list[str]:
    """``airflow celery worker`` number ``n``: two workers on one host need their own Celery node names."""
    return [*WORKER_COMMAND, "--celery-hostname", f"hnplus-worker{n}@%h"]
