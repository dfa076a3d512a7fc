"""Reading the tree for the architecture tests: modules, their imports (at any depth), string literals, sizes.

Everything is read with ``ast`` from the files, so the tests judge the code as written, and can judge another
checkout of the repository the same way (``HNPLUS_HOUSE_ROOT=/path/to/checkout pytest tests/architecture``).
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(os.environ.get("HNPLUS_HOUSE_ROOT") or Path(__file__).resolve().parents[2]).resolve()


@dataclass(frozen=True)
class Import:
    """``importer`` imports ``target`` (a dotted module name) at ``line`` of ``path``."""

    importer: str
    target: str
    path: str
    line: int


def module_name(path: Path, root: Path = ROOT) -> str:
    """``transforms/publish/__init__.py`` -> ``transforms.publish``; ``dags/x.py`` -> ``dags.x``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def python_files(*tops: str, root: Path = ROOT) -> list[Path]:
    return sorted(p for top in tops if (root / top).exists() for p in (root / top).rglob("*.py")
                  if "__pycache__" not in p.parts)


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_module(dotted: str, root: Path) -> bool:
    base = root.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports(path: Path, root: Path = ROOT) -> list[Import]:
    """Every import of ``path`` at any depth (a function-level import counts too); ``from pkg import mod``
    names the module ``pkg.mod`` when it is one, else ``pkg``. Relative imports are resolved."""
    me = module_name(path, root)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{a.name}" if _is_module(f"{base}.{a.name}", root) else base for a in node.names]
        else:
            continue
        found += [Import(me, t, str(path.relative_to(root)), node.lineno) for t in dict.fromkeys(targets)]
    return found


def strings(path: Path) -> list[tuple[int, str]]:
    """Every string constant of a module (docstrings excluded) with its line."""
    docs = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docs.add(id(first.value))
    return [(n.lineno, n.value) for n in ast.walk(_tree(path))
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]


def functions(path: Path) -> list[tuple[str, int, int]]:
    """``(qualified name, first line, lines)`` of every function and method, decorators included."""
    out = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                out.append((prefix + child.name, first, child.end_lineno - first + 1))
                visit(child, prefix + child.name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)

    visit(_tree(path), "")
    return out
