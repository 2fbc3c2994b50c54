"""Turn resolved checks into worker tasks, each with the cache key of its measurement."""

from __future__ import annotations

from ..load import CheckSpec, LoadedEntry
from .measure.task import Task
from .perturb import torch_perturbations
from .store import task_key


def task_for(spec: CheckSpec, expected_s: float = 1.0, sensitivity: bool = True) -> Task:
    code = spec.code
    perturbations: tuple[tuple[str, str], ...] = ()
    if sensitivity and spec.expect.equal is not None and code is not None:
        perturbations = tuple(torch_perturbations(code.torch))
    # Exactly what the measurement depends on (the name, description and expectation do not).
    torch_code = code.torch if code else None
    ms_code = code.mindspore if code else None
    inputs = spec.inputs.model_dump(mode="json")
    exercises = spec.exercises if spec.measure != "probe" else None
    measured = {
        "measure": spec.measure,
        "torch": torch_code,
        "mindspore": ms_code,
        "probe": spec.check.probe,
        "inputs": inputs,
        "mode": spec.mode,
        "exercises": exercises,
        "perturbations": [list(p) for p in perturbations],
    }
    return Task(
        key=task_key(measured),
        label=spec.label,
        where=spec.where,
        measure=spec.measure,
        torch_code=torch_code,
        ms_code=ms_code,
        probe=spec.check.probe,
        inputs=inputs,
        mode=spec.mode,
        exercises=exercises,
        perturbations=perturbations,
        expected_s=expected_s,
        expects_mindspore_error=spec.expect.raises is not None and spec.expect.raises.side == "mindspore",
    )


def apis_of(le: LoadedEntry) -> list[str]:
    """Every framework API an entry names: what introspection must resolve before its checks run."""
    e = le.entry
    out = [a for a in [e.torch_api, *e.involves] if a]
    for cp in e.counterparts:
        if cp.api:
            out.append(cp.api)
        out += [c.calls for c in cp.checks if c.calls]
    return list(dict.fromkeys(out))


def introspect_task(apis: list[str]) -> Task:
    return Task(key="introspect", label="introspection", where="", measure="introspect", apis=tuple(sorted(apis)))
