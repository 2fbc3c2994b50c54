"""Fast reading of the KB's check snippets with the standard library's `ast` (hundreds of them are
read each time the rules are derived; libcst is kept for the code the translator writes)."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from typing import Any

from .values import MISSING, _eval, resolve  # resolve: one alias rule for ast and libcst


def parse(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except SyntaxError:
        return None


def dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def aliases(tree: ast.Module, root: str) -> dict[str, str]:
    """Module-level shorthands for `root` (`optim = mindspore.experimental.optim`, `from mindspore import ops`)."""
    out = {root: root}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name = dotted(stmt.value)
            if name and name.split(".")[0] in out:
                out[stmt.targets[0].id] = resolve(name, out) or name
        elif isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.module.startswith(root):
            for a in stmt.names:
                out[a.asname or a.name] = f"{stmt.module}.{a.name}"
        elif isinstance(stmt, ast.Import):
            for a in stmt.names:
                if a.name.startswith(root) and a.asname:
                    out[a.asname] = a.name
    return out


def calls(tree: ast.AST, prefix: str, names: Mapping[str, str]) -> Iterable[tuple[str, ast.Call]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            api = resolve(dotted(node.func), names)
            if api and api.startswith(prefix):
                yield api, node


def bind(call: ast.Call, signature: Mapping[str, str] | None) -> dict[str, tuple[ast.expr, int | None]]:
    order = [n for n in (signature or {}) if not n.startswith("*")]
    out: dict[str, tuple[ast.expr, int | None]] = {}
    for i, a in enumerate(call.args):
        if isinstance(a, ast.Starred):
            raise ValueError("*args")
        out[order[i] if i < len(order) else f"argument {i + 1}"] = (a, i)
    for kw in call.keywords:
        if kw.arg is None:
            raise ValueError("**kwargs")
        out[kw.arg] = (kw.value, None)
    return out


def value(node: ast.AST) -> Any:
    try:
        return _eval(node)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return MISSING


def dict_keys(node: ast.AST) -> set[str] | None:
    """Keys of a literal list of parameter-group dicts, or None when it is not one."""
    if not isinstance(node, ast.List) or not node.elts:
        return None
    keys: set[str] = set()
    for e in node.elts:
        if not isinstance(e, ast.Dict):
            return None
        for k in e.keys:
            if not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
                return None
            keys.add(k.value)
    return keys
