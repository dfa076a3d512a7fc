"""DAG ids and task ids are declared in ``dags/`` only: code elsewhere finds the nightly DAG by its tag, so a
renamed DAG or task cannot leave a stale copy behind. Tests may name them (they check the DAGs' shape).

A task that runs a pipeline function is named after it (``build`` runs ``pipeline.build``): that name is the
pipeline's vocabulary (bench timings and the validation stages use it too), so it may appear in
``transforms/`` and ``tools/``, except in the code that talks to Airflow (``cli/airflow.py``, ``tools/airflow``),
where it could only mean the task. Every other task id, and every DAG id, appears nowhere outside ``dags/``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from house import ROOT, python_files, strings

SCANNED = ("transforms", "tools", "expectations")
AIRFLOW_FACING = ("transforms/cli/airflow.py", "tools/airflow/")
OTHER_FILES = ("Makefile", "Dockerfile", "docker-compose.yml")


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    return ast.unparse(target)


def declared_ids(dags: Path) -> tuple[set[str], set[str]]:
    """``(dag ids, task ids)`` declared in the DAG files: ``dag_id=`` of ``@dag`` and the names of ``@task``
    functions (or their ``task_id=``)."""
    dag_ids, task_ids = set(), set()
    for path in sorted(dags.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for dec in node.decorator_list:
                name = _decorator_name(dec)
                kwargs = {k.arg: k.value for k in dec.keywords} if isinstance(dec, ast.Call) else {}
                given = kwargs.get("dag_id") if name == "dag" else kwargs.get("task_id")
                value = given.value if isinstance(given, ast.Constant) else node.name
                if name == "dag":
                    dag_ids.add(value)
                elif name == "task" or name.startswith("task."):
                    task_ids.add(value)
    return dag_ids, task_ids


def test_the_dags_declare_ids() -> None:
    dag_ids, task_ids = declared_ids(ROOT / "dags")
    assert len(dag_ids) >= 2 and len(task_ids) >= 8, (dag_ids, task_ids)
    assert {"build", "publish"} <= stage_functions() and "resolve_period" in task_ids - stage_functions()


def stage_functions(root: Path = ROOT) -> set[str]:
    """The pipeline's public functions (``__all__`` of transforms/pipeline/__init__.py), which tasks are named after."""
    path = root / "transforms" / "pipeline" / "__init__.py"
    if not path.is_file():
        return set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


def test_no_dag_or_task_id_outside_dags() -> None:
    dag_ids, task_ids = declared_ids(ROOT / "dags")
    airflow_only = task_ids - stage_functions()
    bad = []
    for p in python_files(*SCANNED):
        rel = p.relative_to(ROOT).as_posix()
        forbidden = dag_ids | (task_ids if rel.startswith(AIRFLOW_FACING) else airflow_only)
        bad += [f"{rel}:{line}: {text!r}" for line, text in strings(p)
                if text in forbidden or any(d in text for d in dag_ids)]
    words = re.compile(r"\b(" + "|".join(map(re.escape, sorted(dag_ids))) + r")\b")
    for name in OTHER_FILES:
        path = ROOT / name
        if path.is_file():
            bad += [f"{name}:{n}: {m.group(0)}" for n, text in enumerate(path.read_text().splitlines(), 1)
                    for m in words.finditer(text)]
    assert bad == [], "\n".join(bad)


def test_the_id_reader_sees_decorated_functions(tmp_path: Path) -> None:
    (tmp_path / "d.py").write_text(
        "@dag(dag_id='nightly_x', schedule=None)\ndef f():\n    @task\n    def a(): ...\n"
        "    @task.short_circuit\n    def b(): ...\n    @task(task_id='c_id', retries=0)\n    def c(): ...\n",
        encoding="utf-8")
    assert declared_ids(tmp_path) == ({"nightly_x"}, {"a", "b", "c_id"})
