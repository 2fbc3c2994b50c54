"""The same seeded float32 arrays for both frameworks: initial parameters and the gradient stream."""

from __future__ import annotations

import numpy as np

from ...schema import Inputs


def initial_and_grads(inputs: Inputs) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    """Parameter p starts at init_offset + init_scale * N(0, 1); its gradient at step t is
    N(0, 1) * grad_scale (the check's) * grad_scale (the parameter's) * (1 - grad_decay)**t."""
    rng = np.random.default_rng(inputs.seed)
    specs = inputs.params
    init = [(p.init_offset + p.init_scale * rng.standard_normal(tuple(p.shape))).astype(np.float32) for p in specs]
    grads = [
        [
            (
                rng.standard_normal(tuple(p.shape)) * inputs.grad_scale * p.grad_scale * (1.0 - inputs.grad_decay) ** t
            ).astype(np.float32)
            for p in specs
        ]
        for t in range(inputs.steps)
    ]
    return init, grads
