"""Match one optimizer and the schedulers that drive it to rules, and fill the rules' templates.

Two ways to translate a group:
- *exact*: one rule whose recipe builds the same optimizer and schedulers (a setup, or a schedule
  entry whose recipe uses the same optimizer);
- *composed*: the optimizer's own rule plus, for each scheduler, the part of a schedule rule that
  builds that scheduler (experimental target: the scheduler object; nn target: the learning-rate
  list or cell the nn optimizer takes instead of its fixed rate). A part is only taken from a
  recipe whose optimizer line is a plain translation of torch's, so dropping that line loses
  nothing; mint optimizers ignore experimental schedulers, so mint is never composed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from .constructions import IGNORED, STRUCTURAL, Construction
from .rules import Key, Rule, Rulebook, base_label
from .template import Occurrence, Template, call_shape, instantiate
from .values import MISSING, default_value, fmt_value, literal, parse_expr, same_value

LR_PARAMS = ("learning_rate", "lr")


@dataclass
class Leaf:
    value: Any  # the effective value (MISSING: not known statically)
    expr: cst.BaseExpression | None  # the user's expression; None: the torch default
    explicit: bool


@dataclass
class Group:
    """A user's optimizer and every scheduler that drives it."""

    optimizer: Construction
    schedulers: list[Construction]
    leaves: dict[Key, Leaf]
    unknown_args: list[str] = field(default_factory=list)

    @property
    def constructions(self) -> dict[str, Construction]:
        return {self.optimizer.name: self.optimizer, **{c.name: c for c in self.schedulers}}

    def children_of(self) -> set[str]:
        return {ch for c in self.schedulers for ch in c.children}

    @property
    def tops(self) -> list[Construction]:
        kids = self.children_of()
        return [c for c in self.schedulers if c.name not in kids]


def leaves_of(
    c: Construction, signature: Mapping[str, str], constants: Mapping[str, Any]
) -> tuple[dict[Key, Leaf], list[str]]:
    out: dict[Key, Leaf] = {}
    unknown = [a for a in c.args if a not in signature and a not in STRUCTURAL and a not in IGNORED]
    for name in [n for n in signature if not n.startswith("*")] or list(c.args):
        if name in STRUCTURAL or name in IGNORED:
            continue
        default = default_value(signature.get(name, ""))
        if name in c.args:
            node = c.args[name].node
            value = literal(node, constants)
            tuple_shaped = isinstance(value, tuple) or isinstance(default, tuple) or isinstance(node, cst.Tuple)
            if tuple_shaped and not isinstance(value, list):
                n = len(value) if isinstance(value, tuple) else len(default) if isinstance(default, tuple) else None
                if isinstance(node, cst.Tuple):
                    n = len(node.elements)
                if n is None:
                    out[(c.name, name)] = Leaf(value, node, True)
                    continue
                for i in range(n):
                    if isinstance(node, cst.Tuple):
                        el: cst.BaseExpression = node.elements[i].value
                    else:
                        el = cst.Subscript(
                            value=node, slice=[cst.SubscriptElement(slice=cst.Index(value=cst.Integer(str(i))))]
                        )
                    ev = value[i] if isinstance(value, tuple) and i < len(value) else literal(el, constants)
                    out[(c.name, f"{name}[{i}]")] = Leaf(ev, el, True)
            else:
                out[(c.name, name)] = Leaf(value, node, True)
        else:
            if isinstance(default, tuple):
                for i, v in enumerate(default):
                    out[(c.name, f"{name}[{i}]")] = Leaf(v, None, False)
            else:
                out[(c.name, name)] = Leaf(default, None, False)
    return out, unknown


# ---------------- filling a template ----------------
class Refused(Exception):
    """This rule cannot translate this code; the message says why (shown in the output comment)."""


@dataclass
class Filled:
    replace: dict[int, cst.BaseExpression] = field(default_factory=dict)
    kwargs: dict[int, list[tuple[str, cst.BaseExpression]]] = field(default_factory=dict)
    used: list[Key] = field(default_factory=list)  # recipe keys whose values the user changed


