"""Rewrite a PyTorch script into MindSpore with libcst, keeping everything else as it was written.

What is rewritten:
- every `name = torch.optim.X(...)` and the `torch.optim.lr_scheduler` schedulers that drive it,
  through the rules (rules.py, apply.py), or left in place with a comment that says why;
- the step protocol around a translated optimizer: `p.grad = g` stores the gradient, `opt.step()`
  hands the gradient tuple to the MindSpore optimizer (or to the recipe's `step` function),
  `opt.zero_grad()` forgets the stored gradients, `scheduler.step()` stays, or goes where the
  schedule became a precomputed list the optimizer walks by itself;
- the few tensor calls a script needs to make parameters: `torch.tensor`, `torch.nn.Parameter`,
  `torch.zeros`/`torch.ones`, dtypes, `torch.manual_seed`, and `.detach()`/`.cpu()` on them.

Every other torch use stays and is listed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
from libcst.metadata import (
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from ..schema import as_statement
from .apply import Applier, Group, Namer, Plan, Refused, leaves_of
from .constructions import Collector, Construction, role_of
from .rules import TARGETS, Rule, Rulebook, page_url
from .values import MISSING, check_python, code_of, dotted, literal

GET_LR_ENTRY = "get_lr"
ZERO_GRAD_ENTRY = "zero_grad"
STATE_DICT_ENTRY = "state_dict"
TENSOR_CALLS = {
    "torch.tensor": "mindspore.Tensor",
    "torch.as_tensor": "mindspore.Tensor",
    "torch.from_numpy": "mindspore.Tensor",
    "torch.nn.Parameter": "mindspore.Parameter",
    "torch.nn.parameter.Parameter": "mindspore.Parameter",
    "torch.zeros": "mindspore.ops.zeros",
    "torch.ones": "mindspore.ops.ones",
    "torch.manual_seed": "mindspore.set_seed",
}
DTYPES = {f"torch.{d}": f"mindspore.{d}" for d in ("float16", "float32", "float64", "int32", "int64", "bfloat16")}
DTYPES |= {"torch.float": "mindspore.float32", "torch.double": "mindspore.float64", "torch.long": "mindspore.int64"}
TENSOR_METHODS_DROPPED = ("detach", "cpu")


@dataclass
class Note:
    line: int
    text: str
    url: str | None = None
    source: str | None = None  # the rule (entry/counterpart) a warning comes from

    def render(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        src = f" [{self.source}]" if self.source else ""
        link = f" ({self.url})" if self.url else ""
        return f"{where}{self.text}{src}{link}"


@dataclass
class Translation:
    code: str
    target: str | None  # the target used (one per script; None if nothing was translated)
    rewrites: list[Note] = field(default_factory=list)  # what was translated, by which rule
    warnings: list[Note] = field(default_factory=list)  # KB differences for the arguments used
    untranslated: list[Note] = field(default_factory=list)  # optimizer code left in place, and why
    torch_uses: list[Note] = field(default_factory=list)  # other torch code left in place

    @property
    def complete(self) -> bool:
        return not self.untranslated and not self.torch_uses


# ---------------- analysis of the user's script ----------------
def _suites(node: cst.CSTNode) -> Iterable[tuple[Sequence[cst.BaseStatement], bool]]:
    """Every statement list (module body, blocks), with whether it sits inside a function."""
    stack: list[tuple[cst.CSTNode, bool]] = [(node, False)]
    while stack:
        n, in_fn = stack.pop()
        if isinstance(n, cst.Module):
            yield n.body, in_fn
        elif isinstance(n, cst.IndentedBlock):
            yield n.body, in_fn
        inner = in_fn or isinstance(n, cst.FunctionDef)
        for ch in n.children:
            stack.append((ch, inner))


def _expr_stmt_call(stmt: cst.CSTNode) -> cst.Call | None:
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Expr):
        v = stmt.body[0].value
        if isinstance(v, cst.Call):
            return v
    return None


def _method_call(stmt: cst.CSTNode, names: set[str], method: str) -> str | None:
    """`x.<method>(...)` as a whole statement with x in names -> x."""
    call = _expr_stmt_call(stmt)
    if call is not None and isinstance(call.func, cst.Attribute) and call.func.attr.value == method:
        target = call.func.value
        if isinstance(target, cst.Name) and target.value in names:
            return target.value
    return None


def _grad_assign(stmt: cst.CSTNode) -> tuple[cst.BaseExpression, cst.BaseExpression] | None:
    """`x.grad = value` -> (x, value)."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Assign):
        a = stmt.body[0]
        if len(a.targets) == 1:
            t = a.targets[0].target
            if isinstance(t, cst.Attribute) and t.attr.value == "grad":
                return t.value, a.value
    return None


