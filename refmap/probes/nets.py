"""Tiny identical networks for probes, and their training loops in both frameworks.

The torch and MindSpore networks have the same layers, the same parameter names and (from
`arrays.net_init`) the same initial weights; both are trained on the mean squared error, and each
loop returns every parameter, flattened in the order of `names`, after each update.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .arrays import Shape, flat
from .registry import ProbeContext

# Parameter names (identical in both frameworks) and shapes, in the order they are flattened.
CONV_NET: dict[str, Shape] = {"conv.weight": (3, 2, 3, 3), "conv.bias": (3,), "fc.weight": (2, 12), "fc.bias": (2,)}


def torch_net(
    ctx: ProbeContext, shapes: dict[str, Shape], init: dict[str, np.ndarray], frozen: tuple[str, ...] = ()
) -> Any:
    """Conv2d(2, 3, 3) (when `shapes` has conv.weight) then Linear, on the run's device, holding `init`;
    the parameters named in `frozen` get requires_grad False."""
    torch = ctx.torch

    class Net(torch.nn.Module):  # type: ignore[name-defined]
        def __init__(self) -> None:
            super().__init__()
            if "conv.weight" in shapes:
                self.conv = torch.nn.Conv2d(2, 3, 3)
            self.fc = torch.nn.Linear(*reversed(shapes["fc.weight"]))

        def forward(self, x: Any) -> Any:
            if hasattr(self, "conv"):
                x = self.conv(x).flatten(1)
            return self.fc(x)

    net = Net().to(ctx.torch_device)
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.copy_(ctx.torch_tensor(init[name]))
            p.requires_grad_(name not in frozen)
    return net


def ms_net(
    ctx: ProbeContext, shapes: dict[str, Shape], init: dict[str, np.ndarray], frozen: tuple[str, ...] = ()
) -> Any:
    """The same network as a Cell: Conv2d(pad_mode='valid', has_bias=True) then Dense."""
    ms = ctx.mindspore

    class Net(ms.nn.Cell):  # type: ignore[name-defined]
        def __init__(self) -> None:
            super().__init__()
            if "conv.weight" in shapes:
                self.conv = ms.nn.Conv2d(2, 3, 3, pad_mode="valid", has_bias=True)
            self.fc = ms.nn.Dense(*reversed(shapes["fc.weight"]))
            self.has_conv = "conv.weight" in shapes

        def construct(self, x: Any) -> Any:
            if self.has_conv:
                x = self.conv(x).reshape(x.shape[0], -1)
            return self.fc(x)

    net = Net()
    for p in net.get_parameters():
        p.set_data(ctx.ms_tensor(init[p.name]))
        p.requires_grad = p.name not in frozen
    return net


def flat_torch(net: Any, names: list[str]) -> np.ndarray:
    d = dict(net.named_parameters())
    return flat(ProbeContext.numpy(d[n]) for n in names)


def flat_ms(net: Any, names: list[str]) -> np.ndarray:
    d = {p.name: p for p in net.get_parameters()}
    return flat(ProbeContext.numpy(d[n]) for n in names)


def torch_loss(ctx: ProbeContext, net: Any, x: np.ndarray, y: np.ndarray) -> Any:
    return ((net(ctx.torch_tensor(x)) - ctx.torch_tensor(y)) ** 2).mean()


def ms_grad_fn(ctx: ProbeContext, net: Any, weights: Any) -> Any:
    """value_and_grad of the mean squared error with respect to `weights`."""

    def loss_fn(x: Any, y: Any) -> Any:
        return ((net(x) - y) ** 2).mean()

    return ctx.mindspore.value_and_grad(loss_fn, None, weights)


def train_torch(
    ctx: ProbeContext, net: Any, opt: Any, xs: np.ndarray, ys: np.ndarray, names: list[str]
) -> list[np.ndarray]:
    """One `opt.zero_grad(); loss.backward(); opt.step()` per batch; the parameters after each."""
    out = []
    for x, y in zip(xs, ys, strict=True):
        opt.zero_grad()
        torch_loss(ctx, net, x, y).backward()
        opt.step()
        out.append(flat_torch(net, names))
    return out


def train_ms(
    ctx: ProbeContext, net: Any, opt: Any, xs: np.ndarray, ys: np.ndarray, names: list[str]
) -> list[np.ndarray]:
    """One `value_and_grad` with respect to the optimizer's parameters, then `opt(grads)`, per
    batch; the parameters after each."""
    grad_fn = ms_grad_fn(ctx, net, opt.parameters)
    out = []
    for x, y in zip(xs, ys, strict=True):
        _, grads = grad_fn(ctx.ms_tensor(x), ctx.ms_tensor(y))
        opt(grads)
        out.append(flat_ms(net, names))
    return out
