"""
Gradient clipping
=================

PyTorch clips gradients in place on the parameters, between ``backward()``
and ``step()``, with ``torch.nn.utils.clip_grad_norm_`` or
``clip_grad_value_``. MindSpore's gradients are a tuple returned by
``value_and_grad``, so clipping is a function from that tuple to a new
tuple, applied before calling the optimizer: ``mindspore.ops.clip_by_norm``,
``mindspore.ops.clip_by_global_norm`` or ``mindspore.ops.clip_by_value``.

The two norm clippers in MindSpore are not the same formula.
``ops.clip_by_norm`` multiplies by ``max_norm / (total_norm + 1e-6)``, like
PyTorch. ``ops.clip_by_global_norm`` multiplies by
``clip_norm / max(total_norm, clip_norm)``, without the ``1e-6``. This
example trains one network with each and measures the difference.
"""

# %%
# Setup
# -----
#
# A learning rate large enough that every step is clipped, and a small
# ``MAX_NORM`` so that the ``1e-6`` in the denominator is visible.

import matplotlib.pyplot as plt
import mindspore
import numpy as np
import torch
from mindspore import nn as msnn
from mindspore import ops
from torch import nn as tnn

mindspore.set_context(mode=mindspore.PYNATIVE_MODE)
mindspore.set_device("CPU")
torch.manual_seed(0)

N_STEPS = 10
LR = 0.5
MAX_NORM = 0.05
CLIP_VALUE = 0.01

template = tnn.Sequential(tnn.Linear(4, 8), tnn.Tanh(), tnn.Linear(8, 1))
INITIAL = {k: v.detach().numpy().copy() for k, v in template.state_dict().items()}
rng = np.random.default_rng(4)
x_np = rng.standard_normal((16, 4)).astype(np.float32)
y_np = (np.abs(x_np).sum(axis=1, keepdims=True) - 2.0).astype(np.float32)


def torch_net():
    net = tnn.Sequential(tnn.Linear(4, 8), tnn.Tanh(), tnn.Linear(8, 1))
    net.load_state_dict({k: torch.tensor(v) for k, v in INITIAL.items()})
    return net


def ms_net():
    net = msnn.SequentialCell([msnn.Dense(4, 8), msnn.Tanh(), msnn.Dense(8, 1)])
    weights = {k: mindspore.Parameter(mindspore.Tensor(v), name=k) for k, v in INITIAL.items()}
    assert not mindspore.load_param_into_net(net, weights, strict_load=True)[0]
    return net


x_t, y_t = torch.from_numpy(x_np), torch.from_numpy(y_np)
x_m, y_m = mindspore.Tensor(x_np), mindspore.Tensor(y_np)

# %%
# PyTorch: clip between ``backward()`` and ``step()``
# ---------------------------------------------------
#
# ``clip_grad_norm_`` returns the total norm *before* clipping (see
# :ref:`grad_clipping`).


def train_torch(mode):
    net = torch_net()
    model, loss_fn = net, tnn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    norms = []
    for step in range(N_STEPS):
        optimizer.zero_grad()
        loss = loss_fn(model(x_t), y_t)
        loss.backward()
        if mode == "norm":
            norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=MAX_NORM)))
        else:
            torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=CLIP_VALUE)
        optimizer.step()
    return {k: v.detach().numpy() for k, v in net.state_dict().items()}, norms


# %%
# MindSpore: clip the gradient tuple before ``optimizer(grads)``
# ---------------------------------------------------------------


def train_ms(mode):
    net = ms_net()
    loss_fn = msnn.MSELoss()
    optimizer = msnn.SGD(net.trainable_params(), LR)
    grad_fn = mindspore.value_and_grad(lambda x, y: loss_fn(net(x), y), None, optimizer.parameters)
    norms = []
    for step in range(N_STEPS):
        loss, grads = grad_fn(x_m, y_m)
        if mode == "norm":  # same formula as clip_grad_norm_
            norms.append(float(ops.sqrt(sum((g * g).sum() for g in grads)).asnumpy()))
            grads = ops.clip_by_norm(grads, max_norm=MAX_NORM)
        elif mode == "global_norm":  # no 1e-6 in the denominator
            grads = ops.clip_by_global_norm(grads, clip_norm=MAX_NORM)
        else:
            grads = ops.clip_by_value(grads, -CLIP_VALUE, CLIP_VALUE)
        optimizer(grads)
    return {p.name: p.asnumpy() for p in net.trainable_params()}, norms


def max_diff(a, b):
    return max(float(np.abs(a[k] - b[k]).max()) for k in a)


torch_norm, torch_norms = train_torch("norm")
torch_value, _ = train_torch("value")
ms_norm, ms_norms = train_ms("norm")
ms_global, _ = train_ms("global_norm")
ms_value, _ = train_ms("value")

