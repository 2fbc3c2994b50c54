"""Resolve dotted API paths (torch.optim.SGD, mindspore.nn.dynamic_lr.piecewise_constant_lr)
against the installed frameworks, so a renamed or removed API fails the build by name."""

from __future__ import annotations

import importlib
from functools import cache
from importlib import metadata
from typing import Any

FRAMEWORKS = ("torch", "mindspore")


@cache  # a metadata lookup scans site-packages; every cache key asks for three of them
def installed_version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


@cache
def resolve(path: str) -> Any:
    """Import the longest module prefix of `path`, then walk attributes. Raises LookupError."""
    top = path.split(".", 1)[0]
    if top not in FRAMEWORKS:
        raise LookupError(f"{path}: only torch.* and mindspore.* APIs can be named")
    parts = path.split(".")
    # Walk attributes first and import only where an attribute is missing: a submodule can
    # shadow a function of the same name (mindspore.scipy.optimize.minimize).
    try:
        obj: Any = importlib.import_module(top)
    except ImportError:
        raise LookupError(f"{path}: cannot import {top} (installed: {installed_version(top)})") from None
    for i, attr in enumerate(parts[1:], start=1):
        if hasattr(obj, attr):
            obj = getattr(obj, attr)
            continue
        try:
            obj = importlib.import_module(".".join(parts[: i + 1]))
        except ImportError:
            where = ".".join(parts[:i])
            raise LookupError(
                f"{path} does not exist in the installed {top} {installed_version(top)} "
                f"({where} has no attribute {attr!r})"
            ) from None
    return obj
