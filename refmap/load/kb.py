"""Load the whole knowledge base: find the files, parse, validate against the schema, cross-check.

Framework-free: nothing here imports torch or MindSpore. Resolving API names against the
installed frameworks is `refmap.introspect`'s job, done when something must run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from ..schema import FAMILIES, Check, Counterpart, Entry, Expect, Inputs, Recipe
from .errors import KBError, KBLoadError, field_path
from .files import discover, display, read_bytes
from .yaml_source import Locator, parse_yaml

KB_ROOT = Path(__file__).resolve().parent.parent
MINDSPORE_DOCS_RELEASE = "r2.10"  # the release the site is verified against
Loc = tuple[int | str, ...]


@dataclass(frozen=True, eq=False)
class CheckSpec:
    """A check with everything it inherits filled in: what verify runs and the judge holds."""

    entry_id: str
    kind: str  # the entry's kind
    counterpart: str | None  # the MindSpore API path
    cp_index: int
    index: int  # within the counterpart
    check: Check
    inputs: Inputs
    expect: Expect
    mode: str  # pynative | graph
    measure: str  # trajectory | lr | probe
    code: Recipe | None  # the two snippets that run (a recipe's, or the check's own); None for probes
    where: str  # file:line:col of the check

    @property
    def name(self) -> str:
        return self.check.name

    @property
    def loc(self) -> Loc:
        return ("counterparts", self.cp_index, "checks", self.index)

    @property
    def label(self) -> str:
        return f"{self.entry_id}/{self.check.name}"

    @property
    def exercises(self) -> str | None:
        """The MindSpore API whose call proves the check ran the counterpart (or its declared workaround)."""
        return self.check.calls or self.counterpart


@dataclass(frozen=True)
class LoadedEntry:
    entry: Entry
    path: Path
    display: str  # the path as shown in messages
    locate: Locator = field(compare=False, repr=False)
    checks: tuple[CheckSpec, ...] = field(default=(), compare=False, repr=False)

    @property
    def digest(self) -> str:
        """Content hash of the validated entry (formatting and comments do not count)."""
        canon = json.dumps(self.entry.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canon.encode()).hexdigest()

    def error(self, loc: Loc, message: str) -> KBError:
        line, col = self.locate(loc)
        return KBError(self.display, line, col, field_path(loc), message)

    def where(self, *loc: int | str) -> str:
        line, col = self.locate(loc)
        return f"{self.display}:{line}:{col}"

    def checks_of(self, cp: Counterpart) -> list[CheckSpec]:
        return [c for c in self.checks if c.counterpart == cp.api and c.cp_index == self.entry.counterparts.index(cp)]


def _pydantic_errors(exc: ValidationError, shown: str, locate: Locator) -> list[KBError]:
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        # a union (str | Statement) reports one error per member; keep the field path readable
        loc = tuple(p for p in loc if not (isinstance(p, str) and (p == "str" or p[:1].isupper())))
        line, col = locate(loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see refmap/entry.schema.json)"
        elif err["type"] == "missing":
            msg = "required field is missing"
        out.append(KBError(shown, line, col, field_path(loc), msg))
    return sorted(set(out))


def _specs(le: LoadedEntry) -> tuple[list[CheckSpec], list[KBError]]:
    """Resolve inheritance (check -> counterpart -> entry -> built-in defaults) for every check."""
    e = le.entry
    specs, errors = [], []
    base = Inputs()
    edef = e.check_defaults
    for i, cp in enumerate(e.counterparts):
        cdef = cp.check_defaults
        for j, c in enumerate(cp.checks):
            loc: Loc = ("counterparts", i, "checks", j)
            inputs = base
            for patch in (edef.inputs if edef else None, cdef.inputs if cdef else None, c.inputs):
                inputs = inputs.patched(patch)
            expect = c.expect or (cdef.expect if cdef else None) or (edef.expect if edef else None)
            if expect is None:
                errors.append(le.error((*loc, "expect"), "give `expect` (no check_defaults.expect to inherit)"))
                continue
            if inputs.size > 100_000:
                errors.append(
                    le.error((*loc, "inputs"), f"parameters hold {inputs.size} values; keep checks under 100000")
                )
                continue
            mode = (
                c.mindspore_mode
                or (cdef.mindspore_mode if cdef else None)
                or (edef.mindspore_mode if edef else None)
                or "pynative"
            )
            if c.probe is not None:
                measure, code = "probe", None
            else:
                measure = c.measure or ("lr" if e.kind == "schedule" else "trajectory")
                code = Recipe(torch=c.torch, mindspore=c.mindspore) if c.torch and c.mindspore else None
                if c.runs == "recipe":
                    code = cp.recipe
                elif c.runs == "reverse_recipe":
                    code = cp.reverse_recipe
            line, col = le.locate(loc)
            specs.append(
                CheckSpec(
                    entry_id=e.id,
                    kind=e.kind,
                    counterpart=cp.api,
                    cp_index=i,
                    index=j,
                    check=c,
                    inputs=inputs,
                    expect=expect,
                    mode=mode,
                    measure=measure,
                    code=code,
                    where=f"{le.display}:{line}:{col}",
                )
            )
    return specs, errors


def _statements(e: Entry) -> Iterator[tuple[Loc, list[str]]]:
    """(location, proof) of every place in the entry that names checks as proof."""
    yield ("summary", "proof"), list(getattr(e.summary, "proof", []))
    if e.formula is not None:
        yield ("formula", "proof"), list(e.formula.proof)
    for i, cp in enumerate(e.counterparts):
        if cp.formula is not None:
            yield ("counterparts", i, "formula", "proof"), list(cp.formula.proof)
        yield ("counterparts", i, "summary", "proof"), list(getattr(cp.summary, "proof", []))
        if cp.trap is not None:
            yield ("counterparts", i, "trap", "proof"), list(cp.trap.proof)
        for k, d in enumerate(cp.differences):
            yield ("counterparts", i, "differences", k, "proof"), list(getattr(d, "proof", []))
        for k, row in enumerate(cp.params):
            yield ("counterparts", i, "params", k, "proof"), list(row.proof)


def _cross_ref_errors(le: LoadedEntry) -> list[KBError]:
    """Rules that span fields; each error points at the field that breaks it."""
    from .. import probes  # noqa: F401 - registers every probe; framework-free until one runs
    from ..probes.registry import PROBES

    e, out = le.entry, []
    if e.kind == "optimizer" and e.family is None:
        out.append(le.error(("kind",), "optimizer entries need a family (" + ", ".join(FAMILIES) + ")"))
    if e.kind != "optimizer" and e.family is not None:
        out.append(le.error(("family",), "only optimizer entries have a family"))
    if e.kind == "setup" and len(e.involves) < 2:
        out.append(le.error(("involves",), "a setup names the two or more torch APIs it combines"))
    if e.kind != "setup" and e.involves:
        out.append(le.error(("involves",), "only setups list the APIs they involve; use see_also"))
    names: dict[str, Loc] = {}
    apis: list[str] = []
    for i, cp in enumerate(e.counterparts):
        at: Loc = ("counterparts", i)
        if cp.api is not None:
            if cp.api in apis and e.kind != "setup":
                out.append(le.error((*at, "api"), f"{cp.api} is listed twice"))
            apis.append(cp.api)
        if cp.status == "equivalent_with_recipe" and cp.recipe is None:
            out.append(le.error((*at, "status"), "equivalent_with_recipe needs the recipe: give `recipe`"))
        if cp.api is None and cp.checks:
            out.append(le.error((*at, "checks"), "a counterpart without an API has nothing to check"))
        if e.kind == "setup" and not cp.label:
            out.append(le.error((*at, "label"), "setup counterparts name their MindSpore style in `label`"))
        for j, c in enumerate(cp.checks):
            loc: Loc = (*at, "checks", j)
            if c.name in names:
                first = le.where(*names[c.name])
                out.append(
                    le.error((*loc, "name"), f"check name {c.name!r} is used twice in this entry (also {first})")
                )
            names[c.name] = (*loc, "name")
            if c.runs == "recipe" and cp.recipe is None:
                out.append(le.error((*loc, "runs"), f"check {c.name!r} runs the recipe of {cp.api}, which has none"))
            if c.runs == "reverse_recipe" and cp.reverse_recipe is None:
                out.append(
                    le.error((*loc, "runs"), f"check {c.name!r} runs the reverse_recipe of {cp.api}, which has none")
                )
            if c.measure == "lr" and e.kind == "optimizer":
                out.append(le.error((*loc, "measure"), "optimizer entries measure trajectories"))
            if c.probe is not None:
                if e.kind != "concept":
                    out.append(
                        le.error((*loc, "probe"), "only concept entries run probes; give torch and mindspore snippets")
                    )
                elif c.probe not in PROBES:
                    known = ", ".join(sorted(PROBES))
                    out.append(le.error((*loc, "probe"), f"no probe named {c.probe!r} is registered (known: {known})"))
            if c.calls is not None and c.calls == cp.api:
                out.append(le.error((*loc, "calls"), "`calls` names the counterpart's own API; leave it out"))
    for k, src in enumerate(e.sources):
        if "mindspore.cn/docs/" in src.url and f"/docs/en/{MINDSPORE_DOCS_RELEASE}/" not in src.url:
            out.append(
                le.error(
                    ("sources", k, "url"),
                    f"link MindSpore's English docs at the verified release: https://www.mindspore.cn/docs/en/{MINDSPORE_DOCS_RELEASE}/... "
                    "(the Chinese site switches to zh-CN by itself)",
                )
            )
    for loc, proof in _statements(e):
        for k, name in enumerate(proof):
            if name not in names:
                out.append(le.error((*loc, k), f"no check named {name!r} in this entry"))
    return out


def load_file(path: Path, root: Path, expected_kind: str | None = None) -> tuple[LoadedEntry | None, list[KBError]]:
    shown = display(path)
    raw = read_bytes(path, root)
    if isinstance(raw, str):
        return None, [KBError(shown, 1, 1, "", raw)]
    data, locate, errors = parse_yaml(raw, shown)
    if errors:
        return None, errors
    try:
        entry = Entry.model_validate(data)
    except ValidationError as exc:
        return None, _pydantic_errors(exc, shown, locate)
    le = LoadedEntry(entry, path, shown, locate)
    errors = _cross_ref_errors(le)
    if expected_kind and entry.kind != expected_kind:
        errors.append(
            le.error(("kind",), f"{entry.kind!r} entries do not belong in this folder (expected {expected_kind!r})")
        )
    specs, spec_errors = _specs(le)
    errors += spec_errors
    if errors:
        return None, errors
    return LoadedEntry(entry, path, shown, locate, tuple(specs)), []


def load_kb(root: Path = KB_ROOT, *, files: Iterable[Path] | None = None) -> list[LoadedEntry]:
    """Every entry under root (or just `files`), validated. Raises KBLoadError listing every error found."""
    root = Path(root)
    found, errors = discover(root, files)
    entries: list[LoadedEntry] = []
    for ef in found:
        le, errs = load_file(ef.path, root, ef.kind)
        errors += errs
        if le:
            entries.append(le)
    seen: dict[str, LoadedEntry] = {}
    for le in entries:
        if le.entry.id in seen:
            errors.append(le.error(("id",), f"duplicate id {le.entry.id!r} (also in {seen[le.entry.id].where('id')})"))
        else:
            seen[le.entry.id] = le
    if files is None:  # links between entries can only be checked on the whole KB
        for le in entries:
            for k, other in enumerate(le.entry.see_also):
                if other not in seen:
                    errors.append(le.error(("see_also", k), f"no entry with id {other!r}"))
                elif other == le.entry.id:
                    errors.append(le.error(("see_also", k), "an entry cannot list itself"))
    if errors:
        raise KBLoadError(errors)
    if not entries:
        raise KBLoadError([KBError(display(root), 1, 1, "", "no entries found")])
    return entries
