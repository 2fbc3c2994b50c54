"""
Errata of the MindSpore 1.5 optimizer migration guide, measured
===============================================================

The optimizer chapter of MindSpore's r1.5 migration guide is the source of
several pages of this site. Some of its code is wrong, some no longer runs,
and some of its statements are out of date with MindSpore 2.10 and
PyTorch 2.13. This script reproduces each mistake in a minimal form, runs it
next to the corrected code, and asserts the measured difference, so that
the list stays true: if a future release changes a behaviour, the build
fails here.

The guide's errata page (:doc:`/guide/errata`) explains each item; the
measured values are the ones printed below.
"""

# %%
# Setup
# -----

import matplotlib.pyplot as plt
import mindspore
import numpy as np
import torch
from mindspore import nn as msnn
from mindspore import ops
from mindspore.experimental import optim as msoptim
from torch import nn as tnn

mindspore.set_context(mode=mindspore.PYNATIVE_MODE)
mindspore.set_device("CPU")
torch.manual_seed(0)

LR, MOMENTUM = 0.1, 0.9
rng = np.random.default_rng(0)
TARGET = [rng.standard_normal((3, 2)).astype(np.float32), rng.standard_normal(2).astype(np.float32)]
START = [rng.standard_normal((3, 2)).astype(np.float32), rng.standard_normal(2).astype(np.float32)]
findings = {}  # name -> measured value, for the summary


def params_ms(prefix):
    return [mindspore.Parameter(mindspore.Tensor(v.copy()), name=f"{prefix}{i}") for i, v in enumerate(START)]


def run_quadratic(opt, params, steps=6):
    """Minimise 0.5 * ||w - target||^2: the gradient is w - target."""
    losses = []
    for _ in range(steps):
        values = [p.asnumpy() for p in params]
        losses.append(sum(0.5 * float(((v - t) ** 2).sum()) for v, t in zip(values, TARGET)))
        opt(tuple(mindspore.Tensor(v - t) for v, t in zip(values, TARGET)))
    return np.array(losses), [p.asnumpy().copy() for p in params]


def max_diff(a, b):
    return max(float(np.abs(x - y).max()) for x, y in zip(a, b))


# %%
# 1. The small-operator Momentum never updates its moment
# -------------------------------------------------------
#
# The guide's custom ``Momentum`` computes
# ``update = momentum * param + moment + learning_rate * grad`` and assigns it
# to the parameter. The moment is never written, so it stays zero; the
# parameter is multiplied by the momentum coefficient at each step; and the
# gradient is *added*, which is gradient ascent. The corrected optimizer
# keeps ``v = momentum * v + g`` and ``w = w - lr * v``, which is what
# ``mindspore.nn.Momentum`` and ``torch.optim.SGD(momentum=...)`` do (see
# :ref:`custom_optimizer` and :ref:`sgd`).

class SourceMomentum(msnn.Optimizer):
    """The update rule as printed in the guide."""

    def __init__(self, params, learning_rate, momentum):
        super().__init__(learning_rate, params)
        self.momentum = mindspore.Parameter(mindspore.Tensor(momentum, mindspore.float32), name="momentum")
        self.moments = self.parameters.clone(prefix="moments", init="zeros")

    def construct(self, gradients):
        for param, moment, grad in zip(self.parameters, self.moments, gradients):
            ops.assign(param, self.momentum * param + moment + self.learning_rate * grad)
        return True


