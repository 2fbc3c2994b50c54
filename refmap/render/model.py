"""Entries + verification results -> plain page data for the templates.

Everything a template shows is computed here, from the entry and the stored results only; the
templates format, they do not decide. No framework is imported: defaults come from signatures the
verifier captured, the code shown is the code the verifier recorded running.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..load import CheckSpec, LoadedEntry
from ..schema import IMPLEMENTATION_FLAGS, Counterpart, Entry, Expect, Recipe, _literal, as_statement
from ..verify.evidence import Claim, claims
from ..verify.results import CheckResult, EntryResults, Environment
from .examples_index import Example

FIG_DIR = "_figures"
NOT_IN_SIGNATURE = "not in signature"
Gettext = Callable[[str], str]


def _same(text: str) -> str:
    return text


def num(value: float | None) -> str:
    if value is None:
        return "—"
    if value == 0:
        return "0"
    return f"{value:.3g}"


@dataclass(frozen=True)
class ProofLink:
    name: str
    anchor: str


@dataclass
class Sentence:
    text: str
    proof: list[ProofLink]


@dataclass
class FormulaView:
    tex: str
    where: str | None
    proof: list[ProofLink]


def _formula(e: Entry, f: Any, tr: Gettext) -> FormulaView | None:
    if f is None:
        return None
    return FormulaView(f.tex, tr(f.where) if f.where else None, _links(e, f.proof))


@dataclass
class ParamRowView:
    torch: str | None
    torch_default: str
    mindspore: str | None
    ms_default: str
    note: str
    proof: list[ProofLink]


@dataclass
class CheckView:
    name: str
    anchor: str
    description: str
    expectation: str
    expect_kind: str
    outcome: str
    passed: bool
    max_abs: str
    limit: str  # the tolerance (equal) or threshold (differs) the measurement is held to
    steps: int
    wall_s: float
    moved: tuple[str, str] | None  # (torch, mindspore) largest parameter change
    raised: list[tuple[str, str]]
    sensitive: list[str]  # "lr ×1.2e+03"
    blind: list[str]  # "foreach (implementation flag)"
    figure: str | None  # path of the SVG, relative to the page; only where it informs
    first_values: list[tuple[int, str, str, str]]
    mode: str
    runs: str | None  # recipe | reverse_recipe
    code: Recipe | None
    code_where: Recipe | None  # YAML locations of the two snippets
    probe: str | None
    probe_source: str | None
    inputs: str  # one line


@dataclass
class Verdict:
    passed: int
    total: int
    worst_ratio: float | None  # largest |Δ| / tolerance over the equal checks (1 = at the limit)
    worst_abs: str
    worst_limit: str
    largest_difference: str | None  # largest |Δ| shown by a differs check

    @property
    def ok(self) -> bool:
        return self.passed == self.total


@dataclass
class CounterpartView:
    api: str | None
    label: str | None
    anchor: str
    status: str
    trap: Sentence | None
    summary: Sentence
    formula: FormulaView | None
    recipe: Recipe | None
    reverse_recipe: Recipe | None
    recipe_where: Recipe | None
    reverse_recipe_where: Recipe | None
    params: list[ParamRowView]
    differences: list[Sentence]
    checks: list[CheckView]
    unverified: list[str]
    verdict: Verdict | None


@dataclass
class Link:
    title: str
    target: str  # entry id
    kind: str


@dataclass
class EntryPage:
    id: str
    title: str
    kind: str
    torch_api: str | None
    involves: list[str]
    headline: tuple[str, str] | None  # (torch call, MindSpore call) of the most faithful counterpart
    summary: Sentence
    formula: FormulaView | None
    unverified: list[str]
    counterparts: list[CounterpartView]
    related: list[Link]
    examples: list[Example]
    sources: list[tuple[str, str]]
    env: Environment
    versions: str  # "torch 2.13.0 · mindspore 2.10.0 · numpy 1.26.4"
    device: str  # in the page's language
    versions_short: str
    index_terms: list[tuple[str, bool]]  # search: (term, main here) - a term ranks first on one page only
    objects: list[tuple[str, str, bool]]  # (py domain directive, API path, registered here)
    figures: dict[str, CheckResult] = field(default_factory=dict)  # figure file -> result to draw


def anchor(e: Entry, i: int) -> str:
    """The section label of counterpart i; a setup may show the same API twice (two styles)."""
    api = e.counterparts[i].api
    base = f"{e.id}-{(api or 'none').replace('.', '-').lower()}"
    return base if all(c.api != api for c in e.counterparts[:i]) else f"{base}-{i + 1}"


def first_values(r: CheckResult, n: int = 12) -> list[tuple[int, str, str, str]]:
    """(step, torch, mindspore, |Δ|) for the first n steps of a learning-rate check."""
    if r.measure != "lr" or r.series is None or len(r.series.labels) != 1:
        return []
    rows = []
    for i, (t, m) in enumerate(zip(r.series.torch[:n], r.series.mindspore[:n], strict=True)):
        rows.append((i, f"{t[0]:.8g}", f"{m[0]:.8g}", num(abs(t[0] - m[0]))))
    return rows


def headline_call(code: str, api: str | None) -> str:
    """The statement of a snippet that calls `api` (or its first statement), as one line."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code.strip().splitlines()[0]
    short = (api or "").rsplit(".", 1)[-1]
    statements = [n for n in tree.body if not isinstance(n, ast.FunctionDef | ast.Import | ast.ImportFrom)]
    chosen = next((n for n in statements if short and short in ast.unparse(n)), statements[0] if statements else None)
    return " ".join(ast.unparse(chosen).split()) if chosen is not None else code.strip()