def _mentions(text: str, names: Iterable[str]) -> set[str]:
    """Argument names a KB sentence mentions: in `code` spans, or as words for longer names
    (`weight_decay` also as "weight decay")."""
    spans = " ".join(re.findall(r"`([^`]*)`", text))
    ids = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", spans))
    out = set()
    for n in names:
        if n in ids:
            out.add(n)
        elif ("_" in n or len(n) >= 6) and re.search(r"\b" + re.escape(n).replace("_", "[ _-]") + r"\b", text):
            out.add(n)
    return out


def _truthy(v: Any) -> bool:
    if v is MISSING:
        return True
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return v != 0
    return v is not None


# ---------------- the rewriter ----------------
class _Rewriter(cst.CSTTransformer):
    def __init__(self, t: ScriptTranslator) -> None:
        super().__init__()
        self.t = t

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        updated_node = super().on_leave(original_node, updated_node)  # type: ignore[assignment]
        if not isinstance(updated_node, cst.CSTNode):
            return updated_node
        plan = self.t.stmt_plan.get(id(original_node))
        if plan is not None:
            return _flatten(plan, original_node, updated_node)
        comment = self.t.comments.get(id(original_node))
        if comment and isinstance(updated_node, cst.SimpleStatementLine | cst.BaseCompoundStatement):
            lines = [cst.EmptyLine(comment=cst.Comment(f"# refmap: {c}")) for c in comment]
            updated_node = updated_node.with_changes(leading_lines=[*updated_node.leading_lines, *lines])
        return updated_node

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> Any:
        if not updated_node.body:
            return updated_node.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])
        return updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> Any:
        return self.t.rewrite_call(original_node, updated_node)

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> Any:
        q = self.t.qualname(original_node)
        if q in DTYPES:
            return cst.parse_expression(DTYPES[q])
        return updated_node

    def leave_Subscript(self, original_node: cst.Subscript, updated_node: cst.Subscript) -> Any:
        new = self.t.get_lr.get(id(original_node))
        if new is not None:
            return new(updated_node)
        return updated_node


def _flatten(plan: list[cst.BaseStatement], original: cst.CSTNode, updated: cst.CSTNode) -> Any:
    if not plan:
        return cst.RemoveFromParent()
    lead = getattr(original, "leading_lines", ())
    first = plan[0]
    if lead and hasattr(first, "leading_lines"):
        plan = [first.with_changes(leading_lines=[*lead, *first.leading_lines]), *plan[1:]]
    return cst.FlattenSentinel(plan) if len(plan) > 1 else plan[0]


