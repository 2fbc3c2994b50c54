"""
Choosing parameters and parameter groups
========================================

An optimizer is given the parameters it updates: all trainable ones, a subset
chosen by name, or several groups with their own hyperparameters. This example
does each of the three in PyTorch and MindSpore on the same network with
batch norm, and checks that the trained weights agree.

It also shows the one place where the frameworks differ: ``mindspore.nn``
optimizers accept only the keys ``params``, ``lr``, ``weight_decay``,
``grad_centralization`` and ``order_params`` in a group, while
``mindspore.experimental.optim`` accepts every hyperparameter of the
optimizer, like PyTorch. Its ``add_param_group``, however, gives the new
group no optimizer state, so the next step fails.
"""

# %%
# Setup
# -----

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

N_STEPS = 5
IMG = 6


class TorchNet(tnn.Module):
    def __init__(self):
        super().__init__()
        self.conv = tnn.Conv2d(2, 4, kernel_size=3)
        self.bn = tnn.BatchNorm2d(4)
        self.fc = tnn.Linear(4 * (IMG - 2) ** 2, 3)

    def forward(self, x):
        return self.fc(torch.flatten(torch.relu(self.bn(self.conv(x))), 1))


class MindSporeNet(msnn.Cell):
    def __init__(self):
        super().__init__()
        self.conv = msnn.Conv2d(2, 4, kernel_size=3, pad_mode="valid", has_bias=True)
        self.bn = msnn.BatchNorm2d(4, momentum=0.9)  # = PyTorch's momentum=0.1
        self.fc = msnn.Dense(4 * (IMG - 2) ** 2, 3)

    def construct(self, x):
        return self.fc(mindspore.ops.flatten(mindspore.ops.relu(self.bn(self.conv(x)))))


TORCH_TO_MS = {
    "conv.weight": "conv.weight", "conv.bias": "conv.bias",
    "bn.weight": "bn.gamma", "bn.bias": "bn.beta",
    "bn.running_mean": "bn.moving_mean", "bn.running_var": "bn.moving_variance",
    "fc.weight": "fc.weight", "fc.bias": "fc.bias",
}

reference_net = TorchNet()
INITIAL = {k: v.detach().numpy().copy() for k, v in reference_net.state_dict().items() if k in TORCH_TO_MS}

rng = np.random.default_rng(3)
x_np = rng.standard_normal((8, 2, IMG, IMG)).astype(np.float32)
y_np = rng.integers(0, 3, size=8).astype(np.int32)


def make_pair():
    """A PyTorch and a MindSpore network holding the same initial weights."""
    t_net = TorchNet()
    t_net.load_state_dict({k: torch.tensor(v) for k, v in INITIAL.items()}, strict=False)
    m_net = MindSporeNet()
    weights = {TORCH_TO_MS[k]: mindspore.Parameter(mindspore.Tensor(v), name=TORCH_TO_MS[k]) for k, v in INITIAL.items()}
    not_loaded, _ = mindspore.load_param_into_net(m_net, weights, strict_load=True)
    assert not not_loaded, not_loaded
    return t_net, m_net


def train_torch(net, opt):
    net.train()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np).long()
    for _ in range(N_STEPS):
        opt.zero_grad()
        tnn.functional.cross_entropy(net(x), y).backward()
        opt.step()
    return {TORCH_TO_MS[k]: v.detach().numpy() for k, v in net.state_dict().items() if k in TORCH_TO_MS}


def train_ms(net, opt):
    net.set_train()
    loss_fn = msnn.CrossEntropyLoss()
    grad_fn = mindspore.value_and_grad(lambda x, y: loss_fn(net(x), y), None, opt.parameters)
    x, y = mindspore.Tensor(x_np), mindspore.Tensor(y_np)
    for _ in range(N_STEPS):
        _, grads = grad_fn(x, y)
        opt(grads)
    return {p.name: p.asnumpy() for p in net.get_parameters()}


ATOL = 2e-6  # a few times float32 rounding: the differences are printed below
results = {}


def compare(label, t_final, m_final):
    diff = max(float(np.abs(t_final[k] - m_final[k]).max()) for k in t_final)
    moved = {k: float(np.abs(t_final[k] - INITIAL[next(t for t, m in TORCH_TO_MS.items() if m == k)]).max()) for k in t_final}
    print(f"{label:38s} max |PyTorch - MindSpore| = {diff:.2e}")
    assert diff < ATOL, (label, diff)
    results[label] = moved
    return moved


