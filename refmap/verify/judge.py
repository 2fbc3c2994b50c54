"""Hold a raw measurement against the check's expectation; say what was measured in one line.

Runs in the parent process, on measurements fresh from a worker or read from the cache: changing
an expectation re-judges without re-running, and no snippet can reach this code.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..load import CheckSpec
from .measure.raw import ErrorInfo, Raw
from .results import CheckResult, Sensitivity, Series

_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")


def _stable(text: str) -> str:
    """Messages name objects by address (`<function f at 0x7f...>`); pages must be byte-stable."""
    return _ADDRESS.sub("0x…", text)


def _exc_line(e: ErrorInfo) -> str:
    # MindSpore frames its messages with rows of dashes and appends a C++ call stack "for framework
    # developers": keep the sentences a reader needs.
    parts = [p.strip().lstrip("- ").strip() for p in re.split(r"-{8,}", e.message)]
    message = " ".join(p for p in parts if p and not p.startswith("C++ Call Stack"))
    return _stable(f"{e.name}: {message[:300]}")


def _base(spec: CheckSpec, raw: Raw | None, wall_s: float) -> dict[str, Any]:
    code = spec.code
    return dict(
        entry=spec.entry_id,
        check=spec.name,
        counterpart=spec.counterpart,
        expectation=spec.expect.describe(),
        expect_kind=spec.expect.which,
        measure=spec.measure,
        steps=spec.inputs.steps,
        mindspore_mode=spec.mode,
        code_torch=code.torch if code else None,
        code_mindspore=code.mindspore if code else None,
        probe=spec.check.probe,
        raised={side: _exc_line(e) for side, e in (raw.errors.items() if raw else ())},
        api_calls=raw.api_calls if raw else None,
        wall_s=wall_s,
    )


def failed(spec: CheckSpec, why: str, probe_source: str | None = None) -> CheckResult:
    """A check with no trustworthy measurement (timed out, worker died, changed shared state)."""
    return CheckResult(**_base(spec, None, 0.0), passed=False, outcome=why, probe_source=probe_source)


def _sensitivity(spec: CheckSpec, raw: Raw, t: np.ndarray) -> tuple[list[Sensitivity], list[str]]:
    """Each perturbed torch argument: does the check's own tolerance see the change? (equal checks)"""
    eq = spec.expect.equal
    out: list[Sensitivity] = []
    blind: list[str] = []
    if eq is None:
        return out, blind
    for arg, p in raw.perturbed.items():
        if isinstance(p, ErrorInfo):
            out.append(Sensitivity(arg=arg, ratio=None, note=f"perturbation raised {_exc_line(p)}"))
            continue
        if p.shape != t.shape:
            out.append(Sensitivity(arg=arg, ratio=float("inf"), note="sensitive (the run changed length)"))
            continue
        with np.errstate(invalid="ignore", over="ignore"):
            ratio = np.abs(p - t) / (eq.atol + eq.rtol * np.abs(t))
        r = float(np.nanmax(ratio)) if np.isfinite(p).all() else float("inf")
        if r > 1.0:
            out.append(Sensitivity(arg=arg, ratio=r, note="sensitive"))
        elif (name := arg.split("[")[0].rsplit(".", 1)[-1]) in spec.check.blind_to:
            out.append(Sensitivity(arg=arg, ratio=r, note=f"blind: {spec.check.blind_to[name]}"))
        else:
            out.append(Sensitivity(arg=arg, ratio=r, note="blind"))
            blind.append(arg)
    return out, blind


def _exercised(spec: CheckSpec, raw: Raw) -> bool:
    """Classes and functions are counted while the MindSpore side runs; a method (which MindSpore may
    compile rather than call) must at least be named by the MindSpore code."""
    if raw.api_calls is not None:
        return raw.api_calls > 0
    name = (spec.exercises or "").rsplit(".", 1)[-1]
    return spec.code is not None and re.search(rf"\b{re.escape(name)}\b", spec.code.mindspore) is not None


