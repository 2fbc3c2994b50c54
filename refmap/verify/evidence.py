"""Labels and prose bound to evidence: what an entry says must be backed by checks that passed.

Rules (each violation is a located error that fails verification):
- status. `equivalent`: a passing `equal` check that exercises the counterpart itself (no `calls`).
  `equivalent_with_recipe`: a passing `equal` check that runs the recipe. `differs`: a passing
  check that expects `differs`, or expects MindSpore to raise. `no_counterpart`: no API, no checks.
- trap: each proof is a passing `differs` check (the trap is a measured difference).
- drift: each counterpart with checks runs at least one of LONG_CHECK_STEPS steps or more, or says
  why it cannot (`no_long_check`).
- statements: the entry summary and every counterpart summary, `differences` item, trap and
  parameter note names the checks that prove it (`proof:`), and those checks passed. Facts that
  no check here can show (an Ascend kernel, a documented deprecation) are not statements of the
  site: they go in `unverified`, which pages show apart, labelled as not verified. A note that only states the mapping
  (MAPPING_NOTES, or a row without a note) may instead be proven by the evidence itself: a passing
  `equal` check whose torch snippet passes the argument, that is sensitive to it, and whose
  MindSpore snippet passes the MindSpore name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..load import CheckSpec, LoadedEntry
from ..schema import LONG_CHECK_STEPS, Counterpart, ParamRow, Statement, as_statement
from .results import CheckResult

# Notes that say no more than "this argument maps to that one"; anything longer needs `proof:`.
MAPPING_NOTES = {
    "Same.",
    "Same default.",
    "Renamed.",
    "Renamed; same default.",
    "Same (keyword-only on both sides).",
}

Loc = tuple[int | str, ...]


@dataclass(frozen=True)
class Claim:
    """One sentence on the page and what proves it."""

    loc: Loc  # the field in the entry
    kind: str  # summary | difference | trap | note | mapping
    text: str
    proof: tuple[str, ...]  # check names given in the entry
    auto: tuple[str, ...] = ()  # checks found to prove a mapping note


def _passes_arg(code: str | None, arg: str | None) -> bool:
    return bool(code and arg and re.search(rf"\b{re.escape(arg.lstrip('*'))}\s*=", code))


def mapping_evidence(row: ParamRow, checks: list[CheckSpec], results: dict[str, CheckResult]) -> tuple[str, ...]:
    """Checks proving that `row.torch` maps to `row.mindspore`: both passed, and the check sees it."""
    out = []
    for spec in checks:
        r = results.get(spec.name)
        if r is None or not r.passed or spec.expect.equal is None or spec.code is None:
            continue
        if not (_passes_arg(spec.code.torch, row.torch) and _passes_arg(spec.code.mindspore, row.mindspore)):
            continue
        if any(s.arg.split("[")[0].rsplit(".", 1)[-1] == row.torch and s.note == "sensitive" for s in r.sensitivity):
            out.append(spec.name)
    return tuple(out)


def entry_claim(le: LoadedEntry) -> Claim:
    s = as_statement(le.entry.summary)
    return Claim(("summary",), "entry summary", s.text, tuple(s.proof))


def claims(le: LoadedEntry, cp_index: int, results: dict[str, CheckResult] | None = None) -> Iterator[Claim]:
    """Every statement of a counterpart, with its proof (and the mapping evidence, given results)."""
    cp: Counterpart = le.entry.counterparts[cp_index]
    at: Loc = ("counterparts", cp_index)
    s = as_statement(cp.summary)
    yield Claim((*at, "summary"), "summary", s.text, tuple(s.proof))
    if cp.trap is not None:
        yield Claim((*at, "trap"), "trap", cp.trap.text, tuple(cp.trap.proof))
    for k, d in enumerate(cp.differences):
        st: Statement = as_statement(d)
        yield Claim((*at, "differences", k), "difference", st.text, tuple(st.proof))
    checks = le.checks_of(cp)
    for k, row in enumerate(cp.params):
        mapping = (
            row.torch is not None and row.mindspore is not None and (row.note is None or row.note in MAPPING_NOTES)
        )
        if row.note is None and not mapping:
            continue  # a one-sided row without a note states nothing beyond the signatures
        auto = mapping_evidence(row, checks, results) if (mapping and results is not None) else ()
        yield Claim((*at, "params", k), "mapping" if mapping else "note", row.note or "", tuple(row.proof), auto)


def unproven(le: LoadedEntry, cp_index: int, results: dict[str, CheckResult] | None = None) -> list[Claim]:
    """Statements with no proof. Without results, mapping notes count as proven if a check could prove them."""
    out = []
    for c in claims(le, cp_index, results):
        if c.proof or c.auto or (c.kind == "mapping" and not c.text):
            continue
        if c.kind == "mapping" and results is None:
            continue  # decided when the sensitivity of the checks is known
        out.append(c)
    return out


def _status_problem(le: LoadedEntry, cp: Counterpart, results: dict[str, CheckResult]) -> str | None:
    specs = [s for s in le.checks_of(cp) if results[s.name].passed]
    if cp.status == "equivalent":
        if not any(s.expect.equal is not None and s.check.calls is None for s in specs):
            return "`equivalent` needs a passing `equal` check of the counterpart itself (not one that `calls` another API)"
    elif cp.status == "equivalent_with_recipe":
        if not any(s.expect.equal is not None and s.check.runs == "recipe" for s in specs):
            return "`equivalent_with_recipe` needs a passing `equal` check that runs the recipe (`runs: recipe`)"
    elif cp.status == "differs":
        shows = [
            s
            for s in specs
            if s.expect.differs is not None or (s.expect.raises is not None and s.expect.raises.side == "mindspore")
        ]
        if not shows:
            return "`differs` needs a passing check that shows the difference (`differs`, or MindSpore `raises`)"
    return None


def errors(le: LoadedEntry, results: list[CheckResult]) -> list[str]:
    """Located problems of one entry, as failure lines."""
    by_name = {r.check: r for r in results}
    out = []
    summary = entry_claim(le)
    if not summary.proof:
        out.append(
            f"{le.where('summary')}: {le.entry.id}: the entry summary has no proof; give `proof: [check names]` "
            "(facts no check can show go in `unverified`)"
        )
    for i, cp in enumerate(le.entry.counterparts):
        specs = le.checks_of(cp)
        if not specs:
            # no checks of its own (no counterpart): its sentences still need proof from the entry's checks
            for claim in unproven(le, i, by_name):
                out.append(f"{le.where(*claim.loc)}: {le.entry.id}: {claim.kind} has no proof: {claim.text[:80]!r}")
            continue
        problem = _status_problem(le, cp, by_name)
        if problem:
            out.append(
                f"{le.where('counterparts', i, 'status')}: {le.entry.id} [{cp.api}]: status {cp.status}: {problem}"
            )
        if cp.trap is not None:
            for name in cp.trap.proof:
                spec = next((s for s in le.checks if s.name == name), None)
                if spec is not None and spec.expect.differs is None:
                    out.append(
                        f"{le.where('counterparts', i, 'trap', 'proof')}: {le.entry.id} [{cp.api}]: trap proof {name!r} "
                        "must be a `differs` check (a trap is a measured difference)"
                    )
        runs = [s for s in specs if s.measure != "probe" and s.expect.raises is None]
        if runs and cp.no_long_check is None and max(s.inputs.steps for s in runs) < LONG_CHECK_STEPS:
            out.append(
                f"{le.where('counterparts', i, 'checks')}: {le.entry.id} [{cp.api}]: no check runs {LONG_CHECK_STEPS} "
                f"steps or more (longest: {max(s.inputs.steps for s in runs)}); add one so drift shows, or say why "
                "in `no_long_check`"
            )
        for claim in unproven(le, i, by_name):
            what = "states a mapping no passing check is sensitive to" if claim.kind == "mapping" else "has no proof"
            out.append(
                f"{le.where(*claim.loc)}: {le.entry.id} [{cp.api}]: {claim.kind} {what}: {claim.text[:80]!r}; "
                "give `proof: [check names]`"
            )
        for claim in claims(le, i, by_name):
            for name in claim.proof:
                r = by_name.get(name)
                if r is not None and not r.passed:
                    out.append(f"{le.where(*claim.loc)}: {le.entry.id}: proof {name!r} did not pass")
    return out
