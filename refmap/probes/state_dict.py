"""Probes for the `state_dict` concept: saving, restoring and converting optimizer state.

Adam (lr 0.05, default betas and eps) runs on two seeded parameters, `weight` [4, 3] and `bias`
[5], for `inputs.steps` updates. Resumed runs stop after a third of them, save the state, build
fresh parameters and a fresh optimizer, restore or convert the state, and continue. Every probe
returns the flattened parameters after each update; the side that does not resume runs
uninterrupted, so `equal` means resuming reproduces continuing. Conversion probes compare only
the updates made after the conversion."""

from __future__ import annotations

import io
import os
import tempfile
from typing import Any

import numpy as np

from .arrays import flat, init_and_grads
from .registry import ProbeContext, ProbeOutput, probe

NAMES = ["weight", "bias"]
SHAPES = [(4, 3), (5,)]
LR, B1, B2 = 0.05, 0.9, 0.999


def _data(ctx: ProbeContext) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    return init_and_grads(ctx.inputs.seed, ctx.inputs.steps, SHAPES)


def _zeros() -> list[np.ndarray]:
    return [np.zeros(s, np.float32) for s in SHAPES]


def _host(tensor: Any) -> np.ndarray:
    """A torch tensor's values as a NumPy array of its own dtype (float32 here), off the device."""
    return tensor.detach().cpu().numpy().copy()


# ---------------- torch ----------------
def _t_new(ctx: ProbeContext, arrays: list[np.ndarray]) -> tuple[list[Any], Any]:
    ps = [ctx.torch_param(a) for a in arrays]
    return ps, ctx.torch.optim.Adam(ps, lr=LR)


def _t_steps(ctx: ProbeContext, ps: list[Any], opt: Any, grads: list) -> list[np.ndarray]:
    out = []
    for gs in grads:
        for p, g in zip(ps, gs, strict=True):
            p.grad = ctx.torch_tensor(g)
        opt.step()
        out.append(flat(ctx.numpy(p) for p in ps))
    return out


def _t_continuous(ctx: ProbeContext) -> list[np.ndarray]:
    init, grads = _data(ctx)
    ps, opt = _t_new(ctx, init)
    return _t_steps(ctx, ps, opt, grads)


# ---------------- mindspore ----------------
def _m_new(ctx: ProbeContext, arrays: list[np.ndarray], cls: str = "nn") -> tuple[list[Any], Any]:
    ms = ctx.mindspore
    ps = [ctx.ms_param(a, n) for a, n in zip(arrays, NAMES, strict=True)]
    if cls == "nn":
        return ps, ms.nn.Adam(ps, learning_rate=LR)
    return ps, ms.experimental.optim.Adam(ps, lr=LR)


def _m_steps(ctx: ProbeContext, ps: list[Any], opt: Any, grads: list) -> list[np.ndarray]:
    out = []
    for gs in grads:
        opt(tuple(ctx.ms_tensor(g) for g in gs))
        out.append(flat(ctx.numpy(p) for p in ps))
    return out


def _m_continuous(ctx: ProbeContext, cls: str = "nn") -> list[np.ndarray]:
    init, grads = _data(ctx)
    ps, opt = _m_new(ctx, init, cls)
    return _m_steps(ctx, ps, opt, grads)


def _set(ctx: ProbeContext, param: Any, value: Any) -> None:
    """param.set_data(value), cast to the parameter's dtype and shape."""
    param.set_data(ctx.ms_tensor(np.asarray(value, dtype=param.asnumpy().dtype).reshape(param.shape)))


def _result(t: list, m: list) -> ProbeOutput:
    return ProbeOutput(torch=t, mindspore=m, labels=["weight[0]", "weight[1]", "bias[0]"])


# ---------------- probes ----------------
@probe
def torch_resume(ctx: ProbeContext) -> ProbeOutput:
    """torch: state_dict() -> torch.save -> torch.load -> load_state_dict() into a fresh Adam after
    a third of the steps. MindSpore: nn.Adam, uninterrupted."""
    init, grads = _data(ctx)
    n = ctx.inputs.steps // 3
    torch = ctx.torch
    with ctx.side("torch"):
        ps, opt = _t_new(ctx, init)
        t = _t_steps(ctx, ps, opt, grads[:n])
        buf = io.BytesIO()
        torch.save({"params": [p.detach() for p in ps], "optimizer": opt.state_dict()}, buf)
        buf.seek(0)
        saved = torch.load(buf)
        ps2, opt2 = _t_new(ctx, [_host(a) for a in saved["params"]])
        opt2.load_state_dict(saved["optimizer"])
        t += _t_steps(ctx, ps2, opt2, grads[n:])
    with ctx.side("mindspore"):
        m = _m_continuous(ctx)
    return _result(t, m)