def judge(spec: CheckSpec, raw: Raw, cached: bool, probe_source: str | None = None) -> CheckResult:
    exp = spec.expect
    base = _base(spec, raw, raw.wall_s)
    base.update(cached=cached, probe_source=probe_source)
    if exp.raises is not None:
        want = exp.raises
        err = raw.errors.get(want.side)
        if err is None:
            return CheckResult(**base, passed=False, outcome=f"{want.side} raised nothing")
        ok = want.exception in err.types and re.search(want.match, err.message) is not None
        return CheckResult(**base, passed=ok, outcome=f"{want.side} raised {_exc_line(err)}")
    if raw.errors:
        side, err = next(iter(raw.errors.items()))
        return CheckResult(**base, passed=False, outcome=f"{side} raised {_exc_line(err)}")
    assert raw.torch is not None and raw.mindspore is not None
    t, s = raw.torch, raw.mindspore
    if t.shape != s.shape:
        return CheckResult(
            **base, passed=False, outcome=f"the two sides produced different shapes ({t.shape} and {s.shape})"
        )
    start = 1 if raw.starts_at_initial else 0
    with np.errstate(invalid="ignore"):
        diff = np.abs(t - s)[start:]
    finite = bool(np.isfinite(t).all() and np.isfinite(s).all())
    comparable = np.where(np.isfinite(diff), diff, 0.0)
    per_step = comparable.max(axis=1) if comparable.size else np.zeros(0)
    max_abs = float(per_step.max()) if per_step.size else 0.0
    if not np.isfinite(diff).all():
        max_abs = float("nan")  # a difference involving NaN or inf is not a number to report
    scale = np.abs(t[start:])
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(scale > 1e-12, comparable / scale, np.where(comparable > 0, np.inf, 0.0))
    max_rel = float(rel.max()) if rel.size else 0.0
    moved_t = moved_s = None
    if raw.starts_at_initial:
        moved_t = float(np.nan_to_num(np.abs(t[-1] - t[0]), nan=np.inf).max())
        moved_s = float(np.nan_to_num(np.abs(s[-1] - s[0]), nan=np.inf).max())
    series = Series(
        torch=[[float(v) for v in row[raw.plot_index]] for row in t],
        mindspore=[[float(v) for v in row[raw.plot_index]] for row in s],
        labels=raw.labels,
    )
    measured = f"max|Δ| {max_abs:.3g} (max rel {max_rel:.3g}) over {len(per_step)} steps"
    if not finite:
        measured += "; non-finite values"
    sens, blind = _sensitivity(spec, raw, t)
    limits: list[float] = []
    if exp.equal is not None and comparable.size:
        worst = comparable.argmax(axis=1)
        limits = [float(exp.equal.atol + exp.equal.rtol * scale[k, j]) for k, j in enumerate(worst)]
    elif exp.differs is not None:
        limits = [exp.differs.min_abs] * len(per_step)
    tolerance_used = None
    problems: list[str] = []
    if exp.equal is not None:
        with np.errstate(invalid="ignore"):
            tolerance_used = float(np.max(diff / (exp.equal.atol + exp.equal.rtol * scale))) if diff.size else 0.0
        ok = finite and bool(np.all(diff <= exp.equal.atol + exp.equal.rtol * scale))
        if ok and raw.starts_at_initial and not (moved_t and moved_s):
            ok = False
            problems.append(
                f"parameters did not move (torch {moved_t:.3g}, mindspore {moved_s:.3g}) so equality proves nothing"
            )
        if blind:
            ok = False
            problems.append(
                "blind to " + ", ".join(blind) + ": perturbing it stays within the tolerance (tighten the tolerance, "
                "make the inputs show it, or say why in blind_to)"
            )
    else:
        assert exp.differs is not None
        if exp.differs.nonfinite:
            ok = not finite
            if finite:
                problems.append("expected non-finite values, but every value is finite")
        else:
            ok = finite and max_abs >= exp.differs.min_abs
            if not finite:
                problems.append("non-finite values are not a difference (set nonfinite: true if they are the finding)")
    if spec.measure != "probe" and spec.exercises and not _exercised(spec, raw):
        ok = False
        problems.append(
            f"the MindSpore side never called {spec.exercises}; a check must exercise the API it documents"
            + ("" if spec.check.calls else " (or name the API it uses instead in `calls`)")
        )
    if problems:
        measured += "; " + "; ".join(problems)
    return CheckResult(
        **base,
        passed=ok,
        outcome=measured,
        max_abs=max_abs,
        max_rel=max_rel,
        tolerance_used=tolerance_used,
        diff_per_step=[float(v) for v in per_step],
        limit_per_step=limits,
        moved_torch=moved_t,
        moved_mindspore=moved_s,
        series=series,
        sensitivity=sens,
    )
