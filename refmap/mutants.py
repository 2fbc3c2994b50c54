"""Mutation testing of the knowledge base: a check that still passes after its claim was flipped or
its MindSpore arguments perturbed proves nothing. Each mutant is one check of one entry, written to
a temporary KB and verified afresh; every mutant must make verification fail.
"""

from __future__ import annotations

import ast
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from .load import LoadedEntry, load_kb
from .verify import Settings, VerificationFailed, verify_entries

# Arguments whose perturbation must change a trajectory or schedule that a check claims is equal.
PERTURBABLE = (
    "lr",
    "learning_rate",
    "momentum",
    "weight_decay",
    "gamma",
    "step_size",
    "decay_rate",
    "rho",
    "lr_decay",
    "T_max",
    "milestones",
    "milestone",
    "learning_rates",
    "beta1",
    "beta2",
    "betas",
    "alpha",
    "eta_min",
    "end_learning_rate",
    "power",
    "total_iters",
    "factor",
)


@dataclass
class Mutant:
    entry: str
    check: str
    mutation: str
    caught: bool | None = None
    detail: str = ""


def _flip(expect: dict[str, Any]) -> tuple[dict[str, Any], str]:
    expect = {k: v for k, v in expect.items() if v is not None}
    if "equal" in expect:
        return {"differs": {"min_abs": 1.0e-3}}, "equal -> differs (min_abs 1e-3)"
    if "differs" in expect:
        return {"equal": {"rtol": 1.0e-5, "atol": 1.0e-6}}, "differs -> equal"
    return {"equal": {"rtol": 1.0e-5, "atol": 1.0e-6}}, "raises -> equal"