class FixedMomentum(msnn.Optimizer):
    def __init__(self, params, learning_rate, momentum, weight_decay=0.0, loss_scale=1.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        self.momentum = mindspore.Tensor(momentum, mindspore.float32)
        self.moments = self.parameters.clone(prefix="moments", init="zeros")

    def construct(self, gradients):
        gradients = self.scale_grad(self.decay_weight(gradients))
        lr = self.get_lr()  # works for fixed and dynamic learning rates
        self.assignadd(self.global_step, self.global_step_increase_tensor)
        for param, moment, grad in zip(self.parameters, self.moments, gradients):
            ops.assign(moment, self.momentum * moment + grad)  # update the moment
            ops.assign(param, param - lr * moment)  # and descend
        return True


p_src, p_fix, p_ref = params_ms("src"), params_ms("fix"), params_ms("ref")
src_opt = SourceMomentum(p_src, LR, MOMENTUM)
losses_src, final_src = run_quadratic(src_opt, p_src)
losses_fix, final_fix = run_quadratic(FixedMomentum(p_fix, LR, MOMENTUM), p_fix)
losses_ref, final_ref = run_quadratic(msnn.Momentum(p_ref, LR, MOMENTUM), p_ref)
p_t = [torch.nn.Parameter(torch.tensor(v)) for v in START]
t_opt = torch.optim.SGD(p_t, lr=LR, momentum=MOMENTUM)
for _ in range(6):
    for p, t in zip(p_t, TARGET):
        p.grad = p.detach() - torch.tensor(t)
    t_opt.step()

findings["1. small-op Momentum vs nn.Momentum (max |w| diff, 6 steps)"] = max_diff(final_src, final_ref)
print(f"source rule vs nn.Momentum after 6 steps:  max |w diff| = {max_diff(final_src, final_ref):.3f}")
print(f"fixed rule vs nn.Momentum:                 max |w diff| = {max_diff(final_fix, final_ref):.1e}")
print(f"nn.Momentum vs torch.optim.SGD(momentum):  max |w diff| = {max_diff(final_ref, [p.detach().numpy() for p in p_t]):.1e}")
print("source rule: largest |moment| after 6 steps =", max(float(np.abs(m.asnumpy()).max()) for m in src_opt.moments))
print("loss, source rule:", np.round(losses_src, 3))
print("loss, nn.Momentum:", np.round(losses_ref, 3))
assert max_diff(final_src, final_ref) > 0.5
assert all(float(np.abs(m.asnumpy()).max()) == 0.0 for m in src_opt.moments), "the moment stays zero"
assert losses_src[-1] > losses_src[0] and losses_ref[-1] < losses_ref[0]
assert max_diff(final_fix, final_ref) < 1e-6
assert max_diff(final_ref, [p.detach().numpy() for p in p_t]) < 1e-6

# %%
# Reading ``self.learning_rate`` in ``construct`` also breaks a dynamic
# learning rate: for a list or a schedule it is not a number but an internal
# cell, and the multiplication raises ``TypeError``. ``self.get_lr()``
# returns the current value in every case.

try:
    p_dyn = params_ms("dyn")
    SourceMomentum(p_dyn, [0.1, 0.05, 0.01], MOMENTUM)(tuple(ops.ones_like(p) for p in p_dyn))
except TypeError as err:
    print("source rule with a learning-rate list ->", str(err).splitlines()[0])
    findings["1b. self.learning_rate with a dynamic lr"] = "TypeError"
else:
    raise AssertionError("self.learning_rate now works with a dynamic learning rate")
p_dyn = params_ms("dyn2")
run_quadratic(FixedMomentum(p_dyn, [0.1, 0.05, 0.01], MOMENTUM), p_dyn, steps=3)

# %%
# 2. The ``ApplyMomentum`` optimizer does not run
# -----------------------------------------------
#
# The second custom optimizer passes ``self.momentum`` to ``ApplyMomentum``
# but never sets it, so its first call raises ``AttributeError``. It also
# accepts ``weight_decay`` and ``loss_scale`` and silently ignores them:
# ``nn.Optimizer`` applies neither on its own.

class SourceFusedMomentum(msnn.Optimizer):
    """As in the guide: self.momentum is used but never defined."""

    def __init__(self, params, learning_rate, momentum, weight_decay=0.0, loss_scale=1.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        self.moments = self.parameters.clone(prefix="moments", init="zeros")
        self.opt = ops.ApplyMomentum()

    def construct(self, gradients):
        for param, moment, grad in zip(self.parameters, self.moments, gradients):
            self.opt(param, moment, self.learning_rate, grad, self.momentum)
        return True


p_src = params_ms("fsrc")
try:
    SourceFusedMomentum(p_src, LR, MOMENTUM)(tuple(ops.ones_like(p) for p in p_src))
except AttributeError as err:
    print("ApplyMomentum example ->", err)
    findings["2. ApplyMomentum example"] = "AttributeError"
else:
    raise AssertionError("the ApplyMomentum example runs now")


class FixedFusedMomentum(msnn.Optimizer):
    def __init__(self, params, learning_rate, momentum, weight_decay=0.0, loss_scale=1.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        self.momentum = mindspore.Tensor(momentum, mindspore.float32)  # was missing
        self.moments = self.parameters.clone(prefix="moments", init="zeros")
        self.opt = ops.ApplyMomentum()

    def construct(self, gradients):
        gradients = self.scale_grad(self.decay_weight(gradients))  # was missing
        lr = self.get_lr()
        self.assignadd(self.global_step, self.global_step_increase_tensor)
        for param, moment, grad in zip(self.parameters, self.moments, gradients):
            self.opt(param, moment, lr, grad, self.momentum)
        return True


class MomentumDefinedOnly(SourceFusedMomentum):
    """The guide's class with only the AttributeError fixed."""

    def __init__(self, params, learning_rate, momentum, weight_decay=0.0, loss_scale=1.0):
        super().__init__(params, learning_rate, momentum, weight_decay, loss_scale)
        self.momentum = mindspore.Tensor(momentum, mindspore.float32)


WD = 0.1
runs = {}
for label, cls in [("momentum only", MomentumDefinedOnly), ("fixed", FixedFusedMomentum)]:
    p = params_ms(label[:3])
    runs[label] = run_quadratic(cls(p, LR, MOMENTUM, weight_decay=WD), p)[1]
p = params_ms("wdref")
wd_ref = run_quadratic(msnn.Momentum(p, LR, MOMENTUM, weight_decay=WD), p)[1]
ignored_wd = max_diff(runs["momentum only"], wd_ref)
findings["2b. weight_decay ignored by the ApplyMomentum class (max |w| diff)"] = ignored_wd
print(f"weight_decay={WD}: guide's class (momentum fixed) vs nn.Momentum max |w diff| = {ignored_wd:.3f}")
print(f"weight_decay={WD}: fully fixed class vs nn.Momentum             max |w diff| = {max_diff(runs['fixed'], wd_ref):.1e}")
assert ignored_wd > 1e-2 and max_diff(runs["fixed"], wd_ref) < 1e-6

# %%
# 3. The PyTorch "non-conv" example selects the conv parameters
# -------------------------------------------------------------
#
# The text says both snippets train the parameters that are *not*
# convolutions; the PyTorch loop keeps a parameter ``if "conv" in name``.
# The MindSpore snippet filters ``get_parameters()``, which also returns
# batch norm's moving statistics; any ``weight_decay`` then shrinks them
# (their names contain neither ``beta`` nor ``gamma``), although they get no
# gradient. Filter ``trainable_params()`` instead (see :ref:`params`).


class TorchConvBN(tnn.Module):
    def __init__(self):
        super().__init__()
        self.conv = tnn.Conv2d(2, 3, 3)
        self.bn = tnn.BatchNorm2d(3)

    def forward(self, x):
        return self.bn(self.conv(x))


torch_model = TorchConvBN()
wrong = [name for name, p in torch_model.named_parameters() if "conv" in name]  # as printed
fixed = [name for name, p in torch_model.named_parameters() if "conv" not in name]
print("selected by the guide's loop:", wrong, " non-conv:", fixed)
assert wrong == ["conv.weight", "conv.bias"] and fixed == ["bn.weight", "bn.bias"]
findings["3. PyTorch 'non-conv' loop selects"] = ", ".join(wrong)


class MSConvBN(msnn.Cell):
    def __init__(self):
        super().__init__()
        self.conv = msnn.Conv2d(2, 3, 3, pad_mode="valid", has_bias=True)
        self.bn = msnn.BatchNorm2d(3)

    def construct(self, x):
        return self.bn(self.conv(x))


x_img = mindspore.Tensor(rng.standard_normal((4, 2, 5, 5)).astype(np.float32))
moving_var = {}
for label, select in [("get_parameters", lambda n: n.get_parameters()), ("trainable_params", lambda n: n.trainable_params())]:
    mindspore.set_seed(0)
    net = MSConvBN()
    net.set_train()
    opt = msnn.SGD([p for p in select(net) if "conv" not in p.name], 0.1, weight_decay=0.1)
    grad_fn = mindspore.value_and_grad(lambda x: (net(x) ** 2).mean(), None, opt.parameters)  # noqa: B023 - called within this iteration only
    for _ in range(3):
        opt(grad_fn(x_img)[1])
    moving_var[label] = net.bn.moving_variance.asnumpy().copy()
mv_diff = float(np.abs(moving_var["get_parameters"] - moving_var["trainable_params"]).max())
findings["3b. moving_variance decayed via get_parameters() (max diff, 3 steps)"] = mv_diff
print(f"moving_variance, get_parameters() vs trainable_params(): max diff {mv_diff:.2e}")
assert mv_diff > 1e-3

# %%
# 4. ``ProximalAadagrad`` is a typo
# ---------------------------------

print("nn.ProximalAadagrad exists:", hasattr(msnn, "ProximalAadagrad"), "  nn.ProximalAdagrad exists:", hasattr(msnn, "ProximalAdagrad"))
assert not hasattr(msnn, "ProximalAadagrad") and hasattr(msnn, "ProximalAdagrad")
findings["4. nn.ProximalAadagrad exists"] = False

# %%
# 5. "MindSpore has no ``param_groups`` or ``state_dict()``": no longer true
# ---------------------------------------------------------------------------
#
# ``mindspore.experimental.optim`` optimizers have ``param_groups`` (a list of
# dicts with the same keys as PyTorch's, except PyTorch's implementation
# switches), ``add_param_group`` and a ``state_dict()``; every MindSpore
# optimizer, ``mindspore.nn`` included, has ``state_dict()`` and
# ``parameters_dict()`` since optimizers are cells. The layout differs from
# PyTorch's (see :ref:`state_dict` and :ref:`param_groups`).

w_t = torch.nn.Parameter(torch.zeros(2))
w_m = mindspore.Parameter(mindspore.Tensor(np.zeros(2, np.float32)), name="w")
torch_opt = torch.optim.SGD([w_t], lr=0.1, momentum=0.9)
ms_opt = msoptim.SGD([w_m], lr=0.1, momentum=0.9)
torch_keys = set(torch_opt.param_groups[0])
ms_keys = set(ms_opt.param_groups[0])
ms_state_names = list(ms_opt.state_dict())
nn_state_names = list(msnn.SGD([w_m], 0.1, momentum=0.9).state_dict())
print("param_groups keys only in PyTorch:  ", sorted(torch_keys - ms_keys))
print("param_groups keys only in MindSpore:", sorted(ms_keys - torch_keys))
print("experimental SGD state_dict():", ms_state_names)
print("nn.SGD state_dict():          ", nn_state_names)
assert {"params", "lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize"} <= ms_keys
assert "accum.w" in ms_state_names and "accum.w" in nn_state_names
findings["5. experimental.optim has param_groups / state_dict()"] = True

# %%
# 6. "No way to read the learning rate per group": no longer true
# ----------------------------------------------------------------
#
# The experimental schedulers' ``get_last_lr()`` returns one value per group,
# like PyTorch's (see :ref:`get_lr`).

a_t, b_t = torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))
a_m = mindspore.Parameter(mindspore.Tensor(np.zeros(1, np.float32)), name="a")
b_m = mindspore.Parameter(mindspore.Tensor(np.zeros(1, np.float32)), name="b")
torch_opt = torch.optim.SGD([{"params": [a_t]}, {"params": [b_t], "lr": 0.01}], lr=0.1)
torch_sched = torch.optim.lr_scheduler.StepLR(torch_opt, step_size=1, gamma=0.5)
ms_opt = msoptim.SGD([{"params": [a_m]}, {"params": [b_m], "lr": 0.01}], lr=0.1)
ms_sched = msoptim.lr_scheduler.StepLR(ms_opt, step_size=1, gamma=0.5)
for _ in range(3):
    torch_opt.step()
    torch_sched.step()
    ms_sched.step()
torch_lrs = torch_sched.get_last_lr()
ms_lrs = [float(lr.asnumpy()) for lr in ms_sched.get_last_lr()]
print("per-group lr after 3 steps, PyTorch:", torch_lrs, " MindSpore:", ms_lrs)
np.testing.assert_allclose(ms_lrs, torch_lrs, rtol=1e-6)
findings["6. per-group get_last_lr() max rel diff"] = float(np.max(np.abs(np.array(ms_lrs) / torch_lrs - 1)))

# %%
# 7. The PyNative ``GradOperation`` example
# -----------------------------------------
#
# Its training lines are indented into the body of the ``GradWrap`` class,
# so they run while the class is being defined, before the name
# ``GradWrap`` exists: ``NameError``. It also hard-codes
# ``device_target="GPU"``, which fails on any machine without a GPU build;
# here the GPU backend is not available. With the indentation fixed,
# ``ops.GradOperation`` still works in 2.10 and gives the same gradients as
# ``mindspore.value_and_grad``, the API the current tutorials use.

source_text = (
    "class Wrapper:\n"
    "    def __init__(self, network):\n"
    "        self.network = network\n"
    "    wrapped = Wrapper(None)  # a training line indented into the class body\n"
)
try:
    exec(source_text, {})
except NameError as err:
    print("indented training lines ->", err)
    findings["7. GradOperation example indentation"] = "NameError"
else:
    raise AssertionError("expected a NameError")
gpu = mindspore.device_context.gpu.is_available()
print("GPU backend available on this machine:", gpu)
findings["7b. device_target='GPU' usable here"] = gpu

net = msnn.Dense(3, 2)
loss_net = msnn.WithLossCell(net, msnn.MSELoss())
x3 = mindspore.Tensor(rng.standard_normal((4, 3)).astype(np.float32))
y2 = mindspore.Tensor(rng.standard_normal((4, 2)).astype(np.float32))
weights = mindspore.ParameterTuple(net.trainable_params())
grads_old = ops.GradOperation(get_by_list=True)(loss_net, weights)(x3, y2)
_, grads_new = mindspore.value_and_grad(loss_net, None, weights)(x3, y2)
grad_diff = max_diff([g.asnumpy() for g in grads_old], [g.asnumpy() for g in grads_new])
print(f"GradOperation vs value_and_grad: max |grad diff| = {grad_diff:.1e}")
assert grad_diff == 0.0

# %%
# 8. The schedule table: MindSpore now has most of PyTorch's schedulers
# ---------------------------------------------------------------------
#
# The table marks ``CosineAnnealingWarmRestarts``, ``CyclicLR``,
# ``OneCycleLR``, ``ReduceLROnPlateau``, ``LambdaLR`` and ``MultiplicativeLR``
# as having no MindSpore counterpart. ``mindspore.experimental.optim.lr_scheduler``
# now has all of them except ``OneCycleLR`` (and ``ChainedScheduler``), and
# also ``StepLR``, ``MultiStepLR``, ``ExponentialLR``, ``CosineAnnealingLR``,
# ``ConstantLR``, ``LinearLR``, ``PolynomialLR`` and ``SequentialLR``. In the
# other direction, PyTorch now has ``PolynomialLR``, the counterpart of
# ``polynomial_decay_lr`` that the table lists as missing. Each pair below is
# run for 12 steps.


def lr_sequence(framework, make, steps=12, metrics=None):
    if framework == "torch":
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        sched = make(torch.optim.lr_scheduler, opt)
        read = lambda: opt.param_groups[0]["lr"]  # noqa: E731
    else:
        opt = msoptim.SGD([mindspore.Parameter(mindspore.Tensor(np.zeros(1, np.float32)), name="p")], lr=0.1)
        sched = make(msoptim.lr_scheduler, opt)
        read = lambda: float(opt.param_groups[0]["lr"].asnumpy())  # noqa: E731
    out = []
    for i in range(steps):
        out.append(read())
        if framework == "torch":
            opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[i])
    return np.array(out)