ExprFn = Callable[[cst.BaseExpression], cst.BaseExpression]


def _replacement(occ: Occurrence, leaf: Leaf, translate_expr: ExprFn) -> cst.BaseExpression:
    if leaf.expr is None:
        return parse_expr(fmt_value(leaf.value, like_float=occ.is_float))
    expr = translate_expr(leaf.expr)
    if occ.is_float and isinstance(leaf.value, int) and not isinstance(leaf.value, bool):
        if isinstance(expr, cst.Integer):
            return cst.Float(repr(float(leaf.value)))
        return cst.Call(func=cst.Name("float"), args=[cst.Arg(expr)])
    return expr


def _plain_literal(expr: cst.BaseExpression | None) -> bool:
    return expr is None or isinstance(expr, cst.Integer | cst.Float | cst.SimpleString | cst.UnaryOperation)


def fill(
    rule: Rule,
    keys: Mapping[Key, Leaf],
    stmts: set[int],
    translate_expr: ExprFn,
    exclude: set[int] | None = None,
) -> Filled:
    """Replacements that carry the user's values into the template, or Refused."""
    t = rule.template
    out = Filled()
    exclude = exclude or set()

    def inside(o: Occurrence) -> bool:
        return t.owner.get(id(o.node)) in stmts and id(o.node) not in exclude

    for k, leaf in keys.items():
        if k not in rule.values:
            raise Refused(f"`{k[1]}` is not an argument the recipe knows")
        rv = rule.values[k]
        hole = rule.holes.get(k)
        direct = [o for o in (hole.direct if hole else []) if inside(o)]
        pinned = [o for o in (hole.pinned if hole else []) if inside(o)]
        if same_value(leaf.value, rv):
            if leaf.explicit and not _plain_literal(leaf.expr):
                for o in direct:  # keep the user's names (`lr=LR`) where the value flows straight through
                    out.replace[id(o.node)] = _replacement(o, leaf, translate_expr)
            continue
        shown = fmt_value(rv) if rv is not MISSING else "its own value"
        given = fmt_value(leaf.value) if leaf.value is not MISSING else "a value known only at run time"
        if direct and not pinned:
            for o in direct:
                out.replace[id(o.node)] = _replacement(o, leaf, translate_expr)
            out.used.append(k)
            continue
        if not direct and not pinned and (leaf.value is not MISSING or leaf.expr is not None):
            ext = _extension(rule, k, leaf, translate_expr, keys)
            if ext is not None:
                call_id, kw = ext
                out.kwargs.setdefault(call_id, []).append(kw)
                out.used.append(k)
                continue
        raise Refused(
            f"`{k[1]}` is {given}; the recipe is proven for {shown} and nothing in the KB shows how "
            f"another value carries over"
        )
    # merge tuple-element extensions into one keyword (betas=(b1, b2))
    for call_id, kws in out.kwargs.items():
        merged: dict[str, cst.BaseExpression] = {}
        for name, expr in kws:
            merged[name] = expr
        out.kwargs[call_id] = list(merged.items())
    return out


