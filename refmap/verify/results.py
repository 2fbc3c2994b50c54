"""What verification hands to the renderer: judged results, the code that ran, signatures, environment.

Everything a page shows comes from here and from the entry; the renderer imports no framework.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Environment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    torch: str
    mindspore: str
    numpy: str
    python: str
    torch_device: str  # "cpu" or "cuda (<name>)"
    mindspore_device: str  # "CPU" or "GPU"

    @property
    def device(self) -> str:
        return f"torch on {self.torch_device}, MindSpore on {self.mindspore_device}"

    def label(self) -> str:
        return f"torch {self.torch} · mindspore {self.mindspore} · numpy {self.numpy} · {self.device}"


class Series(BaseModel):
    """Values to plot: optimizers track a few coordinates per step, schedules the lr per step."""

    model_config = ConfigDict(ser_json_inf_nan="constants")  # a NaN trajectory is a finding: keep it

    torch: list[list[float]]
    mindspore: list[list[float]]
    labels: list[str]


class Sensitivity(BaseModel):
    """How far perturbing one torch argument moves the torch run, in units of the check's tolerance."""

    arg: str
    ratio: float | None  # max |perturbed - base| / (atol + rtol |base|); None when the perturbed run raised
    note: str  # "sensitive", "blind: <why the entry accepts it>", "perturbation raised ..."


class CheckResult(BaseModel):
    model_config = ConfigDict(ser_json_inf_nan="constants")

    entry: str
    check: str
    counterpart: str | None
    expectation: str
    expect_kind: str  # equal | differs | raises
    measure: str  # trajectory | lr | probe
    passed: bool
    outcome: str  # one line: what was measured, in words
    steps: int
    max_abs: float | None = None
    max_rel: float | None = None
    tolerance_used: float | None = None  # equal checks: worst |Δ| / (atol + rtol |torch|)
    diff_per_step: list[float] = []
    # the bound each step's largest |Δ| is held to: equal, atol + rtol |torch| at that coordinate;
    # differs, the min_abs the run must reach somewhere
    limit_per_step: list[float] = []
    moved_torch: float | None = None  # max |p_T - p_0|: proves the update happened
    moved_mindspore: float | None = None
    raised: dict[str, str] = {}  # side -> "ExcType: message"
    series: Series | None = None
    mindspore_mode: str = "pynative"
    code_torch: str | None = None  # the code that ran (recipes resolved)
    code_mindspore: str | None = None
    probe: str | None = None
    probe_source: str | None = None
    api_calls: int | None = None
    sensitivity: list[Sensitivity] = []
    wall_s: float
    cached: bool = False


class EntryResults(BaseModel):
    model_config = ConfigDict(ser_json_inf_nan="constants")

    entry: str
    checks: list[CheckResult]
    signatures: dict[str, dict[str, str]]  # api -> {argument: default as source text}
    wall_s: float

    @property
    def cached(self) -> bool:
        return all(c.cached for c in self.checks)


class Verification(BaseModel):
    environment: Environment
    entries: dict[str, EntryResults]
    wall_s: float = 0.0  # this run, cached checks included
