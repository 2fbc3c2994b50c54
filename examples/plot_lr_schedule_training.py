"""
A learning-rate schedule driving a training run
===============================================

PyTorch changes the learning rate with a scheduler object that edits the
optimizer's ``param_groups`` when ``scheduler.step()`` is called, usually
once per epoch. MindSpore has three ways to do the same, and a migrated
script can use any of them:

1. a precomputed list from ``mindspore.nn.dynamic_lr``, one value per
   *step*, passed as ``learning_rate``;
2. a ``mindspore.nn.learning_rate_schedule.LearningRateSchedule`` cell, evaluated by the optimizer
   at every step, passed as ``learning_rate``;
3. a scheduler from ``mindspore.experimental.optim.lr_scheduler``, used
   exactly like PyTorch's.

This example trains the same network with a cosine schedule stepped once per
epoch in all four setups and checks that the learning rates and the losses
agree. It then does the same for ``StepLR``, the schedule most often
translated by hand.
"""

# %%
# Setup
# -----
#
# A small regression network, 6 epochs of 2 batches each.

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

EPOCHS = 6
STEPS_PER_EPOCH = 2
TOTAL_STEPS = EPOCHS * STEPS_PER_EPOCH
BASE_LR = 0.1
MIN_LR = 0.01
MOMENTUM = 0.9

rng = np.random.default_rng(11)
x_np = rng.standard_normal((STEPS_PER_EPOCH, 8, 4)).astype(np.float32)
y_np = (x_np @ rng.standard_normal((4, 1)) + 0.1).astype(np.float32)
batches_t = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in zip(x_np, y_np)]
batches_m = [(mindspore.Tensor(x), mindspore.Tensor(y)) for x, y in zip(x_np, y_np)]

torch_template = tnn.Sequential(tnn.Linear(4, 8), tnn.Tanh(), tnn.Linear(8, 1))
INITIAL = {k: v.detach().numpy().copy() for k, v in torch_template.state_dict().items()}


def torch_net():
    net = tnn.Sequential(tnn.Linear(4, 8), tnn.Tanh(), tnn.Linear(8, 1))
    net.load_state_dict({k: torch.tensor(v) for k, v in INITIAL.items()})
    return net


def ms_net():
    """``SequentialCell`` names its layers 0, 1, 2 like ``nn.Sequential``."""
    net = msnn.SequentialCell([msnn.Dense(4, 8), msnn.Tanh(), msnn.Dense(8, 1)])
    weights = {k: mindspore.Parameter(mindspore.Tensor(v), name=k) for k, v in INITIAL.items()}
    not_loaded, _ = mindspore.load_param_into_net(net, weights, strict_load=True)
    assert not not_loaded, not_loaded
    return net


def ms_trainer(net, optimizer):
    loss_fn = msnn.MSELoss()
    grad_fn = mindspore.value_and_grad(lambda x, y: loss_fn(net(x), y), None, optimizer.parameters)

    def train_step(x, y):
        loss, grads = grad_fn(x, y)
        optimizer(grads)
        return float(loss.asnumpy())

    return train_step


# %%
# PyTorch: ``CosineAnnealingLR`` stepped once per epoch
# -----------------------------------------------------
#
# ``scheduler.get_last_lr()`` returns one learning rate per parameter group
# (:ref:`get_lr`). See :ref:`cosineannealinglr` for the schedule itself.

net = torch_net()
loss_fn = tnn.MSELoss()
optimizer = torch.optim.SGD(net.parameters(), lr=BASE_LR, momentum=MOMENTUM)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS, eta_min=MIN_LR)

torch_lrs, torch_losses = [], []
for epoch in range(EPOCHS):
    for x, y in batches_t:
        torch_lrs.append(scheduler.get_last_lr()[0])
        optimizer.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        optimizer.step()
        torch_losses.append(loss.item())
    scheduler.step()

# %%
# MindSpore 1: a list from ``nn.dynamic_lr``
# -------------------------------------------
#
# ``cosine_decay_lr`` returns a Python list with one learning rate per step.
# ``step_per_epoch`` holds each value for a whole epoch, which is how a
# per-epoch PyTorch scheduler is expressed per step. The list must cover
# every step of the run: when the optimizer's step counter passes its end,
# the next step fails with a ``RuntimeError`` from ``Gather``.
#
# The optimizer's ``get_lr()`` returns the rate of the *next* step, read
# from its ``global_step`` counter.