FAITHFUL = ("equivalent", "equivalent_with_recipe", "differs")


def _headline(e: Entry) -> tuple[str, str] | None:
    ranked = sorted(
        (cp for cp in e.counterparts if cp.recipe is not None and cp.trap is None),
        key=lambda cp: FAITHFUL.index(cp.status),
    )
    if not ranked:
        return None
    cp = ranked[0]
    assert cp.recipe is not None
    torch_api = e.torch_api or next(iter(e.involves), None)
    return headline_call(cp.recipe.torch, torch_api), headline_call(cp.recipe.mindspore, cp.api)


def _inputs_line(kind: str, r: CheckResult, le: LoadedEntry, name: str) -> str:
    spec = next(s for s in le.checks if s.name == name)
    i = spec.inputs
    line = f"seed {i.seed}, {i.steps} steps"
    if r.measure == "trajectory" and kind in ("optimizer", "setup", "concept"):
        params = ", ".join(
            f"`{p.name}` {list(p.shape)} (values {p.init_offset:g} + {p.init_scale:g}·N(0,1), gradients "
            f"{p.grad_scale * i.grad_scale:g}·N(0,1){f' × {1 - i.grad_decay:g}^t' if i.grad_decay else ''})"
            for p in i.params
        )
        line += f", parameters {params}"
    return line


def param_rows(
    torch_args: dict[str, str] | None, cp: Counterpart
) -> list[tuple[int | None, str | None, str | None, str | None]]:
    """(row index in the entry or None, torch, mindspore, note): the table's rows, with the implicit
    implementation-flag rows placed where torch's signature puts them."""
    rows: list[tuple[int | None, str | None, str | None, str | None]] = [
        (k, r.torch, r.mindspore, r.note) for k, r in enumerate(cp.params)
    ]
    if torch_args is None:
        return rows
    order = {name: i for i, name in enumerate(torch_args)}
    listed = {r.torch for r in cp.params}
    for flag, note in IMPLEMENTATION_FLAGS.items():
        if flag not in order or flag in listed:
            continue
        at = 0  # after the last row whose torch argument comes before the flag in the signature
        for i, (_, t, _, _) in enumerate(rows):
            if t is not None and order.get(t, -1) < order[flag]:
                at = i + 1
        rows.insert(at, (None, flag, None, note))
    return rows


def _links(e: Entry, names: Sequence[str]) -> list[ProofLink]:
    return [ProofLink(n, f"{e.id}-{n}") for n in names]


def _sentence(e: Entry, claim: Claim | None, text: str, tr: Gettext = _same) -> Sentence:
    if claim is None:
        return Sentence(tr(text) if text else text, [])
    return Sentence(tr(text) if text else text, _links(e, claim.proof or claim.auto))


DIFFERS_FIGURES = 1  # per counterpart: with the overview, pages stay under 600 kB


def _figures_wanted(cp: Counterpart, rs: list[CheckResult], overview: str | None) -> set[str]:
    """A figure only where it informs: every failure, the one overview per counterpart, and the
    differences the counterpart's trap and differences cite first (the rest show their numbers)."""
    cited = list(cp.trap.proof) if cp.trap else []
    cited += [n for d in cp.differences for n in (as_statement(d).proof or [])]
    differs = [r for r in rs if r.passed and r.expect_kind == "differs" and r.series is not None]
    differs.sort(key=lambda r: cited.index(r.check) if r.check in cited else len(cited))
    wanted = {r.check for r in rs if not r.passed and r.series is not None}
    wanted |= {r.check for r in differs[:DIFFERS_FIGURES]}
    return wanted | ({overview} if overview else set())


