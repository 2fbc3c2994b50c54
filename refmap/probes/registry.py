"""The probe contract: what a concept check may run, and what it gets and returns.

A probe is a function registered with `@probe`; entries name it as `probe: <module>.<function>`
(for example `params.all_trainable`), and the loader rejects names that are not registered, with
the file and line. The verifier calls it with a `ProbeContext` whose inputs are already placed on
the device the run uses, and holds what it returns against the check's expectation.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np


@dataclass
class ProbeOutput:
    """Two sequences of equal shape: one vector (or number) per step for each framework."""

    torch: list[Any]
    mindspore: list[Any]
    labels: list[str] = field(default_factory=lambda: ["value"])


@dataclass(frozen=True)
class ProbeContext:
    """What a probe may use: the two frameworks, the device, the check's inputs and converters."""

    torch: ModuleType
    mindspore: ModuleType
    torch_device: Any
    inputs: Any  # refmap.schema.Inputs

    def torch_tensor(self, array: np.ndarray) -> Any:
        """A copy of `array` as a torch tensor on the run's device."""
        return self.torch.tensor(np.array(array), device=self.torch_device)

    def torch_param(self, array: np.ndarray) -> Any:
        return self.torch.nn.Parameter(self.torch_tensor(array))

    def ms_tensor(self, array: np.ndarray) -> Any:
        return self.mindspore.Tensor(np.array(array))

    def ms_param(self, array: np.ndarray, name: str) -> Any:
        return self.mindspore.Parameter(self.ms_tensor(array), name=name)

    @staticmethod
    def numpy(value: Any) -> np.ndarray:
        """A torch tensor, MindSpore tensor or number as a float64 array."""
        if hasattr(value, "asnumpy"):
            value = value.asnumpy()
        elif hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        return np.asarray(value, dtype=np.float64)

    @staticmethod
    @contextmanager
    def side(name: str) -> Iterator[None]:
        """`with ctx.side("mindspore"): ...` marks an exception raised inside as that framework's."""
        try:
            yield
        except Exception as exc:
            if not hasattr(exc, "side"):
                try:
                    exc.side = name  # type: ignore[attr-defined]
                except AttributeError:  # some builtin exceptions refuse attributes
                    pass
            raise


ProbeFn = Callable[[ProbeContext], ProbeOutput]


@dataclass(frozen=True)
class Probe:
    name: str
    fn: ProbeFn

    @property
    def source(self) -> str:
        return inspect.getsource(self.fn)

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.fn) or ""


PROBES: dict[str, Probe] = {}


def probe(fn: ProbeFn) -> ProbeFn:
    """Register `fn` as `<module>.<function>` (the module's name inside refmap.probes)."""
    module = fn.__module__.rsplit(".", 1)[-1]
    name = f"{module}.{fn.__name__}"
    if name in PROBES:
        raise ValueError(f"probe {name} is registered twice")
    PROBES[name] = Probe(name, fn)
    return fn
