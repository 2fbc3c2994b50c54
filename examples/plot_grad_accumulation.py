"""
Gradient accumulation
=====================

To train with an effective batch larger than what fits in memory, sum the
gradients of several micro-batches and update once. In PyTorch this is a
side effect of ``backward()``, which *adds* to ``.grad``: skip ``zero_grad()``
and ``step()`` for all but every ``K``-th micro-batch. MindSpore's
``value_and_grad`` returns fresh gradients at each call, so the sum is kept
explicitly, as a tuple, and passed to the optimizer every ``K`` calls.

This example accumulates 4 micro-batches of 4 samples in both frameworks and
checks both against plain full-batch training on the same 16 samples.
"""

# %%
# Setup
# -----
#
# With a mean-reduced loss, the full-batch gradient is the *mean* of the
# micro-batch gradients, so each micro-batch loss is divided by ``K``.
# ``Adam`` makes the comparison strict: its bias correction counts optimizer
# steps, which must be 3 here, not 12.

import matplotlib.pyplot as plt
import mindspore
import numpy as np
import torch
from mindspore import nn as msnn
from mindspore.experimental import optim as msoptim
from torch import nn as tnn

mindspore.set_context(mode=mindspore.PYNATIVE_MODE)
mindspore.set_device("CPU")
torch.manual_seed(0)

K = 4  # micro-batches per update
MICRO = 4  # samples per micro-batch
N_UPDATES = 3
LR = 0.02

template = tnn.Sequential(tnn.Linear(3, 8), tnn.Tanh(), tnn.Linear(8, 1))
INITIAL = {k: v.detach().numpy().copy() for k, v in template.state_dict().items()}
rng = np.random.default_rng(8)
X = rng.standard_normal((N_UPDATES, K, MICRO, 3)).astype(np.float32)
Y = (X[..., :1] * X[..., 1:2]).astype(np.float32)


def torch_net():
    net = tnn.Sequential(tnn.Linear(3, 8), tnn.Tanh(), tnn.Linear(8, 1))
    net.load_state_dict({k: torch.tensor(v) for k, v in INITIAL.items()})
    return net


def ms_net():
    net = msnn.SequentialCell([msnn.Dense(3, 8), msnn.Tanh(), msnn.Dense(8, 1)])
    weights = {k: mindspore.Parameter(mindspore.Tensor(v), name=k) for k, v in INITIAL.items()}
    assert not mindspore.load_param_into_net(net, weights, strict_load=True)[0]
    return net


micro_batches_t = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in zip(X.reshape(-1, MICRO, 3), Y.reshape(-1, MICRO, 1))]
micro_batches_m = [(mindspore.Tensor(x), mindspore.Tensor(y)) for x, y in zip(X.reshape(-1, MICRO, 3), Y.reshape(-1, MICRO, 1))]

# %%
# Reference: full batches of 16 in PyTorch
# ----------------------------------------

net = torch_net()
opt = torch.optim.Adam(net.parameters(), lr=LR)
full_losses = []
for u in range(N_UPDATES):
    opt.zero_grad()
    loss = tnn.functional.mse_loss(net(torch.from_numpy(X[u].reshape(-1, 3))), torch.from_numpy(Y[u].reshape(-1, 1)))
    loss.backward()
    opt.step()
    full_losses.append(loss.item())
full_batch = {k: v.detach().numpy() for k, v in net.state_dict().items()}

# %%
# PyTorch: let ``backward()`` accumulate
# --------------------------------------
#
# See :ref:`zero_grad` for why the gradients add up, and :ref:`adam`.

model = torch_net()
loss_fn = tnn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=LR)
optimizer.zero_grad()
torch_micro_losses = []
for i, (x, y) in enumerate(micro_batches_t):
    loss = loss_fn(model(x), y) / K
    loss.backward()  # adds to .grad
    torch_micro_losses.append(loss.item() * K)
    if (i + 1) % K == 0:
        optimizer.step()
        optimizer.zero_grad()
torch_accumulated = {k: v.detach().numpy() for k, v in model.state_dict().items()}
torch_updates = int(optimizer.state_dict()["state"][0]["step"])

