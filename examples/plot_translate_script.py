"""
Translating a training script with ``refmap translate``
=======================================================

``python -m refmap translate train.py -o train_ms.py`` rewrites the optimizer and
scheduler code of a PyTorch script into MindSpore, using only recipes whose
checks passed when the site was built (see :doc:`/guide/translate`). This
example takes a small but complete training script, shows its translation,
runs both and compares them step by step.

The script trains a tanh MLP classifier with :ref:`adamw` and a warmup +
cosine schedule (:ref:`linearlr`, :ref:`cosineannealinglr`, composed with
:ref:`sequentiallr`). Its forward and backward pass are written in NumPy, so
torch holds only the parameters and their gradients: the case in which the
translated script runs unchanged. (A script that calls ``loss.backward()``
keeps its model and autograd code in torch; the translator lists every such
line.)

``MINDSPORE_SCRIPT`` below is the translator's output for ``TORCH_SCRIPT``,
copied in so that this example runs with torch, MindSpore, NumPy and
matplotlib alone. The test suite (``tests/test_translate.py``) translates
``TORCH_SCRIPT`` again and fails if the output differs by one character.
"""

# %%
# The PyTorch script
# ------------------

import matplotlib.pyplot as plt
import numpy as np

TORCH_SCRIPT = '''"""A small classifier trained with AdamW and a warmup + cosine schedule."""

import numpy as np
import torch

rng = np.random.default_rng(0)
X = rng.standard_normal((256, 8)).astype(np.float32)
Y = np.argmax(X @ rng.standard_normal((8, 3)) + 0.5 * rng.standard_normal((256, 3)), axis=1)

# the model: a tanh MLP, 8 -> 16 -> 3
W1 = torch.nn.Parameter(torch.tensor((0.3 * rng.standard_normal((8, 16))).astype(np.float32)))
b1 = torch.nn.Parameter(torch.zeros(16))
W2 = torch.nn.Parameter(torch.tensor((0.3 * rng.standard_normal((16, 3))).astype(np.float32)))
b2 = torch.nn.Parameter(torch.zeros(3))
params = [W1, b1, W2, b2]


def loss_and_grads(xb, yb):
    """Softmax cross-entropy of the MLP and its gradients, written out in NumPy."""
    w1, c1, w2, c2 = (p.detach().numpy() for p in params)
    h = np.tanh(xb @ w1 + c1)
    logits = h @ w2 + c2
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    prob = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(prob[np.arange(len(yb)), yb]).mean()
    d = prob.copy()
    d[np.arange(len(yb)), yb] -= 1.0
    d /= len(yb)
    dh = (d @ w2.T) * (1.0 - h**2)
    return loss, [xb.T @ dh, dh.sum(axis=0), h.T @ d, d.sum(axis=0)]


optimizer = torch.optim.AdamW(params, lr=1e-2, weight_decay=0.05)
scheduler = torch.optim.lr_scheduler.SequentialLR(
    optimizer,
    [
        torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=10),
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=90),
    ],
    milestones=[10],
)

losses, rates, snapshots = [], [], []
for step in range(100):
    batch = rng.integers(0, len(X), 32)
    loss, grads = loss_and_grads(X[batch], Y[batch])
    optimizer.zero_grad()
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g.astype(np.float32))
    optimizer.step()
    scheduler.step()
    losses.append(float(loss))
    rates.append(scheduler.get_last_lr()[0])
    snapshots.append(np.concatenate([p.detach().numpy().ravel() for p in params]))
'''

# %%
# Its translation
# ---------------
#
# The optimizer, the three schedulers and the step protocol are rewritten; the
# parameters become ``mindspore.Parameter``. MindSpore optimizers take the
# gradients as an argument, so ``p.grad = g`` stores them and
# ``optimizer.step()`` becomes ``optimizer(grads)``. Everything else is the
# original text, comments and layout included.