@probe
def ms_checkpoint_resume(ctx: ProbeContext) -> ProbeOutput:
    """MindSpore: save_checkpoint(optimizer) -> load_checkpoint -> load_param_into_net(fresh
    optimizer) after a third of the steps. The optimizer's checkpoint holds the parameters
    themselves, moment1/moment2, beta1_power/beta2_power, global_step and learning_rate. torch:
    Adam, uninterrupted."""
    init, grads = _data(ctx)
    n = ctx.inputs.steps // 3
    ms = ctx.mindspore
    with ctx.side("torch"):
        t = _t_continuous(ctx)
    with ctx.side("mindspore"):
        ps, opt = _m_new(ctx, init)
        m = _m_steps(ctx, ps, opt, grads[:n])
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "optimizer.ckpt")
            ms.save_checkpoint(opt, path)
            ps2, opt2 = _m_new(ctx, _zeros())
            not_loaded, unused = ms.load_param_into_net(opt2, ms.load_checkpoint(path))
        if not_loaded or unused:
            raise RuntimeError(f"checkpoint mismatch: not loaded {not_loaded}, unused {unused}")
        m += _m_steps(ctx, ps2, opt2, grads[n:])
    return _result(t, m)


@probe
def ms_parameters_dict_resume(ctx: ProbeContext) -> ProbeOutput:
    """MindSpore, in memory: after a third of the steps, snapshot `opt.parameters_dict()` as numpy
    arrays and copy them into a fresh nn.Adam's parameters_dict() with set_data. torch: Adam,
    uninterrupted."""
    init, grads = _data(ctx)
    n = ctx.inputs.steps // 3
    with ctx.side("torch"):
        t = _t_continuous(ctx)
    with ctx.side("mindspore"):
        ps, opt = _m_new(ctx, init)
        m = _m_steps(ctx, ps, opt, grads[:n])
        snapshot = {k: v.asnumpy().copy() for k, v in opt.parameters_dict().items()}
        ps2, opt2 = _m_new(ctx, _zeros())
        for k, p in opt2.parameters_dict().items():
            _set(ctx, p, snapshot[k])
        m += _m_steps(ctx, ps2, opt2, grads[n:])
    return _result(t, m)


@probe
def ms_resume_weights_only(ctx: ProbeContext) -> ProbeOutput:
    """MindSpore: restoring only the network parameters into a fresh nn.Adam after a third of the
    steps: moments and bias corrections restart from zero, and the trajectory leaves torch's.
    torch: Adam, uninterrupted."""
    init, grads = _data(ctx)
    n = ctx.inputs.steps // 3
    with ctx.side("torch"):
        t = _t_continuous(ctx)
    with ctx.side("mindspore"):
        ps, opt = _m_new(ctx, init)
        m = _m_steps(ctx, ps, opt, grads[:n])
        ps2, opt2 = _m_new(ctx, [p.asnumpy() for p in ps])
        m += _m_steps(ctx, ps2, opt2, grads[n:])
    return _result(t, m)


def _torch_to_nn(ctx: ProbeContext, powers: bool) -> ProbeOutput:
    init, grads = _data(ctx)
    n = ctx.inputs.steps // 3
    with ctx.side("torch"):
        t = _t_continuous(ctx)
        ps, opt = _t_new(ctx, init)
        _t_steps(ctx, ps, opt, grads[:n])
        sd = opt.state_dict()
        weights = [_host(p) for p in ps]
    with ctx.side("mindspore"):
        ps2, opt2 = _m_new(ctx, weights)
        for i in range(len(NAMES)):
            st = sd["state"][i]
            _set(ctx, opt2.moment1[i], _host(st["exp_avg"]))
            _set(ctx, opt2.moment2[i], _host(st["exp_avg_sq"]))
        step = int(sd["state"][0]["step"].item())
        if powers:
            b1, b2 = sd["param_groups"][0]["betas"]
            _set(ctx, opt2.beta1_power, np.float32(b1) ** step)
            _set(ctx, opt2.beta2_power, np.float32(b2) ** step)
            _set(ctx, opt2.global_step, [step])
        m = _m_steps(ctx, ps2, opt2, grads[n:])
    # only the updates after the conversion are compared
    return _result(t[n:], m)


@probe
def torch_to_nn_adam(ctx: ProbeContext) -> ProbeOutput:
    """torch Adam state after a third of the steps -> nn.Adam: exp_avg -> moment1, exp_avg_sq ->
    moment2, step -> beta1_power = beta1**step, beta2_power = beta2**step, global_step = step.
    torch: Adam, uninterrupted; only the updates after the conversion are compared."""
    return _torch_to_nn(ctx, powers=True)