# %%
# MindSpore: sum the gradient tuples yourself
# -------------------------------------------
#
# The accumulator starts as zeros shaped like the parameters; the optimizer
# is called once per ``K`` micro-batches. (``mindspore.experimental.optim.Adam``
# is used because it follows PyTorch's Adam formula exactly.)

net = ms_net()
loss_fn = msnn.MSELoss()
optimizer = msoptim.Adam(net.trainable_params(), lr=LR)
grad_fn = mindspore.value_and_grad(lambda x, y: loss_fn(net(x), y) / K, None, optimizer.parameters)

accumulated = tuple(mindspore.ops.zeros_like(p) for p in optimizer.parameters)
ms_micro_losses = []
for i, (x, y) in enumerate(micro_batches_m):
    loss, grads = grad_fn(x, y)
    accumulated = tuple(a + g for a, g in zip(accumulated, grads))
    ms_micro_losses.append(float(loss.asnumpy()) * K)
    if (i + 1) % K == 0:
        optimizer(accumulated)
        accumulated = tuple(mindspore.ops.zeros_like(p) for p in optimizer.parameters)
ms_accumulated = {p.name: p.asnumpy() for p in net.trainable_params()}

# %%
# Compare
# -------
#
# Summation order differs (four partial sums instead of one), so the
# accumulated runs match full-batch training to float32 rounding, not
# bit for bit. Adam divides each gradient component by its running
# magnitude, which magnifies rounding in components close to zero. The
# differences are printed below; the tolerance is 5e-6. The optimizer's
# step counter confirms three updates.


def max_diff(a, b):
    return max(float(np.abs(a[k] - b[k]).max()) for k in a)


diffs = {
    "PyTorch accumulated vs full batch": max_diff(torch_accumulated, full_batch),
    "MindSpore accumulated vs full batch": max_diff(ms_accumulated, full_batch),
    "MindSpore vs PyTorch accumulated": max_diff(ms_accumulated, torch_accumulated),
}
for label, diff in diffs.items():
    print(f"{label:38s} max |weight diff| = {diff:.2e}")
ms_updates = int(optimizer.state_step.asnumpy())
print(f"optimizer steps: PyTorch {torch_updates}, MindSpore {ms_updates}")
ATOL = 5e-6
for label, diff in diffs.items():
    assert diff < ATOL, label
assert torch_updates == ms_updates == N_UPDATES
np.testing.assert_allclose(ms_micro_losses, torch_micro_losses, rtol=1e-5)

fig, (ax_loss, ax_bar) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
steps = np.arange(len(torch_micro_losses))
ax_loss.plot(steps, torch_micro_losses, "o-", label="PyTorch micro-batch loss")
ax_loss.plot(steps, ms_micro_losses, "x--", label="MindSpore micro-batch loss")
for u in range(1, N_UPDATES):
    ax_loss.axvline(u * K - 0.5, color="grey", alpha=0.3)
ax_loss.plot(np.arange(N_UPDATES) * K + (K - 1) / 2, full_losses, "s:", label="full-batch loss (reference)")
ax_loss.set(xlabel="micro-batch", ylabel="MSE loss", title="Updates every 4 micro-batches (grey lines)")
ax_loss.legend(fontsize=8)
ax_bar.barh(range(len(diffs)), list(diffs.values()), color="C2")
ax_bar.set_xscale("log")
ax_bar.axvline(ATOL, color="C3", ls=":", label="tolerance")
ax_bar.set_yticks(range(len(diffs)), [k.replace(" vs ", "\nvs ") for k in diffs], fontsize=8)
ax_bar.set(xlabel="max |weight difference|", title="Final weights")
ax_bar.legend(fontsize=8)
plt.show()

# %%
# What to change when porting
# ---------------------------
#
# * PyTorch → MindSpore: keep a tuple accumulator, add each ``grads`` to it,
#   call ``optimizer(accumulated)`` every ``K`` micro-batches and reset it.
#   There is no ``zero_grad()`` to move around.
# * MindSpore → PyTorch: drop the accumulator; call ``backward()`` on every
#   micro-batch and ``step()`` + ``zero_grad()`` every ``K``.
# * In both, divide the loss (or the summed gradients) by ``K`` when the
#   loss is a mean, and count schedule steps in updates, not micro-batches.
