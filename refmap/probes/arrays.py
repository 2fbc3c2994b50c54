"""Seeded NumPy data for probes, and flattening of results.

Every probe draws its data here, so the same seed gives the same numbers in both frameworks and on
every run: parameters and gradients are float32 draws of a standard normal from
`numpy.random.default_rng`, taken in a fixed order (all initial values first, then the gradients
step by step, parameter by parameter).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from numpy.typing import ArrayLike

Shape = tuple[int, ...]


def normals(rng: np.random.Generator, shapes: Iterable[Shape], scale: float = 1.0) -> list[np.ndarray]:
    """One float32 array per shape, drawn in order: standard normal times `scale`."""
    return [(rng.standard_normal(s) * scale).astype(np.float32) for s in shapes]


def named_normals(rng: np.random.Generator, shapes: Mapping[str, Shape], scale: float = 1.0) -> dict[str, np.ndarray]:
    """`normals` keyed by name, drawn in the mapping's order."""
    return dict(zip(shapes, normals(rng, shapes.values(), scale), strict=True))


def init_and_grads(seed: int, steps: int, shapes: list[Shape]) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    """Initial values of the parameters, then one gradient per parameter for each of `steps` updates."""
    rng = np.random.default_rng(seed)
    init = normals(rng, shapes)
    grads = [normals(rng, shapes) for _ in range(steps)]
    return init, grads


def grads_only(seed: int, steps: int, shapes: list[Shape], scale: float = 1.0) -> list[list[np.ndarray]]:
    """One gradient per parameter for each of `steps` updates, times `scale`."""
    rng = np.random.default_rng(seed)
    return [normals(rng, shapes, scale) for _ in range(steps)]


def net_init(seed: int, shapes: Mapping[str, Shape]) -> dict[str, np.ndarray]:
    """Initial weights of a network in `nets`: standard normal times 0.5, by parameter name."""
    return named_normals(np.random.default_rng(seed), shapes, 0.5)


def net_data(seed: int, steps: int, x_shape: Shape, y_dim: int, batch: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Inputs [steps, batch, *x_shape] and targets [steps, batch, y_dim], from a generator seeded
    apart from the weights (seed + 1000)."""
    rng = np.random.default_rng(seed + 1000)
    xs = rng.standard_normal((steps, batch, *x_shape)).astype(np.float32)
    ys = rng.standard_normal((steps, batch, y_dim)).astype(np.float32)
    return xs, ys


def flat(arrays: Iterable[ArrayLike]) -> np.ndarray:
    """The arrays (or numbers) raveled and joined, as one float64 vector."""
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])
