"""
Optimizer state: reading it, saving and resuming, converting it across
=======================================================================

An optimizer with momentum or Adam moments carries state between steps.
Resuming from a checkpoint that holds only the network weights restarts that
state from zero and changes the run. This example shows where each framework
keeps the state, checks that a resumed run continues exactly where the
uninterrupted one would have been, and converts the state from PyTorch to
MindSpore and back.

The layouts differ. PyTorch's ``optimizer.state_dict()`` is
``{"state": {index: {...}}, "param_groups": [...]}``, indexed by the position
of each parameter. A MindSpore optimizer is a ``Cell`` whose state is made of
``Parameter`` objects named after the network's parameters
(``accum.<name>``, ``exp_avg.<name>``, ...); ``mindspore.save_checkpoint``
and ``load_param_into_net`` save and restore them like a network's
weights.
"""

# %%
# Setup
# -----
#
# The checkpoints stay in memory here. On disk, a PyTorch checkpoint is
# written with ``torch.save`` and read with ``torch.load``; a MindSpore one
# with ``mindspore.save_checkpoint(optimizer, path)`` and
# ``mindspore.load_checkpoint(path)``, which returns the same name → value
# mapping used below.

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

N_STEPS, RESUME_AT = 10, 5
LR, MOMENTUM = 0.05, 0.9

template = tnn.Sequential(tnn.Linear(4, 6), tnn.Tanh(), tnn.Linear(6, 2))
INITIAL = {k: v.detach().numpy().copy() for k, v in template.state_dict().items()}
rng = np.random.default_rng(9)
X = rng.standard_normal((N_STEPS, 8, 4)).astype(np.float32)  # one batch per step
Y = rng.standard_normal((N_STEPS, 8, 2)).astype(np.float32)


def torch_net():
    net = tnn.Sequential(tnn.Linear(4, 6), tnn.Tanh(), tnn.Linear(6, 2))
    net.load_state_dict({k: torch.tensor(v) for k, v in INITIAL.items()})
    return net


def ms_net():
    net = msnn.SequentialCell([msnn.Dense(4, 6), msnn.Tanh(), msnn.Dense(6, 2)])
    weights = {k: mindspore.Parameter(mindspore.Tensor(v), name=k) for k, v in INITIAL.items()}
    assert not mindspore.load_param_into_net(net, weights, strict_load=True)[0]
    return net


def torch_steps(net, opt, steps):
    losses = []
    for i in steps:
        opt.zero_grad()
        loss = tnn.functional.mse_loss(net(torch.from_numpy(X[i])), torch.from_numpy(Y[i]))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def ms_steps(net, opt, steps):
    loss_fn = msnn.MSELoss()
    grad_fn = mindspore.value_and_grad(lambda x, y: loss_fn(net(x), y), None, opt.parameters)
    losses = []
    for i in steps:
        loss, grads = grad_fn(mindspore.Tensor(X[i]), mindspore.Tensor(Y[i]))
        opt(grads)
        losses.append(float(loss.asnumpy()))
    return losses


def ms_snapshot(cell):
    """What ``save_checkpoint`` would write: every Parameter of the cell, by name."""
    return {name: p.asnumpy().copy() for name, p in cell.parameters_dict().items()}


def as_parameters(snapshot):
    return {k: mindspore.Parameter(mindspore.Tensor(v), name=k) for k, v in snapshot.items()}


FIRST, REST = range(RESUME_AT), range(RESUME_AT, N_STEPS)
ATOL = 1e-6
curves = {}

# %%
# Reading the state and the learning rate
# ---------------------------------------
#
# After one step, PyTorch's SGD holds one ``momentum_buffer`` per parameter.
# ``mindspore.nn.SGD`` holds ``accum.<name>`` (the same buffer) and
# ``stat.<name>``, a flag that is 1 until the first step: on the first step
# both frameworks set the buffer to the gradient itself. The learning rate is
# ``param_groups[i]["lr"]`` in PyTorch and ``get_lr()`` (or
# ``get_lr_parameter(param)`` for a group) in ``mindspore.nn``; see
# :ref:`get_lr` and :ref:`state_dict`.

