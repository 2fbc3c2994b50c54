"""
One training loop, two frameworks: SGD with momentum
=====================================================

This example trains the same small convolutional network for a few steps of
SGD with momentum, once in PyTorch and once in MindSpore, starting from the
same weights and using the same data. It then checks that the two loss curves
and the final weights agree.

Along the way it shows the changes a user porting a PyTorch training loop has
to make: defaults of ``Conv2d``, the batch-norm momentum convention, copying
weights across by name, and the functional gradient API that MindSpore uses
instead of ``zero_grad()`` / ``backward()`` / ``step()``.
"""

# %%
# Setup
# -----
#
# Both frameworks run on the CPU. MindSpore is put in PyNative (eager) mode so
# that the forward pass executes line by line, as it does in PyTorch. The
# device is chosen with ``mindspore.set_device``; passing ``device_target`` to
# ``set_context`` still works but logs a deprecation warning.

import matplotlib.pyplot as plt
import mindspore
import numpy as np
import torch
from mindspore import nn as msnn
from torch import nn as tnn

mindspore.set_context(mode=mindspore.PYNATIVE_MODE)
mindspore.set_device("CPU")
torch.manual_seed(0)

N_STEPS = 8
LR = 0.05
MOMENTUM = 0.9
BN_EPS = 1e-5
TORCH_BN_MOMENTUM = 0.1  # weight given to the *new* batch statistic

# %%
# The network in PyTorch
# ----------------------
#
# A 3x3 convolution with bias, batch norm, ReLU, flatten and a linear layer.

N_CLASSES = 4
IMG = 8  # input images are 3 x 8 x 8; a 3x3 "valid" conv gives 8 x 6 x 6


class TorchNet(tnn.Module):
    def __init__(self):
        super().__init__()
        self.conv = tnn.Conv2d(3, 8, kernel_size=3)  # padding=0, bias=True
        self.bn = tnn.BatchNorm2d(8, eps=BN_EPS, momentum=TORCH_BN_MOMENTUM)
        self.relu = tnn.ReLU()
        self.fc = tnn.Linear(8 * (IMG - 2) ** 2, N_CLASSES)

    def forward(self, x):
        x = self.relu(self.bn(self.conv(x)))
        return self.fc(torch.flatten(x, 1))


# %%
# The same network in MindSpore
# -----------------------------
#
# Two defaults differ and must be set explicitly:
#
# * ``mindspore.nn.Conv2d`` defaults to ``pad_mode='same'`` (output keeps the
#   input size) and ``has_bias=False``. PyTorch's ``Conv2d`` has no padding and
#   a bias by default, so use ``pad_mode='valid'`` and ``has_bias=True``.
# * Batch-norm ``momentum`` is the weight of the *old* running statistic in
#   MindSpore and of the *new* batch statistic in PyTorch:
#   MindSpore ``momentum = 1 - torch_momentum`` (0.9 for PyTorch's 0.1).
#
# ``nn.Dense`` stores its weight as ``(out, in)``, like ``torch.nn.Linear``, so
# it can be copied without transposing.


class MindSporeNet(msnn.Cell):
    def __init__(self):
        super().__init__()
        self.conv = msnn.Conv2d(3, 8, kernel_size=3, pad_mode="valid", has_bias=True)
        self.bn = msnn.BatchNorm2d(8, eps=BN_EPS, momentum=1.0 - TORCH_BN_MOMENTUM)
        self.relu = msnn.ReLU()
        self.flatten = msnn.Flatten()
        self.fc = msnn.Dense(8 * (IMG - 2) ** 2, N_CLASSES)

    def construct(self, x):
        x = self.relu(self.bn(self.conv(x)))
        return self.fc(self.flatten(x))


torch_net = TorchNet()
ms_net = MindSporeNet()

# %%
# Copy the PyTorch weights into MindSpore
# ---------------------------------------
#
# Batch norm uses different parameter names: ``weight``/``bias`` become
# ``gamma``/``beta`` and the running statistics become ``moving_mean`` and
# ``moving_variance``. PyTorch's ``num_batches_tracked`` has no counterpart and
# is only used when ``momentum=None``, so it is skipped. The loader reports any
# parameter it did not fill, which must be none.

