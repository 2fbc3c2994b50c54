"""
Loss scaling: GradScaler, loss-scale managers and the optimizer's loss_scale
============================================================================

Mixed-precision training multiplies the loss by a large factor before the
backward pass, so that small float16 gradients do not underflow, and divides
the gradients by the same factor before the update. A *dynamic* scaler also
skips any step whose gradients overflowed, halves the factor, and doubles it
again after a run of good steps.

PyTorch does this with ``torch.amp.GradScaler``, outside the optimizer.
MindSpore offers the same logic in three places: ``mindspore.amp.DynamicLossScaler``
for a functional loop, ``nn.TrainOneStepWithLossScaleCell`` with a
``DynamicLossScaleUpdateCell``, and loss-scale managers for ``Model``. With
``FixedLossScaleManager(drop_overflow_update=False)``, the unscaling is left
to the *optimizer*, through its ``loss_scale`` argument.

The network here stays in float32, so that scaling by powers of two is exact
and the runs can be compared to rounding; overflows are provoked on purpose
at two steps by multiplying the loss by 1e36.
"""

# %%
# Setup
# -----

import matplotlib.pyplot as plt
import mindspore
import numpy as np
import torch
from mindspore import amp as msamp
from mindspore import nn as msnn
from torch import nn as tnn

mindspore.set_context(mode=mindspore.PYNATIVE_MODE)
mindspore.set_device("CPU")
torch.manual_seed(0)

N_STEPS = 12
OVERFLOW_AT = {4, 5}
INIT_SCALE = 2.0**10
GROWTH_INTERVAL = 3
LR, MOMENTUM = 0.05, 0.9
boost = [1e36 if step in OVERFLOW_AT else 1.0 for step in range(N_STEPS)]

template = tnn.Sequential(tnn.Linear(5, 8), tnn.Tanh(), tnn.Linear(8, 1))
INITIAL = {k: v.detach().numpy().copy() for k, v in template.state_dict().items()}
rng = np.random.default_rng(1)
x_np = rng.standard_normal((16, 5)).astype(np.float32)
y_np = np.sin(x_np[:, :1]).astype(np.float32)


def torch_net():
    net = tnn.Sequential(tnn.Linear(5, 8), tnn.Tanh(), tnn.Linear(8, 1))
    net.load_state_dict({k: torch.tensor(v) for k, v in INITIAL.items()})
    return net


def ms_net():
    net = msnn.SequentialCell([msnn.Dense(5, 8), msnn.Tanh(), msnn.Dense(8, 1)])
    weights = {k: mindspore.Parameter(mindspore.Tensor(v), name=k) for k, v in INITIAL.items()}
    assert not mindspore.load_param_into_net(net, weights, strict_load=True)[0]
    return net


def ms_weights(net):
    return {p.name: p.asnumpy().copy() for p in net.trainable_params()}


x_t, y_t = torch.from_numpy(x_np), torch.from_numpy(y_np)
x_m, y_m = mindspore.Tensor(x_np), mindspore.Tensor(y_np)

# %%
# PyTorch: ``GradScaler``
# -----------------------
#
# ``scaler.step(optimizer)`` unscales the gradients, and skips
# ``optimizer.step()`` when any of them is infinite or NaN;
# ``scaler.update()`` adjusts the scale (see :ref:`loss_scale`). In real
# mixed-precision code the forward pass would also run under
# ``torch.autocast``.

net = torch_net()
optimizer = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
scaler = torch.amp.GradScaler("cpu", init_scale=INIT_SCALE, growth_factor=2.0,
                              backoff_factor=0.5, growth_interval=GROWTH_INTERVAL)
torch_scales = []
for step in range(N_STEPS):
    optimizer.zero_grad()
    loss = tnn.functional.mse_loss(net(x_t), y_t) * boost[step]
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    torch_scales.append(scaler.get_scale())
torch_final = {k: v.detach().numpy() for k, v in net.state_dict().items()}

# %%
# MindSpore, functional: ``amp.DynamicLossScaler``
# ------------------------------------------------
#
# The scaler multiplies the loss inside the differentiated function and
# divides the gradients after it; ``amp.all_finite`` is the overflow test
# and ``adjust`` updates the scale. ``scale_factor`` is an integer: the same
# factor is used to grow and (inverted) to back off, so PyTorch's
# ``growth_factor=2, backoff_factor=0.5`` is ``scale_factor=2``.