class ScriptTranslator:
    def __init__(self, source: str, book: Rulebook, target: str | None = None) -> None:
        if target is not None and target not in TARGETS:
            raise ValueError(f"target must be one of {', '.join(TARGETS)}")
        self.book = book
        self.target = target
        self.module = cst.parse_module(source)
        self.wrapper = MetadataWrapper(self.module)
        self.qnames = self.wrapper.resolve(QualifiedNameProvider)
        self.positions = self.wrapper.resolve(PositionProvider)
        self.parents = self.wrapper.resolve(ParentNodeProvider)
        self.scopes = self.wrapper.resolve(ScopeProvider)
        self.module = self.wrapper.module
        self.stmt_plan: dict[int, list[cst.BaseStatement]] = {}
        self.comments: dict[int, list[str]] = {}
        self.get_lr: dict[int, Any] = {}
        self.result = Translation(code=source, target=None)
        self.names_in_use = _variable_names(self.module)
        self.namer = Namer(self.names_in_use | {"mindspore", "np", "math", "ops"})
        self.constants = self._constants()
        self.tensorish: set[str] = set()
        self.grads_store: str | None = None
        self.uses_np = False

    # ---------- names ----------
    def qualname(self, node: cst.CSTNode) -> str | None:
        names = _eager(self.qnames.get(node)) if isinstance(node, cst.Name | cst.Attribute) else None
        for q in sorted(names or (), key=lambda q: q.name):
            if q.name.startswith("torch"):
                return q.name
        d = dotted(node) if isinstance(node, cst.BaseExpression) else None
        if d and d.split(".")[0] == "torch":
            return d
        return None

    def line(self, node: cst.CSTNode) -> int:
        try:
            return self.positions[node].start.line
        except KeyError:
            return 0

    def _constants(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        values: dict[str, Any] = {}
        for node in _all(self.module):
            if isinstance(node, cst.AssignTarget) and isinstance(node.target, cst.Name):
                counts[node.target.value] = counts.get(node.target.value, 0) + 1
        for stmt in self.module.body:
            if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
                a = stmt.body[0]
                if isinstance(a, cst.Assign) and len(a.targets) == 1 and isinstance(a.targets[0].target, cst.Name):
                    v = literal(a.value)
                    if v is not MISSING:
                        values[a.targets[0].target.value] = v
        return {k: v for k, v in values.items() if counts.get(k) == 1}

    # ---------- main ----------
    def run(self) -> Translation:
        groups = self._groups()
        grads_protocol = any(_grad_assign(s) for s in _all(self.module))
        translated: list[tuple[Group, Plan, Sequence[cst.BaseStatement]]] = []
        targets: set[str] = set()
        for group, suite, in_fn in groups:
            plan, why = self._choose(group, suite, in_fn, grads_protocol)
            if plan is None:
                self._leave(group, why)
                continue
            translated.append((group, plan, suite))
            targets.add(plan.target)
        if len(targets) == 1:
            self.result.target = targets.pop()
        elif targets:
            self.result.target = "mixed"
        if translated and grads_protocol:
            self.grads_store = self.namer("param_grads", "refmap")
        for group, plan, suite in translated:
            self._apply(group, plan, suite, grads_protocol, single=len(translated) == 1)
        if translated and grads_protocol:
            self._grad_assignments()
        self._tensorish()
        new = self.wrapper.visit(_Rewriter(self))
        assert isinstance(new, cst.Module)
        new = self._imports(new, bool(translated))
        self.result.code = new.code
        self._leftovers(new)
        return self.result

    # ---------- groups ----------
    def _groups(self) -> list[tuple[Group, Sequence[cst.BaseStatement], bool]]:
        out = []
        seen_calls: set[int] = set()
        for suite, in_fn in _suites(self.module):
            col = Collector(self.qualname, self.book.signatures)
            order: dict[str, int] = {}
            assigned: dict[str, int] = {}
            for i, stmt in enumerate(suite):
                for name in _assigned_names(stmt):
                    assigned[name] = assigned.get(name, 0) + 1
                c = col.statement(stmt)
                if c is not None:
                    c.order = i
                    order[c.name] = i
            found = col.found
            for c in found.values():
                seen_calls.add(id(c.call))
            owner = col.composites_owner()
            for c in list(found.values()):
                if c.role == "scheduler" and c.optimizer is None and c.children:
                    kids = [found[k].optimizer for k in c.children if k in found]
                    c.optimizer = kids[0] if kids and len(set(kids)) == 1 else None
                if c.role == "scheduler" and c.optimizer is None and c.name in owner:
                    c.optimizer = found[owner[c.name]].optimizer
            for opt in [c for c in found.values() if c.role == "optimizer"]:
                scheds = [c for c in found.values() if c.role == "scheduler" and c.optimizer == opt.name]
                scheds += [found[k] for s in scheds for k in s.children if k in found and found[k] not in scheds]
                scheds = sorted(
                    {id(c): c for c in scheds}.values(),
                    key=lambda c: (order.get(c.name, order.get(c.parent or "", 0)), c.name),
                )
                leaves: dict = {}
                unknown: list[str] = []
                for c in [opt, *scheds]:
                    lv, unk = leaves_of(c, self.book.signatures.get(c.api, {}), self.constants)
                    leaves.update(lv)
                    unknown += unk
                group = Group(opt, scheds, leaves, unknown)
                if any(assigned.get(n, 0) > 1 for n, k in group.constructions.items() if k.statement is not None):
                    self._leave(group, "a name of this optimizer or its schedulers is assigned more than once")
                    continue
                out.append((group, suite, in_fn))
            for c in found.values():
                if c.role == "scheduler" and c.parent is None and c.name not in owner:
                    if c.optimizer is None or c.optimizer not in found:
                        self._comment(c.statement, f"not translated: {c.short} drives an optimizer built elsewhere")
                        self.result.untranslated.append(
                            Note(self.line(c.call), f"{c.short}: its optimizer was not found in the same block")
                        )
        # torch.optim calls the translator does not handle (not `name = ...` statements)
        for node in _all(self.module):
            if isinstance(node, cst.Call) and id(node) not in seen_calls and role_of(self.qualname(node.func)):
                if not self._inside_seen(node, seen_calls):
                    q = self.qualname(node.func) or ""
                    self.result.untranslated.append(
                        Note(
                            self.line(node), f"{q}: only `name = {q.rsplit('.', 1)[-1]}(...)` statements are translated"
                        )
                    )
        return out

    def _inside_seen(self, node: cst.CSTNode, seen: set[int]) -> bool:
        p = self.parents.get(node)
        while p is not None:
            if id(p) in seen:
                return True
            p = self.parents.get(p)
        return False

    def _choose(
        self, group: Group, suite: Sequence[cst.BaseStatement], in_fn: bool, grads: bool
    ) -> tuple[Plan | None, str]:
        if group.unknown_args:
            return None, f"unknown arguments {', '.join(group.unknown_args)}"
        targets = [self.target] if self.target else list(TARGETS)
        plans: list[tuple[Plan, Namer]] = []
        reasons: list[str] = []
        for target in targets:
            namer = Namer(self.namer.taken)
            try:
                plan = Applier(self.book, self._translate_expr, namer).plan(group, target, in_fn)
                self._check_uses(group, plan, suite, grads)
            except Refused as exc:
                reasons.append(f"{target}: {exc}")
                continue
            plans.append((plan, namer))
        if not plans:
            return None, " | ".join(reasons)
        best, namer = max(plans, key=lambda pn: (pn[0].score, -TARGETS.index(pn[0].target)))
        self.namer.taken |= namer.taken
        return best, ""

    # ---------- uses of the optimizer and schedulers ----------
    def _refs(self, c: Construction) -> list[cst.Name]:
        """Names referring to this construction's variable (in its scope)."""
        if c.statement is None:
            return []
        stmt = c.statement
        assert isinstance(stmt, cst.SimpleStatementLine)
        target = stmt.body[0].targets[0].target  # type: ignore[attr-defined]
        scope = self.scopes.get(target)
        if scope is None:
            return []
        out = []
        for a in scope.assignments[c.name]:
            if getattr(a, "node", None) is target:
                out += [r.node for r in a.references if isinstance(r.node, cst.Name)]
        return out

    def _stmt_of(self, node: cst.CSTNode) -> cst.CSTNode | None:
        p: cst.CSTNode | None = node
        while p is not None and not isinstance(p, cst.SimpleStatementLine | cst.BaseCompoundStatement):
            p = self.parents.get(p)
        return p

    def _check_uses(self, group: Group, plan: Plan, suite: Sequence[cst.BaseStatement], grads: bool) -> None:
        cons = group.constructions
        removed = plan.removed_schedulers(group) | plan.stepped_inside
        construction_calls = {id(c.call) for c in cons.values()}
        for c in cons.values():
            for ref in self._refs(c):
                stmt = self._stmt_of(ref)
                if stmt is not None and any(id(n) in construction_calls for n in _all(stmt)):
                    continue  # passed to another construction of the group
                parent = self.parents.get(ref)
                method = parent.attr.value if isinstance(parent, cst.Attribute) and parent.value is ref else None
                if c.role == "optimizer":
                    continue  # step/zero_grad are rewritten; other uses are listed
                if c.name in removed:
                    if method == "step" and stmt is not None and _method_call(stmt, {c.name}, "step"):
                        continue
                    raise Refused(
                        f"`{c.name}` has no MindSpore object in this translation, but the script uses it (line {self.line(ref)})"
                    )
        if plan.update != group.optimizer.name or removed:
            if not grads:
                raise Refused("the recipe replaces the step protocol, but the script computes gradients with autograd")
            self._lockstep(group, removed)

    def _lockstep(self, group: Group, removed: set[str]) -> None:
        """Each `opt.step()` is followed by one `s.step()` of every scheduler in `removed`, and those
        are called nowhere else: the recipe steps them with the optimizer."""
        opt = group.optimizer.name
        names = set(group.constructions)
        for suite, _ in _suites(self.module):
            run: set[str] | None = None
            for stmt in [*suite, None]:
                if stmt is None or not (set(_names_of(stmt)) & names):
                    if stmt is None and run is not None and run != removed:
                        raise Refused("the schedulers are not stepped once after every optimizer step")
                    continue
                if _method_call(stmt, {opt}, "step"):
                    if run is not None and run != removed:
                        raise Refused("the schedulers are not stepped once after every optimizer step")
                    run = set()
                    continue
                s = _method_call(stmt, names - {opt}, "step")
                if s is not None and s in removed:
                    if run is None or s in run:
                        raise Refused(f"`{s}.step()` is not called right after `{opt}.step()`")
                    run.add(s)
                    continue
                if run is not None and run != removed:
                    raise Refused("the schedulers are not stepped right after the optimizer")
                run = None

    # ---------- applying ----------
    def _apply(self, group: Group, plan: Plan, suite: Sequence[cst.BaseStatement], grads: bool, single: bool) -> None:
        cons = group.constructions
        for name, body in plan.statements.items():
            c = cons.get(name)
            if c is not None and c.statement is not None:
                self.stmt_plan[id(c.statement)] = body
        for rule in plan.rules:
            line = self.line(group.optimizer.call)
            self.result.rewrites.append(
                Note(
                    line,
                    f"{group.optimizer.short} -> {plan.target} ({'one recipe' if plan.exact else 'composed'})",
                    rule.url,
                    rule.id,
                )
            )
            self._warnings(rule, group, line)
        removed = plan.removed_schedulers(group) | plan.stepped_inside
        opt = group.optimizer.name
        for node in _all(self.module):
            if not isinstance(node, cst.SimpleStatementLine):
                continue
            if not grads and _method_call(node, {opt}, "step"):
                why = "the gradients come from autograd here; MindSpore optimizers are called with them: `opt(grads)`"
                self._comment(node, f"not translated: {why}")
                self._comment(node, f"see {page_url(ZERO_GRAD_ENTRY)}")
                self.result.untranslated.append(
                    Note(self.line(node), f"{opt}.step(): {why}", page_url(ZERO_GRAD_ENTRY))
                )
            elif not grads and _method_call(node, {opt}, "zero_grad"):
                self._comment(node, "not translated: MindSpore computes fresh gradients; there is nothing to zero")
                self.result.untranslated.append(
                    Note(self.line(node), f"{opt}.zero_grad() left in place", page_url(ZERO_GRAD_ENTRY))
                )
            elif grads and _method_call(node, {opt}, "step"):
                self.stmt_plan[id(node)] = [self._update_call(plan, opt)]
            elif grads and _method_call(node, {opt}, "zero_grad"):
                self.stmt_plan[id(node)] = [self._zero_grad(opt, single)]
            elif _method_call(node, removed, "step"):
                self.stmt_plan[id(node)] = []
        for c in group.schedulers:
            if c.name in plan.objects:
                for ref in self._refs(c):
                    self._get_last_lr(ref, plan)
        for ref in self._refs(group.optimizer):
            self._state_dict(ref, plan)

    def _state_dict(self, ref: cst.Name, plan: Plan) -> None:
        """`opt.state_dict()` / `opt.load_state_dict(...)`: left, with the state_dict entry's recipe for
        the target (its MindSpore side saves and restores differently: no one-to-one rewrite)."""
        attr = self.parents.get(ref)
        if not (isinstance(attr, cst.Attribute) and attr.attr.value in ("state_dict", "load_state_dict")):
            return
        le = self.book.entry(STATE_DICT_ENTRY)
        prefix = {"experimental": "mindspore.experimental.", "mint": "mindspore.mint."}.get(
            plan.target, "mindspore.nn."
        )
        cps = [cp for cp in (le.entry.counterparts if le else []) if cp.api and cp.api.startswith(prefix)]
        how = (
            f"the KB's recipe uses `{cps[0].api}` ({cps[0].status})" if cps else "the KB has no recipe for this target"
        )
        why = f"`{ref.value}.{attr.attr.value}()` saves or restores differently in MindSpore; {how}"
        stmt = self._stmt_of(ref)
        self._comment(stmt, f"not translated: {why}")
        self._comment(stmt, f"see {page_url(STATE_DICT_ENTRY)}")
        self.result.untranslated.append(Note(self.line(ref), why, page_url(STATE_DICT_ENTRY)))

    def _update_call(self, plan: Plan, opt: str) -> cst.BaseStatement:
        assert self.grads_store is not None
        code = f"{plan.update}(tuple({self.grads_store}[id(p)] for p in {opt}.parameters))"
        return cst.SimpleStatementLine([cst.Expr(cst.parse_expression(code))])

    def _zero_grad(self, opt: str, single: bool) -> cst.BaseStatement:
        assert self.grads_store is not None
        if single:
            return cst.parse_statement(f"{self.grads_store}.clear()\n")
        return cst.parse_statement(f"for p in {opt}.parameters:\n    {self.grads_store}.pop(id(p), None)\n")

    def _get_last_lr(self, ref: cst.Name, plan: Plan) -> None:
        """`s.get_last_lr()[i]` -> `float(s.get_last_lr()[i])`, as the get_lr entry's recipe does."""
        attr = self.parents.get(ref)
        call = self.parents.get(attr) if attr is not None else None
        sub = self.parents.get(call) if call is not None else None
        if not (isinstance(attr, cst.Attribute) and attr.attr.value == "get_last_lr" and isinstance(call, cst.Call)):
            return
        api = "mindspore.experimental.optim.lr_scheduler.LRScheduler.get_last_lr"
        if (
            plan.target in ("experimental", "mint")
            and isinstance(sub, cst.Subscript)
            and self.book.concept_recipe_ok(GET_LR_ENTRY, api)
        ):
            self.get_lr[id(sub)] = lambda node: cst.Call(func=cst.Name("float"), args=[cst.Arg(node)])
        else:
            self.result.untranslated.append(
                Note(self.line(ref), "get_last_lr() returns MindSpore Tensors here", page_url(GET_LR_ENTRY))
            )

    def _grad_assignments(self) -> None:
        assert self.grads_store is not None
        for node in _all(self.module):
            ga = _grad_assign(node)
            if ga is None:
                continue
            target, value = ga
            if isinstance(value, cst.Name) and value.value == "None":
                new = cst.parse_statement(f"{self.grads_store}.pop(id({code_of(target)}), None)\n")
            else:
                new = cst.SimpleStatementLine(
                    [
                        cst.Assign(
                            [
                                cst.AssignTarget(
                                    cst.Subscript(
                                        value=cst.Name(self.grads_store),
                                        slice=[
                                            cst.SubscriptElement(
                                                cst.Index(cst.Call(func=cst.Name("id"), args=[cst.Arg(target)]))
                                            )
                                        ],
                                    )
                                )
                            ],
                            self._translate_expr(value),
                        )
                    ]
                )
            self.stmt_plan[id(node)] = [new]

    def _leave(self, group: Group, why: str) -> None:
        entries = self.book.entries_for(group.optimizer.api)
        url = page_url(entries[0].id) if entries else None
        for c in group.constructions.values():
            if c.statement is None:
                continue
            es = self.book.entries_for(c.api)
            link = page_url(es[0].id) if es else url
            text = f"not translated: {why}"
            self._comment(c.statement, text if len(text) < 400 else text[:397] + "...")
            if link:
                self._comment(c.statement, f"see {link}")
            self.result.untranslated.append(Note(self.line(c.call), f"{c.short}: {why}", link))

    def _comment(self, stmt: cst.CSTNode | None, text: str) -> None:
        if stmt is not None:
            self.comments.setdefault(id(stmt), []).append(" ".join(text.split()))

    def _warnings(self, rule: Rule, group: Group, line: int) -> None:
        cons = group.constructions
        used: set[str] = set()
        for (_, label), leaf in group.leaves.items():
            arg = label.split("[")[0]
            if leaf.explicit and _truthy(leaf.value) or (not leaf.explicit and leaf.value is True):
                used.add(arg)
        _ = cons
        aliases = {r.mindspore: r.torch for r in rule.cp.params if r.mindspore and r.torch}
        names = used | {m for m, t in aliases.items() if t in used}
        texts: list[str] = []
        trap = rule.cp.trap.text if rule.cp.trap is not None else None
        if trap is not None:
            others = set(re.findall(r"mindspore(?:\.[A-Za-z_]\w*)+", trap)) - {rule.cp.api}
            if _mentions(trap, names) or not others:
                texts.append(trap)
        for d in rule.cp.differences:
            text = as_statement(d).text
            if _mentions(text, names):
                texts.append(text)
        for text in dict.fromkeys(texts):
            self.result.warnings.append(Note(line, " ".join(text.split()), rule.url, rule.id))

    # ---------- expressions ----------
    def _translate_expr(self, node: cst.BaseExpression) -> cst.BaseExpression:
        """A user expression moved into a template: tensor calls inside it are translated too."""
        return node.visit(_ExprOnly(self))  # type: ignore[return-value]

    def rewrite_call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        q = self.qualname(original.func)
        if q in TENSOR_CALLS:
            return self._tensor_call(q, original, updated)
        f = updated.func
        if isinstance(f, cst.Attribute) and f.attr.value in TENSOR_METHODS_DROPPED and not updated.args:
            if self._is_tensorish(original.func.value):  # type: ignore[attr-defined]
                return f.value
        return updated

    def _tensor_call(self, q: str, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        new = TENSOR_CALLS[q]
        kws = {a.keyword.value for a in updated.args if a.keyword is not None}
        allowed = {"dtype"} if q != "torch.nn.Parameter" else {"requires_grad"}
        if q == "torch.manual_seed":
            allowed = set()
        if kws - allowed or any(a.star for a in updated.args):
            return updated
        args = list(updated.args)
        if q in ("torch.zeros", "torch.ones"):
            pos = [a for a in args if a.keyword is None]
            rest = [a for a in args if a.keyword is not None]
            if len(pos) > 1:
                shape = cst.Tuple([cst.Element(a.value) for a in pos])
                args = [
                    cst.Arg(
                        shape,
                        comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                        if rest
                        else cst.MaybeSentinel.DEFAULT,
                    ),
                    *rest,
                ]
        return updated.with_changes(func=cst.parse_expression(new), args=args)

    def _tensorish(self) -> None:
        """Variables that hold translated tensors: assigned from torch.tensor/Parameter/zeros/ones
        (or lists of them), and loop variables over those."""
        names: set[str] = set()
        for _ in range(4):
            for node in _all(self.module):
                if (
                    isinstance(node, cst.Assign)
                    and len(node.targets) == 1
                    and isinstance(node.targets[0].target, cst.Name)
                ):
                    if self._makes_tensors(node.value, names):
                        names.add(node.targets[0].target.value)
                elif isinstance(node, cst.For | cst.CompFor):
                    for t in self._loop_targets(node.target, node.iter, names):
                        names.add(t)
        self.tensorish = names

    def _makes_tensors(self, value: cst.BaseExpression, names: set[str]) -> bool:
        for n in _all(value):
            if (
                isinstance(n, cst.Call)
                and self.qualname(n.func) in TENSOR_CALLS
                and self.qualname(n.func) != "torch.manual_seed"
            ):
                return True
        if isinstance(value, cst.List | cst.Tuple):
            return any(isinstance(e.value, cst.Name) and e.value.value in names for e in value.elements)
        return False

    def _loop_targets(self, target: cst.BaseExpression, it: cst.BaseExpression, names: set[str]) -> list[str]:
        if isinstance(it, cst.Name) and it.value in names and isinstance(target, cst.Name):
            return [target.value]
        if isinstance(it, cst.Call) and dotted(it.func) == "zip" and isinstance(target, cst.Tuple):
            out = []
            for a, el in zip(it.args, target.elements, strict=False):
                if isinstance(a.value, cst.Name) and a.value.value in names and isinstance(el.value, cst.Name):
                    out.append(el.value.value)
            return out
        if isinstance(it, cst.Call) and dotted(it.func) == "enumerate" and isinstance(target, cst.Tuple):
            if it.args and isinstance(it.args[0].value, cst.Name) and it.args[0].value.value in names:
                second = target.elements[1].value if len(target.elements) == 2 else None
                if isinstance(second, cst.Name):
                    return [second.value]
        return []

    def _is_tensorish(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Name):
            return node.value in self.tensorish
        if isinstance(node, cst.Subscript):
            return self._is_tensorish(node.value)
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            return node.func.attr.value in TENSOR_METHODS_DROPPED and self._is_tensorish(node.func.value)
        return False

    # ---------- imports and leftovers ----------
    def _imports(self, module: cst.Module, translated: bool) -> cst.Module:
        code = _strip_strings_and_comments(module.code)
        torch_left = bool(re.search(r"(?<![\w.])torch\.", code))
        body = list(module.body)
        ms_needed = re.search(r"(?<![\w.])mindspore\b", code) is not None
        np_needed = re.search(r"(?<![\w.])np\.", code) is not None and not re.search(r"import numpy as np", code)
        new_body: list[cst.BaseStatement] = []
        placed = False
        for stmt in body:
            if (
                isinstance(stmt, cst.SimpleStatementLine)
                and len(stmt.body) == 1
                and isinstance(stmt.body[0], cst.Import)
            ):
                imp = stmt.body[0]
                names = [dotted(a.name) for a in imp.names]
                if names == ["torch"] and not imp.names[0].asname:
                    extra = []
                    if ms_needed and not placed and "import mindspore\n" not in code:
                        extra.append(cst.parse_statement("import mindspore\n"))
                        placed = True
                    if torch_left:
                        new_body.append(stmt)
                        new_body += extra
                    elif extra:
                        new_body.append(extra[0].with_changes(leading_lines=stmt.leading_lines))
                    continue
            new_body.append(stmt)
        if ms_needed and not placed and not re.search(r"^import mindspore$", code, re.M):
            idx = _after_imports(new_body)
            new_body.insert(idx, cst.parse_statement("import mindspore\n"))
        if np_needed:
            new_body.insert(_after_imports(new_body), cst.parse_statement("import numpy as np\n"))
        if self.grads_store:
            idx = _after_imports(new_body)
            stmt = cst.parse_statement(
                f"{self.grads_store} = {{}}  # id(parameter) -> gradient: MindSpore optimizers take the gradients as an argument\n"
            )
            new_body.insert(idx, stmt.with_changes(leading_lines=[cst.EmptyLine()]))
        _ = translated
        return module.with_changes(body=new_body)

    def _leftovers(self, new: cst.Module) -> None:
        wrapper = MetadataWrapper(new)
        pos = wrapper.resolve(PositionProvider)
        qn = wrapper.resolve(QualifiedNameProvider)
        seen_lines: set[int] = set()
        for node in _all(wrapper.module):
            why = None
            if isinstance(node, cst.Attribute | cst.Name):
                q = next((q.name for q in (_eager(qn.get(node)) or ()) if q.name.startswith("torch")), None)
                parent_is_attr = False
                if (
                    q and not parent_is_attr and not (q + ".").startswith("torch.optim.")
                ):  # those are listed as untranslated
                    why = f"`{q}` is left as it is"
            if (
                isinstance(node, cst.Call)
                and isinstance(node.func, cst.Attribute)
                and node.func.attr.value == "backward"
            ):
                why = "`.backward()`: MindSpore computes gradients with `mindspore.value_and_grad`"
            if isinstance(node, cst.Attribute) and node.attr.value == "grad":
                why = "`.grad` is left as it is"
            if why is None:
                continue
            try:
                line = pos[node].start.line
            except KeyError:
                continue
            if line in seen_lines:
                continue
            seen_lines.add(line)
            if isinstance(node, cst.Name) and isinstance(wrapper.module, cst.Module):
                pass
            self.result.torch_uses.append(Note(0, f"translated script, line {line}: {why}"))


class _ExprOnly(cst.CSTTransformer):
    """Translate tensor calls inside an expression that has no metadata (moved into a template)."""

    def __init__(self, t: ScriptTranslator) -> None:
        super().__init__()
        self.t = t

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> Any:
        q = dotted(original_node.func)
        if q in TENSOR_CALLS:
            return self.t._tensor_call(q, original_node, updated_node)
        return updated_node


def _eager(v: Any) -> Any:
    """libcst metadata may be computed lazily."""
    return v() if callable(v) and not isinstance(v, set | frozenset) else v


def _after_imports(body: list[cst.BaseStatement]) -> int:
    idx = 0
    for i, stmt in enumerate(body):
        if isinstance(stmt, cst.SimpleStatementLine) and all(
            isinstance(s, cst.Import | cst.ImportFrom) for s in stmt.body
        ):
            idx = i + 1
        elif isinstance(stmt, cst.SimpleStatementLine) and i == 0 and isinstance(stmt.body[0], cst.Expr):
            idx = 1  # module docstring
        elif idx or i > 0:
            break
    return idx


def _strip_strings_and_comments(code: str) -> str:
    code = re.sub(r"#[^\n]*", "", code)
    return re.sub(r"(\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|\"[^\"\n]*\"|'[^'\n]*')", "''", code)


def _all(node: cst.CSTNode) -> Iterable[cst.CSTNode]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def _variable_names(module: cst.Module) -> set[str]:
    """Names a script uses as variables (not keyword-argument names or attributes)."""
    skip: set[int] = set()
    for n in _all(module):
        if isinstance(n, cst.Arg) and n.keyword is not None:
            skip.add(id(n.keyword))
        elif isinstance(n, cst.Attribute):
            skip.add(id(n.attr))
    return {n.value for n in _all(module) if isinstance(n, cst.Name) and id(n) not in skip}


def _names_of(node: cst.CSTNode) -> list[str]:
    return [n.value for n in _all(node) if isinstance(n, cst.Name)]


def _assigned_names(stmt: cst.BaseStatement) -> list[str]:
    out = []
    if isinstance(stmt, cst.SimpleStatementLine):
        for s in stmt.body:
            if isinstance(s, cst.Assign):
                for t in s.targets:
                    out += [n.value for n in _all(t.target) if isinstance(n, cst.Name)]
    return out


def translate_source(
    source: str, book: Rulebook, target: str | None = None, only: Iterable[str] | None = None
) -> Translation:
    """Translate a script. `target`: experimental | nn | mint (default: the most faithful one per
    optimizer). `only`: restrict to these rule ids (tests use it to exercise one rule)."""
    problem = check_python(source)
    if problem:
        raise SyntaxError(f"not valid Python: {problem}")
    if only is not None:
        keep = set(only)
        book = dataclasses.replace(book, rules=[r for r in book.rules if r.id in keep])
    return ScriptTranslator(source, book, target).run()