# %%
# All trainable parameters
# ------------------------
#
# ``model.parameters()`` yields PyTorch's parameters; batch norm's running
# statistics are *buffers* and are not among them. MindSpore keeps the moving
# statistics as ``Parameter`` objects with ``requires_grad=False``, so use
# ``net.trainable_params()``, not ``net.get_parameters()``, which returns
# them too (see :ref:`params`).

t_net, m_net = make_pair()
torch_names = [name for name, _ in t_net.named_parameters()]
ms_names = [p.name for p in m_net.trainable_params()]
ms_all_names = [p.name for p in m_net.get_parameters()]
print("PyTorch parameters():        ", torch_names)
print("MindSpore trainable_params():", ms_names)
print("MindSpore get_parameters():  ", ms_all_names)
assert [TORCH_TO_MS[n] for n in torch_names] == ms_names
assert set(ms_all_names) - set(ms_names) == {"bn.moving_mean", "bn.moving_variance"}

compare(
    "all trainable parameters",
    train_torch(t_net, torch.optim.SGD(t_net.parameters(), lr=0.1, momentum=0.9)),
    train_ms(m_net, msnn.SGD(m_net.trainable_params(), 0.1, momentum=0.9)),
)

# %%
# A subset chosen by name
# -----------------------
#
# To train everything except the convolution, filter by name. PyTorch's
# names come from ``named_parameters()``; in MindSpore each ``Parameter``
# carries its own ``.name``.

t_net, m_net = make_pair()
torch_non_conv = [p for name, p in t_net.named_parameters() if "conv" not in name]
ms_non_conv = [p for p in m_net.trainable_params() if "conv" not in p.name]

torch_opt = torch.optim.SGD(torch_non_conv, lr=0.1)
ms_opt = msnn.SGD(ms_non_conv, 0.1)
moved = compare("non-conv subset", train_torch(t_net, torch_opt), train_ms(m_net, ms_opt))
assert moved["conv.weight"] == 0.0 and moved["conv.bias"] == 0.0, "the conv parameters must stay frozen"
assert moved["fc.weight"] > 1e-2

# %%
# Parameter groups
# ----------------
#
# A group is a dict with ``params`` and the settings that differ from the
# optimizer's defaults. Both frameworks take a list of such dicts; the keys
# ``lr`` and ``weight_decay`` are spelled the same way in ``mindspore.nn``
# (see :ref:`param_groups`). A group's ``weight_decay`` in ``mindspore.nn``
# applies to *every* parameter of the group, batch-norm ``gamma`` and
# ``beta`` included, exactly as in PyTorch; the name filter that skips them
# applies only without groups (see the weight-decay example).

t_net, m_net = make_pair()
torch_conv = [p for name, p in t_net.named_parameters() if "conv" in name]
torch_rest = [p for name, p in t_net.named_parameters() if "conv" not in name]
torch_opt = torch.optim.SGD(
    [{"params": torch_conv, "lr": 0.02}, {"params": torch_rest, "weight_decay": 0.05}],
    lr=0.1, momentum=0.9,
)

ms_conv = [p for p in m_net.trainable_params() if "conv" in p.name]
ms_rest = [p for p in m_net.trainable_params() if "conv" not in p.name]
ms_opt = msnn.SGD(
    [{"params": ms_conv, "lr": 0.02}, {"params": ms_rest, "weight_decay": 0.05}],
    0.1, momentum=0.9,
)
compare("groups: lr and weight_decay", train_torch(t_net, torch_opt), train_ms(m_net, ms_opt))

# %%
# Keys that ``mindspore.nn`` does not accept
# ------------------------------------------
#
# A per-group ``momentum`` is rejected by ``mindspore.nn.SGD`` with a
# ``KeyError`` that lists the accepted keys.

try:
    msnn.SGD([{"params": ms_conv, "momentum": 0.5}], 0.1, momentum=0.9)
except KeyError as err:
    print("mindspore.nn.SGD:", err)
else:
    raise AssertionError("mindspore.nn.SGD accepted a per-group momentum")

# %%
# ``mindspore.experimental.optim`` takes it, as PyTorch does. Its
# ``param_groups`` is a list of dicts, like PyTorch's, with the learning rate
# stored as a ``Parameter`` so that schedulers can change it.

