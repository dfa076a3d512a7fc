"""Find SQL text built with f-strings, ``%`` or ``.format`` in transforms/ (the input of test_sql_safety)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SQL_WORDS = re.compile(
    r"\bselect\b[\s\S]*\bfrom\b|\binsert\s+into\b|\bcreate\s+(or\s+replace\s+)?(temp\s+)?(table|schema|view)\b|"
    r"\bcopy\s*\(|\bcopy\s+\w+\s+(to|from)\b|\bdrop\s+(table|schema|view)\b|\bdelete\s+from\b|\bupdate\s+\S+\s+set\b|"
    r"\bcomment\s+on\b|\bread_(parquet|csv|json)\w*\s*\(|\border\s+by\b|^\s*where\b|\bwhere\s+\w+\s*(=|in\b|is\b)|"
    r"\battach\b|\b(from|join)\s+\w+\.\w+|^\s*(select|with|from|and|or)\b|\bmarts\.",
    re.IGNORECASE)


def _func_of(tree: ast.AST) -> dict[int, str]:
    names: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for child in ast.walk(node):
                if hasattr(child, "lineno"):
                    names.setdefault(id(child), node.name)
    return names


def interpolations(root: Path) -> set[str]:
    """``"<file>:<function>:<expression>"`` for every expression spliced into SQL-looking string text."""
    found: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        funcs = _func_of(tree)
        rel = path.relative_to(root.parent).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
                if SQL_WORDS.search(text) and len(re.findall(r"\w+", text)) >= 2:
                    for v in node.values:
                        if isinstance(v, ast.FormattedValue):
                            found.add(f"{rel}:{funcs.get(id(node), '<module>')}:{ast.unparse(v.value)}")
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant) \
                    and isinstance(node.left.value, str) and SQL_WORDS.search(node.left.value):
                found.add(f"{rel}:{funcs.get(id(node), '<module>')}:% {ast.unparse(node.right)}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" \
                    and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str) \
                    and SQL_WORDS.search(node.func.value.value):
                found.add(f"{rel}:{funcs.get(id(node), '<module>')}:.format {ast.unparse(node)[:60]}")
    return found