TORCH_TO_MS = {
    "conv.weight": "conv.weight",
    "conv.bias": "conv.bias",
    "bn.weight": "bn.gamma",
    "bn.bias": "bn.beta",
    "bn.running_mean": "bn.moving_mean",
    "bn.running_var": "bn.moving_variance",
    "fc.weight": "fc.weight",
    "fc.bias": "fc.bias",
}


def ms_state(net):
    return {p.name: p.asnumpy().copy() for p in net.get_parameters()}


def torch_state_as_ms(net):
    state = net.state_dict()
    return {ms_name: state[t_name].detach().numpy().copy() for t_name, ms_name in TORCH_TO_MS.items()}


params = {
    name: mindspore.Parameter(mindspore.Tensor(value), name=name)
    for name, value in torch_state_as_ms(torch_net).items()
}
not_loaded, _ = mindspore.load_param_into_net(ms_net, params, strict_load=True)
assert not not_loaded, f"parameters left at their MindSpore init: {not_loaded}"
assert set(ms_state(ms_net)) == set(TORCH_TO_MS.values())

initial = ms_state(ms_net)
for name, value in torch_state_as_ms(torch_net).items():
    assert initial[name].shape == value.shape, name
    np.testing.assert_array_equal(initial[name], value)

# %%
# Data
# ----
#
# One fixed batch of random images and labels from a seeded NumPy generator,
# converted to each framework's tensor type. The same batch is used at every
# step so that the loss is expected to fall.

rng = np.random.default_rng(2024)
x_np = rng.standard_normal((16, 3, IMG, IMG)).astype(np.float32)
y_np = rng.integers(0, N_CLASSES, size=16).astype(np.int32)

x_t, y_t = torch.from_numpy(x_np), torch.from_numpy(y_np).long()
x_m, y_m = mindspore.Tensor(x_np), mindspore.Tensor(y_np)

# %%
# Training in PyTorch
# -------------------
#
# The familiar loop: clear the gradients stored on the parameters, run
# ``backward()``, and let the optimizer read them in ``step()``. ``train()``
# makes batch norm normalise with the batch statistics.

torch_opt = torch.optim.SGD(torch_net.parameters(), lr=LR, momentum=MOMENTUM)
torch_loss_fn = tnn.CrossEntropyLoss()
torch_net.train()

torch_losses = []
for _ in range(N_STEPS):
    torch_opt.zero_grad()
    loss = torch_loss_fn(torch_net(x_t), y_t)
    loss.backward()
    torch_opt.step()
    torch_losses.append(loss.item())

# %%
# Training in MindSpore
# ---------------------
#
# MindSpore does not accumulate gradients on the parameters, so there is no
# ``zero_grad()``. ``mindspore.value_and_grad`` turns the forward function into
# one that returns the loss together with a tuple of gradients, one for each
# parameter in ``optimizer.parameters``; the optimizer is then *called* with
# that tuple. ``set_train(True)`` is the counterpart of ``train()``.
#
# ``trainable_params()`` leaves out the batch-norm moving statistics (their
# ``requires_grad`` is ``False``), so they get no gradient; batch norm updates
# them during the forward pass, as in PyTorch. ``mindspore.nn.SGD`` applies the same rule as
# ``torch.optim.SGD``: ``v = momentum * v + grad``, then ``w = w - lr * v``.
# The learning rate is passed positionally because the MindSpore docstring
# announces that the keyword will be renamed from ``learning_rate`` to ``lr``.

ms_opt = msnn.SGD(ms_net.trainable_params(), LR, momentum=MOMENTUM)
ms_loss_fn = msnn.CrossEntropyLoss()
ms_net.set_train(True)


def forward_fn(x, y):
    return ms_loss_fn(ms_net(x), y)


grad_fn = mindspore.value_and_grad(forward_fn, None, ms_opt.parameters)

