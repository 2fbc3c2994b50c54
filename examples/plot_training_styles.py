"""
One network, five training loops: PyTorch and the four MindSpore styles
========================================================================

PyTorch has one way to run a training step: ``zero_grad()``, ``backward()``,
``step()``. MindSpore has several, and a migrated script can use any of them:

1. the high-level ``mindspore.train.Model(net, loss_fn, optimizer)``;
2. ``nn.WithLossCell`` wrapped in ``nn.TrainOneStepCell``;
3. the functional ``mindspore.value_and_grad`` followed by ``optimizer(grads)``;
4. the same functional step with an optimizer from
   ``mindspore.experimental.optim``, which takes PyTorch's argument names.

This example trains one small convolutional network with all five loops,
starting from the same weights and data, and checks that the five loss curves
are the same curve.
"""

# %%
# Setup
# -----
#
# MindSpore runs in PyNative (eager) mode on the CPU, so that each line
# executes as it does in PyTorch.

import matplotlib.pyplot as plt
import mindspore
import mindspore.dataset as ds
import numpy as np
import torch
from mindspore import nn as msnn
from mindspore.experimental import optim as msoptim
from mindspore.train import Callback, Model
from torch import nn as tnn

mindspore.set_context(mode=mindspore.PYNATIVE_MODE)
mindspore.set_device("CPU")
torch.manual_seed(0)

N_STEPS = 10
LR = 0.05
MOMENTUM = 0.9
IMG = 6
N_CLASSES = 3

# %%
# The network in both frameworks
# ------------------------------
#
# ``mindspore.nn.Conv2d`` pads to the input size and has no bias unless told
# otherwise, so ``pad_mode="valid"`` and ``has_bias=True`` reproduce PyTorch's
# default convolution.


class TorchNet(tnn.Module):
    def __init__(self):
        super().__init__()
        self.conv = tnn.Conv2d(2, 4, kernel_size=3)
        self.fc = tnn.Linear(4 * (IMG - 2) ** 2, N_CLASSES)

    def forward(self, x):
        return self.fc(torch.flatten(torch.relu(self.conv(x)), 1))


class MindSporeNet(msnn.Cell):
    def __init__(self):
        super().__init__()
        self.conv = msnn.Conv2d(2, 4, kernel_size=3, pad_mode="valid", has_bias=True)
        self.fc = msnn.Dense(4 * (IMG - 2) ** 2, N_CLASSES)

    def construct(self, x):
        return self.fc(mindspore.ops.flatten(mindspore.ops.relu(self.conv(x))))


torch_net = TorchNet()
initial = {k: v.detach().numpy().copy() for k, v in torch_net.state_dict().items()}


def fresh_ms_net():
    """A MindSpore network holding the PyTorch initial weights (the names match here)."""
    net = MindSporeNet()
    weights = {k: mindspore.Parameter(mindspore.Tensor(v), name=k) for k, v in initial.items()}
    not_loaded, _ = mindspore.load_param_into_net(net, weights, strict_load=True)
    assert not not_loaded, not_loaded
    return net


rng = np.random.default_rng(7)
x_np = rng.standard_normal((8, 2, IMG, IMG)).astype(np.float32)
y_np = rng.integers(0, N_CLASSES, size=8).astype(np.int32)
x_t, y_t = torch.from_numpy(x_np), torch.from_numpy(y_np).long()
x_m, y_m = mindspore.Tensor(x_np), mindspore.Tensor(y_np)

# %%
# PyTorch: zero_grad, backward, step
# ----------------------------------
#
# Gradients accumulate in each parameter's ``.grad`` until they are cleared,
# which is why the loop starts with ``zero_grad()`` (see :ref:`zero_grad`).
# ``torch.optim.SGD`` with momentum is the optimizer (:ref:`sgd`).

model = torch_net
optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
loss_fn = tnn.CrossEntropyLoss()
model.train()

torch_losses = []
for step in range(N_STEPS):
    optimizer.zero_grad()
    loss = loss_fn(model(x_t), y_t)
    loss.backward()
    optimizer.step()
    torch_losses.append(loss.item())

# %%
# MindSpore style 1: ``Model``
# ----------------------------
#
# ``Model`` owns the loop. It takes a ``mindspore.dataset`` pipeline, and a
# callback reads each step's loss from ``net_outputs``. One epoch here is one
# batch. ``dataset_sink_mode=False`` makes ``Model`` feed the batches from
# Python, which is what the CPU backend supports.


class RecordLoss(Callback):
    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_step_end(self, run_context):
        self.losses.append(float(run_context.original_args().net_outputs.asnumpy()))


ms_net = fresh_ms_net()
loss_fn = msnn.CrossEntropyLoss()
optimizer = msnn.SGD(ms_net.trainable_params(), LR, momentum=MOMENTUM)
model = Model(ms_net, loss_fn=loss_fn, optimizer=optimizer)

dataset = ds.NumpySlicesDataset({"x": x_np, "y": y_np}, shuffle=False).batch(8)
recorder = RecordLoss()
model.train(N_STEPS, dataset, callbacks=[recorder], dataset_sink_mode=False)
model_losses = recorder.losses

# %%
# MindSpore style 2: ``WithLossCell`` + ``TrainOneStepCell``
# ----------------------------------------------------------
#
# ``WithLossCell`` joins the network and the loss into one cell.
# ``TrainOneStepCell`` computes the gradients of that cell with respect to the
# optimizer's parameters, applies the optimizer, and returns the loss of the
# forward pass.

