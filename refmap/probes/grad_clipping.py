"""Probes for the `grad_clipping` concept: what the clipping calls return."""

from __future__ import annotations

from .arrays import grads_only
from .registry import ProbeContext, ProbeOutput, probe

SHAPES = [(4, 3), (5,)]


@probe
def total_norm(ctx: ProbeContext) -> ProbeOutput:
    """torch: the value clip_grad_norm_(max_norm=1) returns (the total norm before clipping), then
    the norm of the clipped gradients. MindSpore: clip_by_global_norm(grads, 1) returns only the
    clipped tensors, so the norm before is computed separately as sqrt(sum of squares) over all
    gradients, then the norm of what it returns. One seeded pair of gradients (times grad_scale)
    per step."""
    torch, ms = ctx.torch, ctx.mindspore
    t, m = [], []
    for gs in grads_only(ctx.inputs.seed, ctx.inputs.steps, SHAPES, ctx.inputs.grad_scale):
        with ctx.side("torch"):
            ps = [torch.nn.Parameter(torch.zeros(s, device=ctx.torch_device)) for s in SHAPES]
            for p, g in zip(ps, gs, strict=True):
                p.grad = ctx.torch_tensor(g)
            norm = torch.nn.utils.clip_grad_norm_(ps, max_norm=1.0)
            after = float(torch.sqrt(sum((p.grad**2).sum() for p in ps)))
            t.append([float(norm), after])
        with ctx.side("mindspore"):
            grads = tuple(ctx.ms_tensor(g) for g in gs)
            norm = ms.ops.sqrt(sum((g**2).sum() for g in grads))
            clipped = ms.ops.clip_by_global_norm(grads, 1.0)
            after = float(ms.ops.sqrt(sum((g**2).sum() for g in clipped)).asnumpy())
            m.append([float(norm.asnumpy()), after])
    return ProbeOutput(torch=t, mindspore=m, labels=["norm before clipping", "norm after clipping"])