def _overview(rs: list[CheckResult]) -> str | None:
    """The counterpart's overview figure: its longest passing equal check."""
    equal = [r for r in rs if r.expect_kind == "equal" and r.passed and r.series is not None]
    return max(equal, key=lambda r: r.steps).check if equal else None


def _verdict(rs: list[CheckResult]) -> Verdict | None:
    if not rs:
        return None
    equal = [r for r in rs if r.expect_kind == "equal" and r.tolerance_used is not None]
    worst = max(equal, key=lambda r: r.tolerance_used or 0.0) if equal else None
    differs = [r for r in rs if r.expect_kind == "differs" and r.max_abs is not None]
    largest = max(differs, key=lambda r: r.max_abs or 0.0) if differs else None
    limit = ""
    if worst is not None and worst.limit_per_step:
        limit = num(max(worst.limit_per_step))
    return Verdict(
        passed=sum(r.passed for r in rs),
        total=len(rs),
        worst_ratio=worst.tolerance_used if worst else None,
        worst_abs=num(worst.max_abs) if worst else "—",
        worst_limit=limit,
        largest_difference=num(largest.max_abs) if largest else None,
    )


def expectation_text(exp: Expect, _: Gettext) -> str:
    if exp.equal is not None:
        return _("equal, within rtol %(rtol)s and atol %(atol)s") % {
            "rtol": f"{exp.equal.rtol:g}",
            "atol": f"{exp.equal.atol:g}",
        }
    if exp.differs is not None:
        if exp.differs.nonfinite:
            return _("a non-finite result (NaN or infinity)")
        return _("a difference of at least %(value)s") % {"value": f"{exp.differs.min_abs:g}"}
    assert exp.raises is not None
    literal = _readable(exp.raises.match)
    values = {"side": exp.raises.side, "exception": exp.raises.exception, "text": literal or exp.raises.match}
    if literal is not None:
        return _("%(side)s raises %(exception)s, with a message containing “%(text)s”") % values
    return _("%(side)s raises %(exception)s, with a message matching the pattern “%(text)s”") % values


def _readable(pattern: str) -> str | None:
    """A pattern as a reader's text: escaped literals, with "anything" gaps (`[\\s\\S]*`, `.*`) as …;
    None when the pattern needs real regex syntax to read."""
    parts = [_literal(p) for p in re.split(r"\[\\s\\S\][*+]\??|\.[*+]\??", pattern)]
    if any(p is None for p in parts):
        return None
    return " … ".join(p.strip() for p in parts if p is not None and p.strip())


def outcome_text(r: CheckResult, _: Gettext) -> str:
    if r.expect_kind == "raises" or r.max_abs is None:
        if not r.raised:
            return r.outcome  # only a failing check gets here, and a failing check stops the build
        return "; ".join(
            _("%(side)s raised %(error)s") % {"side": side, "error": msg} for side, msg in r.raised.items()
        )
    text = _("largest |Δ| %(abs)s (relative %(rel)s) over %(steps)s steps") % {
        "abs": num(r.max_abs),
        "rel": num(r.max_rel),
        "steps": len(r.diff_per_step),
    }
    if r.moved_torch is not None:
        text += "; " + _("largest parameter change: PyTorch %(torch)s, MindSpore %(mindspore)s") % {
            "torch": num(r.moved_torch),
            "mindspore": num(r.moved_mindspore),
        }
    if "non-finite" in r.outcome:
        text += "; " + _("non-finite values")
    return text


