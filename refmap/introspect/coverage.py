"""Which public optimizers and schedules of the installed frameworks have an entry.

Found by introspection, so a framework upgrade that adds an API shows up as "missing" here.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable

from ..load import LoadedEntry

# Where each framework keeps its public optimizers and schedules, and the base class that marks one.
# (module, base class path or None for "every public function in __all__")
NAMESPACES: list[tuple[str, str, str | None]] = [
    ("optimizer", "torch.optim", "torch.optim.Optimizer"),
    ("optimizer", "mindspore.nn", "mindspore.nn.Optimizer"),
    ("optimizer", "mindspore.experimental.optim", "mindspore.experimental.optim.Optimizer"),
    ("optimizer", "mindspore.mint.optim", "mindspore.experimental.optim.Optimizer"),
    ("schedule", "torch.optim.lr_scheduler", "torch.optim.lr_scheduler.LRScheduler"),
    ("schedule", "torch.optim.lr_scheduler", "torch.optim.lr_scheduler.ReduceLROnPlateau"),
    ("schedule", "mindspore.nn.dynamic_lr", None),
    ("schedule", "mindspore.nn.learning_rate_schedule", "mindspore.nn.learning_rate_schedule.LearningRateSchedule"),
    ("schedule", "mindspore.experimental.optim.lr_scheduler", "mindspore.experimental.optim.lr_scheduler.LRScheduler"),
]

# Public classes that match the introspection but are not APIs a migrating user picks.
EXCLUDED: dict[str, str] = {
    "mindspore.nn.OptTFTWrapper": "a fault-tolerance wrapper around another optimizer (Ascend TFT), not an update rule",
}


def _obj(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def public_apis() -> list[tuple[str, str]]:
    """(kind, dotted path) of every public optimizer/schedule, sorted, without duplicates."""
    found: set[tuple[str, str]] = set()
    for kind, module_name, base_path in NAMESPACES:
        module = importlib.import_module(module_name)
        if base_path is None:
            for name in getattr(module, "__all__", []):
                if inspect.isfunction(getattr(module, name)):
                    found.add((kind, f"{module_name}.{name}"))
            continue
        base = _obj(base_path)
        for name, obj in vars(module).items():
            if name.startswith("_") or not inspect.isclass(obj) or not issubclass(obj, base):
                continue
            if obj is base and base_path.endswith(("Optimizer", "LRScheduler", "LearningRateSchedule")):
                continue
            found.add((kind, f"{module_name}.{name}"))
    return sorted(found)


def covered(entries: Iterable[LoadedEntry]) -> dict[str, str]:
    """dotted path -> id of the entry that documents it."""
    out: dict[str, str] = {}
    for le in entries:
        e = le.entry
        for api in [e.torch_api, *e.involves, *(cp.api for cp in e.counterparts)]:
            if api:
                out.setdefault(api, e.id)
    return out


def report(entries: list[LoadedEntry]) -> list[tuple[str, str, str]]:
    """(kind, api, entry id | 'excluded: why' | '') for every public API."""
    cov = covered(entries)
    rows = []
    for kind, api in public_apis():
        if api in cov:
            rows.append((kind, api, cov[api]))
        elif api in EXCLUDED:
            rows.append((kind, api, f"excluded: {EXCLUDED[api]}"))
        else:
            rows.append((kind, api, ""))
    return rows