net = ms_net()
lr_list = msnn.dynamic_lr.cosine_decay_lr(
    min_lr=MIN_LR, max_lr=BASE_LR, total_step=TOTAL_STEPS,
    step_per_epoch=STEPS_PER_EPOCH, decay_epoch=EPOCHS,
)
optimizer = msnn.SGD(net.trainable_params(), lr_list, momentum=MOMENTUM)
train_step = ms_trainer(net, optimizer)
list_lrs, list_losses = [], []
for epoch in range(EPOCHS):
    for x, y in batches_m:
        list_lrs.append(float(optimizer.get_lr().asnumpy()))
        list_losses.append(train_step(x, y))

# One step past the end of the list:
grads = tuple(mindspore.ops.zeros_like(p) for p in optimizer.parameters)
try:
    optimizer(grads)
except RuntimeError as err:
    print("step", TOTAL_STEPS, "of a", len(lr_list), "-step list:", str(err).splitlines()[0])
else:
    raise AssertionError("a learning-rate list shorter than the run no longer fails")

# %%
# MindSpore 2: a ``LearningRateSchedule`` cell
# ---------------------------------------------
#
# ``nn.CosineDecayLR`` computes the rate from the step number inside the
# optimizer. Its ``decay_steps`` counts *steps*; to hold the rate for an
# epoch, wrap it in a small schedule that divides the step counter by the
# number of steps per epoch. Note that ``CosineDecayLR`` stays at
# ``min_lr`` after ``decay_steps``, while PyTorch's ``CosineAnnealingLR``
# rises again after ``T_max`` (checked below; see also :ref:`cosineannealinglr`).

net = ms_net()


class PerEpoch(msnn.learning_rate_schedule.LearningRateSchedule):
    """Evaluate a per-step schedule on the epoch number instead."""

    def __init__(self, schedule, steps_per_epoch):
        super().__init__()
        self.schedule = schedule
        self.steps_per_epoch = steps_per_epoch

    def construct(self, global_step):
        return self.schedule(global_step // self.steps_per_epoch)


cosine = msnn.CosineDecayLR(min_lr=MIN_LR, max_lr=BASE_LR, decay_steps=EPOCHS)
optimizer = msnn.SGD(net.trainable_params(), PerEpoch(cosine, STEPS_PER_EPOCH), momentum=MOMENTUM)
train_step = ms_trainer(net, optimizer)
cell_lrs, cell_losses = [], []
for epoch in range(EPOCHS):
    for x, y in batches_m:
        cell_lrs.append(float(optimizer.get_lr().asnumpy()))
        cell_losses.append(train_step(x, y))

# %%
# MindSpore 3: ``mindspore.experimental.optim.lr_scheduler``
# -----------------------------------------------------------
#
# A line-for-line port of the PyTorch loop. ``get_last_lr()`` returns a list
# of scalar tensors instead of floats.

net = ms_net()
optimizer = msoptim.SGD(net.trainable_params(), lr=BASE_LR, momentum=MOMENTUM)
scheduler = msoptim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS, eta_min=MIN_LR)
train_step = ms_trainer(net, optimizer)
exp_lrs, exp_losses = [], []
for epoch in range(EPOCHS):
    for x, y in batches_m:
        exp_lrs.append(float(scheduler.get_last_lr()[0].asnumpy()))
        exp_losses.append(train_step(x, y))
    scheduler.step()

# %%
# Compare
# -------
#
# MindSpore computes the rates in float32 and PyTorch in float64, so the
# learning rates agree to float32 precision and the losses to float32
# rounding. The differences are printed below the plot.

lrs = {"dynamic_lr list": list_lrs, "LearningRateSchedule": cell_lrs, "experimental scheduler": exp_lrs}
losses = {"dynamic_lr list": list_losses, "LearningRateSchedule": cell_losses, "experimental scheduler": exp_losses}

fig, (ax_lr, ax_loss) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
steps = np.arange(TOTAL_STEPS)
ax_lr.step(steps, torch_lrs, where="post", lw=3, alpha=0.4, label="PyTorch CosineAnnealingLR")
ax_loss.plot(steps, torch_losses, "o-", lw=3, alpha=0.4, label="PyTorch")
for (label, lr), marker in zip(lrs.items(), ["x", "+", "."]):
    ax_lr.plot(steps, lr, marker, label=f"MindSpore {label}")
    ax_loss.plot(steps, losses[label], marker + "--", label=f"MindSpore {label}")
ax_lr.set(xlabel="step", ylabel="learning rate", title="Learning rate applied at each step")
ax_loss.set(xlabel="step", ylabel="MSE loss", title="Training loss")
ax_lr.legend(fontsize=8)
ax_loss.legend(fontsize=8)
plt.show()

