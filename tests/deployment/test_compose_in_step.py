"""docker-compose.yml and the local topology (tools/deploy) stay in step: the same services, the same commands,
the same Airflow variables (the same values wherever a value is not a place: host, port, path or secret), and
the Celery variant as the compose profile "celery". Parses the YAML; needs no Docker daemon. Not a
``deployment`` test: it runs in the default suite."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml

from tools.deploy.local import Deployment
from tools.deploy.topology import (
    AIRFLOW_COMMANDS,
    EXECUTORS,
    LOCAL_ONLY_SETTINGS,
    PLACE_SETTINGS,
    SHARED_SETTINGS,
    WORKER_COMMAND,
    airflow_env,
    portal_command,
    worker_command,
)
from transforms.core.paths import REPO_ROOT

# placeholders: airflow_env() only places them into the variables
SECRETS = {"postgres_password": "pg-pw", "redis_password": "redis-pw",  # pragma: allowlist secret
           "admin_password": "admin-pw", "fernet_key": "fernet", "jwt_secret": "jwt"}  # pragma: allowlist secret
PORTS = {"postgres": 1, "redis": 2, "api": 3, "scheduler_health": 4, "portal": 5}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _command(service: dict) -> list[str]:
    cmd = service["command"]
    return cmd.split() if isinstance(cmd, str) else list(cmd)


def _local(executor: str) -> Deployment:
    dep = Deployment(Path(tempfile.gettempdir()) / "hnplus-instep-never-created")  # nothing is written
    dep.state = {"services": {}, "executor": executor, "ports": PORTS}
    return dep


def test_same_services_in_each_mode(compose: dict) -> None:
    services = compose["services"]
    default = {n for n, s in services.items() if not s.get("profiles")}
    celery = {n for n, s in services.items() if "celery" in (s.get("profiles") or [])}
    # airflow-init is compose's one-shot migrate: locally `start` runs `airflow db migrate` (logs/airflow-init.log)
    assert default - {"airflow-init"} == set(_local("local").service_names())
    local_celery = {n.removesuffix("-1").removesuffix("-2") for n in _local("celery").service_names()}
    assert default | celery == local_celery | {"airflow-init"}
    assert celery == {"redis", "airflow-worker"}


def test_same_commands(compose: dict) -> None:
    services = compose["services"]
    for name, args in AIRFLOW_COMMANDS.items():
        assert _command(services[name]) == args, name
        assert _local("local").command(name)[1:] == args
    assert _command(services["airflow-worker"]) == WORKER_COMMAND
    for n in (1, 2):
        local = worker_command(n)
        # the only addition: two workers on one host need two Celery node names (compose: one per container)
        assert local[: len(WORKER_COMMAND)] == WORKER_COMMAND and local[len(WORKER_COMMAND):][0] == "--celery-hostname"
    assert portal_command(8765)[1:3] == ["-m", services["portal"]["entrypoint"][-1]]
    assert services["portal"]["command"][:1] == ["--host"] and portal_command(8765)[3] == "--host"


@pytest.mark.parametrize("executor", sorted(EXECUTORS))
def test_same_variables(compose: dict, executor: str) -> None:
    shared_env = compose["x-airflow-common"]["environment"]
    local = airflow_env(_local(executor).layout, executor, PORTS, SECRETS)
    assert set(shared_env) == set(local) - set(LOCAL_ONLY_SETTINGS)
    assert set(SHARED_SETTINGS) | set(PLACE_SETTINGS) == set(shared_env)
    for key, value in SHARED_SETTINGS.items():
        assert str(shared_env[key]) == value == local[key], key
    # every Airflow service gets exactly the shared variables (airflow-init adds the admin password only)
    for name in [*AIRFLOW_COMMANDS, "airflow-worker"]:
        assert compose["services"][name]["environment"] == shared_env, name
    assert shared_env["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}"
    assert local["AIRFLOW__CORE__EXECUTOR"] == EXECUTORS[executor]


def test_places_have_the_same_shape(compose: dict) -> None:
    env = compose["x-airflow-common"]["environment"]
    local = airflow_env(_local("celery").layout, "celery", PORTS, SECRETS)
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://:${REDIS_PASSWORD")
    assert env["AIRFLOW__CELERY__BROKER_URL"].endswith("@redis:6379/0")
    assert local["AIRFLOW__CELERY__BROKER_URL"] == "redis://:redis-pw@127.0.0.1:2/0"  # pragma: allowlist secret
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")
    backend = "db+postgresql://airflow:pg-pw@127.0.0.1:1/airflow"  # pragma: allowlist secret
    assert local["AIRFLOW__CELERY__RESULT_BACKEND"] == backend
    assert local["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == backend.replace("db+postgresql:", "postgresql+psycopg2:")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].endswith(":8080/execution/")
    assert local["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:3/execution/"
    assert local["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert local["AIRFLOW__CORE__DAGS_FOLDER"] == str(REPO_ROOT / "dags")


def test_the_image_installs_the_deploy_extra_from_the_constraints() -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install -c requirements/constraints.txt -e '.[deploy]'" in dockerfile
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "-c requirements/constraints.txt -e '.[dev,deploy]'" in makefile
    constraints = (REPO_ROOT / "requirements" / "constraints.txt").read_text(encoding="utf-8")
    pins = {ln.split("==")[0].lower() for ln in constraints.splitlines() if "==" in ln}
    pyproject = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    extra = pyproject.split("deploy = [", 1)[1].split("]", 1)[0]
    names = [ln.strip().strip('",').split(">")[0].split("=")[0].split("[")[0].lower() for ln in extra.splitlines()
             if ln.strip().startswith('"')]
    assert names and all(n in pins for n in names), (names, sorted(pins))