def _extension(
    rule: Rule, k: Key, leaf: Leaf, translate_expr: ExprFn, keys: Mapping[Key, Leaf]
) -> tuple[int, tuple[str, cst.BaseExpression]] | None:
    """Pass an argument the recipe leaves at its default to the MindSpore call, where the KB's
    checks show that parameter takes torch's value unchanged (plain recipes only)."""
    t = rule.template
    if t.has_defs():
        return None
    bound = t.call_bound_to(k[0])
    if bound is None:
        return None
    api, call = bound
    c = rule.constructions[k[0]]
    shape = call_shape(call)
    targets = {m for (mapi, m) in rule.evidence.targets(c.api, k[1], c.role, shape) if mapi == api}
    if len(targets) != 1:
        return None
    (m,) = targets
    present = {a.keyword.value for a in call.args if a.keyword is not None}
    if base_label(m) in present or any(a.keyword is None for a in call.args[1:]):
        return None
    if "[" in m:  # an element of a tuple parameter: pass the user's whole tuple
        if "[" not in k[1] or m.split("[", 1)[1] != k[1].split("[", 1)[1]:
            return None
        whole = base_label(k[1])
        elems = sorted(
            (
                (int(lab.split("[", 1)[1][:-1]), lf)
                for (cn, lab), lf in keys.items()
                if cn == k[0] and base_label(lab) == whole and "[" in lab
            ),
            key=lambda x: x[0],
        )
        parts = [translate_expr(lf.expr) if lf.expr is not None else parse_expr(fmt_value(lf.value)) for _, lf in elems]
        tup = cst.Tuple(
            [
                cst.Element(
                    p,
                    comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                    if i < len(parts) - 1
                    else cst.MaybeSentinel.DEFAULT,
                )
                for i, p in enumerate(parts)
            ]
        )
        return id(call), (base_label(m), tup)
    expr = translate_expr(leaf.expr) if leaf.expr is not None else parse_expr(fmt_value(leaf.value))
    return id(call), (m, expr)


# ---------------- names ----------------
class Namer:
    """Fresh names for a template's own variables: its name when free, else prefixed."""

    def __init__(self, taken: Iterable[str]) -> None:
        self.taken = set(taken)

    def __call__(self, want: str, prefix: str) -> str:
        for cand in (want, f"{prefix}_{want}", *(f"{prefix}_{want}{i}" for i in range(2, 100))):
            if cand not in self.taken:
                self.taken.add(cand)
                return cand
        raise RuntimeError("no free name")


def _render(
    rule: Rule,
    stmts: set[int],
    filled: Filled,
    names: Mapping[str, str],
    params: cst.BaseExpression,
    namer: Namer,
    prefix: str,
    in_function: bool,
    extra_replace: Mapping[int, cst.BaseExpression] | None = None,
) -> tuple[list[cst.BaseStatement], dict[str, str]]:
    """Instantiate the chosen statements: interface names -> the user's, own names -> fresh ones."""
    t = rule.template
    rename: dict[str, str] = {}
    replace = dict(filled.replace)
    replace.update(extra_replace or {})
    pre: list[cst.BaseStatement] = []
    own = {n for i in stmts for n in t.binders if i in t.binders[n]}
    for n in sorted(own):
        if n in names:
            rename[n] = names[n]
        elif n == "step":
            rename[n] = namer(f"{prefix}_step", prefix)
        else:
            rename[n] = namer(n, prefix)
    for n, user in names.items():
        rename.setdefault(n, user)
    rename = {k: v for k, v in rename.items() if "[" not in k and "[" not in v}
    param_refs = [node for node in t.refs.get("params", []) if t.owner.get(id(node)) in stmts]
    if isinstance(params, cst.Name):
        rename["params"] = params.value
    elif len(param_refs) == 1:
        replace[id(param_refs[0])] = params
    elif param_refs:
        var = namer(f"{prefix}_params", prefix)
        rename["params"] = var
        pre.append(cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(var))], params)]))
    body = instantiate(t, sorted(stmts), replace, rename, kwargs=filled.kwargs, in_function=in_function)
    return pre + body, rename


# ---------------- plans ----------------
@dataclass
class Plan:
    target: str
    rules: list[Rule]
    exact: bool
    statements: dict[str, list[cst.BaseStatement]]  # user construction name -> what replaces its statement
    inline: dict[str, cst.BaseExpression]  # inline user scheduler -> its MindSpore expression
    update: str  # what `opt.step()` calls with the gradient tuple
    stepped_inside: set[str]  # user schedulers the update function steps itself
    objects: set[str]  # user schedulers that stay objects with .step()
    used: dict[str, list[Key]]  # rule id -> the recipe arguments that took the user's values
    lr_object: str | None = None

    @property
    def score(self) -> tuple[float, float, int]:
        ranks = [r.rank for r in self.rules]
        return (min(ranks), sum(ranks) / len(ranks), int(self.exact))

    def removed_schedulers(self, group: Group) -> set[str]:
        """Top-level schedulers with no MindSpore object (their schedule is built in); children
        belong to their composite."""
        return {c.name for c in group.tops if c.name not in self.objects}


