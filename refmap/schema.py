"""The entry model: the single source of truth for what a knowledge-base YAML file may say.

`python -m refmap schema` exports it as JSON Schema (refmap/entry.schema.json) so editors
validate entries while they are typed; a test keeps the two equal.

An entry holds its counterparts, and each counterpart holds the checks that prove what it says.
Checks inherit `check_defaults` from the counterpart, then the entry, then the built-in
defaults below, so a check spells out only what is particular to it.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
DottedPath = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){1,8}$")]
TorchPath = Annotated[str, StringConstraints(pattern=r"^torch(\.[A-Za-z_][A-Za-z0-9_]*){1,8}$")]
MindSporePath = Annotated[str, StringConstraints(pattern=r"^mindspore(\.[A-Za-z_][A-Za-z0-9_]*){1,8}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=8000)]
ArgName = Annotated[str, StringConstraints(pattern=r"^\*{0,2}[A-Za-z_][A-Za-z0-9_]*$")]
ProbeName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")]

# Tolerances above these bounds make `equal` too weak to mean anything for float32 trajectories
# of order 1; a check that needs more is measuring a difference and should say `differs`.
MAX_RTOL = 1e-3
MAX_ATOL = 1e-3


class Strict(BaseModel):
    """Unknown keys are errors: a typo must not silently drop a claim."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# Literals rather than Enums: strict mode accepts plain YAML strings for them.
Kind = Literal["optimizer", "schedule", "concept", "setup"]
Status = Literal["equivalent", "equivalent_with_recipe", "differs", "no_counterpart"]
Family = Literal["sgd", "adam", "adaptive", "large_batch", "sparse_online", "second_order", "other"]
FAMILIES: tuple[str, ...] = Family.__args__  # type: ignore[attr-defined]

# torch arguments that choose an implementation and never change the numbers. Every torch optimizer
# that has one gets this row unless its table says otherwise; the signature check counts them.
IMPLEMENTATION_FLAGS: dict[str, str] = {
    "foreach": "Chooses torch's kernel implementation only; nothing to translate.",
    "fused": "Chooses torch's fused kernel only; nothing to translate.",
    "capturable": "CUDA-graph capture support in torch; nothing to translate.",
    "differentiable": "Autograd through the optimizer step; no MindSpore equivalent.",
}

CheckName = Slug
Proof = Annotated[list[CheckName], Field(max_length=16)]


class Statement(Strict):
    """A sentence about behaviour and the checks of this entry that prove it."""

    text: Text
    proof: Proof = Field(default_factory=list, description="names of checks in this entry that prove the sentence")


def as_statement(value: str | Statement) -> Statement:
    """A plain string is a statement with no proof yet."""
    return value if isinstance(value, Statement) else Statement(text=value)


class ParamRow(Strict):
    """One constructor argument and its name on the other side (null: absent there)."""

    torch: ArgName | None = None
    mindspore: ArgName | None = None
    note: Text | None = None
    proof: Proof = Field(default_factory=list, description="checks that prove the note")

    @model_validator(mode="after")
    def _one_side(self) -> ParamRow:
        if self.torch is None and self.mindspore is None:
            raise ValueError("a parameter row needs a torch or a mindspore argument name")
        if self.proof and self.note is None:
            raise ValueError("proof without a note: the proof backs the note's sentence")
        return self


class Recipe(Strict):
    """Translation as code; each snippet binds `opt` (optimizers) or a schedule (schedules).

    `recipe` reads PyTorch -> MindSpore: the torch snippet is what a user has, the mindspore
    snippet what they write. `reverse_recipe` reads MindSpore -> PyTorch, where defaults differ.
    """

    torch: Code
    mindspore: Code


class ParamSpec(Strict):
    """One parameter tensor: values init_offset + init_scale * N(0, 1); gradients grad_scale * N(0, 1)."""

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.]{0,63}$")]
    shape: Annotated[list[Annotated[int, Field(ge=1, le=4096)]], Field(min_length=0, max_length=4)]
    init_scale: Annotated[float, Field(ge=0, le=1e6)] = 1.0
    init_offset: Annotated[float, Field(ge=-1e6, le=1e6)] = 0.0
    grad_scale: Annotated[float, Field(gt=0, le=1e6)] = 1.0


# Scales that expose scale effects (eps inside or outside a square root, relative thresholds): values
# and gradients of order 1, 1e-2 and 1e-4, and a name MindSpore's weight-decay filter skips.
DEFAULT_PARAMS = (
    ParamSpec(name="fc.weight", shape=[4, 3]),
    ParamSpec(name="fc.bias", shape=[5], init_scale=0.01, grad_scale=0.01),
    ParamSpec(name="norm.gamma", shape=[3], init_offset=1.0, init_scale=0.1, grad_scale=1e-4),
)
DEFAULT_STEPS = 30
LONG_CHECK_STEPS = 200  # each counterpart runs at least one check this long, so slow drift shows


