"""
Writing your own optimizer in both frameworks
=============================================

A custom optimizer is a subclass of ``torch.optim.Optimizer`` in PyTorch,
with the update written in ``step()``. In MindSpore it is a subclass of
``mindspore.nn.Optimizer`` (or of ``mindspore.experimental.optim.Optimizer``)
with the update written in ``construct(gradients)``, either from small
operators or with a fused operator such as ``ops.ApplyMomentum``.

This example writes SGD with momentum and weight decay four ways, trains the
same network with each and with the built-in ``torch.optim.SGD`` and
``mindspore.nn.Momentum``, and checks that all six runs agree. The update
rule is PyTorch's: ``v = momentum * v + (g + wd * w)``, then
``w = w - lr * v``.
"""

# %%
# Setup
# -----

import matplotlib.pyplot as plt
import mindspore
import numpy as np
import torch
from mindspore import nn as msnn
from mindspore import ops
from mindspore.experimental import optim as msoptim
from torch import nn as tnn

mindspore.set_context(mode=mindspore.PYNATIVE_MODE)
mindspore.set_device("CPU")
torch.manual_seed(0)

N_STEPS = 8
LR, MOMENTUM, WD = 0.1, 0.9, 0.01

template = tnn.Sequential(tnn.Linear(4, 6), tnn.Tanh(), tnn.Linear(6, 1))
INITIAL = {k: v.detach().numpy().copy() for k, v in template.state_dict().items()}
rng = np.random.default_rng(2)
x_np = rng.standard_normal((12, 4)).astype(np.float32)
y_np = np.cos(x_np[:, :1] + x_np[:, 1:2]).astype(np.float32)


def torch_net():
    net = tnn.Sequential(tnn.Linear(4, 6), tnn.Tanh(), tnn.Linear(6, 1))
    net.load_state_dict({k: torch.tensor(v) for k, v in INITIAL.items()})
    return net


def ms_net():
    net = msnn.SequentialCell([msnn.Dense(4, 6), msnn.Tanh(), msnn.Dense(6, 1)])
    weights = {k: mindspore.Parameter(mindspore.Tensor(v), name=k) for k, v in INITIAL.items()}
    assert not mindspore.load_param_into_net(net, weights, strict_load=True)[0]
    return net


