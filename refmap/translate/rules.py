"""Rewrite rules, derived at run time from the loaded knowledge base and its verification results.

A counterpart becomes a rule when
- it has a recipe, at least one check runs that recipe, and every such check passed in this build;
- the recipe's torch side only constructs objects: one `torch.optim` optimizer bound to `opt` and
  built on `params`, and any `torch.optim.lr_scheduler` schedulers driving it (optionally inside a
  `step(grads)` that does what the verifier does anyway: set the gradients, step, step the schedule);
- its MindSpore side binds the same names in one of the three targets (`experimental`, `nn`, `mint`)
  and its checks run in MindSpore's default (PyNative) mode, as a translated script does.

Which torch arguments a rule can carry to other values is decided by *evidence flows*: a passing,
argument-sensitive `equal` check of the KB in which a torch argument and a MindSpore parameter hold
the same literal (and no other literal of either snippet does), with no passing check holding them
at different values. Everything else in a recipe stays at the recipe's value.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import libcst as cst

from ..load import KB_ROOT, CheckSpec, LoadedEntry, load_kb
from ..schema import Counterpart, Entry, as_statement
from ..verify import CheckResult, Settings, Verification, VerificationFailed, verify_entries
from . import snippets as snip
from .constructions import IGNORED, STRUCTURAL, Collector, Construction
from .signatures import ordered_signatures
from .template import Occurrence, Template
from .values import MISSING, default_value, dotted, literal, resolve, same_value

TARGETS = ("experimental", "nn", "mint")
STATUS_RANK = {"equivalent": 3, "equivalent_with_recipe": 2, "differs": 1, "no_counterpart": 0}
BASE_URL = os.environ.get("REFMAP_BASEURL", "https://refmap.github.io/").rstrip("/") + "/"
ANY_OPTIMIZER = "torch.optim.<optimizer>"  # flows of an optimizer's `lr` into a schedule hold for any optimizer


def page_url(entry_id: str) -> str:
    return f"{BASE_URL}reference/{entry_id}.html"


def target_of(api: str | None) -> str | None:
    if not api:
        return None
    for prefix, target in (("mindspore.experimental.", "experimental"), ("mindspore.mint.", "mint")):
        if api.startswith(prefix):
            return target
    return "nn" if api.startswith("mindspore.nn.") else None


def base_label(label: str) -> str:
    return label.split("[", 1)[0]


Key = tuple[str, str]  # (construction name, argument label)


# ---------------- literals of snippets ----------------
def _leaf_values(label: str, value: Any) -> Iterable[tuple[str, Any]]:
    """An argument's value as the leaves the rules work with: tuple elements one by one, lists whole."""
    if isinstance(value, tuple):
        for i, v in enumerate(value):
            if isinstance(v, tuple | list):
                return
            yield f"{label}[{i}]", v
    elif value is not None and value is not MISSING:
        yield label, value


def _torch_aliases(module: cst.Module) -> dict[str, str]:
    out = {"torch": "torch"}
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for s in stmt.body:
                if isinstance(s, cst.Assign) and len(s.targets) == 1 and isinstance(s.targets[0].target, cst.Name):
                    name = dotted(s.value)
                    if name and name.split(".")[0] in out:
                        out[s.targets[0].target.value] = resolve(name, out) or name
    return out


@dataclass
class _Lit:
    api: str
    label: str
    value: Any
    positional: int | None
    shape: str = "plain"  # "groups" when the call's first argument is a list of parameter-group dicts


def _snippet_literals(
    tree: ast.Module, root: str, sigs: Mapping[str, Mapping[str, str]]
) -> tuple[list[_Lit], dict[str, int]]:
    out: list[_Lit] = []
    counts: dict[str, int] = {}
    for api, call in snip.calls(tree, root + ".", snip.aliases(tree, root)):
        counts[api] = counts.get(api, 0) + 1
        try:
            bound = snip.bind(call, sigs.get(api))
        except ValueError:
            continue
        shape = "groups" if call.args and snip.dict_keys(call.args[0]) is not None else "plain"
        for label, (node, positional) in bound.items():
            if label in STRUCTURAL or label in IGNORED:
                continue
            value = snip.value(node)
            if value is MISSING:
                continue
            for leaf, v in _leaf_values(label, value):
                out.append(_Lit(api, leaf, v, positional, shape))
    return out, counts


