"""Find the torch.optim constructions in a piece of code: optimizers, schedulers and their composition.

The same reader serves the KB's recipes (to derive rules) and users' scripts (to apply them); only the
way a callee's qualified name is found differs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import libcst as cst

from ..schema import IMPLEMENTATION_FLAGS
from .values import BoundArg, bind

Role = Literal["optimizer", "scheduler"]

SCHEDULER_PREFIX = "torch.optim.lr_scheduler."
# Arguments that carry objects, not hyperparameters: handled by the structure, never by value.
STRUCTURAL = {"params", "optimizer", "schedulers", "optimizers"}
# Arguments that never change the numbers (torch's kernel choices, a deprecated print switch).
IGNORED = set(IMPLEMENTATION_FLAGS) | {"verbose"}


@dataclass
class Construction:
    """One `torch.optim.X(...)` or `torch.optim.lr_scheduler.Y(...)` call."""

    name: str  # the variable it is bound to, or "<parent>[i]" for a scheduler written inside a list
    api: str
    role: Role
    call: cst.Call
    args: dict[str, BoundArg]
    statement: cst.BaseStatement | None  # the statement that binds it (None when inline)
    optimizer: str | None = None  # schedulers: the optimizer variable they drive
    children: list[str] = field(default_factory=list)  # composites: child constructions, in order
    children_arg: str | None = None  # the argument holding the list of children
    children_node: cst.List | None = None
    inline: bool = False  # written inside a composite's list
    parent: str | None = None
    order: int = 0  # source position of its statement (scripts)

    @property
    def short(self) -> str:
        return self.api.rsplit(".", 1)[-1]


def role_of(api: str | None) -> Role | None:
    if not api or not api.startswith("torch.optim."):
        return None
    if api.startswith(SCHEDULER_PREFIX):
        return "scheduler"
    if api.count(".") == 2 and api.rsplit(".", 1)[-1][:1].isupper():
        return "optimizer"
    return None


QualName = Callable[[cst.BaseExpression], str | None]


class Collector:
    """Reads constructions out of statements; `qualname` names a callee (`torch.optim.SGD`)."""

    def __init__(self, qualname: QualName, signatures: Mapping[str, Mapping[str, str]]) -> None:
        self.qualname = qualname
        self.signatures = signatures
        self.found: dict[str, Construction] = {}
        self.problems: list[str] = []

    def api_of(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Call):
            name = self.qualname(node.func)
            return name if role_of(name) else None
        return None

    def construction(
        self, name: str, call: cst.Call, statement: cst.BaseStatement | None, parent: str | None = None
    ) -> Construction | None:
        api = self.qualname(call.func)
        role = role_of(api)
        if api is None or role is None:
            return None
        try:
            args = bind(call, self.signatures.get(api))
        except ValueError as exc:
            self.problems.append(f"{name}: {exc}")
            return None
        c = Construction(name, api, role, call, args, statement, inline=parent is not None, parent=parent)
        if role == "scheduler":
            opt = args.get("optimizer")
            if opt is not None and isinstance(opt.node, cst.Name):
                c.optimizer = opt.node.value
            for label, a in args.items():
                if isinstance(a.node, cst.List | cst.Tuple) and label in ("schedulers", "argument 1", "argument 2"):
                    c.children_arg, c.children_node = label, a.node if isinstance(a.node, cst.List) else None
                    for i, el in enumerate(a.node.elements):
                        v = el.value
                        if isinstance(v, cst.Name):
                            c.children.append(v.value)
                        elif isinstance(v, cst.Call) and self.api_of(v):
                            child = self.construction(f"{name}[{i}]", v, None, parent=name)
                            if child is None:
                                return None
                            c.children.append(child.name)
                        else:
                            self.problems.append(f"{name}: a scheduler list may hold only schedulers")
                            return None
        self.found[c.name] = c
        return c

    def statement(self, stmt: cst.BaseStatement) -> Construction | None:
        """`name = <construction>` as a whole statement, else None."""
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            return None
        s = stmt.body[0]
        if not isinstance(s, cst.Assign) or len(s.targets) != 1:
            return None
        target = s.targets[0].target
        if not isinstance(target, cst.Name) or not isinstance(s.value, cst.Call):
            return None
        return self.construction(target.value, s.value, stmt)

    def composites_owner(self) -> dict[str, str]:
        """child name -> composite name, for children written as variables."""
        out = {}
        for c in self.found.values():
            for child in c.children:
                out[child] = c.name
        return out
