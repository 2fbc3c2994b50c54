"""Keep checks honest inside a worker.

- `SharedState`: a fingerprint of the framework namespaces a snippet could monkeypatch (module
  attributes and the attributes of their classes). A check that changes one fails, and the worker
  that ran it is replaced, so no later check runs against a patched framework.
- `count_calls`: how often the MindSpore API a check exercises was called while its MindSpore side
  ran, so a check whose snippet never touches its counterpart cannot pass.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

# The namespaces KB code reaches: what it may use, and therefore what it could patch.
WATCHED = (
    "builtins",
    "numpy",
    "torch",
    "torch.optim",
    "torch.optim.optimizer",
    "torch.optim.lr_scheduler",
    "torch.nn",
    "torch.nn.functional",
    "torch.nn.utils",
    "torch.nn.parameter",
    "torch.autograd",
    "mindspore",
    "mindspore.nn",
    "mindspore.nn.optim",
    "mindspore.nn.optim.optimizer",
    "mindspore.nn.dynamic_lr",
    "mindspore.nn.learning_rate_schedule",
    "mindspore.nn.wrap",
    "mindspore.ops",
    "mindspore.ops.functional",
    "mindspore.experimental.optim",
    "mindspore.experimental.optim.lr_scheduler",
    "mindspore.experimental.optim.optimizer",
    "mindspore.mint",
    "mindspore.mint.optim",
    "mindspore.amp",
    "mindspore.common.tensor",
    "mindspore.common.parameter",
    "mindspore.common.api",
    "refmap.verify.measure.runtime",
    "refmap.verify.measure.snippets",
    "refmap.verify.measure.guard",
    "refmap.verify.measure.run",
    "refmap.probes.registry",
)

Fingerprint = dict[str, Any]  # dotted attribute -> the object it held


def _attrs(prefix: str, ns: dict[str, Any], out: Fingerprint) -> None:
    for k, v in list(ns.items()):
        if k.startswith("__") and k.endswith("__") and k not in ("__init__", "__call__", "__import__"):
            continue  # caches and bookkeeping (__warningregistry__, __dict__ ...), not behaviour
        if isinstance(v, ModuleType):
            continue  # a submodule imported lazily is not a patch
        if not (callable(v) or isinstance(v, property | staticmethod | classmethod)):
            continue  # plain values: counters and registries the frameworks update as they run
        out[f"{prefix}.{k}"] = v


_MISSING = object()


class SharedState:
    """Shallow copies of every watched namespace (module and class dicts): cheap to take and to
    compare (dict equality checks identity first), analysed in detail only where they differ."""

    def __init__(self) -> None:
        self.owners: list[tuple[str, Any, dict[str, Any]]] = []
        for m in (sys.modules.get(n) for n in WATCHED):
            if m is None:
                continue
            self.owners.append((m.__name__, m, dict(vars(m))))
            top = m.__name__.split(".")[0]
            for k, v in list(vars(m).items()):
                if inspect.isclass(v) and getattr(v, "__module__", "").startswith(top):
                    self.owners.append((f"{m.__name__}.{k}", v, dict(vars(v))))

    def changed(self) -> list[str]:
        """Attributes replaced or deleted since the snapshot. Tolerated: new attributes (frameworks add
        caches lazily), plain values (counters), and a function replaced by a functools.wraps wrapper
        of itself (torch hooks `Optimizer.step` so on first use)."""
        out: list[str] = []
        for prefix, owner, before in self.owners:
            now = vars(owner)
            if now == before:
                continue
            old_fp: Fingerprint = {}
            new_fp: Fingerprint = {}
            _attrs(prefix, before, old_fp)
            _attrs(prefix, dict(now), new_fp)
            for k, old in old_fp.items():
                new = new_fp.get(k, _MISSING)
                if new is old or getattr(new, "__wrapped__", None) is old:
                    continue
                out.append(k)
        return sorted(set(out))


def _resolve(path: str) -> Any:
    parts = path.split(".")
    obj: Any = importlib.import_module(parts[0])
    for i, attr in enumerate(parts[1:], start=1):
        if hasattr(obj, attr):
            obj = getattr(obj, attr)
        else:
            obj = importlib.import_module(".".join(parts[: i + 1]))
    return obj


_HOMES: dict[str, list[tuple[ModuleType, str]]] = {}


def _homes(path: str, target: Any) -> list[tuple[ModuleType, str]]:
    if path not in _HOMES:
        _HOMES[path] = [
            (m, k)
            for name, m in list(sys.modules.items())
            if name.startswith("mindspore") and isinstance(m, ModuleType)
            for k, v in list(vars(m).items())
            if v is target
        ]
    return _HOMES[path]


@contextmanager
def count_calls(path: str | None) -> Iterator[list[int]]:
    """Yield a one-item counter of calls of `path` (a class counts its instantiations; -1: not counted)."""
    counter = [0]
    if path is None:
        yield counter
        return
    target = _resolve(path)
    if inspect.isclass(target):
        own = "__init__" in vars(target)
        original = target.__init__

        def init(self: Any, *args: Any, **kwargs: Any) -> None:
            counter[0] += 1
            original(self, *args, **kwargs)

        setattr(target, "__init__", init)  # noqa: B010 - on the class, not an instance
        try:
            yield counter
        finally:
            if own:
                setattr(target, "__init__", original)  # noqa: B010
            else:
                del target.__init__
        return
    if inspect.isclass(_resolve(path.rpartition(".")[0])):
        # A method: often called from code MindSpore compiles (construct -> self.get_lr()), whose
        # source a wrapper would replace. Not counted here; the judge checks the snippet names it.
        counter[0] = -1
        yield counter
        return
    # A function: rebind every module attribute that refers to it (it may be reachable by several paths).
    homes = _homes(path, target)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        counter[0] += 1
        return target(*args, **kwargs)

    for m, k in homes:
        setattr(m, k, wrapper)
    try:
        yield counter
    finally:
        for m, k in homes:
            setattr(m, k, target)