LR_ATOL = 1e-7
LOSS_RTOL = 1e-5
for label in lrs:
    lr_diff = np.abs(np.array(lrs[label]) - torch_lrs).max()
    loss_diff = np.abs(np.array(losses[label]) - torch_losses).max()
    print(f"{label:24s} max |lr diff| {lr_diff:.2e}   max |loss diff| {loss_diff:.2e}")
    np.testing.assert_allclose(lrs[label], torch_lrs, rtol=0, atol=LR_ATOL, err_msg=label)
    np.testing.assert_allclose(losses[label], torch_losses, rtol=LOSS_RTOL, atol=1e-6, err_msg=label)
assert torch_losses[-1] < torch_losses[0]

# Past the end of the period, the two cosine schedules part ways:
past = range(EPOCHS, 2 * EPOCHS)
cell_past = [float(cosine(mindspore.Tensor(e, mindspore.int32)).asnumpy()) for e in past]
t_opt = torch.optim.SGD(torch_net().parameters(), lr=BASE_LR)
t_sched = torch.optim.lr_scheduler.CosineAnnealingLR(t_opt, T_max=EPOCHS, eta_min=MIN_LR)
torch_all = []
for _ in range(2 * EPOCHS):
    torch_all.append(t_sched.get_last_lr()[0])
    t_opt.step()
    t_sched.step()
print("epochs 6-11, CosineDecayLR:    ", np.round(cell_past, 4))
print("epochs 6-11, CosineAnnealingLR:", np.round(torch_all[EPOCHS:], 4))
assert np.allclose(cell_past, MIN_LR) and max(torch_all[EPOCHS:]) > 0.5 * BASE_LR

# %%
# ``StepLR`` in the three MindSpore worlds
# ----------------------------------------
#
# ``StepLR(step_size, gamma)`` multiplies the rate by ``gamma`` every
# ``step_size`` epochs (:ref:`steplr`). ``mindspore.nn.dynamic_lr`` has no
# function of that name: write it with ``piecewise_constant_lr``, whose
# milestones are *step* numbers at which each value *ends*, the last one
# being the total number of steps. (``exponential_decay_lr`` with
# ``is_stair=True`` gives the same values.) ``MultiStepLR`` (:ref:`multisteplr`)
# is the same construction with irregular milestones.

STEP_SIZE, GAMMA = 2, 0.5
# PyTorch: per epoch
t_opt = torch.optim.SGD(torch_net().parameters(), lr=BASE_LR)
t_sched = torch.optim.lr_scheduler.StepLR(t_opt, step_size=STEP_SIZE, gamma=GAMMA)

