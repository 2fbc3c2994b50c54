"""Probes for the `param_groups` concept: the per-group learning rate each framework reports."""

from __future__ import annotations

from typing import Any

import numpy as np

from .arrays import normals
from .registry import ProbeContext, ProbeOutput, probe

SHAPES = [(4, 3), (5,), (3,)]


def _arrays(ctx: ProbeContext) -> list[np.ndarray]:
    return normals(np.random.default_rng(ctx.inputs.seed), SHAPES)


def _torch_group_lrs(ctx: ProbeContext, arrays: list[np.ndarray]) -> list[float]:
    """param_groups[i]['lr'] of SGD(momentum=0.9) with group 0 at lr 0.02 and group 1 at the default 0.01."""
    ps = [ctx.torch_param(a) for a in arrays]
    opt = ctx.torch.optim.SGD([{"params": ps[:1], "lr": 0.02}, {"params": ps[1:]}], lr=0.01, momentum=0.9)
    return [g["lr"] for g in opt.param_groups]


def _ms_params(ctx: ProbeContext, arrays: list[np.ndarray]) -> list[Any]:
    return [ctx.ms_param(a, n) for a, n in zip(arrays, ["weight", "bias", "scale"], strict=True)]


@probe
def nn_group_lr(ctx: ProbeContext) -> ProbeOutput:
    """Group lrs read back once (group 0 set to 0.02, group 1 inheriting 0.01): torch
    `param_groups[i]['lr']`; nn.Momentum `get_lr_parameter` on the group's first parameter (nn
    optimizers keep no param_groups)."""
    arrays = _arrays(ctx)
    with ctx.side("torch"):
        t = _torch_group_lrs(ctx, arrays)
    with ctx.side("mindspore"):
        ps = _ms_params(ctx, arrays)
        groups: list[dict[str, Any]] = [{"params": ps[:1], "lr": 0.02}, {"params": ps[1:]}]
        opt = ctx.mindspore.nn.Momentum(groups, learning_rate=0.01, momentum=0.9)
        m = [float(opt.get_lr_parameter(g["params"][0]).asnumpy()) for g in groups]
    return ProbeOutput(torch=[t], mindspore=[m], labels=["group 0", "group 1"])


@probe
def exp_group_lr(ctx: ProbeContext) -> ProbeOutput:
    """experimental.optim keeps torch's param_groups; each 'lr' is a scalar Parameter there. Both
    sides read `param_groups[i]['lr']` once (group 0 set to 0.02, group 1 inheriting 0.01)."""
    arrays = _arrays(ctx)
    with ctx.side("torch"):
        t = _torch_group_lrs(ctx, arrays)
    with ctx.side("mindspore"):
        ps = _ms_params(ctx, arrays)
        opt = ctx.mindspore.experimental.optim.SGD(
            [{"params": ps[:1], "lr": 0.02}, {"params": ps[1:]}], lr=0.01, momentum=0.9
        )
        m = [float(g["lr"].asnumpy()) for g in opt.param_groups]
    return ProbeOutput(torch=[t], mindspore=[m], labels=["group 0", "group 1"])
