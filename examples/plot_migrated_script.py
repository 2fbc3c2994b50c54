"""
A training script migrated end to end
=====================================

A complete, small PyTorch script, with a dataset, a convolutional network
with batch norm and max pooling, SGD with momentum, a ``StepLR`` schedule stepped once per
epoch, and an evaluation pass after each epoch, and its MindSpore
translation. Both start from the same weights and see the batches in the
same order; the training losses, learning rates and test accuracies must
agree.

Every line that changes is marked in the MindSpore half with a comment.
"""

# %%
# Data
# ----
#
# A synthetic 3-class problem: 8x8 single-channel images whose class decides
# where a bright bar is, plus noise. The epoch order is drawn once with
# NumPy and used by both frameworks, so that the batches are identical.

import matplotlib.pyplot as plt
import mindspore
import mindspore.dataset as ds
import numpy as np
import torch
from mindspore import nn as msnn
from mindspore.experimental import optim as msoptim
from torch import nn as tnn
from torch.utils.data import DataLoader, TensorDataset

mindspore.set_context(mode=mindspore.PYNATIVE_MODE)
mindspore.set_device("CPU")
torch.manual_seed(0)

EPOCHS, BATCH, N_TRAIN, N_TEST = 4, 12, 48, 30
rng = np.random.default_rng(21)


def make_images(n):
    labels = rng.integers(0, 3, size=n)
    images = rng.normal(0.0, 0.5, size=(n, 1, 8, 8)).astype(np.float32)
    for img, label in zip(images, labels):
        img[0, :, 1 + 2 * label: 3 + 2 * label] += 2.0  # a vertical bar
    return images, labels.astype(np.int64)


x_train, y_train = make_images(N_TRAIN)
x_test, y_test = make_images(N_TEST)
orders = [rng.permutation(N_TRAIN) for _ in range(EPOCHS)]

# %%
# The PyTorch script
# ------------------


class TorchCNN(tnn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = tnn.Conv2d(1, 4, 3, padding=1, bias=False)
        self.bn1 = tnn.BatchNorm2d(4)
        self.pool = tnn.MaxPool2d(2)
        self.conv2 = tnn.Conv2d(4, 8, 3, padding=1)
        self.fc = tnn.Linear(8, 3)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn1(self.conv1(x))))
        x = torch.relu(self.conv2(x)).mean(dim=(2, 3))
        return self.fc(x)


model = TorchCNN()
INITIAL = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}

train_set = TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train))
optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
loss_fn = tnn.CrossEntropyLoss()

torch_losses, torch_acc, torch_lr = [], [], []
for epoch in range(EPOCHS):
    model.train()
    for x, y in DataLoader(train_set, batch_size=BATCH, sampler=orders[epoch]):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        torch_losses.append(loss.item())
    torch_lr.append(scheduler.get_last_lr()[0])
    scheduler.step()

    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(x_test)).argmax(dim=1)
    torch_acc.append((pred.numpy() == y_test).mean())

# %%
# The MindSpore translation
# -------------------------
#
# The defaults of three layers differ: ``Conv2d`` needs ``pad_mode="pad"`` for an
# explicit padding (and ``has_bias``, which defaults to ``False``),
# ``MaxPool2d``'s ``stride`` defaults to 1 instead of the kernel size, and
# batch norm's ``momentum`` is ``1 - torch_momentum``. Parameter names
# change for batch norm only. The optimizer and scheduler come from
# ``mindspore.experimental.optim``, which keeps PyTorch's names and
# semantics (:ref:`sgd`, :ref:`steplr`).
#
# (This script uses SGD rather than Adam for a reason that has nothing to do
# with porting. After ReLU and max pooling, some weights get gradients that
# are zero up to float32 rounding, and Adam's first step moves every weight
# by ``lr * g / (|g| + eps)``: for such weights the result depends on the
# rounding noise, which differs between the frameworks. With Adam, the two
# runs of this script drift apart far beyond float32 rounding, and an
# honest port cannot be told apart from a wrong one at a tight tolerance.)


class MindSporeCNN(msnn.Cell):
    def __init__(self):
        super().__init__()
        self.conv1 = msnn.Conv2d(1, 4, 3, pad_mode="pad", padding=1, has_bias=False)  # changed
        self.bn1 = msnn.BatchNorm2d(4, momentum=0.9)  # changed: 1 - 0.1
        self.pool = msnn.MaxPool2d(kernel_size=2, stride=2)  # changed: explicit stride
        self.conv2 = msnn.Conv2d(4, 8, 3, pad_mode="pad", padding=1, has_bias=True)  # changed
        self.fc = msnn.Dense(8, 3)

    def construct(self, x):  # forward -> construct
        x = self.pool(mindspore.ops.relu(self.bn1(self.conv1(x))))
        x = mindspore.ops.relu(self.conv2(x)).mean(axis=(2, 3))
        return self.fc(x)


