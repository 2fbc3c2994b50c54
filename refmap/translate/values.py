"""Small libcst helpers: dotted names, literal values, argument binding.

Shared by the rule derivation (which reads KB snippets) and the rewriter (which reads user scripts).
Nothing here imports a framework.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import libcst as cst

MISSING: Any = object()  # "no value known" (a required argument, an expression we cannot evaluate)
REQUIRED = "(required)"  # how introspection writes an argument without a default


def dotted(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def resolve(name: str | None, aliases: Mapping[str, str]) -> str | None:
    """Expand the first component through `aliases` (`L.StepLR` -> `mindspore...lr_scheduler.StepLR`)."""
    if name is None:
        return None
    head, _, rest = name.partition(".")
    if head in aliases:
        return aliases[head] + ("." + rest if rest else "")
    return name


def parse_expr(source: str) -> cst.BaseExpression:
    return cst.parse_expression(source)


_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Pow: operator.pow,
}


def _eval(node: ast.AST) -> Any:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float | str | bool)
        or (isinstance(node, ast.Constant) and node.value is None)
    ):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        v = _eval(node.operand)
        if isinstance(v, int | float) and not isinstance(v, bool):
            return -v if isinstance(node.op, ast.USub) else v
        raise ValueError
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        a, b = _eval(node.left), _eval(node.right)
        if all(isinstance(x, int | float) and not isinstance(x, bool) for x in (a, b)):
            if isinstance(node.op, ast.Pow) and abs(b) > 64:
                raise ValueError
            return _BINOPS[type(node.op)](a, b)
        raise ValueError
    if isinstance(node, ast.Tuple):
        return tuple(_eval(e) for e in node.elts)
    if isinstance(node, ast.List):
        return [_eval(e) for e in node.elts]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float" and not node.keywords:
        if len(node.args) == 1 and isinstance(node.args[0], ast.Constant) and node.args[0].value in ("inf", "-inf"):
            return float(node.args[0].value)
    raise ValueError


def literal_of_source(source: str, names: Mapping[str, Any] | None = None) -> Any:
    """The value of a constant expression (numbers, strings, bools, None, tuples, lists, arithmetic),
    with module-level constants from `names`; MISSING when it is not constant."""
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError:
        return MISSING
    if names:
        known: Mapping[str, Any] = names

        class _Sub(ast.NodeTransformer):
            def visit_Name(self, node: ast.Name) -> ast.AST:
                if node.id in known:
                    return ast.copy_location(ast.parse(repr(known[node.id]), mode="eval").body, node)
                return node

        try:
            tree = _Sub().visit(tree)
        except SyntaxError:
            return MISSING
    try:
        value = _eval(tree)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return MISSING
    if isinstance(value, float) and not math.isfinite(value) and not isinstance(tree, ast.Call):
        return MISSING
    return value


def code_of(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def literal(node: cst.BaseExpression, names: Mapping[str, Any] | None = None) -> Any:
    return literal_of_source(code_of(node), names)


def same_value(a: Any, b: Any) -> bool:
    """Equality that keeps booleans, numbers and strings apart (True is not 1)."""
    if a is MISSING or b is MISSING:
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return False


def default_value(text: str) -> Any:
    """A signature default as introspection stores it (source text) -> its value, or MISSING."""
    if text == REQUIRED or text == "":
        return MISSING
    return literal_of_source(text)


@dataclass(frozen=True)
class BoundArg:
    name: str  # the parameter it binds to ("argument 2" when the signature is unknown)
    node: cst.BaseExpression
    positional: int | None  # index when passed positionally


def bind(call: cst.Call, signature: Mapping[str, str] | None) -> dict[str, BoundArg]:
    """Arguments of `call` by parameter name (positional ones through the signature's order)."""
    order = [n for n in (signature or {}) if not n.startswith("*")]
    out: dict[str, BoundArg] = {}
    i = 0
    for arg in call.args:
        if arg.star:
            raise ValueError("*args/**kwargs in a call cannot be bound")
        if arg.keyword is not None:
            out[arg.keyword.value] = BoundArg(arg.keyword.value, arg.value, None)
        else:
            name = order[i] if i < len(order) else f"argument {i + 1}"
            out[name] = BoundArg(name, arg.value, i)
            i += 1
    return out


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    yield node
    for child in node.children:
        yield from walk(child)


def statement_code(stmt: cst.CSTNode) -> str:
    return code_of(stmt)


def is_docstring_or_pass(stmt: cst.BaseStatement) -> bool:
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        s = stmt.body[0]
        return isinstance(s, cst.Pass) or (isinstance(s, cst.Expr) and isinstance(s.value, cst.SimpleString))
    return False


def fmt_value(value: Any, like_float: bool = False) -> str:
    """Source text for a value; ints become floats where the template holds a float."""
    if like_float and isinstance(value, int) and not isinstance(value, bool):
        return repr(float(value))
    if isinstance(value, tuple):
        inner = ", ".join(fmt_value(v) for v in value)
        return f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, list):
        return "[" + ", ".join(fmt_value(v) for v in value) + "]"
    return repr(value)


def check_python(source: str, expression: bool = False) -> str | None:
    """None when `source` parses (as a module, or as one expression), else where and why not."""
    try:
        if expression:
            cst.parse_expression(source.strip())
        else:
            cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        return f"line {exc.raw_line}, column {exc.raw_column}: {exc.message}"
    return None