MINDSPORE_SCRIPT = '''"""A small classifier trained with AdamW and a warmup + cosine schedule."""

import numpy as np
import mindspore

param_grads = {}  # id(parameter) -> gradient: MindSpore optimizers take the gradients as an argument

rng = np.random.default_rng(0)
X = rng.standard_normal((256, 8)).astype(np.float32)
Y = np.argmax(X @ rng.standard_normal((8, 3)) + 0.5 * rng.standard_normal((256, 3)), axis=1)

# the model: a tanh MLP, 8 -> 16 -> 3
W1 = mindspore.Parameter(mindspore.Tensor((0.3 * rng.standard_normal((8, 16))).astype(np.float32)))
b1 = mindspore.Parameter(mindspore.ops.zeros(16))
W2 = mindspore.Parameter(mindspore.Tensor((0.3 * rng.standard_normal((16, 3))).astype(np.float32)))
b2 = mindspore.Parameter(mindspore.ops.zeros(3))
params = [W1, b1, W2, b2]


def loss_and_grads(xb, yb):
    """Softmax cross-entropy of the MLP and its gradients, written out in NumPy."""
    w1, c1, w2, c2 = (p.numpy() for p in params)
    h = np.tanh(xb @ w1 + c1)
    logits = h @ w2 + c2
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    prob = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(prob[np.arange(len(yb)), yb]).mean()
    d = prob.copy()
    d[np.arange(len(yb)), yb] -= 1.0
    d /= len(yb)
    dh = (d @ w2.T) * (1.0 - h**2)
    return loss, [xb.T @ dh, dh.sum(axis=0), h.T @ d, d.sum(axis=0)]


optimizer = mindspore.experimental.optim.AdamW(params, lr=1e-2, weight_decay=0.05)
scheduler = mindspore.experimental.optim.lr_scheduler.SequentialLR(
    optimizer, [
        mindspore.experimental.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, end_factor=1.0, total_iters=10),
        mindspore.experimental.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=90),
    ], milestones=[10])

losses, rates, snapshots = [], [], []
for step in range(100):
    batch = rng.integers(0, len(X), 32)
    loss, grads = loss_and_grads(X[batch], Y[batch])
    param_grads.clear()
    for p, g in zip(params, grads):
        param_grads[id(p)] = mindspore.Tensor(g.astype(np.float32))
    optimizer(tuple(param_grads[id(p)] for p in optimizer.parameters))
    scheduler.step()
    losses.append(float(loss))
    rates.append(float(scheduler.get_last_lr()[0]))
    snapshots.append(np.concatenate([p.numpy().ravel() for p in params]))
'''

# %%
# Both scripts, run
# -----------------
#
# Each script runs in a namespace of its own and leaves its losses, learning
# rates and a snapshot of all parameters after every step.

torch_run, ms_run = {}, {}
exec(compile(TORCH_SCRIPT, "train.py", "exec"), torch_run)
exec(compile(MINDSPORE_SCRIPT, "train_ms.py", "exec"), ms_run)

t_params, m_params = np.array(torch_run["snapshots"]), np.array(ms_run["snapshots"])
gap = np.abs(t_params - m_params)
print("step range   max |torch - MindSpore|   max relative")
for first, last in ((1, 10), (11, 50), (51, 100)):
    rows = slice(first - 1, last)
    rel = gap[rows] / np.maximum(np.abs(t_params[rows]), 1e-12)
    print(f"{first:>4}-{last:<4}   {gap[rows].max():22.3g}   {rel.max():12.3g}")
print("final loss: torch", torch_run["losses"][-1], " MindSpore", ms_run["losses"][-1])

# The tolerance of the AdamW entry's recipe check (rtol 1e-5, atol 4e-6).
assert np.all(gap <= 4e-6 + 1e-5 * np.abs(t_params)), gap.max()
# MindSpore updates the cosine rate recursively in float32 (see the CosineAnnealingLR entry):
# near the end of the decay the rates agree to 1e-6 of the peak rate, not relatively.
assert np.allclose(torch_run["rates"], ms_run["rates"], rtol=1e-5, atol=1e-8)
assert np.allclose(torch_run["losses"], ms_run["losses"], rtol=1e-5, atol=1e-6)

# %%
# Training curves
# ---------------
#
# The two loss curves lie on top of each other; the right panel shows how far
# apart the parameters are after each step (float32 rounding).

steps = np.arange(1, len(gap) + 1)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
ax1.plot(steps, torch_run["losses"], label="PyTorch", lw=2.5, alpha=0.6)
ax1.plot(steps, ms_run["losses"], "--", label="MindSpore (translated)")
ax1.set_xlabel("step")
ax1.set_ylabel("training loss")
ax1.legend()
ax2.semilogy(steps, np.maximum(gap.max(axis=1), 1e-12))
ax2.set_xlabel("step")
ax2.set_ylabel("max |torch - MindSpore| over parameters")
plt.show()