plateau_metric = [1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]
table = {
    "CosineAnnealingWarmRestarts": (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01), None),
    "CyclicLR": (lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3), None),
    "ReduceLROnPlateau": (lambda m, o: m.ReduceLROnPlateau(o, factor=0.5, patience=1), plateau_metric),
    "LambdaLR": (lambda m, o: m.LambdaLR(o, lambda epoch: 1.0 / (1 + epoch)), None),
    "MultiplicativeLR": (lambda m, o: m.MultiplicativeLR(o, lambda epoch: 0.8), None),
    "PolynomialLR": (lambda m, o: m.PolynomialLR(o, total_iters=8, power=2.0), None),
}
schedule_diffs = {}
for name, (make, metrics) in table.items():
    t_seq = lr_sequence("torch", make, metrics=metrics)
    m_seq = lr_sequence("mindspore", make, metrics=metrics)
    schedule_diffs[name] = float(np.abs(t_seq - m_seq).max())
    print(f"{name:28s} max |lr diff| over 12 steps = {schedule_diffs[name]:.1e}   (distinct values: {len(set(np.round(t_seq, 6)))})")
    assert schedule_diffs[name] < 1e-7, name
poly = np.array(msnn.dynamic_lr.polynomial_decay_lr(0.1, 0.0, 8, 1, 8, 2.0))
poly_torch = lr_sequence("torch", table["PolynomialLR"][0], steps=8)
print(f"dynamic_lr.polynomial_decay_lr vs torch PolynomialLR: max |lr diff| = {np.abs(poly - poly_torch).max():.1e}")
assert np.abs(poly - poly_torch).max() < 1e-9
assert not hasattr(msoptim.lr_scheduler, "OneCycleLR") and not hasattr(msoptim.lr_scheduler, "ChainedScheduler")
findings["8. table schedulers now in MindSpore (max |lr diff|)"] = max(schedule_diffs.values())

