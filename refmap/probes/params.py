"""Probes for the `params` concept: which parameters reach the optimizer.

A small Conv2d + Dense network with identical weights in both frameworks is trained on the same
data; every probe returns all four parameter tensors, flattened, after each step (parameters left
out of the optimizer show up as constant coordinates)."""

from __future__ import annotations

from typing import Any

from .arrays import net_data, net_init
from .nets import CONV_NET, ms_net, torch_net, train_ms, train_torch
from .registry import ProbeContext, ProbeOutput, probe

NAMES = list(CONV_NET)


def _setup(ctx: ProbeContext, frozen: tuple[str, ...] = ()) -> tuple[Any, Any, Any, Any]:
    init = net_init(ctx.inputs.seed, CONV_NET)
    xs, ys = net_data(ctx.inputs.seed, ctx.inputs.steps, (2, 4, 4), 2)
    return torch_net(ctx, CONV_NET, init, frozen), ms_net(ctx, CONV_NET, init, frozen), xs, ys


def _result(t: list, m: list) -> ProbeOutput:
    return ProbeOutput(torch=t, mindspore=m, labels=["conv.weight[0]", "conv.bias[0]"])


@probe
def all_trainable(ctx: ProbeContext) -> ProbeOutput:
    """torch SGD(model.parameters()) vs nn.SGD(net.trainable_params()), momentum and weight decay.
    Both sides return all four parameters, flattened, after each update."""
    tnet, mnet, xs, ys = _setup(ctx)
    with ctx.side("torch"):
        topt = ctx.torch.optim.SGD(tnet.parameters(), lr=0.01, momentum=0.9, weight_decay=0.01)
        t = train_torch(ctx, tnet, topt, xs, ys, NAMES)
    with ctx.side("mindspore"):
        mopt = ctx.mindspore.nn.SGD(mnet.trainable_params(), learning_rate=0.01, momentum=0.9, weight_decay=0.01)
        m = train_ms(ctx, mnet, mopt, xs, ys, NAMES)
    return _result(t, m)


@probe
def non_conv_by_name(ctx: ProbeContext) -> ProbeOutput:
    """The same name filter on both sides: only parameters whose name lacks 'conv' are optimized.
    Both sides return all four parameters, flattened, after each update."""
    tnet, mnet, xs, ys = _setup(ctx)
    with ctx.side("torch"):
        chosen = [p for n, p in tnet.named_parameters() if "conv" not in n]
        topt = ctx.torch.optim.SGD(chosen, lr=0.01, momentum=0.9)
        t = train_torch(ctx, tnet, topt, xs, ys, NAMES)
    with ctx.side("mindspore"):
        chosen = [p for p in mnet.trainable_params() if "conv" not in p.name]
        mopt = ctx.mindspore.nn.SGD(chosen, learning_rate=0.01, momentum=0.9)
        m = train_ms(ctx, mnet, mopt, xs, ys, NAMES)
    return _result(t, m)


@probe
def guide_filters_inverted(ctx: ProbeContext) -> ProbeOutput:
    """The r1.5 guide's two samples: torch keeps names containing 'conv', MindSpore drops them.
    Both sides return all four parameters, flattened, after each update."""
    tnet, mnet, xs, ys = _setup(ctx)
    with ctx.side("torch"):
        target_params = [p for n, p in tnet.named_parameters() if "conv" in n]
        topt = ctx.torch.optim.SGD(params=target_params, lr=0.01)
        t = train_torch(ctx, tnet, topt, xs, ys, NAMES)
    with ctx.side("mindspore"):
        non_conv_params = list(filter(lambda x: "conv" not in x.name, mnet.get_parameters()))
        mopt = ctx.mindspore.nn.SGD(params=non_conv_params, learning_rate=0.01)
        m = train_ms(ctx, mnet, mopt, xs, ys, NAMES)
    return _result(t, m)


@probe
def frozen_trainable_params(ctx: ProbeContext) -> ProbeOutput:
    """conv.bias frozen on both sides: torch gets all parameters (the frozen one has grad None and is
    skipped), MindSpore gets trainable_params(), which leaves it out. Weight decay is on. Both
    sides return all four parameters, flattened, after each update."""
    tnet, mnet, xs, ys = _setup(ctx, frozen=("conv.bias",))
    with ctx.side("torch"):
        topt = ctx.torch.optim.SGD(tnet.parameters(), lr=0.01, momentum=0.9, weight_decay=0.1)
        t = train_torch(ctx, tnet, topt, xs, ys, NAMES)
    with ctx.side("mindspore"):
        mopt = ctx.mindspore.nn.SGD(mnet.trainable_params(), learning_rate=0.01, momentum=0.9, weight_decay=0.1)
        m = train_ms(ctx, mnet, mopt, xs, ys, NAMES)
    return _result(t, m)


@probe
def frozen_get_parameters(ctx: ProbeContext) -> ProbeOutput:
    """As above, but MindSpore gets get_parameters(), frozen parameter included: value_and_grad
    returns a zero gradient for it and weight decay shrinks it every step. Both sides return all
    four parameters, flattened, after each update."""
    tnet, mnet, xs, ys = _setup(ctx, frozen=("conv.bias",))
    with ctx.side("torch"):
        topt = ctx.torch.optim.SGD(tnet.parameters(), lr=0.01, momentum=0.9, weight_decay=0.1)
        t = train_torch(ctx, tnet, topt, xs, ys, NAMES)
    with ctx.side("mindspore"):
        mopt = ctx.mindspore.nn.SGD(list(mnet.get_parameters()), learning_rate=0.01, momentum=0.9, weight_decay=0.1)
        m = train_ms(ctx, mnet, mopt, xs, ys, NAMES)
    return _result(t, m)


@probe
def frozen_get_parameters_filtered(ctx: ProbeContext) -> ProbeOutput:
    """The fix: MindSpore gets get_parameters() filtered on requires_grad, which behaves like
    trainable_params(); torch as above. Both sides return all four parameters, flattened, after
    each update."""
    tnet, mnet, xs, ys = _setup(ctx, frozen=("conv.bias",))
    with ctx.side("torch"):
        topt = ctx.torch.optim.SGD(tnet.parameters(), lr=0.01, momentum=0.9, weight_decay=0.1)
        t = train_torch(ctx, tnet, topt, xs, ys, NAMES)
    with ctx.side("mindspore"):
        params = [p for p in mnet.get_parameters() if p.requires_grad]
        mopt = ctx.mindspore.nn.SGD(params, learning_rate=0.01, momentum=0.9, weight_decay=0.1)
        m = train_ms(ctx, mnet, mopt, xs, ys, NAMES)
    return _result(t, m)


@probe
def frozen_count(ctx: ProbeContext) -> ProbeOutput:
    """How many tensors each call hands over when conv.bias is frozen: torch parameters(),
    filter(requires_grad), MindSpore get_parameters(), trainable_params(). One row, no training."""
    tnet, mnet, _, _ = _setup(ctx, frozen=("conv.bias",))
    t = [len(list(tnet.parameters())), len([p for p in tnet.parameters() if p.requires_grad])]
    m = [len(list(mnet.get_parameters())), len(mnet.trainable_params())]
    return ProbeOutput(torch=[t], mindspore=[m], labels=["all parameters", "trainable only"])
