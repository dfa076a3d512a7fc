"""The brief: ``transforms/`` is the importable package with no Airflow imports (the DAGs import it, not the other
way round). Anything that must import Airflow lives in ``dags/`` or ``scripts/``."""

from __future__ import annotations

import ast
from pathlib import Path

from transforms.core.paths import REPO_ROOT


def _airflow_imports(path: Path, root: Path = REPO_ROOT) -> list[str]:
    """Every ``import airflow…`` / ``from airflow… import``, at any depth (a function-level import counts too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        found += [f"{path.relative_to(root)}:{node.lineno}: {n}" for n in names
                  if n == "airflow" or n.startswith("airflow.")]
    return found


def test_transforms_never_imports_airflow() -> None:
    hits = [h for p in sorted((REPO_ROOT / "transforms").rglob("*.py")) for h in _airflow_imports(p)]
    assert hits == []


def test_the_scanner_sees_nested_imports(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("import json\n\ndef f():\n    from airflow.__main__ import main\n    import airflow.sdk as s\n",
                   encoding="utf-8")
    assert _airflow_imports(bad, tmp_path) == ["x.py:4: airflow.__main__", "x.py:5: airflow.sdk"]
