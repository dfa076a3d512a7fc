"""docker-compose.yml: the services of the official Airflow 3 file (LocalExecutor; Celery as the profile
"celery"), one JWT secret for all, and no secret written into the repository."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from transforms.core.paths import REPO_ROOT

COMPOSE = REPO_ROOT / "docker-compose.yml"
AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
                    "airflow-init"}
SECRET_WORDS = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|_KEY$", re.I)
ENV_REF = re.compile(r"^\$\{[A-Z0-9_]+(:\?[^}]*)?\}$")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _env(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def test_services_follow_the_official_file_with_celery_as_a_profile(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == AIRFLOW_SERVICES | {"postgres", "portal", "redis", "airflow-worker"}
    assert {n for n, s in services.items() if s.get("profiles")} == {"redis", "airflow-worker"}
    assert all(s["profiles"] == ["celery"] for s in services.values() if s.get("profiles"))
    for name in AIRFLOW_SERVICES | {"airflow-worker"}:
        env = _env(services[name])
        # LocalExecutor unless the environment says CeleryExecutor (with --profile celery)
        assert env["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}", name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/", name
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/hnplus/dags", name
        assert env["HNPLUS_PORTAL_URL"].endswith("http://portal:8765}"), name
        assert any(v.startswith("hnplus-data:/data") for v in services[name]["volumes"]), name
        assert any(":/data/published" in v for v in services[name]["volumes"]), name
    assert services["airflow-apiserver"]["command"] == "api-server"
    assert services["airflow-worker"]["command"][:2] == ["celery", "worker"]
    assert services["airflow-apiserver"]["ports"][0].startswith("127.0.0.1:"), "the UI must not listen publicly"
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    assert "tools.portal" in " ".join(services["portal"]["entrypoint"])


def test_one_jwt_secret_for_every_airflow_container(compose: dict) -> None:
    secrets = {_env(compose["services"][name]).get("AIRFLOW__API_AUTH__JWT_SECRET")
               for name in AIRFLOW_SERVICES | {"airflow-worker"}}
    assert len(secrets) == 1 and None not in secrets
    assert ENV_REF.match(secrets.pop())


def test_no_literal_secrets(compose: dict) -> None:
    for name, service in compose["services"].items():
        for key, value in _env(service).items():
            if SECRET_WORDS.search(key) and not key.endswith("_FILE"):
                assert ENV_REF.match(value), f"{name}: {key} must come from the environment, not {value!r}"
        conn = _env(service).get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "")
        if conn:
            assert re.sub(r"\$\{[^}]*\}", "", conn) == "postgresql+psycopg2://:@postgres/", f"{name}: {conn}"
    assert not (REPO_ROOT / ".env").exists() or ".env" in (REPO_ROOT / ".gitignore").read_text()
    example = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    for key in ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__CORE__FERNET_KEY",
                "HNPLUS_ADMIN_PASSWORD"):
        assert re.search(rf"^{key}=change-me", example, re.M), key


def test_dockerfile_installs_from_the_constraints() -> None:
    text = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    assert "pip install -c requirements/constraints.txt" in text
    assert ".venv" in (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8")


def _compose_cmd() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_config(tmp_path: Path) -> None:
    """``docker compose config`` needs no daemon; it resolves the file with the example environment."""
    cmd = _compose_cmd()
    if cmd is None:
        pytest.skip("no `docker compose` plugin and no docker-compose on this machine (docker client only); "
                    "the YAML checks above still run")
    env_file = tmp_path / "env"
    env_file.write_text((REPO_ROOT / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    out = subprocess.run([*cmd, "-f", str(COMPOSE), "--env-file", str(env_file), "config"], capture_output=True,
                         text=True, cwd=REPO_ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "change-me-jwt-secret" in out.stdout
    missing = subprocess.run([*cmd, "-f", str(COMPOSE), "config"], capture_output=True, text=True,
                             cwd=tmp_path, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert missing.returncode != 0, "compose must refuse to start without the secrets"
