"""`python -m refmap compare`: run a user's optimizer (and schedule) in torch, its translation in
MindSpore, on the KB's standard multi-scale inputs, and report how far apart they end up.

Both sides run in the verifier's worker processes (refmap/verify/pool.py) as ordinary
`trajectory` tasks: the same seeded float32 parameters and gradient stream, the same isolation
(one framework per snippet, time limits, shared-state guard) as every check of the site.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
import numpy as np

from ..schema import Inputs
from ..verify.measure.raw import Raw
from ..verify.measure.task import Task
from ..verify.pool import Outcome, WorkerPool, default_workers
from ..verify.store import task_key
from .rewrite import Translation, translate_source
from .rules import Rulebook
from .scripts import harness_script

STEP_RANGES = ((1, 10), (11, 50), (51, 200), (201, 1000), (1001, 2000))
COMPARE_STEPS = 200


@dataclass
class Pair:
    label: str
    torch: str
    mindspore: str
    inputs: Inputs = field(default_factory=Inputs)
    mode: str = "pynative"

    def task(self) -> Task:
        inputs = self.inputs.model_dump(mode="json")
        spec = {"translate": 1, "torch": self.torch, "mindspore": self.mindspore, "inputs": inputs, "mode": self.mode}
        return Task(
            key=task_key(spec),
            label=self.label,
            where=f"<translate>:{self.label}",
            measure="trajectory",
            torch_code=self.torch,
            ms_code=self.mindspore,
            inputs=inputs,
            mode=self.mode,
        )


def run_pairs(pairs: Iterable[Pair], workers: int = 0, timeout: float = 300.0) -> dict[str, Raw | str]:
    """label -> the raw measurement (or why there is none), every pair in the worker pool."""
    todo = list(pairs)
    tasks = {p.label: p.task() for p in todo}
    by_key = {t.key: label for label, t in tasks.items()}
    out: dict[str, Raw | str] = {}

    def on_done(o: Outcome) -> None:
        label = by_key[o.task.key]
        out[label] = o.raw if o.raw is not None else (o.failure or "no measurement")

    n = workers or min(default_workers(), max(1, len(todo)))
    with WorkerPool(n, timeout, max(600.0, timeout * len(todo))) as pool:
        pool.run(list({t.key: t for t in tasks.values()}.values()), on_done)
    for label, t in tasks.items():
        out.setdefault(label, out.get(by_key[t.key], "not run"))
    return out


@dataclass
class Difference:
    first: int
    last: int
    max_abs: float
    max_rel: float


def differences(raw: Raw, ranges: Sequence[tuple[int, int]] = STEP_RANGES) -> list[Difference]:
    """Largest |torch - MindSpore| per step range (row 0 is the shared start)."""
    assert raw.torch is not None and raw.mindspore is not None
    t, s = raw.torch[1:], raw.mindspore[1:]
    out = []
    for a, b in ranges:
        if a > len(t):
            break
        rows = slice(a - 1, min(b, len(t)))
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.abs(t[rows] - s[rows])
            scale = np.abs(t[rows])
            rel = np.where(scale > 1e-12, d / np.maximum(scale, 1e-12), np.where(d > 0, np.inf, 0.0))
        out.append(Difference(a, min(b, len(t)), float(np.nanmax(d)), float(np.nanmax(rel))))
    return out


def within(raw: Raw, rtol: float, atol: float) -> bool:
    assert raw.torch is not None and raw.mindspore is not None
    t, s = raw.torch[1:], raw.mindspore[1:]
    return bool(np.isfinite(s).all() and np.all(np.abs(t - s) <= atol + rtol * np.abs(t)))


@dataclass
class Comparison:
    torch_code: str
    translation: Translation
    raw: Raw | None
    failure: str | None
    ranges: list[Difference]
    tolerance: tuple[float, float] | None  # the recipes' (rtol, atol), loosest of those used
    steps: int
    seed: int = 0

    @property
    def within_tolerance(self) -> bool | None:
        if self.raw is None or self.tolerance is None or self.raw.errors:
            return None
        return within(self.raw, *self.tolerance)

    def as_dict(self) -> dict[str, Any]:
        return {
            "torch": self.torch_code,
            "mindspore": self.translation.code,
            "target": self.translation.target,
            "steps": self.steps,
            "seed": self.seed,
            "failure": self.failure,
            "errors": {k: v.message for k, v in (self.raw.errors.items() if self.raw else [])},
            "ranges": [d.__dict__ for d in self.ranges],
            "tolerance": self.tolerance,
            "within_tolerance": self.within_tolerance,
            "warnings": [n.render() for n in self.translation.warnings],
            "untranslated": [n.render() for n in self.translation.untranslated],
        }


def _name_of_optimizer_arg(schedule: str) -> str | None:
    try:
        call = cst.parse_expression(schedule)
    except cst.ParserSyntaxError:
        return None
    if isinstance(call, cst.Call) and call.args and isinstance(call.args[0].value, cst.Name):
        return call.args[0].value.value
    return None


def compare(
    book: Rulebook,
    optimizer: str,
    schedules: Sequence[str] = (),
    target: str | None = None,
    steps: int = COMPARE_STEPS,
    seed: int = 0,
) -> Comparison:
    names = {_name_of_optimizer_arg(s) for s in schedules} - {None}
    opt_name = names.pop() if len(names) == 1 else "opt"
    torch_code = harness_script(optimizer, schedules, opt_name=opt_name or "opt")
    tr = translate_source(torch_code, book, target)
    used = [n.source for n in tr.rewrites if n.source]
    rules = [r for r in book.rules if r.id in used]
    tols = [r.tolerance for r in rules if r.tolerance is not None]
    tol = (max(t[0] for t in tols), max(t[1] for t in tols)) if tols else None
    if tr.untranslated or not rules:
        return Comparison(torch_code, tr, None, "not translated: nothing to run", [], tol, steps, seed)
    inputs = Inputs(seed=seed, steps=steps)
    pair = Pair("compare", torch_code, tr.code, inputs)
    got = run_pairs([pair], workers=1)["compare"]
    if isinstance(got, str):
        return Comparison(torch_code, tr, None, got, [], tol, steps, seed)
    ranges = differences(got) if not got.errors else []
    return Comparison(torch_code, tr, got, None, ranges, tol, steps, seed)


def render(c: Comparison) -> str:
    out = ["# PyTorch", c.torch_code.rstrip(), "", f"# MindSpore ({c.translation.target or 'not translated'})"]
    out.append(c.translation.code.rstrip())
    out.append("")
    for n in c.translation.untranslated:
        out.append(f"not translated: {n.render()}")
    if c.failure:
        out.append(c.failure)
    if c.raw is not None and c.raw.errors:
        for side, e in c.raw.errors.items():
            out.append(f"{side} raised {e.name}: {e.message[:400]}")
    if c.ranges:
        out.append(f"parameters after each step, standard inputs (seed {c.seed}, {c.steps} steps):")
        out.append(f"  {'steps':>12}  {'max |Δ|':>10}  {'max rel':>10}")
        for d in c.ranges:
            out.append(f"  {f'{d.first}-{d.last}':>12}  {d.max_abs:10.3g}  {d.max_rel:10.3g}")
        if c.tolerance is not None:
            rtol, atol = c.tolerance
            verdict = "within" if c.within_tolerance else "OUTSIDE"
            out.append(f"{verdict} the KB's tolerance for these recipes (rtol={rtol:g}, atol={atol:g})")
    if c.translation.warnings:
        out.append("")
        out.append("differences that apply to these arguments:")
        for n in c.translation.warnings:
            out.append(f"  - {n.render()}")
    return "\n".join(out) + "\n"


__all__ = ["Comparison", "Pair", "compare", "differences", "render", "run_pairs"]
