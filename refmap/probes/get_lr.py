"""Probes for the `get_lr` concept: the learning rate each framework reports before every update.

Each probe builds an optimizer over the same seeded parameters, reads the learning rate, applies
one update with the same gradient, and repeats; torch steps its scheduler after each update."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .arrays import init_and_grads
from .registry import ProbeContext, ProbeOutput, probe

SHAPES = [(4, 3), (5,), (3,)]
BASE, GAMMA = 0.1, 0.9


def _data(ctx: ProbeContext) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    return init_and_grads(ctx.inputs.seed, ctx.inputs.steps, SHAPES)


def _torch_params(ctx: ProbeContext, init: list[np.ndarray]) -> list[Any]:
    return [ctx.torch_param(a) for a in init]


def _ms_params(ctx: ProbeContext, init: list[np.ndarray]) -> list[Any]:
    return [ctx.ms_param(a, n) for a, n in zip(init, ["weight", "bias", "scale"], strict=True)]


def _torch_run(
    ctx: ProbeContext, opt: Any, sched: Any, params: list[Any], grads: list, read: Callable[[], Any]
) -> list:
    """`read()` before each update; then the gradients, opt.step() and sched.step()."""
    out = []
    for gs in grads:
        out.append(read())
        for p, g in zip(params, gs, strict=True):
            p.grad = ctx.torch_tensor(g)
        opt.step()
        sched.step()
    return out


def _ms_run(ctx: ProbeContext, opt: Any, grads: list, read: Callable[[], Any], sched: Any = None) -> list:
    """`read()` before each update; then opt(gradients) and, when given, sched.step()."""
    out = []
    for gs in grads:
        out.append(read())
        opt(tuple(ctx.ms_tensor(g) for g in gs))
        if sched is not None:
            sched.step()
    return out


def _torch_exponential(ctx: ProbeContext) -> list:
    """SGD(lr=0.1) under ExponentialLR(0.9): [get_last_lr()[0], param_groups[0]['lr']] per step."""
    init, grads = _data(ctx)
    ps = _torch_params(ctx, init)
    opt = ctx.torch.optim.SGD(ps, lr=BASE)
    sched = ctx.torch.optim.lr_scheduler.ExponentialLR(opt, gamma=GAMMA)
    return _torch_run(ctx, opt, sched, ps, grads, lambda: [sched.get_last_lr()[0], opt.param_groups[0]["lr"]])


def _ms_list_sgd(ctx: ProbeContext) -> tuple[Any, list[Any], list]:
    """nn.SGD whose learning_rate is the list 0.1 * 0.9**k, one rate per step."""
    init, grads = _data(ctx)
    ps = _ms_params(ctx, init)
    opt = ctx.mindspore.nn.SGD(ps, learning_rate=[BASE * GAMMA**k for k in range(ctx.inputs.steps)])
    return opt, ps, grads


def _list_lr(ctx: ProbeContext, read_parameter: bool) -> ProbeOutput:
    with ctx.side("torch"):
        t = [v[1 if read_parameter else 0] for v in _torch_exponential(ctx)]
    with ctx.side("mindspore"):
        opt, ps, grads = _ms_list_sgd(ctx)

        def read() -> float:
            if read_parameter:
                step = int(opt.global_step.asnumpy()[0])
                return float(opt.get_lr_parameter(ps[0]).asnumpy()[step])
            return float(opt.get_lr().asnumpy())

        m = _ms_run(ctx, opt, grads, read)
    label = (
        "param_groups[0]['lr'] / get_lr_parameter(p)[global_step]" if read_parameter else "get_last_lr()[0] / get_lr()"
    )
    return ProbeOutput(torch=t, mindspore=m, labels=[label])


@probe
def list_lr(ctx: ProbeContext) -> ProbeOutput:
    """A per-step list as learning_rate: torch get_last_lr()[0] under ExponentialLR(0.9) vs nn.SGD
    get_lr() with the list 0.1 * 0.9**k, read before each update."""
    return _list_lr(ctx, read_parameter=False)


@probe
def list_lr_parameter_indexed(ctx: ProbeContext) -> ProbeOutput:
    """The same list: torch param_groups[0]['lr'] vs get_lr_parameter(p) indexed at global_step."""
    return _list_lr(ctx, read_parameter=True)


@probe
def list_lr_parameter_as_float(ctx: ProbeContext) -> ProbeOutput:
    """float(get_lr_parameter(p)) with a list learning rate: the Parameter holds the whole list.
    torch: [get_last_lr()[0], param_groups[0]['lr']]; MindSpore: [float(get_lr()),
    float(get_lr_parameter(p))], before each update."""
    with ctx.side("torch"):
        t = _torch_exponential(ctx)
    with ctx.side("mindspore"):
        opt, ps, grads = _ms_list_sgd(ctx)
        m = _ms_run(ctx, opt, grads, lambda: [float(opt.get_lr()), float(opt.get_lr_parameter(ps[0]))])
    return ProbeOutput(torch=t, mindspore=m, labels=["get_last_lr / get_lr", "param_groups / get_lr_parameter"])


@probe
def schedule_cell(ctx: ProbeContext) -> ProbeOutput:
    """A LearningRateSchedule cell (ExponentialDecayLR(0.1, 0.9, 1)): get_lr() evaluates it at
    global_step; get_lr_parameter returns the cell itself, which the probe calls with global_step.
    torch: [get_last_lr()[0], param_groups[0]['lr']] under ExponentialLR(0.9)."""
    with ctx.side("torch"):
        t = _torch_exponential(ctx)
    with ctx.side("mindspore"):
        init, grads = _data(ctx)
        ps = _ms_params(ctx, init)
        opt = ctx.mindspore.nn.SGD(ps, learning_rate=ctx.mindspore.nn.ExponentialDecayLR(BASE, GAMMA, 1))

        def read() -> list[float]:
            cell = opt.get_lr_parameter(ps[0])
            return [float(opt.get_lr().asnumpy()), float(cell(opt.global_step).asnumpy().reshape(-1)[0])]

        m = _ms_run(ctx, opt, grads, read)
    return ProbeOutput(torch=t, mindspore=m, labels=["get_last_lr / get_lr", "param_groups / get_lr_parameter"])


def _torch_groups(ctx: ProbeContext, read_all: bool) -> list:
    init, grads = _data(ctx)
    ps = _torch_params(ctx, init)
    opt = ctx.torch.optim.SGD([{"params": ps[:1], "lr": 0.02}, {"params": ps[1:]}], lr=BASE)
    sched = ctx.torch.optim.lr_scheduler.ExponentialLR(opt, gamma=GAMMA)
    if read_all:
        return _torch_run(ctx, opt, sched, ps, grads, lambda: [float(len(sched.get_last_lr()))])
    return _torch_run(ctx, opt, sched, ps, grads, lambda: list(sched.get_last_lr()))


def _ms_group_opt(ctx: ProbeContext) -> tuple[Any, list[Any], list]:
    init, grads = _data(ctx)
    ps = _ms_params(ctx, init)
    n = ctx.inputs.steps
    groups = [{"params": ps[:1], "lr": [0.02 * GAMMA**k for k in range(n)]}, {"params": ps[1:]}]
    return ctx.mindspore.nn.SGD(groups, learning_rate=[BASE * GAMMA**k for k in range(n)]), ps, grads


@probe
def group_lr_count(ctx: ProbeContext) -> ProbeOutput:
    """Two groups over three parameters: torch get_last_lr() has one value per group (2), nn get_lr()
    one per parameter (3). Both sides return that count before each update."""
    with ctx.side("torch"):
        t = _torch_groups(ctx, read_all=True)
    with ctx.side("mindspore"):
        opt, ps, grads = _ms_group_opt(ctx)
        m = _ms_run(ctx, opt, grads, lambda: [float(len(opt.get_lr()))])
    return ProbeOutput(torch=t, mindspore=m, labels=["number of values"])


@probe
def group_lr_values(ctx: ProbeContext) -> ProbeOutput:
    """Per-group values before each update (group 0 starts at 0.02, group 1 at 0.1, both decaying
    by 0.9): torch get_last_lr()[i]; nn get_lr()[index of group i's first parameter]."""
    with ctx.side("torch"):
        t = _torch_groups(ctx, read_all=False)
    with ctx.side("mindspore"):
        opt, ps, grads = _ms_group_opt(ctx)
        first = [0, 1]  # index in opt.parameters of each group's first parameter
        m = _ms_run(ctx, opt, grads, lambda: [float(opt.get_lr()[i].asnumpy()) for i in first])
    return ProbeOutput(torch=t, mindspore=m, labels=["group 0", "group 1"])


@probe
def exp_get_last_lr(ctx: ProbeContext) -> ProbeOutput:
    """experimental.optim: scheduler.get_last_lr() (Tensors) and param_groups[i]['lr'] (Parameters)
    for two groups under ExponentialLR, vs the same two reads in torch, before each update."""
    init, grads = _data(ctx)
    with ctx.side("torch"):
        ps = _torch_params(ctx, init)
        opt = ctx.torch.optim.SGD([{"params": ps[:1], "lr": 0.02}, {"params": ps[1:]}], lr=BASE)
        sched = ctx.torch.optim.lr_scheduler.ExponentialLR(opt, gamma=GAMMA)
        t = _torch_run(
            ctx, opt, sched, ps, grads, lambda: list(sched.get_last_lr()) + [g["lr"] for g in opt.param_groups]
        )
    with ctx.side("mindspore"):
        ms = ctx.mindspore
        mps = _ms_params(ctx, init)
        mopt = ms.experimental.optim.SGD([{"params": mps[:1], "lr": 0.02}, {"params": mps[1:]}], lr=BASE)
        msched = ms.experimental.optim.lr_scheduler.ExponentialLR(mopt, gamma=GAMMA)
        m = _ms_run(
            ctx,
            mopt,
            grads,
            lambda: [float(v) for v in msched.get_last_lr()] + [float(g["lr"]) for g in mopt.param_groups],
            msched,
        )
    return ProbeOutput(
        torch=t,
        mindspore=m,
        labels=["get_last_lr()[0]", "get_last_lr()[1]", "param_groups[0]['lr']", "param_groups[1]['lr']"],
    )