t_net, m_net = make_pair()
torch_opt = torch.optim.SGD(
    [
        {"params": [p for n, p in t_net.named_parameters() if "conv" in n], "momentum": 0.5},
        {"params": [p for n, p in t_net.named_parameters() if "conv" not in n], "lr": 0.05},
    ],
    lr=0.1, momentum=0.9,
)
ms_opt = msoptim.SGD(
    [
        {"params": [p for p in m_net.trainable_params() if "conv" in p.name], "momentum": 0.5},
        {"params": [p for p in m_net.trainable_params() if "conv" not in p.name], "lr": 0.05},
    ],
    lr=0.1, momentum=0.9,
)
for t_group, m_group in zip(torch_opt.param_groups, ms_opt.param_groups):
    print("momentum", t_group["momentum"], m_group["momentum"], "  lr", t_group["lr"], float(m_group["lr"].asnumpy()))
    assert t_group["momentum"] == m_group["momentum"]
    assert abs(t_group["lr"] - float(m_group["lr"].asnumpy())) < 1e-8
compare("experimental: per-group momentum", train_torch(t_net, torch_opt), train_ms(m_net, ms_opt))

# %%
# ``add_param_group``
# -------------------
#
# PyTorch creates an optimizer's state lazily, at the first ``step()`` that
# sees a parameter, so a group added later just works. The
# ``mindspore.experimental.optim`` optimizers also have ``add_param_group``,
# but they allocate their state (``accum`` for SGD, ``exp_avg`` for Adam)
# once, in the constructor. A group added afterwards is registered in
# ``param_groups`` and ``parameters`` but gets no state, and the next call of
# the optimizer fails with ``RuntimeError: The tuples in HyperMap should have
# the same length``. In MindSpore, pass every group to the constructor.

t_net, m_net = make_pair()
torch_opt = torch.optim.SGD([p for n, p in t_net.named_parameters() if "conv" in n], lr=0.1, momentum=0.9)
torch_opt.add_param_group({"params": [p for n, p in t_net.named_parameters() if "conv" not in n], "lr": 0.05})

ms_opt = msoptim.SGD([p for p in m_net.trainable_params() if "conv" in p.name], lr=0.1, momentum=0.9)
ms_opt.add_param_group({"params": [p for p in m_net.trainable_params() if "conv" not in p.name], "lr": 0.05})
print(len(ms_opt.parameters), "parameters,", len(ms_opt.accum), "momentum buffers")
assert len(torch_opt.param_groups) == len(ms_opt.param_groups) == 2
assert len(ms_opt.accum) == 2 < len(ms_opt.parameters) == 6, "add_param_group now extends the state: update the text"
train_torch(t_net, torch_opt)  # fine in PyTorch

# %%
# How far each parameter moved
# ----------------------------
#
# The bars show, for each scenario, the largest change of each parameter
# during training (the PyTorch and MindSpore bars coincide, so only the
# MindSpore names are used). The frozen convolution in the subset scenario
# does not move; the smaller ``lr`` of the conv group moves it less.

names = list(next(iter(results.values())).keys())
fig, ax = plt.subplots(figsize=(9, 3.8), layout="constrained")
width = 0.8 / len(results)
for i, (label, moved) in enumerate(results.items()):
    ax.bar(np.arange(len(names)) + i * width, [moved[n] for n in names], width, label=label)
ax.set_xticks(np.arange(len(names)) + 0.4 - width / 2, names, rotation=20)
ax.set_ylabel("max |w_final - w_initial|")
ax.set_title("Parameter displacement after 5 steps (identical in both frameworks)")
ax.legend(fontsize=8)
plt.show()

# %%
# What to change when porting
# ---------------------------
#
# * ``model.parameters()`` → ``net.trainable_params()``;
#   ``named_parameters()`` filtering → filter on ``p.name``. The names of
#   batch-norm parameters differ (``weight``/``bias`` are ``gamma``/``beta``).
# * Group dicts carry over for ``lr`` and ``weight_decay``. For any other
#   per-group setting (``momentum``, ``betas``, ...) or for
#   ``add_param_group``, use ``mindspore.experimental.optim``, or split the
#   parameters between two ``mindspore.nn`` optimizers.
# * Going from MindSpore to PyTorch, ``order_params`` and
#   ``grad_centralization`` have no PyTorch key: drop the first, and
#   implement the second on the gradients before ``step()``.

# %%
# Reference entries for the APIs used here, each verified in both frameworks: :ref:`sgd`.