ms_losses = []
for _ in range(N_STEPS):
    loss, grads = grad_fn(x_m, y_m)
    ms_opt(grads)
    ms_losses.append(float(loss.asnumpy()))

# %%
# Compare the loss curves
# -----------------------
#
# The losses are recorded before each update, so step 0 compares the two
# forward passes on identical weights and later steps compare the effect of
# the optimizer updates.

torch_losses = np.array(torch_losses)
ms_losses = np.array(ms_losses)
loss_diff = np.abs(torch_losses - ms_losses)

fig, (ax_loss, ax_diff) = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
steps = np.arange(N_STEPS)
ax_loss.plot(steps, torch_losses, "o-", label="PyTorch")
ax_loss.plot(steps, ms_losses, "x--", label="MindSpore")
ax_loss.set_xlabel("step")
ax_loss.set_ylabel("cross-entropy loss")
ax_loss.set_title("Training loss")
ax_loss.legend()
ax_diff.semilogy(steps, np.maximum(loss_diff, 1e-12), "s-", color="C3")
ax_diff.set_xlabel("step")
ax_diff.set_ylabel("|PyTorch - MindSpore|")
ax_diff.set_title("Absolute loss difference")
plt.show()

print("losses (PyTorch):  ", np.array2string(torch_losses, precision=6))
print("losses (MindSpore):", np.array2string(ms_losses, precision=6))
print(f"max |loss difference|: {loss_diff.max():.3e}")

# %%
# The two curves must agree to float32 rounding: the tolerance is a few
# times the largest difference measured on a CPU, which is printed above. A
# different optimizer rule or learning rate moves the curves apart by orders
# of magnitude more. The wrong ``pad_mode`` fails earlier, with a shape error
# in ``Dense``, and a missing conv bias fails the name check when loading the
# weights. An inverted batch-norm momentum leaves the training loss unchanged,
# because training mode normalises with batch statistics, so it is caught by
# the weight comparison below instead.

LOSS_ATOL = 2e-6
np.testing.assert_allclose(ms_losses, torch_losses, rtol=0, atol=LOSS_ATOL)
assert torch_losses[-1] < torch_losses[0], "training did not reduce the loss"

# %%
# Compare the final weights
# -------------------------
#
# Every parameter, the batch-norm running statistics included, must match
# after the last step. The differences are printed below; many weights are
# small, so the check uses an absolute tolerance. The running
# variance matching also shows that both frameworks update it with the
# unbiased batch variance.
#
# Parameters must also have moved away from their initial values, or an
# optimizer that silently did nothing would pass the comparison. The one
# exception is the convolution bias. Batch norm subtracts the per-channel mean
# right after the convolution, which cancels any constant added to a channel.
# The gradient of the bias is therefore zero up to rounding in both
# frameworks, and the bias stays where it started. (For this reason, networks
# usually use ``bias=False`` for a convolution followed by batch norm.)

WEIGHT_ATOL = 1e-6
BIAS_BEFORE_BN = "conv.bias"
final_torch = torch_state_as_ms(torch_net)
final_ms = ms_state(ms_net)

max_weight_diff = 0.0
for name, t_value in final_torch.items():
    m_value = final_ms[name]
    diff = float(np.max(np.abs(m_value - t_value)))
    moved = float(np.max(np.abs(m_value - initial[name])))
    print(f"{name:20s} max |diff| {diff:.3e}   moved by up to {moved:.3e}")
    max_weight_diff = max(max_weight_diff, diff)
    np.testing.assert_allclose(m_value, t_value, rtol=0, atol=WEIGHT_ATOL, err_msg=name)
    if name == BIAS_BEFORE_BN:
        assert moved < WEIGHT_ATOL, f"{name} should have a zero gradient"
    else:
        assert moved > 1e-2, f"{name} did not change during training"

print(f"max |weight difference|: {max_weight_diff:.3e}")

# %%
# Reference entries for the APIs used here, each verified in both frameworks: :ref:`sgd`.