net = ms_net()
optimizer = msnn.SGD(net.trainable_params(), LR, momentum=MOMENTUM)
scaler = msamp.DynamicLossScaler(scale_value=INIT_SCALE, scale_factor=2, scale_window=GROWTH_INTERVAL)
loss_fn = msnn.MSELoss()


def scaled_forward(x, y, boost):
    return scaler.scale(loss_fn(net(x), y) * boost)


grad_fn = mindspore.value_and_grad(scaled_forward, None, optimizer.parameters)

functional_scales = []
for step in range(N_STEPS):
    _, grads = grad_fn(x_m, y_m, mindspore.Tensor(boost[step], mindspore.float32))
    grads = scaler.unscale(grads)
    finite = msamp.all_finite(grads)
    scaler.adjust(finite)
    if finite:
        optimizer(grads)
    functional_scales.append(float(scaler.scale_value.asnumpy()))
functional_final = ms_weights(net)

# %%
# MindSpore, cell: ``TrainOneStepWithLossScaleCell``
# --------------------------------------------------
#
# On Ascend and GPU, a wrapper does all of the above in one call and returns
# the loss, the overflow flag and the scale. Its overflow check uses
# Ascend/GPU status operators, so on the CPU (where this page is built) the
# first call fails with a ``RuntimeError`` (``NPUGetFloatStatusV2`` has no
# CPU kernel). On the CPU, use the functional loop above.


class LossWithBoost(msnn.Cell):
    def __init__(self, net):
        super().__init__()
        self.net = net
        self.loss_fn = msnn.MSELoss()

    def construct(self, x, y, boost):
        return self.loss_fn(self.net(x), y) * boost


net = ms_net()
optimizer = msnn.SGD(net.trainable_params(), LR, momentum=MOMENTUM)
update_cell = msnn.DynamicLossScaleUpdateCell(loss_scale_value=INIT_SCALE, scale_factor=2,
                                              scale_window=GROWTH_INTERVAL)
train_net = msnn.TrainOneStepWithLossScaleCell(LossWithBoost(net), optimizer, scale_sense=update_cell)
train_net.set_train()

cell_scales = []
try:
    for step in range(N_STEPS):
        loss, overflow, scale = train_net(x_m, y_m, mindspore.Tensor(boost[step], mindspore.float32))
        cell_scales.append(float(scale.asnumpy()))
except RuntimeError as err:
    cell_error = err
    print("TrainOneStepWithLossScaleCell on", mindspore.get_context("device_target"), "->",
          next(line for line in str(err).splitlines() if "Unsupported op" in line))
else:
    cell_error = None
if mindspore.get_context("device_target") == "CPU":
    assert cell_error is not None, "TrainOneStepWithLossScaleCell now runs on CPU: compare it here"
else:
    assert cell_scales == torch_scales

# %%
# Compare the scale trajectories and the weights
# ----------------------------------------------
#
# The two scale sequences must be identical (they are powers of two), and
# the weights equal to float32 rounding: the skipped steps are the same, and
# unscaling gives back exactly the gradients before scaling.

print("scale after each step, PyTorch:  ", [int(s) for s in torch_scales])
print("scale after each step, MindSpore:", [int(s) for s in functional_scales])
assert torch_scales == functional_scales
assert INIT_SCALE * 2 in torch_scales and min(torch_scales) < INIT_SCALE, "the scale never grew or backed off"

WEIGHT_ATOL = 1e-6
scaler_diff = max(float(np.abs(functional_final[k] - torch_final[k]).max()) for k in functional_final)
print(f"DynamicLossScaler vs GradScaler: max |weight diff| = {scaler_diff:.2e}")
assert scaler_diff < WEIGHT_ATOL

# %%
# ``Model`` with a fixed scale: the optimizer's ``loss_scale``
# ------------------------------------------------------------
#
# ``Model(..., loss_scale_manager=FixedLossScaleManager(S, drop_overflow_update=False))``
# multiplies the loss by ``S`` but does not unscale the gradients: the
# optimizer does, and only if it was built with ``loss_scale=S``. Built with
# the default ``loss_scale=1.0``, it applies gradients ``S`` times too large.
# (With ``drop_overflow_update=True``, the default, ``Model`` wraps the
# network in ``TrainOneStepWithLossScaleCell``, which unscales itself; the
# optimizer's ``loss_scale`` must then stay 1.0. That variant, like
# ``DynamicLossScaleManager``, is refused on the CPU with a ``ValueError``.)
# Without overflows, the correct variant equals an unscaled run: here,
# plain SGD in PyTorch. Weight decay is on, to check that it is not scaled
# too: the optimizer adds ``weight_decay * w`` to the *scaled* gradient, and
# compensates by multiplying ``weight_decay`` by ``loss_scale`` internally.

