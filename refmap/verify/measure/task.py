"""What the parent asks a worker to run: plain data, picklable, nothing framework-specific."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Task:
    key: str  # cache key of the measurement
    label: str  # entry/check
    where: str  # file:line:col of the check
    measure: str  # trajectory | lr | probe | introspect
    torch_code: str | None = None
    ms_code: str | None = None
    probe: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)  # refmap.schema.Inputs as JSON data
    mode: str = "pynative"
    exercises: str | None = None  # MindSpore API whose calls are counted on the MindSpore side
    perturbations: tuple[tuple[str, str], ...] = ()  # (torch argument, torch code with it perturbed)
    apis: tuple[str, ...] = ()  # introspect tasks: the API paths to resolve and read signatures of
    expected_s: float = 1.0  # how long it took last time: the pool starts the longest first
    # Expects a MindSpore error. A failed MindSpore kernel can leave the process computing later
    # graphs differently (measured: 7e-3 on a 200-step Adam run), so these run after all others.
    expects_mindspore_error: bool = False
