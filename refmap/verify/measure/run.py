"""Run one check in a worker: both frameworks on the same inputs, raw sequences out.

Optimizer checks ("trajectory") feed identical seeded float32 parameters and gradients to both
sides and record every parameter after every step. Schedule checks ("lr") record the learning
rate each side would apply at steps 0 .. N-1. Probe checks call a registered probe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...schema import Inputs
from .guard import count_calls
from .inputs import initial_and_grads
from .raw import ErrorInfo, Raw
from .runtime import Runtime
from .snippets import run_snippet, torch_forbidden
from .task import Task


def _flat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def _stack(rows: list[np.ndarray]) -> np.ndarray:
    return np.stack([np.asarray(r, dtype=np.float64).ravel() for r in rows])


# ---------------- optimizer trajectories ----------------
def _torch_trajectory(
    rt: Runtime, code: str, origin: str, init: list[np.ndarray], grads: list[list[np.ndarray]]
) -> np.ndarray:
    torch, dev = rt.torch, rt.torch_device
    params = [torch.nn.Parameter(torch.tensor(a, device=dev)) for a in init]
    ns = run_snippet(code, origin, rt, "torch", params=params)
    opt, step, sched = ns.get("opt"), ns.get("step"), ns.get("scheduler")
    if step is None and opt is None:
        raise NameError("the torch snippet must bind `opt` (or define `step(grads)`)")

    def default_step(gs: list[Any]) -> None:
        assert opt is not None
        for p, g in zip(params, gs, strict=True):
            p.grad = g
        opt.step()
        if sched is not None:
            sched.step()

    apply: Callable[[list[Any]], Any] = step or default_step
    traj = [_flat(init)]
    for gs in grads:
        apply([torch.tensor(g, device=dev) for g in gs])
        traj.append(_flat([p.detach().cpu().numpy() for p in params]))
    return _stack(traj)


def _ms_trajectory(
    rt: Runtime, code: str, origin: str, names: list[str], init: list[np.ndarray], grads: list[list[np.ndarray]]
) -> np.ndarray:
    ms = rt.mindspore
    params = [ms.Parameter(ms.Tensor(a.copy()), name=n) for a, n in zip(init, names, strict=True)]
    ns = run_snippet(code, origin, rt, "mindspore", params=params)
    opt, step, sched = ns.get("opt"), ns.get("step"), ns.get("scheduler")
    if step is None and opt is None:
        raise NameError("the mindspore snippet must bind `opt` (or define `step(grads)`)")

    def default_step(gs: list[Any]) -> None:
        assert opt is not None
        opt(tuple(gs))
        if sched is not None:  # experimental.optim schedulers are stepped like PyTorch's
            sched.step()

    apply: Callable[[list[Any]], Any] = step or default_step
    traj = [_flat(init)]
    for gs in grads:
        apply([ms.Tensor(g) for g in gs])
        traj.append(_flat([p.asnumpy() for p in params]))
    return _stack(traj)


# ---------------- schedules ----------------
def _as_float(x: Any) -> float:
    if hasattr(x, "asnumpy"):
        x = x.asnumpy()
    elif hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return float(np.asarray(x).reshape(-1)[0])


def _lr_sequence(ns: dict[str, Any], steps: int, side: str) -> np.ndarray:
    """Read the schedule a snippet bound: `scheduler`, `lrs` or `lr_at`."""
    if "scheduler" in ns:
        sched, opt, out = ns["scheduler"], ns.get("opt"), []
        for _ in range(steps):
            out.append(_as_float(sched.get_last_lr()[0]))
            if opt is not None and side == "torch":
                opt.step()  # the order PyTorch expects; no gradients, so parameters stay put
            sched.step()
    elif "lrs" in ns:
        lrs = list(ns["lrs"])
        if len(lrs) < steps:
            raise ValueError(f"the {side} snippet's `lrs` has {len(lrs)} values; the check needs {steps}")
        out = [_as_float(v) for v in lrs[:steps]]
    elif "lr_at" in ns:
        out = [_as_float(ns["lr_at"](s)) for s in range(steps)]
    else:
        raise NameError(f"the {side} snippet must bind `scheduler`, `lrs` or `lr_at`")
    return np.array(out, dtype=np.float64).reshape(-1, 1)


def _torch_lrs(rt: Runtime, code: str, origin: str, steps: int) -> np.ndarray:
    p = [rt.torch.nn.Parameter(rt.torch.zeros(2, device=rt.torch_device))]
    return _lr_sequence(run_snippet(code, origin, rt, "torch", params=p), steps, "torch")


def _ms_lrs(rt: Runtime, code: str, origin: str, steps: int) -> np.ndarray:
    p = [rt.mindspore.Parameter(rt.mindspore.Tensor(np.zeros(2, np.float32)), name="w")]
    return _lr_sequence(run_snippet(code, origin, rt, "mindspore", params=p), steps, "mindspore")


# ---------------- one task ----------------
def run_check(rt: Runtime, task: Task) -> Raw:
    inputs = Inputs.model_validate(task.inputs, strict=False)
    raw = Raw()
    if task.measure == "probe":
        return _run_probe(rt, task, inputs, raw)
    origin = task.where + ":" + task.label
    assert task.torch_code is not None and task.ms_code is not None
    torch_code, ms_code = task.torch_code, task.ms_code
    if task.measure == "trajectory":
        init, grads = initial_and_grads(inputs)
        names = [p.name for p in inputs.params]
        offset = 0
        for spec, a in zip(inputs.params, init, strict=True):
            raw.labels.append(f"{spec.name}[0]")
            raw.plot_index.append(offset)
            offset += a.size
        raw.labels, raw.plot_index = raw.labels[:4], raw.plot_index[:4]
        raw.starts_at_initial = True

        def torch_run(code: str) -> np.ndarray:
            return _torch_trajectory(rt, code, f"{origin}.torch", init, grads)

        def ms_run() -> np.ndarray:
            return _ms_trajectory(rt, ms_code, f"{origin}.mindspore", names, init, grads)
    else:
        raw.labels, raw.plot_index = ["learning rate"], [0]

        def torch_run(code: str) -> np.ndarray:
            return _torch_lrs(rt, code, f"{origin}.torch", inputs.steps)

        def ms_run() -> np.ndarray:
            return _ms_lrs(rt, ms_code, f"{origin}.mindspore", inputs.steps)

    rt.set_mindspore_mode(task.mode)
    try:
        try:
            raw.torch = torch_run(torch_code)
        except BaseException as exc:  # noqa: BLE001 - SystemExit too: recorded and judged, never obeyed
            raw.errors["torch"] = ErrorInfo.of(exc)
        try:
            with torch_forbidden(), count_calls(task.exercises) as calls:
                raw.mindspore = ms_run()
        except BaseException as exc:  # noqa: BLE001
            raw.errors["mindspore"] = ErrorInfo.of(exc)
        raw.api_calls = calls[0] if task.exercises and calls[0] >= 0 else None
    finally:
        rt.set_mindspore_mode("pynative")
    for arg, code in task.perturbations:
        try:
            raw.perturbed[arg] = torch_run(code)
        except BaseException as exc:  # noqa: BLE001 - a perturbation the API refuses proves nothing either way
            raw.perturbed[arg] = ErrorInfo.of(exc)
    return raw


def _run_probe(rt: Runtime, task: Task, inputs: Inputs, raw: Raw) -> Raw:
    from ...probes.registry import PROBES, ProbeContext

    assert task.probe is not None
    fn = PROBES[task.probe].fn
    ctx = ProbeContext(torch=rt.torch, mindspore=rt.mindspore, torch_device=rt.torch_device, inputs=inputs)
    rt.set_mindspore_mode(task.mode)
    try:
        out = fn(ctx)
        raw.torch = _stack([np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in out.torch])
        raw.mindspore = _stack([np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in out.mindspore])
        raw.labels = list(out.labels)[:4]
        raw.plot_index = list(range(min(len(out.labels), 4, raw.torch.shape[1])))
        raw.labels = raw.labels[: len(raw.plot_index)]
    except BaseException as exc:  # noqa: BLE001 - which side failed is the probe's to say
        raw.errors[getattr(exc, "side", "torch")] = ErrorInfo.of(exc)
    finally:
        rt.set_mindspore_mode("pynative")
    return raw