# %%
# 9. The printed outputs are right
# --------------------------------
#
# Both printed lists still come out exactly as shown:
# ``piecewise_constant_lr([2, 5, 10], [0.1, 0.05, 0.01])`` and five epochs of
# ``ExponentialLR(gamma=0.9)`` from 0.1.

piecewise = msnn.dynamic_lr.piecewise_constant_lr([2, 5, 10], [0.1, 0.05, 0.01])
print("piecewise_constant_lr:", piecewise)
assert piecewise == [0.1, 0.1, 0.05, 0.05, 0.05, 0.01, 0.01, 0.01, 0.01, 0.01]
opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
printed = []
for _ in range(5):
    opt.step()
    sched.step()
    printed.append(sched.get_last_lr())
print("ExponentialLR:", printed)
assert printed == [[0.09000000000000001], [0.08100000000000002], [0.07290000000000002],
                   [0.06561000000000002], [0.05904900000000002]]

# %%
# 10. "Weight decay is used the same way": not for normalisation layers
# ---------------------------------------------------------------------
#
# Given one ``weight_decay`` value, ``mindspore.nn`` optimizers skip every
# parameter whose name contains ``beta`` or ``gamma``; PyTorch decays all.
# One step with a zero gradient shows it (see the weight-decay example).

gamma_m = mindspore.Parameter(mindspore.Tensor(np.ones(2, np.float32)), name="bn.gamma")
weight_m = mindspore.Parameter(mindspore.Tensor(np.ones(2, np.float32)), name="fc.weight")
msnn.SGD([gamma_m, weight_m], 0.1, weight_decay=0.5)((ops.zeros(2), ops.zeros(2)))
gamma_t = torch.nn.Parameter(torch.ones(2))
gamma_t.grad = torch.zeros(2)
torch.optim.SGD([gamma_t], lr=0.1, weight_decay=0.5).step()
print("after one step: MindSpore gamma", gamma_m.asnumpy(), " weight", weight_m.asnumpy(), " PyTorch bn.weight", gamma_t.detach().numpy())
assert np.all(gamma_m.asnumpy() == 1.0) and np.allclose(weight_m.asnumpy(), 0.95) and np.allclose(gamma_t.detach().numpy(), 0.95)
findings["10. gamma decayed by nn.SGD(weight_decay)"] = False