# ---------------- evidence flows ----------------
@dataclass
class Evidence:
    flows: dict[Key, set[Key]] = field(default_factory=dict)  # (torch api, label) -> {(ms api, param)}
    sources: dict[tuple[Key, Key], str] = field(default_factory=dict)  # a check that shows the flow
    # how the MindSpore optimizer got its parameters in the checks that show a flow: "plain" or
    # "groups" (nn optimizers skip weight decay on gamma/beta parameters only when not grouped)
    shapes: dict[tuple[Key, Key], set[str]] = field(default_factory=dict)

    def targets(self, torch_api: str, label: str, role: str | None = None, shape: str | None = None) -> set[Key]:
        keys = [(torch_api, label)] + ([(ANY_OPTIMIZER, "lr")] if role == "optimizer" and label == "lr" else [])
        out: set[Key] = set()
        for k in keys:
            for m in self.flows.get(k, set()):
                if shape is None or shape in self.shapes.get((k, m), set()):
                    out.add(m)
        return out


def _sensitive(result: CheckResult, api: str, label: str, positional: int | None, whole_list: bool) -> bool:
    short = api.rsplit(".", 1)[-1]
    names = {label, f"{short}.{label}"}
    if positional is not None and "[" not in label:
        names |= {f"argument {positional + 1}", f"{short}.argument {positional + 1}"}
    for s in result.sensitivity:
        arg = s.arg
        if whole_list:
            arg = arg.split("[", 1)[0] if arg.endswith("]") else arg
        if arg in names and s.note.startswith("sensitive"):
            return True
    return False


def _param_tables(entries: list[LoadedEntry]) -> dict[tuple[str, str], list[tuple[str | None, str | None]]]:
    out: dict[tuple[str, str], list[tuple[str | None, str | None]]] = {}
    for le in entries:
        e = le.entry
        if not e.torch_api:
            continue
        for cp in e.counterparts:
            if cp.api and cp.params:
                out.setdefault((e.torch_api, cp.api), []).extend((r.torch, r.mindspore) for r in cp.params)
    return out


def _table_allows(tables: Mapping[tuple[str, str], list[tuple[str | None, str | None]]], t: Key, m: Key) -> bool:
    rows = tables.get((t[0], m[0]))
    if not rows:
        return True
    tb, mb = base_label(t[1]), base_label(m[1]).lstrip("*")
    named = [ms for tn, ms in rows if tn == tb]
    if not named:
        return True
    allowed = set(named) | {ms for tn, ms in rows if tn is None}
    return mb in allowed


@dataclass
class _Parsed:
    entry_id: str
    spec: CheckSpec
    result: CheckResult
    torch: ast.Module
    mindspore: ast.Module


def _parse_checks(entries: list[LoadedEntry], results: Mapping[str, Mapping[str, CheckResult]]) -> list[_Parsed]:
    """Every passing `equal` check with code of its own (recipes included), parsed once."""
    out = []
    for le in entries:
        for spec in le.checks:
            r = results.get(le.entry.id, {}).get(spec.name)
            if r is None or not r.passed or spec.expect.equal is None or spec.code is None:
                continue
            t, m = snip.parse(spec.code.torch), snip.parse(spec.code.mindspore)
            if t is not None and m is not None:
                out.append(_Parsed(le.entry.id, spec, r, t, m))
    return out


def apis_named(entries: list[LoadedEntry], parsed: list[_Parsed]) -> set[str]:
    """Every torch and MindSpore API the KB's entries name or its checks call."""
    out: set[str] = set()
    for le in entries:
        e = le.entry
        out |= {a for a in [e.torch_api, *e.involves] if a}
        for cp in e.counterparts:
            if cp.api:
                out.add(cp.api)
            if cp.recipe:
                for code, root in ((cp.recipe.torch, "torch"), (cp.recipe.mindspore, "mindspore")):
                    tree = snip.parse(code)
                    if tree is not None:
                        out |= {api for api, _ in snip.calls(tree, root + ".", snip.aliases(tree, root))}
    for p in parsed:
        out |= {api for api, _ in snip.calls(p.torch, "torch.", snip.aliases(p.torch, "torch"))}
        out |= {api for api, _ in snip.calls(p.mindspore, "mindspore.", snip.aliases(p.mindspore, "mindspore"))}
    return out


