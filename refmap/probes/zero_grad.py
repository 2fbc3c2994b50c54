"""Probes for the `zero_grad` concept: where gradients come from and whether they accumulate.

A linear model `y = x @ W.T + b` (plus, in the last probes, an auxiliary weight `A` that only
even steps use) is fitted by mean squared error with SGD (lr 0.05, momentum 0.9). torch computes
gradients with `loss.backward()` into `.grad`; MindSpore with `mindspore.value_and_grad`. Every
probe returns all parameters after each update."""

from __future__ import annotations

from typing import Any

import numpy as np

from .arrays import flat, named_normals
from .registry import ProbeContext, ProbeOutput, probe

SHAPES = {"W": (2, 3), "b": (2,), "A": (2, 3)}


def _data(ctx: ProbeContext, micro: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Initial W, b, A (standard normal times 0.5), then inputs [steps, micro, 4, 3] and targets
    [steps, micro, 4, 2], all from one generator."""
    steps = ctx.inputs.steps
    rng = np.random.default_rng(ctx.inputs.seed)
    init = named_normals(rng, SHAPES, 0.5)
    xs = rng.standard_normal((steps, micro, 4, 3)).astype(np.float32)
    ys = rng.standard_normal((steps, micro, 4, 2)).astype(np.float32)
    return init, xs, ys


def _torch_run(ctx: ProbeContext, micro: int, mode: str, aux: bool = False) -> list[np.ndarray]:
    """mode: 'zero' (zero_grad before each update), 'none' (never zeroed),
    'zero_keep' (zero_grad(set_to_none=False))."""
    init, xs, ys = _data(ctx, micro)
    names = ["W", "b", "A"] if aux else ["W", "b"]
    ps = {k: ctx.torch_param(init[k]) for k in names}
    opt = ctx.torch.optim.SGD(list(ps.values()), lr=0.05, momentum=0.9)
    out = []
    for t in range(ctx.inputs.steps):
        if mode == "zero":
            opt.zero_grad()
        elif mode == "zero_keep":
            opt.zero_grad(set_to_none=False)
        for k in range(micro):
            x, y = ctx.torch_tensor(xs[t, k]), ctx.torch_tensor(ys[t, k])
            pred = x @ ps["W"].T + ps["b"]
            if aux and t % 2 == 0:
                pred = pred + x @ ps["A"].T
            (((pred - y) ** 2).mean() / micro).backward()
        opt.step()
        out.append(flat(ctx.numpy(p) for p in ps.values()))
    return out


def _ms_run(ctx: ProbeContext, micro: int, aux: bool = False) -> list[np.ndarray]:
    """value_and_grad each micro-batch, the gradient tuples summed and divided by `micro`, then opt(grads)."""
    ms = ctx.mindspore
    init, xs, ys = _data(ctx, micro)
    names = ["W", "b", "A"] if aux else ["W", "b"]
    ps = [ctx.ms_param(init[k], k) for k in names]
    opt = ms.nn.SGD(ps, learning_rate=0.05, momentum=0.9)

    def loss_fn(x: Any, y: Any, use_aux: bool) -> Any:
        pred = ms.ops.matmul(x, ps[0].T) + ps[1]
        if use_aux:
            pred = pred + ms.ops.matmul(x, ps[2].T)
        return ((pred - y) ** 2).mean()

    grad_fn = ms.value_and_grad(loss_fn, None, opt.parameters)
    out = []
    for t in range(ctx.inputs.steps):
        total: Any = None
        for k in range(micro):
            _, grads = grad_fn(ctx.ms_tensor(xs[t, k]), ctx.ms_tensor(ys[t, k]), aux and t % 2 == 0)
            total = grads if total is None else tuple(a + g for a, g in zip(total, grads, strict=True))
        opt(tuple(g / micro for g in total))
        out.append(flat(ctx.numpy(p) for p in ps))
    return out


def _result(t: list, m: list) -> ProbeOutput:
    return ProbeOutput(torch=t, mindspore=m, labels=["W[0,0]", "W[0,1]", "b[0]"])


@probe
def zeroed(ctx: ProbeContext) -> ProbeOutput:
    """torch: zero_grad(); backward(); step() vs MindSpore: value_and_grad; opt(grads). Both
    sides return W and b after each update."""
    with ctx.side("torch"):
        t = _torch_run(ctx, 1, "zero")
    with ctx.side("mindspore"):
        m = _ms_run(ctx, 1)
    return _result(t, m)


@probe
def never_zeroed(ctx: ProbeContext) -> ProbeOutput:
    """torch without zero_grad: each .grad is the sum of all gradients so far. MindSpore:
    value_and_grad; opt(grads). Both sides return W and b after each update."""
    with ctx.side("torch"):
        t = _torch_run(ctx, 1, "none")
    with ctx.side("mindspore"):
        m = _ms_run(ctx, 1)
    return _result(t, m)


@probe
def accumulation(ctx: ProbeContext) -> ProbeOutput:
    """Gradient accumulation over 3 micro-batches per update: torch lets backward() sum into
    .grad between zero_grad() calls; MindSpore sums the returned tuples by hand. Both sides
    return W and b after each update."""
    with ctx.side("torch"):
        t = _torch_run(ctx, 3, "zero")
    with ctx.side("mindspore"):
        m = _ms_run(ctx, 3)
    return _result(t, m)


@probe
def unused_set_to_none(ctx: ProbeContext) -> ProbeOutput:
    """A weight A used only on even steps. torch zero_grad() (set_to_none=True) leaves its grad
    None on odd steps and SGD skips it; value_and_grad returns zeros and momentum keeps moving it.
    Both sides return W, b and A after each update."""
    with ctx.side("torch"):
        t = _torch_run(ctx, 1, "zero", aux=True)
    with ctx.side("mindspore"):
        m = _ms_run(ctx, 1, aux=True)
    return _result(t, m)


@probe
def unused_set_to_zero(ctx: ProbeContext) -> ProbeOutput:
    """The same with torch zero_grad(set_to_none=False): zero gradients, as in MindSpore. Both
    sides return W, b and A after each update."""
    with ctx.side("torch"):
        t = _torch_run(ctx, 1, "zero_keep", aux=True)
    with ctx.side("mindspore"):
        m = _ms_run(ctx, 1, aux=True)
    return _result(t, m)