# %%
# 11. Group keys: a misspelling and a missing key
# -----------------------------------------------
#
# The guide lists the group keys of ``mindspore.nn`` as ``lr``,
# ``weight_decay`` and ``grad_centralizaiton``. The last is misspelled (a
# dict with that key is rejected), and ``order_params`` is missing.

g = mindspore.Parameter(mindspore.Tensor(np.ones((2, 2), np.float32)), name="g")
try:
    msnn.SGD([{"params": [g], "grad_centralizaiton": True}], 0.1)
except KeyError as err:
    print("misspelled key ->", err)
    assert "order_params" in str(err) and "grad_centralization" in str(err)
    findings["11. 'grad_centralizaiton' group key"] = "KeyError"
else:
    raise AssertionError("the misspelled key is accepted")
msnn.SGD([{"params": [g], "grad_centralization": True}], 0.1)

# %%
# 12. Snippets that use names they never define
# ---------------------------------------------
#
# Run on their own, three snippets fail with ``NameError``: the small-operator
# optimizer imports ``Parameter, ops, nn`` but uses ``Tensor`` and
# ``mstype``; the PyTorch parameter-group example defines ``net`` and then
# iterates over ``model.named_parameters()``; the same mix-up appears in the
# PyTorch "custom parameters" snippet. Minimal reproductions:

name_errors = {
    "Tensor without import": "from mindspore import Parameter, ops, nn\nTensor(0.9)\n",
    "net defined, model used": "net = object()\nlist(model.named_parameters())\n",
}
for label, code in name_errors.items():
    try:
        exec(code, {})
    except NameError as err:
        print(f"{label:26s} -> NameError: {err}")
    else:
        raise AssertionError(label)
findings["12. snippets with undefined names"] = "NameError"

# %%
# 13. The two "basic usage" networks are not the same network
# -----------------------------------------------------------
#
# Both define ``Conv2d(3, 64, 3)``, but MindSpore's defaults are
# ``pad_mode="same"`` and no bias, PyTorch's no padding and a bias, which is
# why the guide's two label tensors have different shapes. With
# ``pad_mode="valid", has_bias=True`` the outputs agree.

x_t = torch.from_numpy(rng.standard_normal((1, 3, 8, 6)).astype(np.float32))
conv_t = tnn.Conv2d(3, 4, 3)
conv_default = msnn.Conv2d(3, 4, 3)
conv_ms = msnn.Conv2d(3, 4, 3, pad_mode="valid", has_bias=True)
conv_ms.weight.set_data(mindspore.Tensor(conv_t.weight.detach().numpy()))
conv_ms.bias.set_data(mindspore.Tensor(conv_t.bias.detach().numpy()))
out_t = conv_t(x_t).detach().numpy()
out_default = conv_default(mindspore.Tensor(x_t.numpy())).asnumpy()
out_ms = conv_ms(mindspore.Tensor(x_t.numpy())).asnumpy()
print("output shapes: PyTorch", out_t.shape, " MindSpore default", out_default.shape, " MindSpore valid+bias", out_ms.shape)
print("MindSpore default conv has a bias:", conv_default.bias is not None)
assert out_default.shape != out_t.shape and conv_default.bias is None
conv_diff = float(np.abs(out_ms - out_t).max())
assert conv_diff < 1e-5
findings["13. Conv2d(3, 64, 3) output shape equal by default"] = False