ms_net = fresh_ms_net()
loss_fn = msnn.CrossEntropyLoss()
optimizer = msnn.SGD(ms_net.trainable_params(), LR, momentum=MOMENTUM)
train_net = msnn.TrainOneStepCell(msnn.WithLossCell(ms_net, loss_fn), optimizer)
train_net.set_train()

cell_losses = []
for step in range(N_STEPS):
    loss = train_net(x_m, y_m)
    cell_losses.append(float(loss.asnumpy()))

# %%
# MindSpore style 3: ``value_and_grad`` + ``optimizer(grads)``
# -------------------------------------------------------------
#
# The closest to a PyTorch loop. ``value_and_grad`` differentiates a Python
# function with respect to ``optimizer.parameters`` and returns the loss and
# a tuple of gradients; the optimizer is *called* with the tuple. Nothing is
# stored on the parameters, so there is nothing to zero.

ms_net = fresh_ms_net()
loss_fn = msnn.CrossEntropyLoss()
optimizer = msnn.SGD(ms_net.trainable_params(), LR, momentum=MOMENTUM)
ms_net.set_train()


def forward(x, y):
    return loss_fn(ms_net(x), y)


grad_fn = mindspore.value_and_grad(forward, None, optimizer.parameters)

functional_losses = []
for step in range(N_STEPS):
    loss, grads = grad_fn(x_m, y_m)
    optimizer(grads)
    functional_losses.append(float(loss.asnumpy()))

# %%
# MindSpore style 4: ``mindspore.experimental.optim``
# ---------------------------------------------------
#
# The experimental optimizers take PyTorch's argument names (``lr``, not
# ``learning_rate``), keep ``param_groups`` and work with the
# ``mindspore.experimental.optim.lr_scheduler`` classes. They are still called
# with the gradient tuple. Prefer them over ``mindspore.mint.optim``, whose
# in-place updates do nothing in PyNative mode on the CPU in MindSpore 2.10
# (checked below).

ms_net = fresh_ms_net()
loss_fn = msnn.CrossEntropyLoss()
optimizer = msoptim.SGD(ms_net.trainable_params(), lr=LR, momentum=MOMENTUM)
ms_net.set_train()


def forward(x, y):
    return loss_fn(ms_net(x), y)


grad_fn = mindspore.value_and_grad(forward, None, optimizer.parameters)

experimental_losses = []
for step in range(N_STEPS):
    loss, grads = grad_fn(x_m, y_m)
    optimizer(grads)
    experimental_losses.append(float(loss.asnumpy()))

# The same step with mindspore.mint.optim.SGD changes nothing on the CPU:
ms_net = fresh_ms_net()
mint_optimizer = mindspore.mint.optim.SGD(ms_net.trainable_params(), lr=LR)
mint_grad_fn = mindspore.value_and_grad(lambda x, y: loss_fn(ms_net(x), y), None, mint_optimizer.parameters)
before = ms_net.fc.weight.asnumpy().copy()
mint_optimizer(mint_grad_fn(x_m, y_m)[1])
mint_moved = float(np.abs(ms_net.fc.weight.asnumpy() - before).max())
print(f"mindspore.mint.optim.SGD on {mindspore.get_context('device_target')}: weights moved by {mint_moved}")
if mindspore.get_context("device_target") == "CPU":
    assert mint_moved == 0.0, "mint.optim.SGD now updates on the CPU: update the text"

# %%
# Compare the five curves
# -----------------------

curves = {
    "PyTorch": np.array(torch_losses),
    "MindSpore Model": np.array(model_losses),
    "MindSpore TrainOneStepCell": np.array(cell_losses),
    "MindSpore value_and_grad": np.array(functional_losses),
    "MindSpore experimental.optim": np.array(experimental_losses),
}
reference = curves["PyTorch"]

fig, (ax_loss, ax_diff) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
markers = ["o-", "x--", "+:", "s-.", "d:"]
for (label, curve), marker in zip(curves.items(), markers):
    ax_loss.plot(curve, marker, label=label, alpha=0.8)
    if label != "PyTorch":
        ax_diff.semilogy(np.maximum(np.abs(curve - reference), 1e-12), marker, label=label)
ax_loss.set(xlabel="step", ylabel="cross-entropy loss", title="Training loss")
ax_diff.set(xlabel="step", ylabel="|loss - PyTorch loss|", title="Difference from PyTorch")
ax_loss.legend(fontsize=8)
ax_diff.legend(fontsize=8)
plt.show()

# %%
# All four MindSpore loops must follow the PyTorch curve to float32 rounding.
# The tolerance, 2e-6, is a few times the largest difference measured on a
# CPU (the differences are printed below); a different learning rate or
# momentum rule would be off by far more after a couple of steps.

LOSS_ATOL = 2e-6
for label, curve in curves.items():
    diff = np.abs(curve - reference).max()
    print(f"{label:30s} final loss {curve[-1]:.6f}   max |diff| vs PyTorch {diff:.2e}")
    np.testing.assert_allclose(curve, reference, rtol=0, atol=LOSS_ATOL, err_msg=label)
assert reference[-1] < reference[0] * 0.8, "training did not reduce the loss"

# %%
# What to change when porting
# ---------------------------
#
# * Delete ``zero_grad()``: MindSpore returns gradients instead of storing
#   them (:ref:`zero_grad`).
# * Replace ``loss.backward(); optimizer.step()`` with
#   ``loss, grads = grad_fn(...); optimizer(grads)``, or wrap network, loss and
#   optimizer in ``TrainOneStepCell`` or ``Model``.
# * ``model.train()`` becomes ``net.set_train()``.
# * Going the other way, a ``Model(net, loss_fn, optimizer).train(...)`` call
#   becomes an explicit loop over the data with the three PyTorch calls.
