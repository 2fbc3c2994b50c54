"""Entries + verification results -> plain page data for the templates.

Everything a template shows is computed here, from the entry and the stored results only; the
templates format, they do not decide. No framework is imported: defaults come from signatures the
verifier captured, the code shown is the code the verifier recorded running.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..load import LoadedEntry
from ..schema import IMPLEMENTATION_FLAGS, Counterpart, Entry, Recipe, as_statement
from ..verify.results import CheckResult, EntryResults, Environment
from .examples_index import Example

FIG_DIR = "_figures"
NOT_IN_SIGNATURE = "not in signature"


def num(value: float | None) -> str:
    if value is None:
        return "—"
    if value == 0:
        return "0"
    return f"{value:.3g}"


@dataclass
class ParamRowView:
    torch: str | None
    torch_default: str
    mindspore: str | None
    ms_default: str
    note: str


@dataclass
class CheckView:
    name: str
    anchor: str
    description: str
    expectation: str
    outcome: str
    passed: bool
    max_abs: str
    max_rel: str
    steps: int
    wall_s: float
    moved: tuple[str, str] | None  # (torch, mindspore) largest parameter change
    raised: list[tuple[str, str]]
    figure: str | None  # path of the SVG, relative to the page
    figure_alt: str
    first_values: list[tuple[int, str, str, str]]
    mode: str
    runs: str | None  # recipe | reverse_recipe
    code: Recipe | None
    code_where: Recipe | None  # YAML locations of the two snippets
    probe: str | None
    probe_source: str | None
    inputs: str  # one line


@dataclass
class CounterpartView:
    api: str | None
    anchor: str
    status: str
    summary: str
    recipe: Recipe | None
    reverse_recipe: Recipe | None
    recipe_where: Recipe | None
    reverse_recipe_where: Recipe | None
    params: list[ParamRowView]
    differences: list[str]
    checks: list[CheckView]
    passed: str  # "n/m" or "—"
    measured_on: str


@dataclass
class EntryPage:
    id: str
    title: str
    kind: str
    torch_api: str | None
    summary: str
    counterparts: list[CounterpartView]
    examples: list[Example]
    sources: list[tuple[str, str]]
    versions: str
    figures: dict[str, CheckResult] = field(default_factory=dict)  # figure file -> result to draw


def anchor(e: Entry, cp: Counterpart) -> str:
    return f"{e.id}-{(cp.api or 'none').replace('.', '-').lower()}"


def first_values(r: CheckResult, n: int = 12) -> list[tuple[int, str, str, str]]:
    """(step, torch, mindspore, |Δ|) for the first n steps of a learning-rate check."""
    if r.measure != "lr" or r.series is None or len(r.series.labels) != 1:
        return []
    rows = []
    for i, (t, m) in enumerate(zip(r.series.torch[:n], r.series.mindspore[:n], strict=True)):
        rows.append((i, f"{t[0]:.8g}", f"{m[0]:.8g}", num(abs(t[0] - m[0]))))
    return rows


def _inputs_line(kind: str, r: CheckResult, le: LoadedEntry, name: str) -> str:
    spec = next(s for s in le.checks if s.name == name)
    i = spec.inputs
    line = f"seed {i.seed}, {i.steps} steps"
    if r.measure == "trajectory" and kind in ("optimizer", "setup"):
        params = ", ".join(f"`{p.name}` {list(p.shape)}" for p in i.params)
        line += f", parameters {params}, gradients N(0, 1) × {i.grad_scale} × (1 − {i.grad_decay})^t"
    return line


def param_rows(torch_args: dict[str, str] | None, cp: Counterpart) -> list[tuple[str | None, str | None, str | None]]:
    """(torch, mindspore, note) rows as the page shows them: the table's, with the implicit flag rows
    placed where torch's signature puts them."""
    rows: list[tuple[str | None, str | None, str | None]] = [(r.torch, r.mindspore, r.note) for r in cp.params]
    if torch_args is None:
        return rows
    order = {name: i for i, name in enumerate(torch_args)}
    listed = {r.torch for r in cp.params}
    for flag, note in IMPLEMENTATION_FLAGS.items():
        if flag not in order or flag in listed:
            continue
        # after the last row whose torch argument comes before the flag in the signature
        at = 0
        for i, (t, _, _) in enumerate(rows):
            if t is not None and order.get(t, -1) < order[flag]:
                at = i + 1
        rows.insert(at, (flag, None, note))
    return rows


