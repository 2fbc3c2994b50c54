"""Probes for the `loss_scale` concept: dynamic loss scaling with overflow skipping.

SGD with momentum on two seeded parameters; the gradients of updates 4, 5 and 12 contain an inf.
Each update records the loss scale after it, then all parameters."""

from __future__ import annotations

import numpy as np

from .arrays import flat, init_and_grads
from .registry import ProbeContext, ProbeOutput, probe

SHAPES = [(4, 3), (5,)]
OVERFLOW_STEPS = (4, 5, 12)


def _data(ctx: ProbeContext) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    init, grads = init_and_grads(ctx.inputs.seed, ctx.inputs.steps, SHAPES)
    for t in OVERFLOW_STEPS:
        if t < ctx.inputs.steps:
            grads[t][1][0] = np.inf
    return init, grads


@probe
def dynamic_scaler(ctx: ProbeContext) -> ProbeOutput:
    """torch.amp.GradScaler(init_scale=1024, growth_interval=3) on the run's device around
    SGD(lr=0.05, momentum=0.9) vs mindspore.amp.DynamicLossScaler(1024, 2, 3) with all_finite and a
    skipped update around nn.SGD. Both sides return, after each update, the loss scale followed by
    all parameter values; the gradients of updates 4, 5 and 12 hold an inf."""
    init, grads = _data(ctx)
    torch, ms = ctx.torch, ctx.mindspore
    with ctx.side("torch"):
        ps = [ctx.torch_param(a) for a in init]
        opt = torch.optim.SGD(ps, lr=0.05, momentum=0.9)
        scaler = torch.amp.GradScaler(
            torch.device(ctx.torch_device).type,
            init_scale=1024.0,
            growth_factor=2.0,
            backoff_factor=0.5,
            growth_interval=3,
        )
        t = []
        for gs in grads:
            opt.zero_grad()
            loss = sum((p * ctx.torch_tensor(g)).sum() for p, g in zip(ps, gs, strict=True))
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            t.append(flat([[scaler.get_scale()], *(ctx.numpy(p) for p in ps)]))
    with ctx.side("mindspore"):
        ps = [ctx.ms_param(a, n) for a, n in zip(init, ["weight", "bias"], strict=True)]
        opt = ms.nn.SGD(ps, learning_rate=0.05, momentum=0.9)
        scaler = ms.amp.DynamicLossScaler(scale_value=1024.0, scale_factor=2, scale_window=3)
        m = []
        for gs in grads:
            scaled = scaler.scale(tuple(ctx.ms_tensor(g) for g in gs))  # what backward of a scaled loss gives
            unscaled = scaler.unscale(scaled)
            finite = ms.amp.all_finite(unscaled)
            if bool(finite):
                opt(unscaled)
            scaler.adjust(finite)
            m.append(flat([ctx.numpy(scaler.scale_value), *(ctx.numpy(p) for p in ps)]))
    return ProbeOutput(torch=t, mindspore=m, labels=["loss scale", "weight[0]", "weight[1]"])
