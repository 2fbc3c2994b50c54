"""Torch scripts to translate: a user's configuration in the verifier's protocol (`compare`), and a
rule's recipe written out as a snippet or as a whole training script (the tests, the docs).

A whole script reads the KB's standard inputs from `inputs.npz` (`write_inputs`: the same seeded
multi-scale parameters and gradient stream every check of the site uses) and writes the parameters
after every step to `result.json`, so the torch script and its translation can be run side by side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import libcst as cst
import numpy as np

from ..schema import Inputs
from ..verify.measure.inputs import initial_and_grads
from .constructions import Collector
from .rules import Key, Rule
from .template import add_kwargs
from .values import dotted, fmt_value


def harness_script(optimizer: str, schedules: Sequence[str] = (), *, opt_name: str = "opt") -> str:
    """A torch snippet in the verifier's protocol (`params` given, `step(grads)` called each step):
    the optimizer, its schedulers, and the usual training step written out."""
    lines = [f"{opt_name} = {optimizer.strip()}"]
    tops: list[str] = []
    for i, s in enumerate(schedules):
        name = "scheduler" if i == len(schedules) - 1 else f"scheduler{i}"
        lines.append(f"{name} = {s.strip()}")
        tops.append(name)
    lines += ["", "", "def step(grads):", f"    {opt_name}.zero_grad()", "    for p, g in zip(params, grads):"]
    lines += ["        p.grad = g", f"    {opt_name}.step()"]
    lines += [f"    {name}.step()" for name in tops]
    return "\n".join(lines) + "\n"


class _Change(cst.CSTTransformer):
    def __init__(self, replace: Mapping[int, cst.BaseExpression], add: Mapping[int, list[tuple[str, str]]]) -> None:
        super().__init__()
        self.replace, self.add = replace, add

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        if id(original_node) in self.replace:
            return self.replace[id(original_node)]
        extra = self.add.get(id(original_node))
        if extra and isinstance(updated_node, cst.Call):
            return add_kwargs(updated_node, [(k, cst.parse_expression(v)) for k, v in extra])
        return updated_node


def recipe_constructions(rule: Rule, changes: Mapping[Key, Any] | None = None) -> tuple[str, list[str]]:
    """The recipe's torch constructions (its `step` function left out), some argument values
    changed (`changes`: (recipe construction, argument leaf) -> value), and the schedulers the
    verifier steps after each optimizer step."""
    assert rule.cp.recipe is not None
    module = cst.parse_module(rule.cp.recipe.torch)
    step_fns = [s for s in module.body if isinstance(s, cst.FunctionDef) and s.name.value == "step"]
    module = module.with_changes(body=[s for s in module.body if s not in step_fns])
    col = Collector(dotted, rule.signatures)
    for stmt in module.body:
        col.statement(stmt)
    replace: dict[int, cst.BaseExpression] = {}
    add: dict[int, list[tuple[str, str]]] = {}
    for (cname, label), value in (changes or {}).items():
        c = col.found[cname]
        base, _, idx = label.partition("[")
        arg = c.args.get(base)
        if arg is None:
            add.setdefault(id(c.call), []).append((label, fmt_value(value)))
        elif idx and isinstance(arg.node, cst.Tuple):
            replace[id(arg.node.elements[int(idx[:-1])].value)] = cst.parse_expression(fmt_value(value))
        elif not idx:
            replace[id(arg.node)] = cst.parse_expression(fmt_value(value))
    code = module.visit(_Change(replace, add)).code.strip() + "\n"
    if step_fns:  # the recipe's own step (a canonical one: rules.py) steps these after the optimizer
        stepped = [n for n in _stepped(step_fns[0]) if n != "opt"]
    else:  # the verifier's default step steps `scheduler` only
        stepped = ["scheduler"] if "scheduler" in col.found else []
    return code, stepped


def _stepped(fn: cst.FunctionDef) -> list[str]:
    """`x` of every `x.step()` statement in a function, in order."""
    out = []
    for stmt in fn.body.body:
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Expr):
            call = stmt.body[0].value
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "step":
                name = dotted(call.func.value)
                if name:
                    out.append(name)
    return out


def recipe_script(rule: Rule, changes: Mapping[Key, Any] | None = None) -> str:
    """The recipe's torch side in the verifier's protocol, with some argument values changed."""
    code, stepped = recipe_constructions(rule, changes)
    lines = ["", "", "def step(grads):", "    opt.zero_grad()", "    for p, g in zip(params, grads):"]
    lines += ["        p.grad = g", "    opt.step()", *(f"    {n}.step()" for n in stepped)]
    return code + "\n".join(lines) + "\n"


WHOLE_SCRIPT = '''"""{title}"""

import json

import numpy as np
import torch

data = np.load("inputs.npz")
params = [torch.nn.Parameter(torch.tensor(data[f"init_{{i}}"])) for i in range(int(data["n"]))]
{constructions}
trajectory = [[x for p in params for x in p.detach().numpy().ravel().tolist()]]
for t in range(int(data["steps"])):
    opt.zero_grad()
    for i, p in enumerate(params):
        p.grad = torch.tensor(data[f"grad_{{t}}_{{i}}"])
    opt.step()
{stepping}    trajectory.append([x for p in params for x in p.detach().numpy().ravel().tolist()])

with open("result.json", "w") as f:
    json.dump(trajectory, f)
'''


def whole_script(rule: Rule, changes: Mapping[Key, Any] | None = None, title: str | None = None) -> str:
    """A whole torch training script built from the recipe: parameters from `inputs.npz`, the
    recipe's optimizer and schedulers, the usual step loop, the trajectory into `result.json`."""
    code, stepped = recipe_constructions(rule, changes)
    return WHOLE_SCRIPT.format(
        title=title or f"{rule.id}: the recipe's torch side as a training script.",
        constructions=code,
        stepping="".join(f"    {n}.step()\n" for n in stepped),
    )


def write_inputs(folder: Path, inputs: Inputs) -> Path:
    """`inputs.npz` for a whole script: the KB's seeded parameters (`init_<i>`) and gradients
    (`grad_<t>_<i>`), their count `n` and the number of `steps`."""
    init, grads = initial_and_grads(inputs)
    arrays: dict[str, Any] = {"n": np.array(len(init)), "steps": np.array(len(grads))}
    arrays |= {f"init_{i}": a for i, a in enumerate(init)}
    arrays |= {f"grad_{t}_{i}": g for t, gs in enumerate(grads) for i, g in enumerate(gs)}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "inputs.npz"
    np.savez(path, **arrays)
    return path