class InputsPatch(Strict):
    """Inputs a check (or a `check_defaults` block) sets; anything left out is inherited."""

    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] | None = None
    steps: Annotated[int, Field(ge=1, le=2000)] | None = None
    params: Annotated[list[ParamSpec], Field(min_length=1, max_length=16)] | None = None
    grad_scale: Annotated[float, Field(gt=0, le=1e6)] | None = Field(
        default=None, description="multiplies every gradient (on top of each parameter's grad_scale)"
    )
    grad_decay: Annotated[float, Field(ge=0, lt=1)] | None = Field(
        default=None, description="gradients shrink by (1 - grad_decay) per step (AMSGrad-style checks)"
    )


class Inputs(Strict):
    """The complete inputs of a check, after defaults are applied."""

    seed: int = 0
    steps: int = DEFAULT_STEPS
    params: tuple[ParamSpec, ...] = DEFAULT_PARAMS
    grad_scale: float = 1.0
    grad_decay: float = 0.0

    def patched(self, patch: InputsPatch | None) -> Inputs:
        if patch is None:
            return self
        given = {k: v for k, v in patch if v is not None}
        if "params" in given:
            given["params"] = tuple(given["params"])
        return self.model_copy(update=given)

    @property
    def size(self) -> int:
        total = 0
        for p in self.params:
            n = 1
            for d in p.shape:
                n *= d
            total += n
        return total


class Equal(Strict):
    rtol: Annotated[float, Field(ge=0, le=MAX_RTOL)]
    atol: Annotated[float, Field(ge=0, le=MAX_ATOL)]


class Differs(Strict):
    min_abs: Annotated[float, Field(gt=0)]
    nonfinite: bool = Field(
        default=False, description="true: a non-finite result (NaN, inf) is the expected finding; otherwise it fails"
    )


# Exception names too broad to say anything about what went wrong.
BROAD_EXCEPTIONS = {"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"}


class Raises(Strict):
    side: Literal["torch", "mindspore"]
    exception: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.]*$")]
    match: Text = Field(description="a regular expression the exception message must contain")

    @model_validator(mode="after")
    def _specific(self) -> Raises:
        if self.exception in BROAD_EXCEPTIONS:
            raise ValueError(f"{self.exception} matches any error; name the specific exception type")
        try:
            re.compile(self.match)
        except re.error as exc:
            raise ValueError(f"match is not a valid regular expression: {exc}") from None
        return self


def _literal(pattern: str) -> str | None:
    """The plain text a regular expression matches, if it is just escaped text (`op \\[AdamW\\]`)."""
    text = re.sub(r"\\(.)", r"\1", pattern)
    return (
        text
        if re.escape(text).replace("\\ ", " ") == pattern.replace("\\ ", " ")
        or not re.search(r"[.^$*+?{}\[\]|()\\]", pattern)
        else None
    )