# %%
# 14. The lists of APIs without a counterpart
# -------------------------------------------
#
# ``ASGD`` now exists in MindSpore (``nn.ASGD`` and
# ``experimental.optim.ASGD``) and gives PyTorch's numbers; ``LBFGS`` still
# has no MindSpore counterpart. The MindSpore-only list still holds and has
# grown (``LARS``, ``LazyAdam``, ``AdaSumByGradWrapCell``); PyTorch has
# optimizers MindSpore lacks (``SparseAdam``, ``Muon``) and one MindSpore
# has under another name (``Adafactor`` / ``nn.AdaFactor``).

w0 = rng.standard_normal(5).astype(np.float32)
grads = [rng.standard_normal(5).astype(np.float32) for _ in range(5)]
t_w = torch.nn.Parameter(torch.tensor(w0))
t_asgd = torch.optim.ASGD([t_w], lr=0.1)
m_w = mindspore.Parameter(mindspore.Tensor(w0), name="asgd_w")
m_asgd = msoptim.ASGD([m_w], lr=0.1)
for gr in grads:
    t_w.grad = torch.tensor(gr)
    t_asgd.step()
    m_asgd((mindspore.Tensor(gr),))
asgd_diff = float(np.abs(t_w.detach().numpy() - m_w.asnumpy()).max())
print(f"torch.optim.ASGD vs experimental.optim.ASGD, 5 steps: max |w diff| = {asgd_diff:.1e}")
assert asgd_diff < 1e-6 and hasattr(msnn, "ASGD")
torch_only = [n for n in ["LBFGS", "SparseAdam", "Muon"] if hasattr(torch.optim, n)
              and not hasattr(msnn, n) and not hasattr(msoptim, n)]
