"""Constructor arguments and defaults read from the installed APIs, never typed by hand.

Runs where the frameworks are imported (a verification worker, or `python -m refmap check`); the
result is stored with the verification results, so pages render without importing anything.
"""

from __future__ import annotations

import inspect
from functools import cache
from typing import Any

from .apis import resolve

REQUIRED = "(required)"


def _undecorate(fn: Any) -> Any:
    """MindSpore's `opt_init_args_register` wraps __init__ without functools.wraps, hiding the
    signature behind (*args, **kwargs); the real function sits in the wrapper's closure."""
    for _ in range(4):
        cells = [
            c.cell_contents
            for c in (getattr(fn, "__closure__", None) or ())
            if callable(getattr(c, "cell_contents", None))
        ]
        inner = [f for f in cells if inspect.isfunction(f) and f is not fn]
        if len(inner) != 1 or str(inspect.signature(fn)) not in ("(self, *args, **kwargs)", "(*args, **kwargs)"):
            return fn
        fn = inner[0]
    return fn


@cache
def arguments(api: str) -> dict[str, str]:
    """name -> default as source text ("(required)" when there is none), in signature order."""
    obj = resolve(api)
    target = _undecorate(obj.__init__ if inspect.isclass(obj) else obj)
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return {}
    out: dict[str, str] = {}
    for name, p in sig.parameters.items():
        if name == "self":
            continue
        if p.kind is p.VAR_POSITIONAL:
            name = f"*{name}"
        elif p.kind is p.VAR_KEYWORD:
            name = f"**{name}"
        if p.default is inspect.Parameter.empty:
            out[name] = REQUIRED if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) else ""
        else:
            out[name] = repr(p.default)
    return out
