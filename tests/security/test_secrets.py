"""Secrets come only from the environment or Airflow connections; CI fails if one is committed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from transforms.core.paths import REPO_ROOT

SCRIPT = REPO_ROOT / "tools" / "check_secrets.py"
# look-alikes assembled at run time, so this file itself never holds one
PLANTED = {
    "deploy/key.txt": "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEow\n",
    "conf/aws.ini": "[default]\naws_access_key_id = AKIA" + "ABCDEFGHIJKLMNOP\n",
    "src/client.py": "API_TOKEN = \"" + "ghp_" + "a1B2" * 9 + "\"\n",
    "src/db.py": "URL = 'postgresql://airflow:" + "s3cr3tPassw0rd@db/airflow'\n",
    "src/settings.py": "password = \"" + "Tr0ub4dor&3xyz" + "\"\n",
    "docker-compose.override.yml": "    POSTGRES_PASSWORD: " + "hunter2hunter2\n",
    ".env": "AIRFLOW__CORE__FERNET_KEY=" + "Zm9vYmFyYmF6cXV4" * 2 + "\n",
}
CLEAN = {
    "ok/compose.yml": "    POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it in .env}\n",
    "ok/code.py": "password = os.environ['HNPLUS_ADMIN_PASSWORD']\ntoken = resp.json()['access_token']\n",
    "ok/.env.example": "AIRFLOW__API_AUTH__JWT_SECRET=change-me-jwt-secret\n",
    "ok/doc.md": "Generate: python -c \"import secrets; print(secrets.token_urlsafe(48))\"\n",
}


def _run(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--root", str(root)], capture_output=True, text=True,
                          timeout=60)


def test_repository_has_no_committed_secret() -> None:
    proc = _run(REPO_ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for rel, text in {**PLANTED, **CLEAN}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    return tmp_path


def test_planted_secrets_are_found(repo: Path) -> None:
    proc = _run(repo)
    assert proc.returncode == 1
    flagged = {line.split(":", 1)[0] for line in proc.stdout.splitlines() if re.match(r"^\S+:\d+: ", line)}
    assert flagged == set(PLANTED), proc.stdout
    assert "move them to the environment" in proc.stderr


def test_git_ignored_env_file_is_not_committed_so_not_flagged(repo: Path) -> None:
    (repo / ".gitignore").write_text(".env\n", encoding="utf-8")
    proc = _run(repo)
    assert ".env:" not in proc.stdout
    assert "deploy/key.txt:1: private key" in proc.stdout


def test_allowlist_marker(repo: Path) -> None:
    for rel in PLANTED:
        (repo / rel).unlink()
    (repo / "x.py").write_text("password = \"" + "literal-but-reviewed\"  # pragma: allowlist secret\n")
    assert _run(repo).returncode == 0


def test_project_code_reads_secrets_from_the_environment_only() -> None:
    """No literal credentials in code that talks to services: they read os.environ or Airflow connections."""
    pattern = re.compile(r"(password|token|secret)\w*\s*=\s*['\"][^'\"{}$]{6,}['\"]", re.IGNORECASE)
    hits = []
    for base in ("transforms", "dags"):
        for path in (REPO_ROOT / base).rglob("*.py"):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line) and "allowlist secret" not in line:
                    hits.append(f"{path.relative_to(REPO_ROOT)}:{n}: {line.strip()[:80]}")
    assert hits == []