def _structure(rule: Rule, group: Group) -> dict[str, str] | None:
    """recipe name -> user name when the recipe builds the same optimizer and schedulers."""
    if rule.optimizer.api != group.optimizer.api:
        return None
    mapping = {rule.optimizer.name: group.optimizer.name}
    rtops, utops = rule.top_schedulers, group.tops
    if len(rtops) != len(utops):
        return None
    ucons = group.constructions

    def pair(r: Construction, u: Construction) -> bool:
        if r.api != u.api or r.inline != u.inline or len(r.children) != len(u.children):
            return False
        mapping[r.name] = u.name
        return all(pair(rule.constructions[rc], ucons[uc]) for rc, uc in zip(r.children, u.children, strict=True))

    if not all(pair(r, u) for r, u in zip(rtops, utops, strict=True)):
        return None
    return mapping


def _keys_for(rule: Rule, mapping: Mapping[str, str], group: Group, recipe_names: Iterable[str]) -> dict[Key, Leaf]:
    out: dict[Key, Leaf] = {}
    for rname in recipe_names:
        uname = mapping[rname]
        for (cname, label), _ in rule.values.items():
            if cname != rname:
                continue
            leaf = group.leaves.get((uname, label))
            if leaf is None:
                raise Refused(f"`{label}` of {group.constructions[uname].short} cannot be read")
            out[(cname, label)] = leaf
    return out


def _params_expr(group: Group) -> cst.BaseExpression:
    p = group.optimizer.args.get("params")
    if p is None:
        raise Refused("the optimizer is not given its parameters")
    return p.node


def _group_keys_ok(rule: Rule, group: Group) -> None:
    """Parameter groups: only where the recipe passes `params` straight to the MindSpore optimizer and a
    passing check of the KB shows groups with these keys."""
    node = _params_expr(group)
    if not isinstance(node, cst.List) or not any(isinstance(e.value, cst.Dict) for e in node.elements):
        return
    keys: set[str] = set()
    for e in node.elements:
        if not isinstance(e.value, cst.Dict):
            raise Refused("a parameter list mixing groups and tensors")
        for el in e.value.elements:
            if not isinstance(el, cst.DictElement) or not isinstance(el.key, cst.SimpleString):
                raise Refused("parameter groups with computed keys")
            keys.add(el.key.evaluated_value if isinstance(el.key.evaluated_value, str) else "")
    t = rule.template
    refs = t.refs.get("params", [])
    bound = t.call_bound_to("opt")
    if bound is None or len(refs) != 1 or not any(a.value is refs[0] for a in bound[1].args):
        raise Refused("parameter groups: the recipe wraps or reuses the parameters, so groups cannot be passed through")
    allowed = rule.group_keys
    if not keys <= allowed:
        missing = ", ".join(sorted(keys - allowed))
        raise Refused(f"parameter groups with {missing}: no passing check of the KB shows such groups")


def _opt_statement(t: Template) -> int | None:
    return t.statement_binding("opt") if "opt" in t.binders else None