def collect_evidence(
    entries: list[LoadedEntry], parsed: list[_Parsed], sigs: Mapping[str, Mapping[str, str]]
) -> Evidence:
    ev = Evidence()
    tables = _param_tables(entries)
    seen: list[tuple[list[_Lit], list[_Lit], dict[str, int], dict[str, int]]] = []
    for p in parsed:
        tl, tcounts = _snippet_literals(p.torch, "torch", sigs)
        ml, mcounts = _snippet_literals(p.mindspore, "mindspore", sigs)
        seen.append((tl, ml, tcounts, mcounts))
        for lit in tl:
            if sum(same_value(lit.value, o.value) for o in tl) != 1:
                continue  # the value is not unique on the torch side: no telling which it is
            matches = [m for m in ml if same_value(lit.value, m.value)]
            if len(matches) != 1:
                continue
            whole = isinstance(lit.value, list)
            if not _sensitive(p.result, lit.api, lit.label, lit.positional, whole):
                continue
            t_key, m_key = (lit.api, lit.label), (matches[0].api, matches[0].label)
            if not _table_allows(tables, t_key, m_key):
                continue
            keys = [t_key]
            if lit.label == "lr" and lit.api.count(".") == 2:  # an optimizer's lr
                keys.append((ANY_OPTIMIZER, "lr"))
            for k in keys:
                ev.flows.setdefault(k, set()).add(m_key)
                ev.sources.setdefault((k, m_key), f"{p.entry_id}/{p.spec.name}")
                ev.shapes.setdefault((k, m_key), set()).add(matches[0].shape)
    # A passing check that holds the two at different values contradicts the flow.
    for tl, ml, tcounts, mcounts in seen:
        tvals = {(lit.api, lit.label): lit.value for lit in tl if tcounts.get(lit.api) == 1}
        mvals = {(lit.api, lit.label): lit.value for lit in ml if mcounts.get(lit.api) == 1}
        for t_key, targets in list(ev.flows.items()):
            if t_key[0] == ANY_OPTIMIZER or tcounts.get(t_key[0]) != 1 or t_key not in tvals:
                continue
            for m_key in list(targets):
                if mcounts.get(m_key[0]) == 1 and m_key in mvals and not same_value(tvals[t_key], mvals[m_key]):
                    targets.discard(m_key)
    ev.flows = {k: v for k, v in ev.flows.items() if v}
    return ev


# ---------------- rules ----------------
@dataclass
class Hole:
    direct: list[Occurrence] = field(default_factory=list)  # literals the user's value replaces
    pinned: list[Occurrence] = field(default_factory=list)  # literals that keep the rule at the recipe's value


@dataclass
class Rule:
    entry: Entry
    cp_index: int
    cp: Counterpart
    target: str
    constructions: dict[str, Construction]  # the recipe's torch constructions, by recipe name
    template: Template
    values: dict[Key, Any]  # the recipe's value of every argument leaf (given or default)
    holes: dict[Key, Hole]
    checks: list[CheckSpec]  # the checks that run the recipe (all passed)
    results: list[CheckResult]
    evidence: Evidence
    signatures: Mapping[str, Mapping[str, str]]
    group_keys: set[str] = field(default_factory=set)  # parameter-group keys a passing check passes
    entry_checks: list[tuple[CheckSpec, CheckResult]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.entry.id}/{self.cp.api}" + (f" ({self.cp.label})" if self.cp.label else "")

    @property
    def url(self) -> str:
        return page_url(self.entry.id)

    @property
    def rank(self) -> float:
        return STATUS_RANK[self.cp.status] - (0.5 if self.cp.trap else 0.0)

    @cached_property
    def optimizer(self) -> Construction:
        return next(c for c in self.constructions.values() if c.role == "optimizer")

    @cached_property
    def schedulers(self) -> list[Construction]:
        return [c for c in self.constructions.values() if c.role == "scheduler"]

    @cached_property
    def top_schedulers(self) -> list[Construction]:
        return [c for c in self.schedulers if c.parent is None and not self._is_named_child(c.name)]

    def _is_named_child(self, name: str) -> bool:
        return any(name in c.children for c in self.constructions.values())

    @cached_property
    def step_fn(self) -> cst.FunctionDef | None:
        return self.template.functions().get("step")

    @cached_property
    def stepped_in_step_fn(self) -> set[str]:
        return self.template.stepped_in(self.step_fn) if self.step_fn is not None else set()

    @cached_property
    def objects(self) -> set[str]:
        """Recipe scheduler names the MindSpore side binds too (real scheduler objects)."""
        return {c.name for c in self.schedulers if c.name in self.template.binders}

    @cached_property
    def check(self) -> CheckSpec:
        """The recipe check the tests and `compare` hold translations to: the shortest one."""
        return min(self.checks, key=lambda s: (s.inputs.steps, s.index))

    @property
    def tolerance(self) -> tuple[float, float] | None:
        """(rtol, atol) for parameter trajectories: the recipe check's when it measures them; for a
        schedule recipe (its check compares learning rates), the tightest passing trajectory check of
        the counterpart, else of the entry; None when the KB has none."""
        eq = self.check.expect.equal
        if self.check.measure == "trajectory" and eq is not None:
            return eq.rtol, eq.atol
        for same_cp in (True, False):
            tols = [
                (s.expect.equal.rtol, s.expect.equal.atol)
                for s, r in self.entry_checks
                if s.expect.equal is not None
                and s.measure == "trajectory"
                and r.passed
                and (s.cp_index == self.cp_index or not same_cp)
            ]
            if tols:
                return min(tols, key=lambda t: (t[1], t[0]))
        return None

    def arg_api(self, key: Key) -> str:
        return self.constructions[key[0]].api


