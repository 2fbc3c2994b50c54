"""Probes for the `custom_optimizer` concept: a small-operator Momentum subclass of
mindspore.nn.Optimizer run in graph mode (MindSpore compiles `construct` from source, so the class
must live in a real file rather than in a YAML snippet)."""

from __future__ import annotations

from typing import Any

from .arrays import flat, init_and_grads
from .registry import ProbeContext, ProbeOutput, probe

SHAPES = [(4, 3), (5,)]


def _momentum_class(ms: Any) -> Any:
    class MomentumOpt(ms.nn.Optimizer):
        def __init__(
            self, params: Any, learning_rate: Any, momentum: float, weight_decay: float = 0.0, loss_scale: float = 1.0
        ):
            super().__init__(learning_rate, params, weight_decay, loss_scale)
            self.momentum = ms.Parameter(ms.Tensor(momentum, ms.float32), name="momentum")
            self.moments = self.parameters.clone(prefix="moments", init="zeros")

        def construct(self, gradients: Any) -> Any:
            gradients = self.decay_weight(gradients)
            gradients = self.scale_grad(gradients)
            lr = self.get_lr()
            self.assignadd(self.global_step, self.global_step_increase_tensor)
            for param, mom, grad in zip(self.parameters, self.moments, gradients):  # noqa: B905 - compiled by MindSpore
                new_mom = self.momentum * mom + grad
                ms.ops.assign(mom, new_mom)
                ms.ops.assign(param, param - lr * new_mom)
            return True

    return MomentumOpt


@probe
def small_ops_graph(ctx: ProbeContext) -> ProbeOutput:
    """The small-operator Momentum subclass, compiled in graph mode, vs torch SGD(momentum=0.9,
    weight_decay=0.01) with ExponentialLR(0.95); MindSpore gets the same rates as a list. Both
    sides apply the same seeded gradients to `weight` [4, 3] and `bias` [5] and return both
    parameters, flattened, after each update."""
    init, grads = init_and_grads(ctx.inputs.seed, ctx.inputs.steps, SHAPES)
    torch, ms = ctx.torch, ctx.mindspore
    with ctx.side("torch"):
        ps = [ctx.torch_param(a) for a in init]
        opt = torch.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01)
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.95)
        t = []
        for gs in grads:
            for p, g in zip(ps, gs, strict=True):
                p.grad = ctx.torch_tensor(g)
            opt.step()
            sched.step()
            t.append(flat(ctx.numpy(p) for p in ps))
    with ctx.side("mindspore"):
        ps = [ctx.ms_param(a, n) for a, n in zip(init, ["weight", "bias"], strict=True)]
        opt = _momentum_class(ms)(ps, [0.05 * 0.95**k for k in range(ctx.inputs.steps)], 0.9, weight_decay=0.01)
        m = []
        for gs in grads:
            opt(tuple(ctx.ms_tensor(g) for g in gs))
            m.append(flat(ctx.numpy(p) for p in ps))
    return ProbeOutput(torch=t, mindspore=m, labels=["weight[0]", "weight[1]", "bias[0]"])