class Applier:
    def __init__(self, book: Rulebook, translate_expr: ExprFn, namer: Namer) -> None:
        self.book = book
        self.translate_expr = translate_expr
        self.namer = namer

    # ---- exact ----
    def exact(self, rule: Rule, group: Group, in_function: bool) -> Plan:
        mapping = _structure(rule, group)
        if mapping is None:
            raise Refused("builds other objects")
        if rule.schedulers and "opt" not in rule.template.binders:
            raise Refused("its recipe builds only the schedule; it is used with an optimizer's recipe")
        _group_keys_ok(rule, group)
        keys = _keys_for(rule, mapping, group, mapping)
        stmts = set(range(len(rule.template.module.body)))
        filled = fill(rule, keys, stmts, self.translate_expr)
        names = dict(mapping)
        body, rename = _render(
            rule,
            stmts,
            filled,
            names,
            self.translate_expr(_params_expr(group)),
            self.namer,
            group.optimizer.name,
            in_function,
        )
        last = max(group.constructions.values(), key=lambda c: _order(c, group))
        step = rename.get("step") if rule.step_fn is not None else None
        objects = {mapping[n] for n in rule.objects}
        return Plan(
            target=rule.target,
            rules=[rule],
            exact=True,
            statements={last.name: body, **{n: [] for n in group.constructions if n != last.name}},
            inline={},
            update=step or group.optimizer.name,
            stepped_inside={mapping[n] for n in rule.stepped_in_step_fn if n in mapping},
            objects=objects,
            used={rule.id: filled.used},
            lr_object=rename.get(rule.template.lr_object) if rule.template.lr_object else None,
        )

    # ---- composed ----
    def optimizer_part(
        self, rule: Rule, group: Group, lr_object: str | None, in_function: bool
    ) -> tuple[list[cst.BaseStatement], str, Filled]:
        if rule.schedulers:
            raise Refused("not an optimizer-only recipe")
        if rule.optimizer.api != group.optimizer.api:
            raise Refused("another optimizer")
        _group_keys_ok(rule, group)
        t = rule.template
        i_opt = _opt_statement(t)
        if i_opt is None:
            raise Refused("the recipe does not build `opt` in one statement")
        lr = rule.holes.get(("opt", "lr"))
        lr_occ = (lr.direct + lr.pinned) if lr else []
        if any(t.owner.get(id(o.node)) != i_opt for o in lr_occ):
            raise Refused("the recipe uses the learning rate outside the optimizer's construction")
        stmts = set(range(len(t.module.body)))
        keys = _keys_for(rule, {"opt": group.optimizer.name}, group, ["opt"])
        extra: dict[int, cst.BaseExpression] = {}
        if lr_object is not None:
            direct = [o for o in (lr.direct if lr else []) if o.param in LR_PARAMS]
            if not lr or len(direct) != 1 or lr.pinned or len(lr.direct) != 1:
                raise Refused("the recipe's learning rate cannot be replaced by a schedule")
            keys.pop(("opt", "lr"), None)
            extra[id(direct[0].node)] = cst.Name(lr_object)
        filled = fill(rule, keys, stmts, self.translate_expr)
        body, rename = _render(
            rule,
            stmts,
            filled,
            {"opt": group.optimizer.name},
            self.translate_expr(_params_expr(group)),
            self.namer,
            group.optimizer.name,
            in_function,
            extra_replace=extra,
        )
        step = rename.get("step") if rule.step_fn is not None else None
        return body, step or group.optimizer.name, filled

    def schedule_part(
        self, rule: Rule, focus: str, user: Construction, group: Group, in_function: bool
    ) -> tuple[list[cst.BaseStatement], cst.BaseExpression | None, str | None, Filled]:
        """(statements, inline expression, lr object name, fill) building `user` from `rule`'s `focus`."""
        t = rule.template
        if rule.step_fn is not None:
            raise Refused("its recipe steps the optimizer itself")
        i_opt = _opt_statement(t)
        for i in t.readers_of("opt"):
            if i != i_opt and not [n for n in t.binders if i in t.binders[n]]:
                raise Refused("its recipe configures the optimizer")
        if i_opt is not None:
            _plain_optimizer_statement(rule, i_opt)
        interface = set(rule.constructions) | {"params"}
        rc = rule.constructions[focus]
        exclude: set[int] = set()
        expr_node: cst.BaseExpression | None = None
        lr_object = None
        value_stmt: int | None = None  # where an inline expression comes from (filled, not rendered)
        if rule.target == "nn":
            if len(rule.schedulers) != 1 or t.lr_object is None or user.children:
                raise Refused("its recipe is not one list or cell for one scheduler")
            stmts = t.closure(t.binders[t.lr_object], interface)
            lr_object = t.lr_object
        elif rc.inline:
            parent_call = t.call_bound_to(rc.parent or "")
            slot = _slot(parent_call[1], rule.constructions[rc.parent or ""]) if parent_call else None
            if slot is None:
                raise Refused("its recipe's scheduler list cannot be read")
            idx = rule.constructions[rc.parent or ""].children.index(focus)
            expr_node = slot.elements[idx].value
            needed = {n.value for n in _names_in(expr_node)} - interface
            stmts = t.closure([i for n in needed for i in t.binders.get(n, [])], interface)
        else:
            i_f = t.statement_binding(focus)
            if i_f is None:
                raise Refused("its recipe does not bind the scheduler")
            stmts = t.closure([i_f], interface)
            if user.inline:  # the user writes it inside a list: take the value, keep the rest as support
                bound = t.call_bound_to(focus)
                if bound is None:
                    raise Refused("its recipe's scheduler is not a single call")
                expr_node = bound[1]
                stmts.discard(i_f)
                value_stmt = i_f
        if i_opt is not None:
            stmts.discard(i_opt)
        for (cname, label), hole in rule.holes.items():
            if cname == "opt" and label != "lr" and any(t.owner.get(id(o.node)) in stmts for o in hole.direct):
                raise Refused("its schedule depends on the recipe optimizer's other arguments")
        if rc.children:
            call = t.call_bound_to(focus)
            slot = _slot(call[1], rc) if call else None
            if slot is None:
                raise Refused("its recipe's scheduler list cannot be read")
            exclude = {id(n) for n in _descendants(slot)}
        mapping = {focus: user.name, "opt": group.optimizer.name}
        keys = _keys_for(rule, mapping, group, [focus])
        lr_leaf = group.leaves.get((group.optimizer.name, "lr"))
        lr_hole = rule.holes.get(("opt", "lr"))
        lr_inside = lr_hole is not None and any(
            t.owner.get(id(o.node)) in stmts for o in lr_hole.direct + lr_hole.pinned
        )
        if lr_inside and lr_leaf is not None:
            keys[("opt", "lr")] = lr_leaf  # the schedule is built from the optimizer's rate
        if rc.inline:
            value_stmt = t.owner.get(id(expr_node))
        fill_stmts = stmts | ({value_stmt} if value_stmt is not None else set())
        filled = fill(rule, keys, fill_stmts, self.translate_expr, exclude=exclude)
        extra: dict[int, cst.BaseExpression] = {}
        if rc.children:
            call = t.call_bound_to(focus)
            assert call is not None
            slot = _slot(call[1], rc)
            assert slot is not None
            extra[id(slot)] = _user_slot(slot, user, group, self._inline_exprs)
        names = {"opt": group.optimizer.name, focus: user.name}
        if expr_node is not None:
            # support statements only; the expression itself goes into the user's list
            body, rename = _render(
                rule, stmts, filled, names, cst.Name("params"), self.namer, user.name.split("[")[0], in_function, extra
            )
            expr = _render_expr(rule, expr_node, filled, rename, names, extra)
            return body, expr, None, filled
        body, rename = _render(
            rule,
            stmts,
            filled,
            names,
            self.translate_expr(_params_expr(group)),
            self.namer,
            group.optimizer.name,
            in_function,
            extra,
        )
        return body, None, rename.get(lr_object) if lr_object else None, filled

    _inline_exprs: dict[str, cst.BaseExpression]

    def composed(self, target: str, group: Group, in_function: bool) -> Plan:
        if target == "mint":
            raise Refused("mint optimizers ignore experimental schedulers; only whole recipes translate them")
        self._inline_exprs = {}
        statements: dict[str, list[cst.BaseStatement]] = {}
        rules: list[Rule] = []
        used: dict[str, list[Key]] = {}
        objects: set[str] = set()
        lr_object = None
        if target == "nn":
            if len(group.schedulers) != 1:
                raise Refused("an nn optimizer takes one precomputed schedule; compose schedules in experimental")
        # schedulers first (children before parents), so parents can take their children's expressions
        pending = sorted(group.schedulers, key=lambda c: -_depth(c, group))
        for user in pending:
            reasons = []
            for rule in self._schedule_rules(user.api, target):
                focus = next(n for n, c in rule.constructions.items() if c.api == user.api)
                try:
                    body, expr, lr_obj, filled = self.schedule_part(rule, focus, user, group, in_function)
                except Refused as exc:
                    reasons.append(f"{rule.id}: {exc}")
                    continue
                rules.append(rule)
                used[rule.id] = filled.used
                if expr is not None:
                    self._inline_exprs[user.name] = expr
                    parent = user.parent or ""
                    statements.setdefault(parent, [])
                    statements[parent] = body + statements[parent]
                else:
                    statements[user.name] = body + statements.get(user.name, [])
                    if target == "nn":
                        lr_object = lr_obj
                    else:
                        objects.add(user.name)
                break
            else:
                raise Refused(f"{user.short}: " + ("; ".join(reasons[:2]) if reasons else self._no_rule(user.api)))
        reasons = []
        for rule in self._optimizer_rules(group.optimizer.api, target):
            try:
                body, update, filled = self.optimizer_part(rule, group, lr_object, in_function)
            except Refused as exc:
                reasons.append(f"{rule.id}: {exc}")
                continue
            rules.insert(0, rule)
            used[rule.id] = filled.used
            if target == "nn":
                sched = group.schedulers[0].name
                statements[group.optimizer.name] = statements.pop(sched) + body
                statements[sched] = []
            else:
                statements[group.optimizer.name] = body
            return Plan(
                target=target,
                rules=rules,
                exact=False,
                statements=statements,
                inline=dict(self._inline_exprs),
                update=update,
                stepped_inside=set(),
                objects=objects,
                used=used,
                lr_object=lr_object,
            )
        raise Refused(
            f"{group.optimizer.short}: " + ("; ".join(reasons[:2]) if reasons else self._no_rule(group.optimizer.api))
        )

    def _no_rule(self, api: str) -> str:
        """Why there is no rule: the KB's own recipes for this API that did not become rules, if any."""
        rejected = [x for x in self.book.rejected if any(e.id == x.entry_id for e in self.book.entries_for(api))]
        if not rejected:
            return "no proven recipe"
        return f"no proven recipe (the KB's {rejected[0].id}: {rejected[0].reason})"

    def _schedule_rules(self, api: str, target: str) -> list[Rule]:
        """Rules that build this scheduler: its own entry's first, then the best-rated, then the simplest."""
        rs = [r for r in self.book.rules if r.target == target and any(c.api == api for c in r.schedulers)]
        return sorted(rs, key=lambda r: (r.entry.torch_api != api, -r.rank, len(r.constructions)))

    def _optimizer_rules(self, api: str, target: str) -> list[Rule]:
        rs = [r for r in self.book.rules if r.target == target and not r.schedulers and r.optimizer.api == api]
        return sorted(rs, key=lambda r: -r.rank)

    def plan(self, group: Group, target: str, in_function: bool) -> Plan:
        reasons: list[str] = []
        exact = [r for r in self.book.rules if r.target == target and _structure(r, group) is not None]
        for rule in sorted(exact, key=lambda r: -r.rank):
            try:
                return self.exact(rule, group, in_function)
            except Refused as exc:
                reasons.append(f"{rule.id}: {exc}")
        if group.schedulers:
            try:
                return self.composed(target, group, in_function)
            except Refused as exc:
                reasons.append(str(exc))
        raise Refused("; ".join(dict.fromkeys(reasons)) or f"no proven {target} recipe")