@dataclass
class Rejected:
    entry_id: str
    api: str | None
    label: str | None
    reason: str

    @property
    def id(self) -> str:
        return f"{self.entry_id}/{self.api}" + (f" ({self.label})" if self.label else "")


@dataclass
class Rulebook:
    rules: list[Rule]
    rejected: list[Rejected]
    entries: list[LoadedEntry]
    verification: Verification
    evidence: Evidence
    signatures: dict[str, dict[str, str]]

    def entry(self, entry_id: str) -> LoadedEntry | None:
        return next((le for le in self.entries if le.entry.id == entry_id), None)

    def entries_for(self, torch_api: str) -> list[Entry]:
        return [le.entry for le in self.entries if le.entry.torch_api == torch_api or torch_api in le.entry.involves]

    def concept_recipe_ok(self, entry_id: str, api: str) -> bool:
        """A concept counterpart whose recipe checks all passed (zero_grad, get_lr)."""
        le = self.entry(entry_id)
        if le is None:
            return False
        res = {c.check: c for c in self.verification.entries[entry_id].checks}
        for i, cp in enumerate(le.entry.counterparts):
            if cp.api == api and cp.recipe is not None:
                runs = [s for s in le.checks if s.cp_index == i and s.check.runs == "recipe"]
                return bool(runs) and all(res[s.name].passed for s in runs if s.name in res)
        return False


def _canonical_step(fn: cst.FunctionDef, optimizer: str, schedulers: set[str]) -> bool:
    """A torch `step(grads)` that only does what the verifier's default step does: set every
    gradient, step the optimizer, step the schedulers."""
    body = [s for s in fn.body.body if isinstance(s, cst.BaseStatement)]
    if not body or not _is_grad_loop(body[0]):
        return False
    rest = [_called_step(s) for s in body[1:]]
    return rest[:1] == [optimizer] and all(r in schedulers for r in rest[1:])


def _is_grad_loop(stmt: cst.BaseStatement) -> bool:
    if not isinstance(stmt, cst.For) or cst.Module(body=[]).code_for_node(stmt.iter) != "zip(params, grads)":
        return False
    if not (isinstance(stmt.target, cst.Tuple) and [dotted(e.value) for e in stmt.target.elements] == ["p", "g"]):
        return False
    inner = stmt.body.body if isinstance(stmt.body, cst.IndentedBlock) else []
    if len(inner) != 1 or not isinstance(inner[0], cst.SimpleStatementLine) or len(inner[0].body) != 1:
        return False
    a = inner[0].body[0]
    return (
        isinstance(a, cst.Assign)
        and len(a.targets) == 1
        and dotted(a.targets[0].target) == "p.grad"
        and dotted(a.value) == "g"
    )


def _called_step(stmt: cst.BaseStatement) -> str | None:
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Expr):
        call = stmt.body[0].value
        if isinstance(call, cst.Call) and not call.args and isinstance(call.func, cst.Attribute):
            if call.func.attr.value == "step" and isinstance(call.func.value, cst.Name):
                return call.func.value.value
    return None