def _check_view(
    le: LoadedEntry,
    spec: CheckSpec,
    i: int,
    cp: Counterpart,
    j: int,
    r: CheckResult,
    figure: bool,
    _: Gettext,
    tr: Gettext,
) -> CheckView:
    e = le.entry
    c = cp.checks[j]
    fig = f"{FIG_DIR}/{e.id}/{c.name}.svg" if figure else None
    limit = "—"
    if r.limit_per_step:
        limit = num(max(r.limit_per_step)) if r.expect_kind == "equal" else f"≥ {num(r.limit_per_step[0])}"
    sensitive = [f"{s.arg} ×{s.ratio:.2g}" for s in r.sensitivity if s.note == "sensitive" and s.ratio is not None]
    blind = [
        f"{s.arg} ({tr(c.blind_to.get(s.arg.split('[')[0].rsplit('.', 1)[-1], s.note))})"
        for s in r.sensitivity
        if s.note.startswith("blind")
    ]
    blind += [
        f"{a} ({_('implementation flag')})" for a in IMPLEMENTATION_FLAGS if r.code_torch and f"{a}=" in r.code_torch
    ]
    return CheckView(
        name=c.name,
        anchor=f"{e.id}-{c.name}",
        description=tr(c.description),
        expectation=expectation_text(spec.expect, _),
        expect_kind=r.expect_kind,
        outcome=outcome_text(r, _),
        passed=r.passed,
        max_abs=num(r.max_abs),
        limit=limit,
        steps=r.steps,
        wall_s=r.wall_s,
        moved=(num(r.moved_torch), num(r.moved_mindspore)) if r.moved_torch is not None else None,
        raised=list(r.raised.items()),
        sensitive=sensitive,
        blind=blind,
        figure=fig,
        first_values=first_values(r),
        mode=r.mindspore_mode,
        runs=c.runs,
        code=Recipe(torch=r.code_torch, mindspore=r.code_mindspore) if r.code_torch and r.code_mindspore else None,
        code_where=_where(le, "counterparts", i, c.runs) if c.runs else _where(le, "counterparts", i, "checks", j),
        probe=r.probe,
        probe_source=r.probe_source,
        inputs=_inputs_line(e.kind, r, le, c.name),
    )


def _where(le: LoadedEntry, *loc: int | str) -> Recipe:
    return Recipe(torch=le.where(*loc, "torch"), mindspore=le.where(*loc, "mindspore"))


def related_links(le: LoadedEntry, everyone: Sequence[LoadedEntry]) -> list[Link]:
    """Entries that share an API with this one (setups <-> their optimizers and schedules) or are listed in see_also."""
    e = le.entry
    mine = {a for a in [e.torch_api, *e.involves] if a}
    out: dict[str, Link] = {}
    for other in everyone:
        o = other.entry
        if o.id == e.id:
            continue
        theirs = {a for a in [o.torch_api, *o.involves] if a}
        linked = o.id in e.see_also or e.id in o.see_also
        shared = (o.kind == "setup" or e.kind == "setup") and bool(mine & theirs)
        if linked or shared:
            out[o.id] = Link(o.title, o.id, o.kind)
    order = {"setup": 0, "optimizer": 1, "schedule": 2, "concept": 3}
    return sorted(out.values(), key=lambda link: (order[link.kind], link.title.lower()))


def apis_of_entry(e: Entry) -> list[str]:
    return list(dict.fromkeys(a for a in [e.torch_api, *(cp.api for cp in e.counterparts)] if a))


def api_homes(everyone: Sequence[LoadedEntry]) -> dict[str, str]:
    """API path -> the one entry that registers it as a Sphinx object (its own page before a setup's)."""
    order = {"optimizer": 0, "schedule": 1, "concept": 2, "setup": 3}
    homes: dict[str, str] = {}
    for le in sorted(everyone, key=lambda x: (order[x.entry.kind], x.entry.id)):
        for api in apis_of_entry(le.entry):
            homes.setdefault(api, le.entry.id)
    return homes


def _own_term(e: Entry, term: str) -> int:
    """How strongly an entry owns a search term: 3 its title or an API's short name, 2 its id or title
    contains the term, 1 a keyword the entry declares, 0 a parameter name it only lists."""
    t = term.lower()
    names = {e.title.lower(), *(a.rsplit(".", 1)[-1].lower() for a in apis_of_entry(e))}
    if t in names:
        return 3
    plain = e.id.replace("_", " ").replace("-", " ").lower()
    if t in plain or t in e.title.lower():
        return 2
    return 1 if t in {k.lower() for k in e.keywords} else 0


def term_homes(everyone: Sequence[LoadedEntry]) -> dict[str, str]:
    """Search term -> the one entry on which it is a main index entry (ranked first); elsewhere it is
    a secondary entry, listed after the main results."""
    order = {"optimizer": 0, "schedule": 1, "concept": 2, "setup": 3}
    best: dict[str, tuple[int, int, str]] = {}
    for le in everyone:
        e = le.entry
        for term in _index_terms(e):
            rank = (-_own_term(e, term), order[e.kind], e.id)
            if term.lower() not in best or rank < best[term.lower()]:
                best[term.lower()] = rank
    return {t: r[2] for t, r in best.items()}


def _index_terms(e: Entry) -> list[str]:
    terms = [e.title]
    for api in apis_of_entry(e):
        terms += [api, api.rsplit(".", 1)[-1]]
    for cp in e.counterparts:
        for row in cp.params:
            terms += [n.lstrip("*") for n in (row.torch, row.mindspore) if n and n.lstrip("*") != "params"]
    terms += e.keywords
    return list(dict.fromkeys(t for t in terms if t and "," not in t))