class Expect(Strict):
    """Exactly one of equal / differs / raises."""

    equal: Equal | None = None
    differs: Differs | None = None
    raises: Raises | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Expect:
        given = [k for k in ("equal", "differs", "raises") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of equal, differs, raises (got {given or 'none'})")
        return self

    @property
    def which(self) -> Literal["equal", "differs", "raises"]:
        if self.equal is not None:
            return "equal"
        return "differs" if self.differs is not None else "raises"

    def describe(self) -> str:
        if self.equal is not None:
            return f"equal (rtol={self.equal.rtol:g}, atol={self.equal.atol:g})"
        if self.differs is not None:
            extra = ", non-finite expected" if self.differs.nonfinite else ""
            return f"differs (max|Δ| ≥ {self.differs.min_abs:g}{extra})"
        assert self.raises is not None
        literal = _literal(self.raises.match)
        if literal is not None:
            return f"{self.raises.side} raises {self.raises.exception} with a message containing {literal!r}"
        return f"{self.raises.side} raises {self.raises.exception} with a message matching /{self.raises.match}/"


Mode = Literal["pynative", "graph"]
Measure = Literal["trajectory", "lr"]


class CheckDefaults(Strict):
    inputs: InputsPatch | None = None
    expect: Expect | None = None
    mindspore_mode: Mode | None = None


class Check(Strict):
    name: CheckName
    description: Text
    runs: Literal["recipe", "reverse_recipe"] | None = Field(
        default=None, description="run the counterpart's recipe (or reverse_recipe) instead of snippets of its own"
    )
    torch: Code | None = None
    mindspore: Code | None = None
    probe: ProbeName | None = Field(
        default=None, description="concept checks: a registered probe (refmap/probes) returning both sequences"
    )
    calls: MindSporePath | None = Field(
        default=None,
        description="the MindSpore API the check exercises when it is not the counterpart's own (a workaround)",
    )
    measure: Measure | None = Field(
        default=None,
        description="trajectory: parameters under an optimizer (default for optimizers; a schedule inside a "
        "real optimizer); lr: learning-rate sequence (default for schedules)",
    )
    mindspore_mode: Mode | None = None
    inputs: InputsPatch | None = None
    blind_to: dict[ArgName, Text] = Field(
        default_factory=dict,
        description="torch arguments this check passes but cannot see, each with the reason (e.g. foreach)",
    )
    expect: Expect | None = Field(default=None, description="default: the counterpart's or entry's check_defaults")

    @model_validator(mode="after")
    def _code_source(self) -> Check:
        snippets = self.torch is not None or self.mindspore is not None
        sources = sum([self.runs is not None, snippets, self.probe is not None])
        if sources != 1:
            raise ValueError("give exactly one of: runs: recipe | reverse_recipe, torch + mindspore snippets, or probe")
        if snippets and (self.torch is None or self.mindspore is None):
            raise ValueError("give both torch and mindspore snippets")
        return self


# TeX commands that could make math do something other than typeset: links, HTML, loading code.
_UNSAFE_TEX = re.compile(r"\\(href|url|class|cssId|style|html|require|unicode|data|newcommand|def)\b")


class Formula(Strict):
    """An update rule, typeset as math; itself a claim, proven by checks that implement exactly it."""

    tex: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    where: Text | None = Field(default=None, description="what the symbols mean")
    proof: Proof = Field(min_length=1)

    @model_validator(mode="after")
    def _inert(self) -> Formula:
        if _UNSAFE_TEX.search(self.tex):
            raise ValueError("only typesetting commands: no \\href, \\url, \\class, \\style, \\require, macros ...")
        if re.search(r"^\s*(:::|```|\$\$)", self.tex, re.M):
            raise ValueError("a formula may not contain directive fences or $$")
        return self


class Trap(Strict):
    """A counterpart that silently does nothing or silently trains differently."""

    text: Text
    proof: Proof = Field(min_length=1)


class Counterpart(Strict):
    api: MindSporePath | None = Field(default=None, description="MindSpore API path; null only with no_counterpart")
    label: Annotated[str, StringConstraints(min_length=1, max_length=80)] | None = Field(
        default=None, description="setups: the MindSpore style this counterpart shows (e.g. 'nn with an lr list')"
    )
    status: Status
    trap: Trap | None = None
    formula: Formula | None = Field(default=None, description="MindSpore's update rule, where it differs from torch's")
    summary: Text | Statement
    params: list[ParamRow] = Field(default_factory=list)
    differences: list[Text | Statement] = Field(default_factory=list)
    recipe: Recipe | None = None
    reverse_recipe: Recipe | None = Field(
        default=None, description="MindSpore -> PyTorch, when it differs from `recipe`"
    )
    check_defaults: CheckDefaults | None = None
    checks: Annotated[list[Check], Field(max_length=200)] = Field(default_factory=list)
    unverified: list[Text] = Field(
        default_factory=list,
        description="facts read from documentation or source that no check here can show (Ascend/GPU "
        "kernels, say); shown apart, labelled as not verified",
    )
    no_long_check: Text | None = Field(
        default=None,
        description=f"why no check runs {LONG_CHECK_STEPS}+ steps (every counterpart needs one so drift shows)",
    )

    @model_validator(mode="after")
    def _api_matches_status(self) -> Counterpart:
        if (self.api is None) != (self.status == "no_counterpart"):
            raise ValueError("api is null exactly when status is no_counterpart")
        return self


class Source(Strict):
    title: Text
    url: Annotated[
        str, StringConstraints(pattern=r"^https://[A-Za-z0-9.-]+(/[A-Za-z0-9._~%/+=&?#:@!,;-]*)?$", max_length=500)
    ]


class Entry(Strict):
    id: Slug
    kind: Kind
    title: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    family: Family | None = None
    torch_api: TorchPath | None
    involves: list[TorchPath] = Field(
        default_factory=list, description="setups: the torch optimizers and schedules the setup combines"
    )
    summary: Text | Statement
    formula: Formula | None = Field(default=None, description="torch's update rule")
    unverified: list[Text] = Field(
        default_factory=list, description="facts that no check here can show, shown apart and labelled as not verified"
    )
    see_also: list[Slug] = Field(default_factory=list, description="ids of related entries")
    keywords: list[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._+-]{0,39}$")]] = Field(
        default_factory=list, description="search terms readers use for this entry (e.g. 'warmup', 'weight decay')"
    )
    check_defaults: CheckDefaults | None = None
    counterparts: Annotated[list[Counterpart], Field(min_length=1, max_length=16)]
    sources: list[Source] = Field(default_factory=list)