def _torch_side(code: str, sigs: Mapping[str, Mapping[str, str]]) -> tuple[dict[str, Construction], str | None]:
    module = cst.parse_module(code)
    aliases = _torch_aliases(module)
    col = Collector(lambda node: resolve(dotted(node), aliases), sigs)
    step_fns = []
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "step":
            step_fns.append(stmt)
            continue
        if col.statement(stmt) is None:
            first = cst.Module(body=[stmt]).code.strip().splitlines()[0]
            return {}, f"its torch side does more than construct an optimizer and schedulers (`{first[:60]}`)"
    if col.problems:
        return {}, col.problems[0]
    found = col.found
    opts = [c for c in found.values() if c.role == "optimizer"]
    if len(opts) != 1 or opts[0].name != "opt":
        return {}, "its torch side does not build exactly one optimizer named `opt`"
    params = opts[0].args.get("params")
    if params is None or not (isinstance(params.node, cst.Name) and params.node.value == "params"):
        return {}, "its torch optimizer is not built on `params`"
    for c in found.values():
        if c.role == "scheduler" and c.optimizer not in (None, "opt"):
            return {}, f"scheduler `{c.name}` does not drive `opt`"
    for fn in step_fns:
        if not _canonical_step(fn, "opt", {c.name for c in found.values() if c.role == "scheduler"}):
            return {}, "its torch `step(grads)` does more than set the gradients and step (clipping, scaling, ...)"
    return found, None


def _recipe_values(cons: Mapping[str, Construction], sigs: Mapping[str, Mapping[str, str]]) -> dict[Key, Any]:
    out: dict[Key, Any] = {}
    for c in cons.values():
        sig = sigs.get(c.api, {})
        names = [n for n in sig if not n.startswith("*")] or list(c.args)
        for name in names:
            if name in STRUCTURAL or name in IGNORED:
                continue
            if name in c.args:
                value = literal(c.args[name].node)
            else:
                value = default_value(sig.get(name, ""))
            if value is MISSING:
                out[(c.name, name)] = MISSING
                continue
            leaves = list(_leaf_values(name, value))
            if not leaves:
                out[(c.name, name)] = value
            for leaf, v in leaves:
                out[(c.name, leaf)] = v
    return out


def _holes(t: Template, cons: Mapping[str, Construction], values: Mapping[Key, Any], ev: Evidence) -> dict[Key, Hole]:
    holes: dict[Key, Hole] = {k: Hole() for k in values}
    for occ in t.occurrences:
        if occ.value is MISSING or occ.value is None:
            continue
        cands = [k for k, v in values.items() if same_value(v, occ.value)]
        if not cands:
            continue
        assigned = []
        if occ.api and occ.param:
            for k in cands:
                c = cons[k[0]]
                if (occ.api, occ.param) in ev.targets(c.api, k[1], c.role, occ.shape):
                    assigned.append(k)
        if len(assigned) == 1:
            holes[assigned[0]].direct.append(occ)
        else:
            for k in cands:
                holes[k].pinned.append(occ)
    return holes