import mindspore.dataset as ds  # noqa: E402
from mindspore.train import Model  # noqa: E402

S = 128.0
MODEL_STEPS = 4
WD = 0.01
net = torch_net()
opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WD)
for _ in range(MODEL_STEPS):
    opt.zero_grad()
    tnn.functional.mse_loss(net(x_t), y_t).backward()
    opt.step()
unscaled = {k: v.detach().numpy() for k, v in net.state_dict().items()}


def run_model(optimizer_loss_scale, drop_overflow_update=False):
    net = ms_net()
    optimizer = msnn.SGD(net.trainable_params(), LR, momentum=MOMENTUM, weight_decay=WD,
                         loss_scale=optimizer_loss_scale)
    manager = msamp.FixedLossScaleManager(S, drop_overflow_update=drop_overflow_update)
    model = Model(net, loss_fn=msnn.MSELoss(), optimizer=optimizer, loss_scale_manager=manager)
    data = ds.NumpySlicesDataset({"x": x_np, "y": y_np}, shuffle=False).batch(16)
    model.train(MODEL_STEPS, data, dataset_sink_mode=False)
    final = ms_weights(net)
    return max(float(np.abs(final[k] - unscaled[k]).max()) for k in final)


model_diffs = {
    "optimizer loss_scale=S (correct)": run_model(S),
    "optimizer loss_scale=1 (missing)": run_model(1.0),
}
for label, diff in model_diffs.items():
    print(f"FixedLossScaleManager({S:g}, drop_overflow_update=False), {label:34s} max |weight diff| vs unscaled = {diff:.2e}")
good, wrong = model_diffs.values()
assert good < WEIGHT_ATOL
assert wrong > 0.1, "a missing optimizer loss_scale no longer matters: update this example"
if mindspore.get_context("device_target") == "CPU":
    try:
        run_model(1.0, drop_overflow_update=True)
    except ValueError as err:
        print("drop_overflow_update=True on CPU ->", str(err).strip())
    else:
        raise AssertionError("Model accepts drop_overflow_update=True on CPU now: compare it here")

# %%
# The plot shows the scale after each step: both frameworks halve it at the
# two overflow steps (which are skipped) and double it after every
# ``GROWTH_INTERVAL`` good steps.

fig, (ax_scale, ax_model) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained", width_ratios=[3, 2])
steps = np.arange(N_STEPS)
ax_scale.semilogy(steps, torch_scales, "o-", lw=3, alpha=0.4, label="PyTorch GradScaler", base=2)
ax_scale.semilogy(steps, functional_scales, "x--", label="MindSpore DynamicLossScaler", base=2)
for s in OVERFLOW_AT:
    ax_scale.axvline(s, color="C3", alpha=0.2)
ax_scale.set(xlabel="step", ylabel="loss scale", title="Dynamic loss scale (red: overflow)")
ax_scale.legend(fontsize=8)
ax_model.barh(range(2), [max(d, 1e-12) for d in model_diffs.values()], color=["C2", "C3"])
ax_model.set_xscale("log")
ax_model.set_yticks(range(2), ["optimizer\nloss_scale=S", "optimizer\nloss_scale=1"])
ax_model.set(xlabel="max |weight diff| vs unscaled run", title="Model + FixedLossScaleManager")
plt.show()

# %%
# What to change when porting
# ---------------------------
#
# * ``GradScaler`` → ``amp.DynamicLossScaler`` in a functional loop, or
#   (Ascend/GPU only) ``TrainOneStepWithLossScaleCell`` +
#   ``DynamicLossScaleUpdateCell``;
#   ``init_scale`` → ``scale_value``/``loss_scale_value``, ``growth_interval``
#   → ``scale_window``, ``growth_factor``/``backoff_factor`` → one integer
#   ``scale_factor``. PyTorch's default ``init_scale`` is 2**16,
#   ``DynamicLossScaleManager``'s 2**24.
# * A fixed scale in PyTorch is a constant multiply and divide; in MindSpore,
#   ``FixedLossScaleManager``. If its ``drop_overflow_update`` is ``False``,
#   pass the same value as the optimizer's ``loss_scale``.
# * Going back to PyTorch, drop the optimizer's ``loss_scale`` argument:
#   ``torch.optim`` optimizers have none.

# %%
# Reference entries for the APIs used here, each verified in both frameworks: :ref:`sgd`.