def _bump(node: ast.expr) -> str | None:
    """New source for a numeric literal (or a list/tuple of them); None if not numeric."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        v = node.value
        if isinstance(v, int):
            return str(v + 1)
        return repr(0.1 if v == 0 else v * 1.5)
    if isinstance(node, ast.List | ast.Tuple) and node.elts:
        parts = [_bump(e) for e in node.elts]
        if all(p is not None for p in parts):
            inner = ", ".join(p for p in parts if p is not None)
            return f"[{inner}]" if isinstance(node, ast.List) else f"({inner},)"
    return None


def perturb(code: str, schedule: bool = False) -> tuple[str, str] | None:
    """The first perturbation of `perturbations`, or None."""
    found = perturbations(code, schedule)
    return found[0] if found else None


def perturbations(code: str, schedule: bool = False) -> list[tuple[str, str]]:
    """Each perturbable literal argument bumped in turn, most meaningful first: (new code, description).

    In schedule checks the schedule's own arguments come first: a scheduler may own the optimizer's
    learning rate (a resumed scheduler starts from `initial_lr`), so perturbing `lr` proves nothing.
    """
    order = (
        [a for a in PERTURBABLE if a not in ("lr", "learning_rate")] + ["lr", "learning_rate"]
        if schedule
        else list(PERTURBABLE)
    )
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    lines = code.splitlines(keepends=True)
    found: list[tuple[int, str, ast.expr, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg in order and (new := _bump(kw.value)) is not None:
                    found.append((order.index(kw.arg), kw.arg, kw.value, new))
            # positional lists of numbers are hyperparameters too (milestones, learning-rate lists)
            for j, arg in enumerate(node.args):
                if isinstance(arg, ast.List) and (new := _bump(arg)) is not None:
                    found.append((len(PERTURBABLE), f"argument {j + 1}", arg, new))
    out = []
    for _, name, v, new in sorted(found, key=lambda t: (t[0], t[2].lineno, t[2].col_offset)):
        assert v.end_lineno is not None and v.end_col_offset is not None
        if v.lineno != v.end_lineno:
            continue
        changed = list(lines)
        line = changed[v.lineno - 1]
        old = line[v.col_offset : v.end_col_offset]
        changed[v.lineno - 1] = line[: v.col_offset] + new + line[v.end_col_offset :]
        out.append(("".join(changed), f"mindspore {name}={old} -> {new}"))
    return out


def _entry_doc(le: LoadedEntry, mutant_id: str, cp_index: int, check: dict[str, Any]) -> dict[str, Any]:
    """The entry reduced to one counterpart holding only `check` (defaults already applied)."""
    doc = le.entry.model_dump(mode="json")
    cp = doc["counterparts"][cp_index]
    cp = {k: v for k, v in cp.items() if k not in ("checks", "check_defaults")}
    # the other statements may cite checks this copy no longer has
    cp["differences"] = [d if isinstance(d, str) else d["text"] for d in cp.get("differences", [])]
    cp["params"] = [{k: v for k, v in r.items() if k != "proof"} for r in cp.get("params", [])]
    if isinstance(cp.get("summary"), dict):
        cp["summary"] = cp["summary"]["text"]
    cp.pop("trap", None)
    cp["checks"] = [check]
    out = {k: v for k, v in doc.items() if k not in ("counterparts", "check_defaults", "see_also")}
    if isinstance(out.get("summary"), dict):
        out["summary"] = out["summary"]["text"]
    return {**out, "id": mutant_id, "counterparts": [cp]}


def mutants_of(le: LoadedEntry) -> Iterator[tuple[Mutant, list[dict[str, Any]]]]:
    """(mutant, entry documents holding only the mutated check).

    A flipped claim has one document. A perturbed recipe has one per perturbable argument: the mutant
    survives only if the check is blind to every one of them (an argument that a scheduler
    overrides, say, may rightly not matter)."""
    for spec in le.checks:
        base = spec.check.model_dump(mode="json", exclude_none=True)
        base.update(inputs=spec.inputs.model_dump(mode="json"), mindspore_mode=spec.mode)
        base["inputs"]["params"] = list(base["inputs"]["params"])
        expect, how = _flip(spec.expect.model_dump(mode="json", exclude_none=True))
        yield Mutant(le.entry.id, spec.name, how), [_entry_doc(le, "", spec.cp_index, {**base, "expect": expect})]
        if spec.expect.equal is None or spec.code is None:
            continue
        bumps = [
            b
            for b in perturbations(spec.code.mindspore, schedule=le.entry.kind == "schedule")
            if b[1].split()[1].split("=")[0] not in spec.check.blind_to
        ]
        if not bumps:
            continue
        docs = []
        for new_code, _ in bumps:
            mutated = {k: v for k, v in base.items() if k not in ("runs", "torch", "mindspore")}
            mutated.update(
                torch=spec.code.torch, mindspore=new_code, expect=spec.expect.model_dump(mode="json", exclude_none=True)
            )
            docs.append(_entry_doc(le, "", spec.cp_index, mutated))
        yield Mutant(le.entry.id, spec.name, bumps[0][1]), docs


def _verify_docs(docs: list[tuple[str, str, dict[str, Any]]]) -> dict[str, bool]:
    """Verify one-check entry documents in one pool; {document id: its check passed}."""
    if not docs:
        return {}
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    section = {"optimizer": "optimizers", "schedule": "schedules", "concept": "concepts", "setup": "setups"}
    with tempfile.TemporaryDirectory(prefix="refmap-mutants-") as tmp:
        root = Path(tmp)
        for doc_id, kind, doc in docs:
            path = root / section[kind] / f"{doc_id}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8") as f:
                yaml.dump({**doc, "id": doc_id}, f)
        mutated = load_kb(root)
        # The mutants themselves are what is tested: no sensitivity runs, nothing kept in the cache.
        try:
            verification = verify_entries(mutated, Settings(persist=False, sensitivity=False))
        except VerificationFailed as exc:
            assert exc.verification is not None
            verification = exc.verification
    return {doc_id: verification.entries[doc_id].checks[0].passed for doc_id, _, _ in docs}


def run(entries: list[LoadedEntry], on_result: Callable[[Mutant], None] | None = None) -> list[Mutant]:
    """Every mutant of every check. Flipped claims are judged from the cached measurements; a perturbed
    recipe tries its arguments in rounds, the next argument only while the mutant survives."""
    plan = [(m, docs, le.entry.kind) for le in entries for m, docs in mutants_of(le)]
    n = 0
    for k in range(max((len(docs) for _, docs, _ in plan), default=0)):
        batch: list[tuple[str, str, dict[str, Any]]] = []
        owners: dict[str, Mutant] = {}
        for m, docs, kind in plan:
            if m.caught or k >= len(docs):
                continue
            n += 1
            batch.append((f"m{n}", kind, docs[k]))
            owners[f"m{n}"] = m
        for doc_id, passed in _verify_docs(batch).items():
            m = owners[doc_id]
            if not passed:
                m.caught = True
                m.detail = "verification failed"
                if k:
                    m.mutation += f" (blind to it; caught by the next argument, try {k + 1})"
    results = []
    for m, _, _ in plan:
        if not m.caught:
            m.caught, m.detail = False, "verification still passed"
        results.append(m)
        if on_result:
            on_result(m)
    return results