def derive(
    entries: list[LoadedEntry], verification: Verification
) -> tuple[list[Rule], list[Rejected], Evidence, dict[str, dict[str, str]]]:
    stored: dict[str, dict[str, str]] = {}
    for res in verification.entries.values():
        stored.update(res.signatures)
    results = {eid: {c.check: c for c in res.checks} for eid, res in verification.entries.items()}
    parsed = _parse_checks(entries, results)
    sigs = ordered_signatures(apis_named(entries, parsed), fallback=stored)
    ev = collect_evidence(entries, parsed, sigs)
    rules: list[Rule] = []
    rejected: list[Rejected] = []
    for le in entries:
        e = le.entry
        if e.kind == "concept":
            continue
        for i, cp in enumerate(e.counterparts):
            if cp.recipe is None or cp.api is None:
                continue

            def reject(reason: str, cp: Counterpart = cp, eid: str = e.id) -> None:
                rejected.append(Rejected(eid, cp.api, cp.label, reason))

            specs = [s for s in le.checks if s.cp_index == i and s.check.runs == "recipe"]
            got = [results.get(e.id, {}).get(s.name) for s in specs]
            if not specs:
                reject("no check runs its recipe")
                continue
            if not all(r is not None and r.passed for r in got):
                failed = ", ".join(s.name for s, r in zip(specs, got, strict=True) if r is None or not r.passed)
                reject(f"its recipe check did not pass in this build ({failed})")
                continue
            if any(s.expect.equal is None for s in specs):
                reject("its recipe check does not expect equality")
                continue
            if any(s.mode != "pynative" for s in specs):
                reject("its recipe is verified in graph mode only; a translated script runs in PyNative mode")
                continue
            try:
                cons, why = _torch_side(cp.recipe.torch, sigs)
            except cst.ParserSyntaxError:
                cons, why = {}, "its torch side does not parse"
            if why:
                reject(why)
                continue
            try:
                t = Template.parse(cp.recipe.mindspore, sigs)
            except cst.ParserSyntaxError:
                reject("its MindSpore side does not parse")
                continue
            opt_call = t.call_bound_to("opt")
            target = target_of(opt_call[0] if opt_call else cp.api)
            if target is None:
                reject("its MindSpore side is not an experimental, nn or mint optimizer")
                continue
            if opt_call is None and "opt" in t.binders:
                reject("its MindSpore side builds `opt` in a way the translator cannot reproduce")
                continue
            if opt_call is None and t.lr_object is None and not any(c.name in t.binders for c in cons.values()):
                reject("its MindSpore side binds neither an optimizer, a scheduler nor a learning-rate list")
                continue
            values = _recipe_values(cons, sigs)
            opaque = [
                f"`{label}`"
                for c in cons.values()
                for label, a in c.args.items()
                if label not in STRUCTURAL and label not in IGNORED and literal(a.node) is MISSING
            ]
            if opaque:
                reject(
                    f"its torch side passes {', '.join(opaque)} as code (a function or an expression the "
                    "translator cannot compare with a user's)"
                )
                continue
            rules.append(
                Rule(
                    entry=e,
                    cp_index=i,
                    cp=cp,
                    target=target,
                    constructions=cons,
                    template=t,
                    values=values,
                    holes=_holes(t, cons, values, ev),
                    checks=specs,
                    results=[r for r in got if r is not None],
                    evidence=ev,
                    signatures=sigs,
                    group_keys=_group_keys(parsed, e.id, i, cons["opt"].api),
                    entry_checks=[(sp, results[e.id][sp.name]) for sp in le.checks if sp.name in results.get(e.id, {})],
                )
            )
    return rules, rejected, ev, sigs


def _group_keys(parsed: list[_Parsed], entry_id: str, cp_index: int, torch_api: str) -> set[str]:
    """Group keys shown to work: a passing `equal` check of this counterpart passes a list of group
    dicts to the torch optimizer and to the MindSpore one."""
    out: set[str] = set()
    for p in parsed:
        if p.entry_id != entry_id or p.spec.cp_index != cp_index:
            continue
        t_calls = snip.calls(p.torch, "torch.", snip.aliases(p.torch, "torch"))
        t_keys = [snip.dict_keys(c.args[0]) for api, c in t_calls if api == torch_api and c.args]
        m_calls = snip.calls(p.mindspore, "mindspore.", snip.aliases(p.mindspore, "mindspore"))
        m_keys = [snip.dict_keys(c.args[0]) for _, c in m_calls if c.args]
        if any(m_keys):
            for k in t_keys:
                out |= k or set()
    return out


def differences(rule: Rule) -> list[str]:
    return [as_statement(d).text for d in rule.cp.differences]


_CACHE: dict[tuple[str, str], Rulebook] = {}


def _kb_stamp(root: Path) -> str:
    """Changes whenever an entry file does (the rules are rebuilt then)."""
    parts = []
    for path in sorted(Path(root).rglob("*.y*ml")):
        try:
            st = path.stat()
        except OSError:
            continue
        parts.append(f"{path}:{st.st_mtime_ns}:{st.st_size}")
    return "\n".join(parts)


def load_rulebook(root: Path = KB_ROOT, verification: Verification | None = None) -> Rulebook:
    """Load the KB, verify it (cached measurements make this fast) and derive the rules. Kept for
    the life of the process while no entry file changes."""
    key = (str(Path(root).resolve()), _kb_stamp(root))
    if verification is None and key in _CACHE:
        return _CACHE[key]
    book = _load_rulebook(root, verification)
    if verification is None:
        _CACHE.clear()
        _CACHE[key] = book
    return book


def _load_rulebook(root: Path, verification: Verification | None) -> Rulebook:
    entries = load_kb(root)
    if verification is None:
        try:
            verification = verify_entries(entries, Settings(), whole_kb=True)
        except VerificationFailed as exc:
            # Statements without proof fail the build, but each check's own result is what a rule needs.
            if exc.verification is None:
                raise
            verification = exc.verification
    rules, rejected, ev, sigs = derive(entries, verification)
    return Rulebook(rules, rejected, entries, verification, ev, sigs)