@probe
def torch_to_nn_adam_moments_only(ctx: ProbeContext) -> ProbeOutput:
    """The same conversion without beta1_power/beta2_power: bias correction restarts at step 1.
    torch: Adam, uninterrupted; only the updates after the conversion are compared."""
    return _torch_to_nn(ctx, powers=False)


@probe
def nn_adam_to_torch(ctx: ProbeContext) -> ProbeOutput:
    """nn.Adam state after a third of the steps -> torch Adam: moment1/moment2 ->
    exp_avg/exp_avg_sq, global_step -> step, loaded with load_state_dict into a fresh
    torch.optim.Adam. MindSpore: nn.Adam, uninterrupted; only the updates after the conversion are
    compared."""
    init, grads = _data(ctx)
    n = ctx.inputs.steps // 3
    torch = ctx.torch
    with ctx.side("mindspore"):
        m = _m_continuous(ctx)
        ps, opt = _m_new(ctx, init)
        _m_steps(ctx, ps, opt, grads[:n])
        weights = [p.asnumpy().copy() for p in ps]
        moments = [(opt.moment1[i].asnumpy().copy(), opt.moment2[i].asnumpy().copy()) for i in range(len(NAMES))]
        step = int(opt.global_step.asnumpy()[0])
    with ctx.side("torch"):
        ps2, opt2 = _t_new(ctx, weights)
        sd = opt2.state_dict()
        sd["state"] = {
            # torch keeps Adam's `step` on the CPU (unless capturable or fused); the moments follow the parameters
            i: {"step": torch.tensor(float(step)), "exp_avg": ctx.torch_tensor(m1), "exp_avg_sq": ctx.torch_tensor(m2)}
            for i, (m1, m2) in enumerate(moments)
        }
        opt2.load_state_dict(sd)
        t = _t_steps(ctx, ps2, opt2, grads[n:])
    return _result(t, m[n:])


@probe
def torch_to_exp_adam(ctx: ProbeContext) -> ProbeOutput:
    """torch Adam state after a third of the steps -> experimental.optim.Adam: exp_avg ->
    exp_avg[i], exp_avg_sq -> exp_avg_sq[i], step -> state_step (one counter for the whole
    optimizer). torch: Adam, uninterrupted; only the updates after the conversion are compared."""
    init, grads = _data(ctx)
    n = ctx.inputs.steps // 3
    with ctx.side("torch"):
        t = _t_continuous(ctx)
        ps, opt = _t_new(ctx, init)
        _t_steps(ctx, ps, opt, grads[:n])
        sd = opt.state_dict()
        weights = [_host(p) for p in ps]
    with ctx.side("mindspore"):
        ps2, opt2 = _m_new(ctx, weights, cls="exp")
        for i in range(len(NAMES)):
            _set(ctx, opt2.exp_avg[i], _host(sd["state"][i]["exp_avg"]))
            _set(ctx, opt2.exp_avg_sq[i], _host(sd["state"][i]["exp_avg_sq"]))
        _set(ctx, opt2.state_step, int(sd["state"][0]["step"].item()))
        m = _m_steps(ctx, ps2, opt2, grads[n:])
    return _result(t[n:], m)


def _exp_resume(ctx: ProbeContext, strict: bool) -> ProbeOutput:
    init, grads = _data(ctx)
    n = ctx.inputs.steps // 3
    with ctx.side("torch"):
        t = _t_continuous(ctx)
    with ctx.side("mindspore"):
        ps, opt = _m_new(ctx, init, cls="exp")
        m = _m_steps(ctx, ps, opt, grads[:n])
        saved = {k: v.asnumpy().copy() for k, v in opt.state_dict().items()}
        ps2, opt2 = _m_new(ctx, _zeros(), cls="exp")
        sd = {k: ctx.ms_param(v, k) for k, v in saved.items()}
        opt2.load_state_dict(sd, strict=strict)
        m += _m_steps(ctx, ps2, opt2, grads[n:])
    return _result(t, m)


@probe
def exp_state_dict_strict(ctx: ProbeContext) -> ProbeOutput:
    """experimental.optim.Adam: load_state_dict(state_dict()) into a fresh optimizer after a third
    of the steps, with the default strict=True. torch: Adam, uninterrupted."""
    return _exp_resume(ctx, strict=True)


@probe
def exp_state_dict_nonstrict(ctx: ProbeContext) -> ProbeOutput:
    """The same with strict=False: the moments are reported as unexpected keys but loaded. torch:
    Adam, uninterrupted."""
    return _exp_resume(ctx, strict=False)
