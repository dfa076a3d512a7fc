"""The import layers of ``transforms/``: cli > pipeline > stages (ingest, validate, build, publish) > catalog > core.

A module imports only its own layer or the layers below it; a stage imports no other stage (they meet in
``core`` and ``catalog``, and ``pipeline`` runs them in order); ``core`` imports nothing of the project; there is
no import cycle; nothing in ``transforms/`` imports ``tools/`` or Airflow; the DAGs import only ``pipeline`` (and
``core``) and the GX suites only ``catalog`` and ``core``. Imports count at any depth (a function-level import
too), because a lazy import is still a dependency.
"""

from __future__ import annotations

from pathlib import Path

from house import ROOT, Import, imports, module_name, python_files

LAYERS = {"core": 0, "catalog": 1, "ingest": 2, "validate": 2, "build": 2, "publish": 2, "pipeline": 3, "cli": 4}
STAGES = {"ingest", "validate", "build", "publish"}


def _part(module: str) -> str | None:
    """The layer-defining part of a ``transforms`` module: ``transforms.publish.site`` -> ``publish``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "transforms" else None


def _all_imports(*tops: str) -> list[Import]:
    return [i for p in python_files(*tops) for i in imports(p)]


def _project(target: str) -> bool:
    return target.split(".")[0] in ("transforms", "tools", "expectations", "dags")


def test_every_module_sits_in_a_layer() -> None:
    unplaced = [module_name(p) for p in python_files("transforms")
                if module_name(p) != "transforms" and _part(module_name(p)) not in LAYERS]
    assert unplaced == [], f"modules outside core/catalog/ingest/validate/build/publish/pipeline/cli: {unplaced}"


def test_the_root_package_holds_no_code() -> None:
    """``transforms/__init__.py`` is a docstring: importing names from it would be a layer of its own."""
    hits = [f"{i.path}:{i.line}" for i in _all_imports("transforms") if i.target == "transforms"]
    assert hits == []


def test_imports_point_down_and_stages_stay_apart() -> None:
    bad = []
    for i in _all_imports("transforms"):
        src, dst = _part(i.importer), _part(i.target)
        if src not in LAYERS or dst not in LAYERS:
            continue
        if LAYERS[dst] > LAYERS[src] or (src in STAGES and dst in STAGES and src != dst):
            bad.append(f"{i.path}:{i.line}: {i.importer} ({src}) imports {i.target} ({dst})")
    assert bad == [], "\n".join(bad)


def test_core_imports_nothing_of_the_project() -> None:
    bad = [f"{i.path}:{i.line}: {i.target}" for p in python_files("transforms/core") for i in imports(p)
           if _project(i.target) and not i.target.startswith("transforms.core")]
    assert bad == [], "\n".join(bad)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(edges.get(nxt, ())))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    comp.append(m)
                    if m == node:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_no_import_cycles() -> None:
    edges: dict[str, set[str]] = {}
    for i in _all_imports("transforms", "expectations"):
        if _project(i.target) and i.target != i.importer:
            edges.setdefault(i.importer, set()).add(i.target)
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_transforms_imports_neither_tools_nor_airflow() -> None:
    bad = [f"{i.path}:{i.line}: {i.target}" for i in _all_imports("transforms")
           if i.target.split(".")[0] in ("tools", "airflow")]
    assert bad == [], "\n".join(bad)


def test_dags_are_wiring_over_the_pipeline() -> None:
    """DAG files call ``transforms.pipeline`` (and the period pattern of ``core``), nothing deeper."""
    bad = [f"{i.path}:{i.line}: {i.target}" for i in _all_imports("dags")
           if i.target.startswith("transforms") and not i.target.startswith(("transforms.pipeline", "transforms.core"))]
    assert bad == [], "\n".join(bad)


def test_the_suites_read_only_the_catalogue() -> None:
    bad = [f"{i.path}:{i.line}: {i.target}" for i in _all_imports("expectations")
           if i.target.startswith("transforms") and _part(i.target) not in ("core", "catalog")]
    assert bad == [], "\n".join(bad)


def test_the_scanner_sees_nested_and_relative_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "transforms" / "publish"
    pkg.mkdir(parents=True)
    (tmp_path / "transforms" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "layout.py").write_text("")
    mod = pkg / "dataset.py"
    mod.write_text("import json\nfrom . import layout\n\ndef f():\n    from airflow.__main__ import main\n"
                   "    import tools.portal as p\n", encoding="utf-8")
    got = [(i.target, i.line) for i in imports(mod, tmp_path)]
    assert got == [("json", 1), ("transforms.publish.layout", 2), ("airflow.__main__", 5), ("tools.portal", 6)]
    assert {i.importer for i in imports(mod, tmp_path)} == {"transforms.publish.dataset"}
    assert ROOT.is_dir()