# %%
# Compare the training runs
# -------------------------
#
# ``clip_by_norm`` and ``clip_by_value`` must reproduce PyTorch to float32
# rounding, and the total norms must agree. ``clip_by_global_norm`` scales
# each step by ``(total_norm + 1e-6) / total_norm`` more than PyTorch. With
# the total norms of this run (printed below), that relative difference is
# below the float32 resolution of these updates, so it also agrees to
# rounding here.

diffs = {
    "ops.clip_by_norm vs clip_grad_norm_": max_diff(ms_norm, torch_norm),
    "ops.clip_by_value vs clip_grad_value_": max_diff(ms_value, torch_value),
    "ops.clip_by_global_norm vs clip_grad_norm_": max_diff(ms_global, torch_norm),
}
for label, diff in diffs.items():
    print(f"{label:45s} max |weight diff| = {diff:.2e}")
print("total norms, PyTorch:  ", np.round(torch_norms, 4))
print("total norms, MindSpore:", np.round(ms_norms, 4))

assert min(torch_norms) > MAX_NORM, "every step must be clipped for this comparison"
np.testing.assert_allclose(ms_norms, torch_norms, rtol=1e-5)
for label, diff in diffs.items():
    assert diff < 1e-6, label

# %%
# When the ``1e-6`` matters
# -------------------------
#
# The difference between the two formulas is relative ``1e-6 / total_norm``,
# so it only shows for small gradients. Here one gradient tuple is rescaled
# to total norms from 1e-6 to 1 and clipped to half its norm by both
# functions and by PyTorch.

direction = [rng.standard_normal(p.shape).astype(np.float32) for p in template.parameters()]
unit = np.sqrt(sum(float((d.astype(np.float64) ** 2).sum()) for d in direction))
totals = np.logspace(-6, 0, 7)
rel_global, rel_norm = [], []
for total in totals:
    grads_np = [d / unit * total for d in direction]
    params = [torch.nn.Parameter(torch.zeros(g.shape)) for g in grads_np]
    for p, g in zip(params, grads_np):
        p.grad = torch.tensor(g)
    torch.nn.utils.clip_grad_norm_(params, max_norm=total / 2)
    ref = np.concatenate([p.grad.numpy().ravel() for p in params])
    grads = tuple(mindspore.Tensor(g) for g in grads_np)
    by_norm = np.concatenate([g.asnumpy().ravel() for g in ops.clip_by_norm(grads, max_norm=total / 2)])
    by_global = np.concatenate([g.asnumpy().ravel() for g in ops.clip_by_global_norm(grads, clip_norm=total / 2)])
    rel_norm.append(np.abs(by_norm - ref).max() / np.abs(ref).max())
    rel_global.append(np.abs(by_global - ref).max() / np.abs(ref).max())
for total, g, n in zip(totals, rel_global, rel_norm):
    print(f"total norm {total:7.0e}: relative diff clip_by_global_norm {g:.1e}, clip_by_norm {n:.1e}")
assert rel_global[0] > 0.5, "at norm 1e-6, clip_by_global_norm gives twice what PyTorch gives"
assert max(rel_norm) < 1e-5

fig, (ax_norm, ax_rel) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
ax_norm.plot(torch_norms, "o-", label="PyTorch (clip_grad_norm_ return value)")
ax_norm.plot(ms_norms, "x--", label="MindSpore (computed from the tuple)")
ax_norm.axhline(MAX_NORM, color="C3", ls=":", label="max_norm")
ax_norm.set_yscale("log")
ax_norm.set(xlabel="step", ylabel="total gradient norm before clipping", title="Training run: every step is clipped")
ax_norm.legend(fontsize=8)
ax_rel.loglog(totals, rel_global, "o-", label="ops.clip_by_global_norm")
ax_rel.loglog(totals, np.maximum(rel_norm, 1e-9), "x--", label="ops.clip_by_norm")
ax_rel.loglog(totals, 1e-6 / totals, "k:", alpha=0.5, label="1e-6 / total norm")
ax_rel.set(xlabel="total gradient norm", ylabel="relative difference from PyTorch",
           title="Clipped to half the norm")
ax_rel.legend(fontsize=8)
plt.show()

# %%
# What to change when porting
# ---------------------------
#
# * ``clip_grad_norm_(model.parameters(), max_norm)`` →
#   ``grads = ops.clip_by_norm(grads, max_norm)`` before ``optimizer(grads)``.
#   Use the return value of ``clip_grad_norm_`` (the norm before clipping)?
#   Compute it from the tuple as above.
# * ``clip_grad_value_(params, v)`` → ``ops.clip_by_value(grads, -v, v)``.
# * ``ops.clip_by_global_norm`` (common in MindSpore code) maps back to
#   ``clip_grad_norm_``; the two differ only by the ``1e-6``.
# * With ``TrainOneStepCell`` or ``Model`` there is no place between the
#   gradients and the update; use the functional loop, or a subclass of
#   ``TrainOneStepCell`` that clips in ``construct``.

# %%
# Reference entries for the APIs used here, each verified in both frameworks: :ref:`sgd`.