t_net, m_net = torch_net(), ms_net()
t_opt = torch.optim.SGD(t_net.parameters(), lr=LR, momentum=MOMENTUM)
m_opt = msnn.SGD(m_net.trainable_params(), LR, momentum=MOMENTUM)
torch_steps(t_net, t_opt, [0])
ms_steps(m_net, m_opt, [0])
# PyTorch
torch_lr = t_opt.param_groups[0]["lr"]
torch_buffer = t_opt.state_dict()["state"][0]["momentum_buffer"]  # of the first parameter

# MindSpore (mindspore.nn)
ms_lr = m_opt.get_lr()  # the rate of the next step
ms_state = m_opt.parameters_dict()  # name -> Parameter, network weights included
ms_buffer = ms_state["accum.0.weight"]
print("PyTorch state keys of parameter 0:", list(t_opt.state_dict()["state"][0]))
print("MindSpore optimizer parameters:  ", list(ms_state))
print(f"lr: {torch_lr} / {float(ms_lr.asnumpy()):.6f}")
np.testing.assert_allclose(ms_buffer.asnumpy(), torch_buffer.numpy(), rtol=0, atol=ATOL)
assert ms_state["stat.0.weight"].asnumpy().max() == 0.0, "stat is cleared after the first step"

# %%
# Save and resume: PyTorch
# ------------------------
#
# Save both state dicts; restore them into freshly built objects. Restoring
# only the network, with a new optimizer, restarts the momentum.

net = torch_net()
opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
curves["PyTorch, uninterrupted"] = torch_steps(net, opt, range(N_STEPS))
torch_reference = {k: v.detach().numpy() for k, v in net.state_dict().items()}

net = torch_net()
opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
first = torch_steps(net, opt, FIRST)
checkpoint = {"model": net.state_dict(), "optimizer": opt.state_dict()}

net = torch_net()
opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
net.load_state_dict(checkpoint["model"])
opt.load_state_dict(checkpoint["optimizer"])
curves["PyTorch, resumed"] = first + torch_steps(net, opt, REST)
resumed_diff = max(float(np.abs(v.detach().numpy() - torch_reference[k]).max()) for k, v in net.state_dict().items())

net = torch_net()
net.load_state_dict(checkpoint["model"])
opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)  # fresh momentum
curves["PyTorch, weights only"] = first + torch_steps(net, opt, REST)
weights_only_diff = max(float(np.abs(v.detach().numpy() - torch_reference[k]).max()) for k, v in net.state_dict().items())
print(f"PyTorch resumed vs uninterrupted:      {resumed_diff:.2e}")
print(f"PyTorch weights-only vs uninterrupted: {weights_only_diff:.2e}")
assert resumed_diff == 0.0 and weights_only_diff > 1e-3

# %%
# Save and resume: MindSpore
# --------------------------
#
# The optimizer's parameters include the network's, so one snapshot of the
# optimizer restores both. ``load_param_into_net`` returns the names it
# could not fill; it must return none.

net = ms_net()
opt = msnn.SGD(net.trainable_params(), LR, momentum=MOMENTUM)
curves["MindSpore, uninterrupted"] = ms_steps(net, opt, range(N_STEPS))
ms_reference = {p.name: p.asnumpy().copy() for p in net.trainable_params()}

net = ms_net()
opt = msnn.SGD(net.trainable_params(), LR, momentum=MOMENTUM)
first = ms_steps(net, opt, FIRST)
checkpoint = ms_snapshot(opt)  # mindspore.save_checkpoint(opt, path) writes the same

net = ms_net()
opt = msnn.SGD(net.trainable_params(), LR, momentum=MOMENTUM)
not_loaded, _ = mindspore.load_param_into_net(opt, as_parameters(checkpoint), strict_load=True)
assert not not_loaded, not_loaded
curves["MindSpore, resumed"] = first + ms_steps(net, opt, REST)
ms_resumed_diff = max(float(np.abs(p.asnumpy() - ms_reference[p.name]).max()) for p in net.trainable_params())
print(f"MindSpore resumed vs uninterrupted:    {ms_resumed_diff:.2e}")
assert ms_resumed_diff == 0.0