def _order(c: Construction, group: Group) -> int:
    return c.order if c.statement is not None else -1


def _depth(c: Construction, group: Group) -> int:
    cons = group.constructions
    d, node = 0, c
    while node.parent is not None or any(node.name in o.children for o in cons.values()):
        parent = node.parent or next(o.name for o in cons.values() if node.name in o.children)
        node = cons[parent]
        d += 1
    return d


def _plain_optimizer_statement(rule: Rule, i_opt: int) -> None:
    """The recipe's `opt = ...` must be a plain translation of torch's optimizer, so that another
    optimizer's translation can take its place."""
    t = rule.template
    stmt = t.module.body[i_opt]
    call = t.call_bound_to("opt")
    if call is None:
        raise Refused("its recipe builds the optimizer in a way that cannot be swapped")
    for arg in call[1].args:
        v = arg.value
        if isinstance(v, cst.Name) and (
            v.value in ("params", t.lr_object) or v.value in t.binders and v.value == t.lr_object
        ):
            continue
        if isinstance(v, cst.List) and "params" in {n.value for n in _names_in(v)}:
            continue
        occ = [o for o in t.occurrences if o.node is v]
        if occ:
            ok = any(o in h.direct for (cn, _), h in rule.holes.items() if cn == "opt" for o in occ) or not any(
                o in h.direct or o in h.pinned for (cn, _), h in rule.holes.items() if cn != "opt" for o in occ
            )
            if ok:
                continue
        raise Refused("its recipe's optimizer takes values computed from the schedule")
    _ = stmt