ms_only = [n for n in ["ProximalAdagrad", "AdamOffload", "FTRL", "Lamb", "thor", "LARS", "LazyAdam",
                      "AdaSumByGradWrapCell"]
           if hasattr(msnn, n) and not hasattr(torch.optim, n)]
print("PyTorch-only:", torch_only, "  MindSpore-only:", ms_only)
assert torch_only == ["LBFGS", "SparseAdam", "Muon"] and len(ms_only) == 8
assert hasattr(torch.optim, "Adafactor") and hasattr(msnn, "AdaFactor")
findings["14. ASGD: torch vs MindSpore (max |w diff|)"] = asgd_diff

# %%
# 15. ``learning_rate`` is still ``learning_rate``
# -------------------------------------------------
#
# The ``mindspore.nn`` optimizers' docstrings announce a rename of
# ``learning_rate`` to ``lr``; in 2.10 the keyword ``lr`` is still rejected.

try:
    msnn.SGD([g], lr=0.1)
except TypeError as err:
    print("nn.SGD(params, lr=0.1) ->", err)
    findings["15. nn.SGD accepts lr="] = False
else:
    findings["15. nn.SGD accepts lr="] = True
    raise AssertionError("nn.SGD accepts lr= now: update the guide")

# %%
# Summary
# -------

for name, value in findings.items():
    shown = f"{value:.3g}" if isinstance(value, float) else str(value)
    print(f"{name:70s} {shown}")

fig, (ax_loss, ax_bar) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
ax_loss.plot(losses_src, "o-", color="C3", label="guide's small-op Momentum")
ax_loss.plot(losses_fix, "x--", color="C2", label="corrected")
ax_loss.plot(losses_ref, "+:", color="k", label="nn.Momentum")
ax_loss.set(xlabel="step", ylabel="0.5 ||w - target||^2", title="Erratum 1: the guide's rule ascends")
ax_loss.legend(fontsize=8)
numeric = {
    "small-op rule vs nn.Momentum": findings["1. small-op Momentum vs nn.Momentum (max |w| diff, 6 steps)"],
    "small-op correction vs nn.Momentum": max_diff(final_fix, final_ref),
    "ApplyMomentum class: weight_decay ignored": ignored_wd,
    "fused correction vs nn.Momentum": max_diff(runs["fixed"], wd_ref),
    "get_parameters(): moving_variance decayed": mv_diff,
    "new schedulers vs PyTorch, worst pair": max(schedule_diffs.values()),
    "ASGD vs PyTorch": asgd_diff,
}
ax_bar.barh(range(len(numeric)), [max(v, 1e-10) for v in numeric.values()],
            color=["C3", "C2", "C3", "C2", "C3", "C2", "C2"])
ax_bar.set_xscale("log")
ax_bar.set_yticks(range(len(numeric)), list(numeric), fontsize=8)
ax_bar.set(xlabel="max |difference| (red: mistake, green: agreement; 0 drawn at 1e-10)", title="Measured")
plt.show()

# %%
# Reference entries for the APIs used here, each verified in both frameworks: :ref:`steplr`, :ref:`exponentiallr`, :ref:`asgd`.
