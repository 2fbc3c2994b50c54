"""
Weight decay: coupled, decoupled, and which parameters are decayed
===================================================================

``weight_decay`` means two different things. In ``SGD`` and ``Adam`` it is
*coupled*: ``weight_decay * w`` is added to the gradient before the update
rule sees it (an L2 penalty). In ``AdamW`` it is *decoupled*: the weights are
shrunk by ``lr * weight_decay * w`` beside the Adam step. Both frameworks
have both kinds, under different names.

The frameworks also disagree on *which* parameters are decayed when
``weight_decay`` is given to the optimizer as a single number. PyTorch decays
every parameter it was given. ``mindspore.nn`` optimizers skip every
parameter whose name contains ``"beta"`` or ``"gamma"`` (batch-norm and
layer-norm shifts and scales). ``mindspore.experimental.optim`` behaves like
PyTorch. This example measures each case.
"""

# %%
# Setup
# -----
#
# A network with batch norm, so that ``gamma`` and ``beta`` exist. The layer
# before batch norm has no bias: batch norm subtracts the mean, so that
# bias's gradient is zero up to rounding. Adam divides the gradient by its
# own running magnitude, which turns such rounding noise into steps of size
# ``lr`` whose signs differ between frameworks, and the comparison would
# measure noise.

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

N_STEPS = 8
WD = 0.1