# %%
# Converting PyTorch state to MindSpore
# -------------------------------------
#
# Match parameters by position (PyTorch's state is indexed by it), copy each
# ``momentum_buffer`` into ``accum.<name>``, and set ``stat.<name>`` to 0:
# left at 1, MindSpore treats the next step as the first one and overwrites
# the buffer with the gradient. ``global_step`` only matters for a dynamic
# learning rate; set it to the number of steps taken.

t_net = torch_net()
t_opt = torch.optim.SGD(t_net.parameters(), lr=LR, momentum=MOMENTUM)
first = torch_steps(t_net, t_opt, FIRST)
torch_checkpoint = {"model": t_net.state_dict(), "optimizer": t_opt.state_dict()}


def torch_to_ms(torch_checkpoint, m_opt, clear_stat=True):
    state = torch_checkpoint["optimizer"]["state"]
    converted = {"global_step": np.array([RESUME_AT], np.int32)}
    for index, param in enumerate(m_opt.parameters):  # the same order as PyTorch's params
        converted[param.name] = torch_checkpoint["model"][param.name].numpy()  # names match here
        converted["accum." + param.name] = state[index]["momentum_buffer"].numpy()
        converted["stat." + param.name] = np.zeros(param.shape, np.float32)  # not the first step any more
    if not clear_stat:
        for name in list(converted):
            if name.startswith("stat."):
                del converted[name]
    return converted


for clear_stat, label in [(True, "MindSpore, resumed from PyTorch"), (False, "... stat left at 1")]:
    m_net = ms_net()
    m_opt = msnn.SGD(m_net.trainable_params(), LR, momentum=MOMENTUM)
    not_loaded, _ = mindspore.load_param_into_net(m_opt, as_parameters(torch_to_ms(torch_checkpoint, m_opt, clear_stat)))
    # learning_rate and momentum come from the constructor, not from the checkpoint
    expected = {"learning_rate", "momentum"} | ({n for n in m_opt.parameters_dict() if n.startswith("stat.")} if not clear_stat else set())
    assert set(not_loaded) == expected, not_loaded
    curves[label] = first + ms_steps(m_net, m_opt, REST)
    diff = max(float(np.abs(p.asnumpy() - torch_reference[p.name]).max()) for p in m_net.trainable_params())
    print(f"{label:34s} vs PyTorch uninterrupted: {diff:.2e}")
    if clear_stat:
        assert diff < ATOL
    else:
        assert diff > 1e-3, "stat no longer matters: update this example"

# %%
# Converting MindSpore Adam state to PyTorch
# ------------------------------------------
#
# ``mindspore.experimental.optim.Adam`` keeps ``exp_avg.<name>``,
# ``exp_avg_sq.<name>`` and one shared step counter ``state_step``; PyTorch
# keeps ``exp_avg``, ``exp_avg_sq`` and a float ``step`` per parameter. Fill
# a PyTorch optimizer's own ``state_dict()`` (which supplies
# ``param_groups``) and load it. (``mindspore.nn.Adam`` names the same
# moments ``moment1.<name>``/``moment2.<name>`` and keeps ``beta1_power`` and
# ``beta2_power`` instead of a step count; see :ref:`adam`.)

m_net = ms_net()
m_opt = msoptim.Adam(m_net.trainable_params(), lr=0.01)
adam_reference_losses = ms_steps(m_net, m_opt, FIRST)
ms_checkpoint = ms_snapshot(m_opt)  # a copy; training goes on uninterrupted
adam_reference_losses += ms_steps(m_net, m_opt, REST)
adam_reference = {p.name: p.asnumpy().copy() for p in m_net.trainable_params()}

t_net = torch_net()
t_opt = torch.optim.Adam(t_net.parameters(), lr=0.01)
names = [name for name, _ in t_net.named_parameters()]  # same order as the MindSpore parameters
t_net.load_state_dict({name: torch.tensor(ms_checkpoint[name]) for name in names})
state_dict = t_opt.state_dict()
step = float(ms_checkpoint["state_step"])
state_dict["state"] = {
    index: {
        "step": torch.tensor(step),
        "exp_avg": torch.tensor(ms_checkpoint["exp_avg." + name]),
        "exp_avg_sq": torch.tensor(ms_checkpoint["exp_avg_sq." + name]),
    }
    for index, name in enumerate(names)
}
t_opt.load_state_dict(state_dict)
adam_losses = torch_steps(t_net, t_opt, REST)
adam_diff = max(float(np.abs(v.detach().numpy() - adam_reference[k]).max()) for k, v in t_net.state_dict().items())
print(f"PyTorch Adam resumed from MindSpore vs MindSpore uninterrupted: {adam_diff:.2e}")
assert step == RESUME_AT and adam_diff < 1e-5