def _objects(e: Entry, homes: dict[str, str]) -> list[tuple[str, str, bool]]:
    out = []
    for api in apis_of_entry(e):
        last = api.rsplit(".", 1)[-1]
        kind = "py:function" if last[:1].islower() else "py:class"
        out.append((kind, api, homes.get(api) == e.id))
    return out


def entry_page(
    le: LoadedEntry,
    res: EntryResults,
    env: Environment,
    examples: Sequence[Example] = (),
    everyone: Sequence[LoadedEntry] = (),
    gettext: Gettext = _same,
    tr_for: Callable[[str], Gettext] = lambda entry_id: _same,
) -> EntryPage:
    """The page of one entry. `gettext` translates the page's own phrases, `tr_for(id)` an entry's KB prose."""
    e = le.entry
    _ = gettext
    tr = tr_for(e.id)
    specs = {s.name: s for s in le.checks}
    by_name = {r.check: r for r in res.checks}
    figures: dict[str, CheckResult] = {}
    counterparts = []
    for i, cp in enumerate(e.counterparts):
        rs = [by_name[c.name] for c in cp.checks]
        wanted = _figures_wanted(cp, rs, _overview(rs))
        views = []
        for j, c in enumerate(cp.checks):
            r = by_name[c.name]
            view = _check_view(le, specs[c.name], i, cp, j, r, c.name in wanted, _, tr)
            if view.figure:
                figures[view.figure] = r
            views.append(view)
        said = {c.loc: c for c in claims(le, i, by_name)}
        t_args = res.signatures.get(e.torch_api or "")
        m_args = res.signatures.get(cp.api or "")
        params = [
            ParamRowView(
                t,
                (t_args or {}).get(t, NOT_IN_SIGNATURE) if t else "",
                m,
                (m_args or {}).get(m, NOT_IN_SIGNATURE) if m else "",
                (tr(note) if k is not None else _(note)) if note else "",
                _sentence(e, said.get(("counterparts", i, "params", k)) if k is not None else None, "").proof,
            )
            for k, t, m, note in (param_rows(t_args, cp) if cp.params else [])
        ]
        counterparts.append(
            CounterpartView(
                api=cp.api,
                label=tr(cp.label) if cp.label else None,
                anchor=anchor(e, i),
                status=cp.status,
                trap=_sentence(e, said.get(("counterparts", i, "trap")), cp.trap.text, tr) if cp.trap else None,
                summary=_sentence(e, said.get(("counterparts", i, "summary")), as_statement(cp.summary).text, tr),
                formula=_formula(e, cp.formula, tr),
                recipe=cp.recipe,
                reverse_recipe=cp.reverse_recipe,
                recipe_where=_where(le, "counterparts", i, "recipe") if cp.recipe else None,
                reverse_recipe_where=_where(le, "counterparts", i, "reverse_recipe") if cp.reverse_recipe else None,
                params=params,
                differences=[
                    _sentence(e, said.get(("counterparts", i, "differences", k)), as_statement(d).text, tr)
                    for k, d in enumerate(cp.differences)
                ],
                checks=views,
                unverified=[tr(u) for u in cp.unverified],
                verdict=_verdict(rs),
            )
        )
    return EntryPage(
        id=e.id,
        title=tr(e.title),
        kind=e.kind,
        torch_api=e.torch_api,
        involves=list(e.involves),
        headline=_headline(e),
        summary=Sentence(tr(as_statement(e.summary).text), _links(e, as_statement(e.summary).proof)),
        formula=_formula(e, e.formula, tr),
        unverified=[tr(u) for u in e.unverified],
        counterparts=counterparts,
        related=[Link(tr_for(link.target)(link.title), link.target, link.kind) for link in related_links(le, everyone)],
        examples=list(examples),
        sources=[(s.title, s.url) for s in e.sources],
        env=env,
        versions=f"torch {env.torch} · mindspore {env.mindspore} · numpy {env.numpy}",
        device=_("torch on %(torch)s, MindSpore on %(mindspore)s")
        % {"torch": env.torch_device, "mindspore": env.mindspore_device},
        versions_short=f"torch {env.torch}, mindspore {env.mindspore}, {env.mindspore_device}",
        figures=figures,
        index_terms=[(t, term_homes(everyone or [le]).get(t.lower()) == e.id) for t in _index_terms(e)]
        + ([(tr(e.title), True)] if tr(e.title) != e.title else []),  # the translated title ranks too
        objects=_objects(e, api_homes(everyone or [le])),
    )
