"""A recipe's MindSpore snippet as a template: which names it binds, which literals carry the torch
arguments (holes), and how to instantiate it around a user's objects.

A literal of the MindSpore snippet is a *hole* for a torch argument when its value is that
argument's value in the recipe and it is passed straight into a MindSpore API parameter that the
KB's checks show receives the torch argument unchanged (an evidence flow, see rules.py). Every
other literal equal to an argument's value *pins* that argument: the rule then only applies when
the user's value is the recipe's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, ScopeProvider
from libcst.metadata.scope_provider import GlobalScope

from .values import MISSING, bind, code_of, dotted, literal, resolve

HARNESS_ONLY = {"lr_at"}  # names the verifier reads and a script does not need
HARNESS_COMMENTS = ("use it as", "for the check", "stands for")


@dataclass
class Occurrence:
    node: cst.BaseExpression
    value: Any
    api: str | None = None  # the MindSpore API it is passed to, when it is a direct argument
    param: str | None = None  # that API's parameter ("betas[0]" for a tuple element)
    is_float: bool = False
    shape: str = "plain"  # how that call gets its parameters: "groups" (a list of dicts) or "plain"


def _is_float_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.UnaryOperation):
        node = node.expression
    return isinstance(node, cst.Float)


def _literal_node(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.Integer | cst.Float | cst.SimpleString):
        return True
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return isinstance(node.expression, cst.Integer | cst.Float)
    return isinstance(node, cst.Name) and node.value in ("True", "False")


def _all_literal(node: cst.List | cst.Tuple) -> bool:
    return all(_literal_node(e.value) for e in node.elements) and len(node.elements) > 0


def _strip_harness_comments(lines: Iterable[cst.EmptyLine]) -> list[cst.EmptyLine]:
    out = []
    for ln in lines:
        if ln.comment is not None and any(k in ln.comment.value.lower() for k in HARNESS_COMMENTS):
            continue
        out.append(ln)
    return out


def _binds(stmt: cst.BaseStatement) -> list[str]:
    """Module-level names a statement binds (imports excluded)."""
    out: list[str] = []
    if isinstance(stmt, cst.FunctionDef | cst.ClassDef):
        return [stmt.name.value]
    if isinstance(stmt, cst.SimpleStatementLine):
        for s in stmt.body:
            targets: list[cst.BaseExpression] = []
            if isinstance(s, cst.Assign):
                targets = [t.target for t in s.targets]
            elif isinstance(s, cst.AnnAssign | cst.AugAssign):
                targets = [s.target]
            for t in targets:
                if isinstance(t, cst.Name):
                    out.append(t.value)
                elif isinstance(t, cst.Tuple | cst.List):
                    out += [e.value.value for e in t.elements if isinstance(e.value, cst.Name)]
    if isinstance(stmt, cst.For) and isinstance(stmt.target, cst.Name):
        out.append(stmt.target.value)
    return out


@dataclass
class Template:
    """The analysed MindSpore side of one recipe."""

    module: cst.Module
    aliases: dict[str, str]
    signatures: Mapping[str, Mapping[str, str]]
    refs: dict[str, list[cst.Name]] = field(default_factory=dict)  # module-level name -> every node naming it
    binders: dict[str, list[int]] = field(default_factory=dict)  # name -> statements that bind it
    uses: list[set[str]] = field(default_factory=list)  # per statement: module-level names it reads
    occurrences: list[Occurrence] = field(default_factory=list)
    lr_object: str | None = None  # the list or cell that stands for the schedule, when no scheduler object
    parents: Mapping[cst.CSTNode, cst.CSTNode] = field(default_factory=dict)
    owner: dict[int, int] = field(default_factory=dict)  # id(node) -> index of its top-level statement

    @classmethod
    def parse(cls, code: str, signatures: Mapping[str, Mapping[str, str]]) -> Template:
        module = cst.parse_module(code)
        lr_at_callee = None
        body: list[cst.BaseStatement] = []
        for stmt in module.body:
            names = _binds(stmt)
            if names and set(names) <= HARNESS_ONLY:
                lr_at_callee = lr_at_callee or _callee_name(stmt)
                continue
            body.append(stmt.with_changes(leading_lines=_strip_harness_comments(stmt.leading_lines)))
        module = module.with_changes(body=body, footer=_strip_harness_comments(module.footer))
        module = _inline_aliases(module)
        t = cls(module=module, aliases=_aliases(module), signatures=signatures)
        t._analyse()
        if "lrs" in t.binders:
            t.lr_object = "lrs"
        elif lr_at_callee and lr_at_callee in t.binders:
            t.lr_object = lr_at_callee
        return t

    # ---------------- analysis ----------------
    def _analyse(self) -> None:
        wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        scopes = wrapper.resolve(ScopeProvider)
        self.parents = wrapper.resolve(ParentNodeProvider)
        self.module = wrapper.module
        glob = next((s for s in scopes.values() if isinstance(s, GlobalScope)), None)
        refs: dict[str, list[cst.Name]] = {}
        if glob is not None:
            for a in glob.assignments:
                node = getattr(a, "node", None)
                if isinstance(node, cst.Name):
                    refs.setdefault(a.name, []).append(node)
                elif isinstance(node, cst.FunctionDef | cst.ClassDef):
                    refs.setdefault(a.name, []).append(node.name)
                else:
                    continue
                for r in a.references:
                    if isinstance(r.node, cst.Name):
                        refs[a.name].append(r.node)
            # names read but bound nowhere in the snippet (params, mindspore, np): global accesses
            for scope in set(scopes.values()):
                if scope is None:
                    continue
                for acc in scope.accesses:
                    node = acc.node
                    if isinstance(node, cst.Name) and not acc.referents:
                        refs.setdefault(node.value, []).append(node)
        # `global x` statements name module-level x too
        for node in _walk(self.module):
            if isinstance(node, cst.Global):
                for item in node.names:
                    refs.setdefault(item.name.value, []).append(item.name)
        self.refs = {k: list({id(n): n for n in v}.values()) for k, v in refs.items()}
        owner = self.owner
        for i, stmt in enumerate(self.module.body):
            for node in _walk(stmt):
                owner[id(node)] = i
            for name in _binds(stmt):
                self.binders.setdefault(name, []).append(i)
        self.uses = [set() for _ in self.module.body]
        for name, nodes in self.refs.items():
            for n in nodes:
                at = owner.get(id(n))
                if at is not None:
                    self.uses[at].add(name)
        self.occurrences = list(self._literals())

    def _literals(self) -> Iterable[Occurrence]:
        for node in _walk(self.module):
            if isinstance(node, cst.List | cst.Tuple) and _all_literal(node) and isinstance(node, cst.List):
                yield self._occurrence(node)
            elif _literal_node(node):
                parent = self.parents.get(node)
                if isinstance(parent, cst.UnaryOperation):
                    continue  # the whole -x is the literal
                if isinstance(parent, cst.Element) and isinstance(self.parents.get(parent), cst.List):
                    if _all_literal(self.parents[parent]):  # type: ignore[arg-type]
                        continue  # part of a whole-list literal
                if isinstance(node, cst.SimpleString) and self._is_docstring(node):
                    continue
                assert isinstance(node, cst.BaseExpression)
                yield self._occurrence(node)

    def _is_docstring(self, node: cst.CSTNode) -> bool:
        parent = self.parents.get(node)
        return isinstance(parent, cst.Expr)

    def _occurrence(self, node: cst.BaseExpression) -> Occurrence:
        value = literal(node)
        occ = Occurrence(node=node, value=value, is_float=_is_float_literal(node))
        element_of: int | None = None
        holder: cst.CSTNode = node
        parent = self.parents.get(holder)
        if isinstance(parent, cst.Element) and isinstance(self.parents.get(parent), cst.Tuple):
            tup = self.parents[parent]
            element_of = [e.value for e in tup.elements].index(node)  # type: ignore[attr-defined]
            holder = tup
            parent = self.parents.get(holder)
        if isinstance(parent, cst.Arg):
            call = self.parents.get(parent)
            if isinstance(call, cst.Call):
                api = resolve(dotted(call.func), self.aliases)
                if api and api.startswith("mindspore."):
                    try:
                        bound = bind(call, self.signatures.get(api))
                    except ValueError:
                        return occ
                    for label, b in bound.items():
                        if b.node is holder:
                            occ.api = api
                            occ.param = label if element_of is None else f"{label}[{element_of}]"
                            occ.shape = call_shape(call)
        return occ

    # ---------------- structure ----------------
    def statement_binding(self, name: str) -> int | None:
        idx = self.binders.get(name, [])
        return idx[0] if len(idx) == 1 else None

    def call_bound_to(self, name: str) -> tuple[str, cst.Call] | None:
        """The MindSpore API call a name is bound to (`opt = mindspore.nn.SGD(...)`)."""
        i = self.statement_binding(name)
        if i is None:
            return None
        stmt = self.module.body[i]
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
            s = stmt.body[0]
            if isinstance(s, cst.Assign) and len(s.targets) == 1 and isinstance(s.value, cst.Call):
                target = s.targets[0].target
                if isinstance(target, cst.Name) and target.value == name:
                    api = resolve(dotted(s.value.func), self.aliases)
                    if api and api.startswith("mindspore."):
                        return api, s.value
                    if api in self.binders:  # a class the snippet defines
                        return api, s.value
        return None

    def functions(self) -> dict[str, cst.FunctionDef]:
        return {s.name.value: s for s in self.module.body if isinstance(s, cst.FunctionDef)}

    def has_defs(self) -> bool:
        return any(isinstance(s, cst.FunctionDef | cst.ClassDef) for s in self.module.body)

    def stepped_in(self, fn: cst.FunctionDef) -> set[str]:
        """Names `x` with `x.step()` called inside a function."""
        out = set()
        for node in _walk(fn):
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "step":
                target = node.func.value
                if isinstance(target, cst.Name):
                    out.add(target.value)
        return out

    def closure(self, start: Iterable[int], stop: set[str]) -> set[int]:
        """Statements `start` and every statement binding a module-level name they read (not `stop`)."""
        todo, seen = list(start), set()
        while todo:
            i = todo.pop()
            if i in seen:
                continue
            seen.add(i)
            for name in self.uses[i]:
                if name in stop:
                    continue
                todo += self.binders.get(name, [])
        return seen

    def readers_of(self, name: str) -> list[int]:
        return [i for i, u in enumerate(self.uses) if name in u and i not in self.binders.get(name, [])]


def call_shape(call: cst.Call) -> str:
    """ "groups" when the first argument is a literal list of parameter-group dicts, else "plain"."""
    if call.args and isinstance(call.args[0].value, cst.List):
        elements = call.args[0].value.elements
        if elements and all(isinstance(e.value, cst.Dict) for e in elements):
            return "groups"
    return "plain"


def _walk(node: cst.CSTNode) -> Iterable[cst.CSTNode]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def _callee_name(stmt: cst.BaseStatement) -> str | None:
    for node in _walk(stmt):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
            return node.func.value
    return None


class _Expand(cst.CSTTransformer):
    def __init__(self, aliases: Mapping[str, str]) -> None:
        super().__init__()
        self.aliases = aliases
        self.skip: set[int] = set()

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        self.skip.add(id(node.attr))
        return True

    def visit_Arg(self, node: cst.Arg) -> bool:
        if node.keyword is not None:
            self.skip.add(id(node.keyword))
        return True

    def visit_Param(self, node: cst.Param) -> bool:
        self.skip.add(id(node.name))
        return True

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if id(original_node) in self.skip or original_node.value not in self.aliases:
            return updated_node
        return cst.parse_expression(self.aliases[original_node.value])


def _inline_aliases(module: cst.Module) -> cst.Module:
    """`optim = mindspore.experimental.optim; optim.SGD(...)` -> `mindspore.experimental.optim.SGD(...)`:
    instantiated more than once or in pieces, a template must not depend on its own shorthands."""
    aliases = {k: v for k, v in _aliases(module).items() if k != "mindspore"}
    if not aliases:
        return module
    body = []
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
            s = stmt.body[0]
            if isinstance(s, cst.Assign) and len(s.targets) == 1 and isinstance(s.targets[0].target, cst.Name):
                if s.targets[0].target.value in aliases and dotted(s.value):
                    continue
            if (
                isinstance(s, cst.ImportFrom)
                and s.module is not None
                and (dotted(s.module) or "").startswith("mindspore")
            ):
                continue
        body.append(stmt)
    new = module.with_changes(body=body).visit(_Expand(aliases))
    assert isinstance(new, cst.Module)
    return new


def _aliases(module: cst.Module) -> dict[str, str]:
    out = {"mindspore": "mindspore"}
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for s in stmt.body:
            if isinstance(s, cst.Assign) and len(s.targets) == 1 and isinstance(s.targets[0].target, cst.Name):
                name = dotted(s.value)
                if name and name.split(".")[0] in out:
                    out[s.targets[0].target.value] = resolve(name, out) or name
            elif isinstance(s, cst.ImportFrom) and s.module is not None and not isinstance(s.names, cst.ImportStar):
                mod = dotted(s.module)
                if mod and mod.startswith("mindspore"):
                    for alias in s.names:
                        local = alias.asname.name if alias.asname else alias.name
                        if isinstance(local, cst.Name):
                            out[local.value] = f"{mod}.{dotted(alias.name)}"
            elif isinstance(s, cst.Import):
                for alias in s.names:
                    full = dotted(alias.name)
                    if (
                        full
                        and full.startswith("mindspore")
                        and alias.asname
                        and isinstance(alias.asname.name, cst.Name)
                    ):
                        out[alias.asname.name.value] = full
    return out


# ---------------- instantiation ----------------
class _Replace(cst.CSTTransformer):
    """Replace exact nodes (by identity) and rename module-level names."""

    def __init__(
        self,
        nodes: Mapping[int, cst.BaseExpression],
        names: Mapping[int, str],
        kwargs: Mapping[int, list[tuple[str, cst.BaseExpression]]],
    ) -> None:
        self.nodes = nodes
        self.names = names
        self.kwargs = kwargs

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        new = self.nodes.get(id(original_node))
        if new is not None:
            return new
        extra = self.kwargs.get(id(original_node))
        if extra and isinstance(updated_node, cst.Call):
            return add_kwargs(updated_node, extra)
        name = self.names.get(id(original_node))
        if name is not None and isinstance(updated_node, cst.Name):
            return updated_node.with_changes(value=name)
        return updated_node


class _NonlocalGlobals(cst.CSTTransformer):
    def leave_Global(self, original_node: cst.Global, updated_node: cst.Global) -> cst.Nonlocal:
        return cst.Nonlocal(names=updated_node.names)


def instantiate(
    t: Template,
    statements: list[int],
    replace: Mapping[int, cst.BaseExpression],
    rename: Mapping[str, str],
    *,
    kwargs: Mapping[int, list[tuple[str, cst.BaseExpression]]] | None = None,
    in_function: bool = False,
) -> list[cst.BaseStatement]:
    """The chosen statements with literals replaced (by node id) and module-level names renamed."""
    names: dict[int, str] = {}
    for old, new in rename.items():
        if new == old:
            continue
        for node in t.refs.get(old, []):
            names[id(node)] = new
    tr = _Replace(replace, names, kwargs or {})
    out = []
    for i in sorted(statements):
        stmt = t.module.body[i].visit(tr)
        if in_function:
            assert isinstance(stmt, cst.BaseStatement)
            stmt = stmt.visit(_NonlocalGlobals())
        assert isinstance(stmt, cst.BaseStatement)
        out.append(stmt)
    return list(out)


def add_kwargs(call: cst.Call, kwargs: list[tuple[str, cst.BaseExpression]]) -> cst.Call:
    args = list(call.args)
    if args and args[-1].comma is cst.MaybeSentinel.DEFAULT:
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    for i, (k, v) in enumerate(kwargs):
        comma = (
            cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")) if i < len(kwargs) - 1 else cst.MaybeSentinel.DEFAULT
        )
        args.append(
            cst.Arg(
                value=v,
                keyword=cst.Name(k),
                equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
                ),
                comma=comma,
            )
        )
    return call.with_changes(args=args)


def value_missing(v: Any) -> bool:
    return v is MISSING


__all__ = ["Occurrence", "Template", "add_kwargs", "code_of", "instantiate"]