def _names_in(node: cst.CSTNode) -> list[cst.Name]:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Name):
            out.append(n)
        if isinstance(n, cst.Attribute):
            stack.append(n.value)
            continue
        if isinstance(n, cst.Arg) and n.keyword is not None:
            stack.append(n.value)
            continue
        stack.extend(n.children)
    return out


def _descendants(node: cst.CSTNode) -> list[cst.CSTNode]:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(n.children)
    return out


def _slot(call: cst.Call, rc: Construction) -> cst.List | None:
    for arg in call.args:
        v = arg.value
        if isinstance(v, cst.List) and len(v.elements) == len(rc.children):
            vals = [e.value for e in v.elements]
            if [x.value if isinstance(x, cst.Name) else None for x in vals] == rc.children:
                return v
            if all(isinstance(x, cst.Call) for x in vals) and all("[" in ch for ch in rc.children):
                return v
    return None


def _user_slot(slot: cst.List, user: Construction, group: Group, inline: Mapping[str, cst.BaseExpression]) -> cst.List:
    """The recipe's list of schedulers, holding the user's (their own list's layout where there is one)."""
    values = [inline[child] if child in inline else cst.Name(child) for child in user.children]
    own = user.children_node
    if own is not None and len(own.elements) == len(values):
        return own.with_changes(elements=[e.with_changes(value=v) for e, v in zip(own.elements, values, strict=True)])
    elements = []
    for i, value in enumerate(values):
        comma = (
            cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")) if i < len(values) - 1 else cst.MaybeSentinel.DEFAULT
        )
        elements.append(cst.Element(value=value, comma=comma))
    return slot.with_changes(elements=elements)


def _render_expr(
    rule: Rule,
    node: cst.BaseExpression,
    filled: Filled,
    rename: Mapping[str, str],
    names: Mapping[str, str],
    extra: Mapping[int, cst.BaseExpression],
) -> cst.BaseExpression:
    from .template import _Replace

    t = rule.template
    ids: dict[int, str] = {}
    for old, new in {**rename, **names}.items():
        if "[" in old or "[" in new:
            continue
        for n in t.refs.get(old, []):
            ids[id(n)] = new
    replace = {**filled.replace, **extra}
    return node.visit(_Replace(replace, ids, filled.kwargs))  # type: ignore[return-value]