def _param_rows(e: Entry, cp: Counterpart, sigs: dict[str, dict[str, str]]) -> list[ParamRowView]:
    t_args = sigs.get(e.torch_api or "")
    m_args = sigs.get(cp.api or "")
    rows = []
    for t, m, note in param_rows(t_args, cp):
        rows.append(
            ParamRowView(
                t,
                (t_args or {}).get(t, NOT_IN_SIGNATURE) if t else "",
                m,
                (m_args or {}).get(m, NOT_IN_SIGNATURE) if m else "",
                note or "",
            )
        )
    return rows


def _where(le: LoadedEntry, *loc: int | str) -> Recipe:
    return Recipe(torch=le.where(*loc, "torch"), mindspore=le.where(*loc, "mindspore"))


def entry_page(le: LoadedEntry, res: EntryResults, env: Environment, examples: Sequence[Example] = ()) -> EntryPage:
    e = le.entry
    by_name = {r.check: r for r in res.checks}
    figures: dict[str, CheckResult] = {}
    counterparts = []
    for i, cp in enumerate(e.counterparts):
        views = []
        for c in cp.checks:
            r = by_name[c.name]
            fig = None
            if r.series is not None:
                fig = f"{FIG_DIR}/{e.id}/{c.name}.svg"
                figures[fig] = r
            what = "learning rates" if r.measure == "lr" else "values"
            views.append(
                CheckView(
                    name=c.name,
                    anchor=f"{e.id}-{c.name}",
                    description=c.description,
                    expectation=r.expectation,
                    outcome=r.outcome,
                    passed=r.passed,
                    max_abs=num(r.max_abs),
                    max_rel=num(r.max_rel),
                    steps=r.steps,
                    wall_s=r.wall_s,
                    moved=(num(r.moved_torch), num(r.moved_mindspore)) if r.moved_torch is not None else None,
                    raised=list(r.raised.items()),
                    figure=fig,
                    figure_alt=f"{e.title}, check {c.name}: PyTorch and MindSpore {what} overlaid, and their difference per step",
                    first_values=first_values(r),
                    mode=r.mindspore_mode,
                    runs=c.runs,
                    code=Recipe(torch=r.code_torch, mindspore=r.code_mindspore)
                    if r.code_torch and r.code_mindspore
                    else None,
                    code_where=_where(le, "counterparts", i, c.runs)
                    if c.runs
                    else _where(le, "counterparts", i, "checks", cp.checks.index(c)),
                    probe=r.probe,
                    probe_source=r.probe_source,
                    inputs=_inputs_line(e.kind, r, le, c.name),
                )
            )
        rs = [by_name[c.name] for c in cp.checks]
        counterparts.append(
            CounterpartView(
                api=cp.api,
                anchor=anchor(e, cp),
                status=cp.status,
                summary=as_statement(cp.summary).text,
                recipe=cp.recipe,
                reverse_recipe=cp.reverse_recipe,
                recipe_where=_where(le, "counterparts", i, "recipe") if cp.recipe else None,
                reverse_recipe_where=_where(le, "counterparts", i, "reverse_recipe") if cp.reverse_recipe else None,
                params=_param_rows(e, cp, res.signatures) if cp.params else [],
                differences=[as_statement(d).text for d in cp.differences],
                checks=views,
                passed=f"{sum(r.passed for r in rs)}/{len(rs)}" if rs else "—",
                measured_on=env.label(),
            )
        )
    return EntryPage(
        id=e.id,
        title=e.title,
        kind=e.kind,
        torch_api=e.torch_api,
        summary=e.summary,
        counterparts=counterparts,
        examples=list(examples),
        sources=[(s.title, s.url) for s in e.sources],
        versions=env.label(),
        figures=figures,
    )
