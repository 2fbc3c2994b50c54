"""Perturb the hyperparameters a snippet passes, one at a time, to prove a check can see them.

An `equal` check that would still pass with `lr` changed proves nothing about `lr`. For every
literal argument of a `torch.optim` call in the torch snippet, the verifier also runs the torch
side with that one value changed; the judge then requires the perturbed run to leave the check's
tolerance (or the entry to say, in `blind_to`, why the check cannot see it).
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator

from ..schema import IMPLEMENTATION_FLAGS

# Perturbed only when the snippet passes them explicitly; `params` and friends are not hyperparameters.
# Calls whose literal arguments are hyperparameters a check may claim to map.
PERTURBED_CALLS = ("torch.optim.", "torch.nn.utils.clip_grad", "torch.amp.GradScaler", "torch.cuda.amp.GradScaler")
NOT_HYPERPARAMETERS = {"params", "optimizer", "optimizers", "schedulers", "lr_lambda", "verbose", "mode"}


def _number(node: ast.expr) -> float | int | bool | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        v = node.operand.value
        if isinstance(v, int | float) and not isinstance(v, bool):
            return -v
    return None


def bumped(v: float | int | bool) -> str:
    """Source for a clearly different but usually valid value."""
    if isinstance(v, bool):
        return repr(not v)
    if isinstance(v, int):
        return repr(v + 1)
    if v == 0:
        return "0.1"
    if 0.5 <= v < 1:  # betas, momentum, rho: stay below 1
        return repr(1 - (1 - v) / 2)
    return repr(v * 1.5)


def _dotted(node: ast.expr) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Names bound to torch paths in the snippet: `L = torch.optim.lr_scheduler`, `from torch.optim import SGD`."""
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = _dotted(node.value) if isinstance(node.value, ast.Attribute) else ""
            if value.startswith("torch."):
                out[node.targets[0].id] = value
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("torch"):
            for a in node.names:
                out[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("torch") and a.asname:
                    out[a.asname] = a.name
    return out


def _sites(tree: ast.Module) -> Iterator[tuple[str, str, ast.expr]]:
    """(callee short name, argument label, literal node) for each perturbable literal: arguments of
    torch's optimizers, schedulers, clipping and GradScaler, and of optimizer classes the snippet
    defines itself (a hand-written update must see its hyperparameters too)."""
    own_classes = {n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
    aliases = _aliases(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        callee = _dotted(node.func)
        head, _, rest = callee.partition(".")
        if head in aliases:  # L = torch.optim.lr_scheduler; L.StepLR(...) / from torch.optim import SGD
            callee = aliases[head] + ("." + rest if rest else "")
        if not (callee.startswith(PERTURBED_CALLS) or callee in own_classes):
            continue
        short = callee.rsplit(".", 1)[-1]
        for kw in node.keywords:
            if kw.arg is None or kw.arg in NOT_HYPERPARAMETERS:
                continue
            if _number(kw.value) is not None:
                yield short, kw.arg, kw.value
            elif isinstance(kw.value, ast.Tuple | ast.List):
                for i, elt in enumerate(kw.value.elts):
                    if _number(elt) is not None:
                        yield short, f"{kw.arg}[{i}]", elt
        for i, arg in enumerate(node.args):
            if _number(arg) is not None:
                yield short, f"argument {i + 1}", arg


def torch_perturbations(code: str) -> list[tuple[str, str]]:
    """(argument label, code with that one literal changed), in source order."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    lines = code.splitlines(keepends=True)
    sites = sorted(_sites(tree), key=lambda s: (s[2].lineno, s[2].col_offset))
    counts = Counter(label for _, label, _ in sites)
    out = []
    for short, label, node in sites:
        if label in IMPLEMENTATION_FLAGS or node.lineno != node.end_lineno:
            continue
        value = _number(node)
        assert value is not None and node.end_col_offset is not None
        line = lines[node.lineno - 1]
        changed = list(lines)
        changed[node.lineno - 1] = line[: node.col_offset] + bumped(value) + line[node.end_col_offset :]
        name = label if counts[label] == 1 else f"{short}.{label}"
        out.append((name, "".join(changed)))
    return out