RENAME = {"bn1.weight": "bn1.gamma", "bn1.bias": "bn1.beta",
          "bn1.running_mean": "bn1.moving_mean", "bn1.running_var": "bn1.moving_variance"}
net = MindSporeCNN()
weights = {RENAME.get(k, k): mindspore.Parameter(mindspore.Tensor(v), name=RENAME.get(k, k))
           for k, v in INITIAL.items() if k != "bn1.num_batches_tracked"}
assert not mindspore.load_param_into_net(net, weights, strict_load=True)[0]

optimizer = msoptim.SGD(net.trainable_params(), lr=0.2, momentum=0.9)
scheduler = msoptim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
loss_fn = msnn.CrossEntropyLoss()


def forward(x, y):  # changed: a function to differentiate
    return loss_fn(net(x), y)


grad_fn = mindspore.value_and_grad(forward, None, optimizer.parameters)

ms_losses, ms_acc, ms_lr = [], [], []
for epoch in range(EPOCHS):
    net.set_train(True)  # changed: model.train()
    order = orders[epoch]
    train_set = ds.NumpySlicesDataset({"x": x_train[order], "y": y_train[order].astype(np.int32)}, shuffle=False)
    for x, y in train_set.batch(BATCH).create_tuple_iterator():
        loss, grads = grad_fn(x, y)  # changed: no zero_grad/backward
        optimizer(grads)  # changed: optimizer.step()
        ms_losses.append(float(loss.asnumpy()))
    ms_lr.append(float(scheduler.get_last_lr()[0].asnumpy()))
    scheduler.step()

    net.set_train(False)  # changed: model.eval(); no no_grad() needed
    pred = net(mindspore.Tensor(x_test)).argmax(axis=1)
    ms_acc.append((pred.asnumpy() == y_test).mean())

# %%
# Compare
# -------
#
# The two runs must give the same loss at every step, the same learning
# rate per epoch and the same test accuracy. Batch norm and momentum carry
# float32 rounding forward, so the loss tolerance is relative 1e-5; the
# largest relative difference measured is printed below.

torch_losses, ms_losses = np.array(torch_losses), np.array(ms_losses)
rel = np.abs(ms_losses - torch_losses) / np.abs(torch_losses)
print("test accuracy per epoch, PyTorch:  ", torch_acc)
print("test accuracy per epoch, MindSpore:", ms_acc)
print("learning rate per epoch:", torch_lr, np.round(ms_lr, 6).tolist())
print(f"max relative loss difference: {rel.max():.2e}")
np.testing.assert_allclose(ms_losses, torch_losses, rtol=1e-5)
np.testing.assert_allclose(ms_lr, torch_lr, rtol=1e-6)
assert ms_acc == torch_acc
assert torch_losses[-4:].mean() < torch_losses[:4].mean() and torch_acc[-1] > 0.5, "the model did not learn"

fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
ax_loss.plot(torch_losses, "o-", label="PyTorch")
ax_loss.plot(ms_losses, "x--", label="MindSpore")
for e in range(1, EPOCHS):
    ax_loss.axvline(e * N_TRAIN // BATCH - 0.5, color="grey", alpha=0.3)
ax_loss.set(xlabel="step (grey: epoch boundaries)", ylabel="cross-entropy", title="Training loss")
ax_loss.legend()
epochs = np.arange(1, EPOCHS + 1)
ax_acc.plot(epochs, torch_acc, "o-", label="PyTorch")
ax_acc.plot(epochs, ms_acc, "x--", label="MindSpore")
ax_acc.set(xlabel="epoch", ylabel="test accuracy", title="Evaluation after each epoch", ylim=(0, 1.05))
ax_acc.legend()
plt.show()

# %%
# Checklist of what changed
# -------------------------
#
# * Layers: ``Conv2d`` padding and bias defaults, ``MaxPool2d`` stride,
#   batch-norm momentum and parameter names; ``forward`` → ``construct``.
# * Data: ``DataLoader`` → a ``mindspore.dataset`` pipeline with
#   ``.batch()``; labels as int32.
# * Step: ``zero_grad``/``backward``/``step`` → ``value_and_grad`` +
#   ``optimizer(grads)`` (:ref:`zero_grad`).
# * Modes: ``train()``/``eval()`` → ``set_train(True/False)``; no
#   ``torch.no_grad()`` is needed, as nothing is recorded outside
#   ``value_and_grad``.
# * Optimizer and schedule: unchanged names in
#   ``mindspore.experimental.optim``; for ``mindspore.nn`` optimizers, see
#   the learning-rate example for the per-step equivalents.