# %%
# A learning rate changed by a scheduler is not in the checkpoint
# -----------------------------------------------------------------
#
# In ``mindspore.experimental.optim`` each group's learning rate is a
# ``Parameter`` held in a plain list, not registered with the optimizer
# cell, and the schedulers have no ``state_dict()``. A checkpoint of the
# optimizer therefore has no learning rate and no scheduler position:
# after resuming, rebuild the scheduler and call ``step()`` as many times as
# it had been called. In PyTorch, save ``scheduler.state_dict()`` too.

m_opt = msoptim.SGD(ms_net().trainable_params(), lr=0.1)
scheduler = msoptim.lr_scheduler.StepLR(m_opt, step_size=1, gamma=0.5)
scheduler.step()
saved = ms_snapshot(m_opt)
print("experimental optimizer checkpoint keys:", list(saved))
print("current lr:", float(m_opt.param_groups[0]["lr"].asnumpy()), " scheduler has state_dict():", hasattr(scheduler, "state_dict"))
assert not any("lr" in k or "learning_rate" in k for k in saved)
assert not hasattr(scheduler, "state_dict")
assert hasattr(torch.optim.lr_scheduler.StepLR, "state_dict")

# %%
# The curves
# ----------
#
# The losses after the resume point, as a difference from the uninterrupted
# run (PyTorch's for SGD, MindSpore's for Adam; exact zeros are drawn at
# 1e-12). The loss at step 5 is computed before the first update after the
# resume, so every variant agrees there. From step 6 on, correctly resumed
# and converted runs stay at rounding level, while restoring weights only,
# or converting without clearing ``stat``, is off by far more (the weight
# differences are printed above).

fig, (ax_sgd, ax_adam) = plt.subplots(1, 2, figsize=(10, 4.4), layout="constrained", sharey=True)
reference = np.array(curves["PyTorch, uninterrupted"])
rest = np.arange(RESUME_AT, N_STEPS)
styles = ["x--", "s:", "+-", "d--", "v-.", "^:"]
for (label, losses), style in zip([(k, v) for k, v in curves.items() if k != "PyTorch, uninterrupted"], styles):
    diff = np.abs(np.array(losses) - reference)[RESUME_AT:]
    ax_sgd.semilogy(rest, np.maximum(diff, 1e-12), style, label=label)
ax_sgd.set(xlabel="step", ylabel="|loss - uninterrupted loss|", title="SGD with momentum, resumed at step 5",
           xticks=rest)
adam_diff = np.abs(np.array(adam_losses) - np.array(adam_reference_losses[RESUME_AT:]))
ax_adam.semilogy(rest, np.maximum(adam_diff, 1e-12), "*-", label="PyTorch Adam resumed from MindSpore")
ax_adam.set(xlabel="step", title="Adam, converted MindSpore -> PyTorch", xticks=rest)
fig.legend(loc="outside lower center", ncol=4, fontsize=7)
plt.show()

# %%
# What to change when porting
# ---------------------------
#
# * ``torch.save({"model": ..., "optimizer": opt.state_dict()})`` →
#   ``mindspore.save_checkpoint(opt, path)`` (the optimizer holds the
#   network's parameters too); ``load_state_dict`` →
#   ``mindspore.load_param_into_net(opt, mindspore.load_checkpoint(path))``.
# * To move a run across frameworks, map state by parameter position and the
#   names above; for ``mindspore.nn.SGD`` set ``stat`` to 0.
# * Save the scheduler position yourself in MindSpore.

# %%
# Reference entries for the APIs used here, each verified in both frameworks: :ref:`sgd`, :ref:`steplr`.