# MindSpore, world 1: a per-step list
milestones = [STEP_SIZE * STEPS_PER_EPOCH * (i + 1) for i in range(EPOCHS // STEP_SIZE)]
values = [BASE_LR * GAMMA**i for i in range(EPOCHS // STEP_SIZE)]
step_lr_list = msnn.dynamic_lr.piecewise_constant_lr(milestones, values)

# MindSpore, world 3: the same class as PyTorch
m_opt = msoptim.SGD(ms_net().trainable_params(), lr=BASE_LR)
m_sched = msoptim.lr_scheduler.StepLR(m_opt, step_size=STEP_SIZE, gamma=GAMMA)
print("piecewise_constant_lr milestones", milestones, "values", values)

torch_step_lrs, exp_step_lrs = [], []
for epoch in range(EPOCHS):
    torch_step_lrs += [t_sched.get_last_lr()[0]] * STEPS_PER_EPOCH
    exp_step_lrs += [float(m_sched.get_last_lr()[0].asnumpy())] * STEPS_PER_EPOCH
    t_opt.step()
    t_sched.step()
    m_sched.step()

stair = msnn.dynamic_lr.exponential_decay_lr(BASE_LR, GAMMA, TOTAL_STEPS, STEPS_PER_EPOCH, STEP_SIZE, is_stair=True)
cell = PerEpoch(msnn.ExponentialDecayLR(BASE_LR, GAMMA, STEP_SIZE, is_stair=True), STEPS_PER_EPOCH)
cell_step_lrs = [float(cell(mindspore.Tensor(i, mindspore.int32)).asnumpy()) for i in range(TOTAL_STEPS)]

print("PyTorch StepLR, per step:    ", np.round(torch_step_lrs, 4))
print("piecewise_constant_lr:       ", np.round(step_lr_list, 4))
for label, seq in [("piecewise_constant_lr", step_lr_list), ("exponential_decay_lr stair", stair),
                   ("ExponentialDecayLR cell", cell_step_lrs), ("experimental StepLR", exp_step_lrs)]:
    np.testing.assert_allclose(seq, torch_step_lrs, rtol=1e-6, atol=0, err_msg=label)
print("all four MindSpore StepLR translations agree with PyTorch to 1e-6 (relative)")

# %%
# The other ``dynamic_lr`` functions in PyTorch
# ---------------------------------------------
#
# Going from MindSpore to PyTorch, each ``nn.dynamic_lr`` function (here with
# one step per epoch) has a PyTorch scheduler that produces the same
# values, named or written as a ``LambdaLR``. ``warmup_lr`` starts at 0,
# which ``LinearLR`` does not allow (its ``start_factor`` must be positive),
# hence the lambda.

RATE, N = 0.3, 8
ms_lists = {
    "natural_exp_decay_lr": msnn.dynamic_lr.natural_exp_decay_lr(BASE_LR, RATE, N, 1, 1),
    "inverse_decay_lr": msnn.dynamic_lr.inverse_decay_lr(BASE_LR, RATE, N, 1, 1),
    "polynomial_decay_lr": msnn.dynamic_lr.polynomial_decay_lr(BASE_LR, 0.0, N, 1, N, 2.0),
    "warmup_lr": msnn.dynamic_lr.warmup_lr(BASE_LR, N, 1, 4),
}
lr_sched = torch.optim.lr_scheduler
torch_equivalents = {
    "natural_exp_decay_lr": lambda opt: lr_sched.ExponentialLR(opt, gamma=float(np.exp(-RATE))),
    "inverse_decay_lr": lambda opt: lr_sched.LambdaLR(opt, lambda epoch: 1 / (1 + RATE * epoch)),
    "polynomial_decay_lr": lambda opt: lr_sched.PolynomialLR(opt, total_iters=N, power=2.0),
    "warmup_lr": lambda opt: lr_sched.LambdaLR(opt, lambda epoch: min(epoch, 4) / 4),
}
ms_cells = {  # the LearningRateSchedule cells give the same values, step by step
    "natural_exp_decay_lr": msnn.NaturalExpDecayLR(BASE_LR, RATE, 1),
    "inverse_decay_lr": msnn.InverseDecayLR(BASE_LR, RATE, 1),
    "polynomial_decay_lr": msnn.PolynomialDecayLR(BASE_LR, 0.0, N, 2.0),
    "warmup_lr": msnn.WarmUpLR(BASE_LR, 4),
}
for name, values in ms_lists.items():
    opt = torch.optim.SGD(torch_net().parameters(), lr=BASE_LR)
    sched = torch_equivalents[name](opt)
    torch_values = []
    for _ in range(N):
        torch_values.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    diff = np.abs(np.array(values) - torch_values).max()
    print(f"{name:22s} vs PyTorch: max |lr diff| = {diff:.1e}")
    np.testing.assert_allclose(values, torch_values, rtol=1e-9, atol=1e-12, err_msg=name)
    cell_values = [float(ms_cells[name](mindspore.Tensor(i, mindspore.int32)).asnumpy()) for i in range(N)]
    cell_diff = np.abs(np.array(cell_values) - torch_values).max()
    print(f"{'':22s} cell {type(ms_cells[name]).__name__:18s}: max |lr diff| = {cell_diff:.1e}")
    np.testing.assert_allclose(cell_values, torch_values, rtol=1e-6, atol=1e-9, err_msg=name)

# The remaining PyTorch schedulers exist under the same names in
# mindspore.experimental.optim.lr_scheduler (several are compared on the
# errata page); OneCycleLR and ChainedScheduler do not.
same_names = ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "PolynomialLR", "LinearLR",
              "ConstantLR", "SequentialLR", "CosineAnnealingWarmRestarts", "CyclicLR", "ReduceLROnPlateau",
              "LambdaLR", "MultiplicativeLR"]
assert all(hasattr(msoptim.lr_scheduler, n) and hasattr(torch.optim.lr_scheduler, n) for n in same_names)
assert not any(hasattr(msoptim.lr_scheduler, n) for n in ["OneCycleLR", "ChainedScheduler"])

# %%
# What to change when porting
# ---------------------------
#
# * PyTorch → MindSpore, smallest change: keep the loop and use
#   ``mindspore.experimental.optim`` with its ``lr_scheduler``.
# * With a ``mindspore.nn`` optimizer, convert epochs to steps:
#   ``dynamic_lr`` functions take ``step_per_epoch``; schedule cells count
#   steps, so wrap them as above or give ``decay_steps`` in steps.
# * A list must be at least as long as the run.
# * MindSpore → PyTorch: a ``learning_rate`` list becomes
#   ``LambdaLR(optimizer, lambda step: lr_list[step] / lr_list[0])`` stepped
#   every batch, or the named scheduler that produces the same values.

# %%
# Reference entries for the APIs used here, each verified in both frameworks: :ref:`sgd`, :ref:`natural_exp_decay`, :ref:`inverse_decay`, :ref:`warmup_lr`.