class TorchNet(tnn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = tnn.Linear(6, 8, bias=False)  # batch norm cancels a bias
        self.bn = tnn.BatchNorm1d(8)
        self.fc2 = tnn.Linear(8, 1)

    def forward(self, x):
        return self.fc2(torch.relu(self.bn(self.fc1(x))))


class MindSporeNet(msnn.Cell):
    def __init__(self):
        super().__init__()
        self.fc1 = msnn.Dense(6, 8, has_bias=False)
        self.bn = msnn.BatchNorm1d(8, momentum=0.9)
        self.fc2 = msnn.Dense(8, 1)

    def construct(self, x):
        return self.fc2(mindspore.ops.relu(self.bn(self.fc1(x))))


TORCH_TO_MS = {
    "fc1.weight": "fc1.weight", "bn.weight": "bn.gamma", "bn.bias": "bn.beta",
    "bn.running_mean": "bn.moving_mean", "bn.running_var": "bn.moving_variance",
    "fc2.weight": "fc2.weight", "fc2.bias": "fc2.bias",
}
INITIAL = {k: v.detach().numpy().copy() for k, v in TorchNet().state_dict().items() if k in TORCH_TO_MS}
# Move batch norm's scale away from 1 so that decaying it is visible.
INITIAL["bn.weight"] = np.linspace(0.5, 2.0, 8).astype(np.float32)

rng = np.random.default_rng(5)
x_np = rng.standard_normal((16, 6)).astype(np.float32)
y_np = (x_np[:, :1] * 2.0 - x_np[:, 1:2]).astype(np.float32)


def make_pair():
    t_net = TorchNet()
    t_net.load_state_dict({k: torch.tensor(v) for k, v in INITIAL.items()}, strict=False)
    m_net = MindSporeNet()
    weights = {TORCH_TO_MS[k]: mindspore.Parameter(mindspore.Tensor(v), name=TORCH_TO_MS[k]) for k, v in INITIAL.items()}
    assert not mindspore.load_param_into_net(m_net, weights, strict_load=True)[0]
    return t_net, m_net


def train_torch(net, opt):
    """Train; return the per-step history (loss, norm of bn's scale, norm of all weights) and the final state."""
    net.train()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    history = {"loss": [], "gamma": [], "norm": []}
    for _ in range(N_STEPS):
        opt.zero_grad()
        loss = tnn.functional.mse_loss(net(x), y)
        loss.backward()
        opt.step()
        history["loss"].append(loss.item())
        history["gamma"].append(float(net.bn.weight.detach().norm()))
        history["norm"].append(float(np.sqrt(sum(float((p.detach() ** 2).sum()) for p in net.parameters()))))
    final = {TORCH_TO_MS[k]: v.detach().numpy() for k, v in net.state_dict().items() if k in TORCH_TO_MS}
    return history, final


def train_ms(net, opt):
    net.set_train()
    loss_fn = msnn.MSELoss()
    grad_fn = mindspore.value_and_grad(lambda x, y: loss_fn(net(x), y), None, opt.parameters)
    x, y = mindspore.Tensor(x_np), mindspore.Tensor(y_np)
    history = {"loss": [], "gamma": [], "norm": []}
    for _ in range(N_STEPS):
        loss, grads = grad_fn(x, y)
        opt(grads)
        history["loss"].append(float(loss.asnumpy()))
        history["gamma"].append(float(np.linalg.norm(net.bn.gamma.asnumpy())))
        history["norm"].append(float(np.sqrt(sum(float((p.asnumpy() ** 2).sum()) for p in net.trainable_params()))))
    return history, {p.name: p.asnumpy() for p in net.get_parameters()}


def max_diff(a, b, names=None):
    return max(float(np.abs(a[k] - b[k]).max()) for k in (names or a))


ATOL = 5e-6  # a few times float32 rounding where the rules agree: the differences are printed below
runs = {}

# %%
# Coupled decay with SGD: the default filter
# ------------------------------------------
#
# The same ``weight_decay`` passed as one number. PyTorch decays
# ``bn.weight``; ``mindspore.nn.SGD`` leaves ``bn.gamma`` and ``bn.beta``
# alone, so the two runs drift apart (see :ref:`sgd`).

t_net, m_net = make_pair()
torch_opt = torch.optim.SGD(t_net.parameters(), lr=0.1, weight_decay=WD)
ms_opt = msnn.SGD(m_net.trainable_params(), 0.1, weight_decay=WD)  # skips gamma, beta
runs["PyTorch SGD(weight_decay)"], t_final = train_torch(t_net, torch_opt)
runs["mindspore.nn.SGD(weight_decay)"], m_final = train_ms(m_net, ms_opt)
filter_diff = max_diff(t_final, m_final, ["bn.gamma"])
print(f"default filter: max |bn.gamma difference| = {filter_diff:.3e}")
assert filter_diff > 1e-2, "mindspore.nn.SGD now decays gamma: update this example"

# %%
# To decay every parameter in ``mindspore.nn``, put them in a group: a
# group's ``weight_decay`` applies to all of its parameters. Or use
# ``mindspore.experimental.optim.SGD``, which has no filter.

t_net, m_net = make_pair()
_, t_final = train_torch(t_net, torch.optim.SGD(t_net.parameters(), lr=0.1, weight_decay=WD))
ms_opt = msnn.SGD([{"params": m_net.trainable_params(), "weight_decay": WD}], 0.1)
runs["mindspore.nn.SGD, one group"], m_final = train_ms(m_net, ms_opt)
group_diff = max_diff(t_final, m_final)

t_net, m_net = make_pair()
_, m_final_exp = train_ms(m_net, msoptim.SGD(m_net.trainable_params(), lr=0.1, weight_decay=WD))
exp_diff = max_diff(t_final, m_final_exp)
print(f"one group with weight_decay:       max |diff| = {group_diff:.3e}")
print(f"experimental.optim.SGD:            max |diff| = {exp_diff:.3e}")
assert group_diff < ATOL and exp_diff < ATOL

# %%
# Going from MindSpore to PyTorch, reproduce the filter with two groups: the
# parameters whose MindSpore name would contain ``gamma`` or ``beta`` (in
# PyTorch, the ``weight`` and ``bias`` of normalisation layers) get
# ``weight_decay=0``.

t_net, m_net = make_pair()
norm_params = [p for name, p in t_net.named_parameters() if name.startswith("bn.")]
other_params = [p for name, p in t_net.named_parameters() if not name.startswith("bn.")]
torch_opt = torch.optim.SGD(
    [{"params": other_params}, {"params": norm_params, "weight_decay": 0.0}], lr=0.1, weight_decay=WD
)
_, t_final = train_torch(t_net, torch_opt)
_, m_final = train_ms(m_net, msnn.SGD(m_net.trainable_params(), 0.1, weight_decay=WD))
reverse_diff = max_diff(t_final, m_final)
print(f"PyTorch groups mimicking the filter: max |diff| = {reverse_diff:.3e}")
assert reverse_diff < ATOL

# %%
# Coupled vs decoupled with Adam
# ------------------------------
#
# ``torch.optim.Adam(weight_decay=...)`` adds the L2 term to the gradient,
# which Adam then rescales (:ref:`adam`). ``torch.optim.AdamW`` shrinks the
# weights directly (:ref:`adamw`). ``mindspore.experimental.optim`` has both
# under the same names. ``mindspore.nn.AdamWeightDecay`` is decoupled too,
# but it has no bias correction and ``eps=1e-6`` by default, so it does not
# reproduce ``AdamW``; its docstring also announces its removal.

LR = 0.01
t_net, m_net = make_pair()
torch_opt = torch.optim.Adam(t_net.parameters(), lr=LR, weight_decay=WD)
ms_opt = msoptim.Adam(m_net.trainable_params(), lr=LR, weight_decay=WD)
runs["PyTorch Adam(weight_decay)"], t_adam = train_torch(t_net, torch_opt)
runs["experimental Adam(weight_decay)"], m_adam = train_ms(m_net, ms_opt)
adam_diff = max_diff(t_adam, m_adam)

t_net, m_net = make_pair()
torch_opt = torch.optim.AdamW(t_net.parameters(), lr=LR, weight_decay=WD)
ms_opt = msoptim.AdamW(m_net.trainable_params(), lr=LR, weight_decay=WD)
runs["PyTorch AdamW"], t_adamw = train_torch(t_net, torch_opt)
runs["experimental AdamW"], m_adamw = train_ms(m_net, ms_opt)
adamw_diff = max_diff(t_adamw, m_adamw)

t_net, m_net = make_pair()
group = [{"params": m_net.trainable_params(), "weight_decay": WD}]
runs["nn.AdamWeightDecay"], m_awd = train_ms(m_net, msnn.AdamWeightDecay(group, LR, eps=1e-8))
awd_diff = max_diff(t_adamw, m_awd)
coupled_vs_decoupled = max_diff(t_adam, t_adamw)

print(f"Adam(weight_decay): PyTorch vs experimental      max |diff| = {adam_diff:.3e}")
print(f"AdamW:              PyTorch vs experimental      max |diff| = {adamw_diff:.3e}")
print(f"AdamW vs nn.AdamWeightDecay (no bias correction) max |diff| = {awd_diff:.3e}")
print(f"PyTorch Adam(weight_decay) vs AdamW              max |diff| = {coupled_vs_decoupled:.3e}")
assert adam_diff < ATOL and adamw_diff < ATOL
assert awd_diff > 1e-2, "nn.AdamWeightDecay now matches AdamW: update this example"
assert coupled_vs_decoupled > 1e-3

# %%
# The curves
# ----------
#
# Left: the norm of batch norm's scale. PyTorch decays it; ``mindspore.nn.SGD``
# with one ``weight_decay`` number does not, and the group version does.
# Right: the norm of all weights under Adam. Coupled and decoupled decay
# shrink the weights differently, each MindSpore counterpart lies on its
# PyTorch curve, and ``nn.AdamWeightDecay`` does not.

fig, (ax_sgd, ax_adam) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
steps = np.arange(1, N_STEPS + 1)
for label, style in [("PyTorch SGD(weight_decay)", "o-"), ("mindspore.nn.SGD(weight_decay)", "x--"),
                     ("mindspore.nn.SGD, one group", "+:")]:
    ax_sgd.plot(steps, runs[label]["gamma"], style, label=label)
ax_sgd.set(xlabel="step", ylabel="||bn scale||", title="SGD: the gamma/beta filter")
for label, style in [("PyTorch Adam(weight_decay)", "o-"), ("experimental Adam(weight_decay)", "x--"),
                     ("PyTorch AdamW", "s-"), ("experimental AdamW", "+--"), ("nn.AdamWeightDecay", "d:")]:
    ax_adam.plot(steps, runs[label]["norm"], style, label=label, alpha=0.8)
ax_adam.set(xlabel="step", ylabel="||all weights||", title="Adam: coupled vs decoupled")
ax_sgd.legend(fontsize=8)
ax_adam.legend(fontsize=8)
plt.show()

# %%
# What to change when porting
# ---------------------------
#
# * ``torch.optim.SGD/Adam(weight_decay=wd)`` → a ``mindspore.nn`` optimizer
#   with ``[{"params": ..., "weight_decay": wd}]`` if normalisation layers
#   must be decayed too, or the ``mindspore.experimental.optim`` class.
# * ``torch.optim.AdamW`` → ``mindspore.experimental.optim.AdamW``, not
#   ``nn.AdamWeightDecay``. Note the default: ``AdamW`` uses
#   ``weight_decay=0.01``, the MindSpore classes ``0.0`` for ``nn`` and
#   ``1e-2`` for ``experimental.optim.AdamW``.
# * From MindSpore to PyTorch, keep the filter with a ``weight_decay=0``
#   group for the normalisation parameters. Also check other parameters
#   whose name happens to contain ``beta`` or ``gamma``: MindSpore skips
#   them too.