def train_torch(make_optimizer):
    net = torch_net()
    opt = make_optimizer(net.parameters())
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    losses = []
    for _ in range(N_STEPS):
        opt.zero_grad()
        loss = tnn.functional.mse_loss(net(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses), {k: v.detach().numpy() for k, v in net.state_dict().items()}


def train_ms(make_optimizer):
    net = ms_net()
    opt = make_optimizer(net.trainable_params())
    loss_fn = msnn.MSELoss()
    grad_fn = mindspore.value_and_grad(lambda x, y: loss_fn(net(x), y), None, opt.parameters)
    x, y = mindspore.Tensor(x_np), mindspore.Tensor(y_np)
    losses = []
    for _ in range(N_STEPS):
        loss, grads = grad_fn(x, y)
        opt(grads)
        losses.append(float(loss.asnumpy()))
    return np.array(losses), {p.name: p.asnumpy() for p in net.trainable_params()}


# %%
# PyTorch: subclass ``torch.optim.Optimizer``
# -------------------------------------------
#
# The constructor passes the defaults to the base class, which builds
# ``param_groups``; ``step()`` reads each parameter's ``.grad`` and keeps its
# buffer in ``self.state[p]``, which ``state_dict()`` saves (see
# :ref:`custom_optimizer`).

class TorchMomentum(torch.optim.Optimizer):
    def __init__(self, params, lr, momentum=0.9, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = grad.clone()  # first step: v = g
                else:
                    state["momentum_buffer"].mul_(group["momentum"]).add_(grad)
                p.add_(state["momentum_buffer"], alpha=-group["lr"])
        return loss


# %%
# MindSpore: subclass ``nn.Optimizer``, small operators
# -----------------------------------------------------
#
# The base class takes ``learning_rate`` first, then the parameters. It
# provides ``self.parameters``, ``self.get_lr()`` (the current value of a
# fixed or dynamic rate), ``self.decay_weight`` (adds ``weight_decay * w``
# to the gradients, with the ``gamma``/``beta`` filter of the built-in
# optimizers), ``self.scale_grad`` (divides by ``loss_scale``) and a
# ``global_step`` counter, which ``construct`` must advance for a dynamic
# learning rate to move. State is made of ``Parameter`` objects (here
# ``moments.<name>``, cloned from the parameters), updated with
# ``ops.assign``. The first step needs no special case: with ``v = 0``,
# ``momentum * v + g`` is ``g``.

class MindSporeMomentum(msnn.Optimizer):
    def __init__(self, params, learning_rate, momentum=0.9, weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay)
        self.momentum = mindspore.Tensor(momentum, mindspore.float32)
        self.moments = self.parameters.clone(prefix="moments", init="zeros")

    def construct(self, gradients):
        gradients = self.decay_weight(gradients)
        gradients = self.scale_grad(gradients)
        lr = self.get_lr()
        self.assignadd(self.global_step, self.global_step_increase_tensor)
        for param, moment, grad in zip(self.parameters, self.moments, gradients):
            ops.assign(moment, self.momentum * moment + grad)
            ops.assign(param, param - lr * moment)
        return True


# %%
# MindSpore: the fused ``ops.ApplyMomentum``
# ------------------------------------------
#
# ``ApplyMomentum(variable, accumulation, learning_rate, gradient, momentum)``
# performs both assignments in one kernel, with the same rule.

class FusedMomentum(msnn.Optimizer):
    def __init__(self, params, learning_rate, momentum=0.9, weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay)
        self.momentum = mindspore.Tensor(momentum, mindspore.float32)
        self.moments = self.parameters.clone(prefix="moments", init="zeros")
        self.apply_momentum = ops.ApplyMomentum()

    def construct(self, gradients):
        gradients = self.decay_weight(gradients)
        gradients = self.scale_grad(gradients)
        lr = self.get_lr()
        self.assignadd(self.global_step, self.global_step_increase_tensor)
        for param, moment, grad in zip(self.parameters, self.moments, gradients):
            self.apply_momentum(param, moment, lr, grad, self.momentum)
        return True


# %%
# MindSpore: subclass ``experimental.optim.Optimizer``
# ----------------------------------------------------
#
# The experimental base class has PyTorch's constructor ``(params,
# defaults)`` and ``param_groups``. Gradients still arrive as one flat tuple:
# ``self.group_start_id[i]`` is the index of group ``i``'s first parameter in
# it. Each group's learning rate is a ``Parameter`` in ``group["lr"]``, so the
# experimental schedulers work with the subclass. Unlike ``nn.Optimizer``, no
# filter is applied to ``weight_decay``.

class ExperimentalMomentum(msoptim.Optimizer):
    def __init__(self, params, lr, momentum=0.9, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))
        self.moments = self.parameters.clone(prefix="moments", init="zeros")

    def construct(self, gradients):
        for group_id, group in enumerate(self.param_groups):
            start = self.group_start_id[group_id]
            for i, param in enumerate(group["params"]):
                grad = gradients[start + i] + group["weight_decay"] * param
                moment = self.moments[start + i]
                ops.assign(moment, group["momentum"] * moment + grad)
                ops.assign(param, param - group["lr"] * moment)
        return True


# %%
# Train with all six
# ------------------

runs = {
    "torch.optim.SGD": train_torch(lambda p: torch.optim.SGD(p, lr=LR, momentum=MOMENTUM, weight_decay=WD)),
    "TorchMomentum (custom)": train_torch(lambda p: TorchMomentum(p, lr=LR, momentum=MOMENTUM, weight_decay=WD)),
    "mindspore.nn.Momentum": train_ms(lambda p: msnn.Momentum(p, LR, MOMENTUM, weight_decay=WD)),
    "MindSporeMomentum (small ops)": train_ms(lambda p: MindSporeMomentum(p, LR, MOMENTUM, weight_decay=WD)),
    "FusedMomentum (ApplyMomentum)": train_ms(lambda p: FusedMomentum(p, LR, MOMENTUM, weight_decay=WD)),
    "ExperimentalMomentum": train_ms(lambda p: ExperimentalMomentum(p, lr=LR, momentum=MOMENTUM, weight_decay=WD)),
}

# %%
# Compare
# -------
#
# Every run must match ``torch.optim.SGD`` to float32 rounding (the
# tolerance, 1e-6, is a few times the largest difference measured). The
# network has no ``gamma`` or ``beta`` parameters, so the
# ``decay_weight`` filter does not matter here.

ref_losses, ref_weights = runs["torch.optim.SGD"]
ATOL = 1e-6
fig, (ax_loss, ax_diff) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
for (label, (losses, weights)), style in zip(runs.items(), ["o-", "s--", "x-", "+--", "d:", "v-."]):
    diff = max(float(np.abs(weights[k] - ref_weights[k]).max()) for k in ref_weights)
    print(f"{label:32s} final loss {losses[-1]:.6f}  max |weight diff| vs torch.optim.SGD {diff:.2e}")
    assert diff < ATOL, label
    ax_loss.plot(losses, style, label=label, alpha=0.8)
    if label != "torch.optim.SGD":
        ax_diff.semilogy(np.maximum(np.abs(losses - ref_losses), 1e-12), style, label=label)
assert ref_losses[-1] < ref_losses[0]
ax_loss.set(xlabel="step", ylabel="MSE loss", title="Six implementations of SGD with momentum")
ax_diff.set(xlabel="step", ylabel="|loss - torch.optim.SGD loss|", title="Difference (zeros drawn at 1e-12)")
ax_loss.legend(fontsize=7)
ax_diff.legend(fontsize=7)
plt.show()

# %%
# What to change when porting
# ---------------------------
#
# * ``step()`` reading ``p.grad`` → ``construct(gradients)`` receiving a
#   tuple in the order of ``self.parameters``.
# * ``self.state[p]["buf"]`` created lazily → a ``Parameter`` tuple cloned
#   in ``__init__`` (``self.parameters.clone(prefix=..., init="zeros")``), so
#   that ``save_checkpoint`` includes it.
# * In-place tensor updates under ``torch.no_grad()`` → ``ops.assign`` (or a
#   fused ``ops.Apply*`` operator).
# * For ``mindspore.nn.Optimizer``: call ``decay_weight``, ``scale_grad`` and
#   ``get_lr`` yourself, and advance ``global_step``; the base class applies
#   nothing on its own.

# %%
# Reference entries for the APIs used here, each verified in both frameworks: :ref:`sgd`.
