"""Run a KB code snippet in a fresh module; tracebacks name the entry file and check.

Each side sees only its own framework: the PyTorch snippet gets `torch`, the MindSpore snippet
gets `mindspore`, and both get `np` and `params`. While the MindSpore side runs, importing torch
fails, so its numbers cannot come from PyTorch.
"""

from __future__ import annotations

import builtins
import hashlib
import linecache
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .runtime import Runtime

SNIPPET_PREFIX = "refmap_snippet_"


class ForeignImport(ImportError):
    pass


@contextmanager
def torch_forbidden() -> Iterator[None]:
    real = builtins.__import__

    def guarded(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        if level == 0 and (name == "torch" or name.startswith("torch.")):
            # only code run from a snippet is refused; the frameworks' own lazy imports go through
            caller = (globals or {}).get("__name__", "")
            if caller.startswith(SNIPPET_PREFIX):
                raise ForeignImport(
                    "the MindSpore side of a check may not import torch: its numbers must come from MindSpore"
                )
        return real(name, globals, locals, fromlist, level)

    builtins.__import__ = guarded
    try:
        yield
    finally:
        builtins.__import__ = real


def run_snippet(code: str, origin: str, rt: Runtime, side: str, **names: Any) -> dict[str, Any]:
    """Execute `code` as module `refmap_snippet_<hash>` and return its namespace."""
    # A real module (in sys.modules, with its source in linecache) because MindSpore's jit
    # imports the defining module of a function and reads its source.
    name = SNIPPET_PREFIX + hashlib.sha256(f"{origin}\n{code}".encode()).hexdigest()[:12]
    module = types.ModuleType(name)
    module.__file__ = origin
    framework = {"torch": rt.torch} if side == "torch" else {"mindspore": rt.mindspore}
    module.__dict__.update({**framework, "np": rt.np, **names})
    sys.modules[name] = module
    linecache.cache[origin] = (len(code), None, code.splitlines(keepends=True), origin)
    exec(compile(code, origin, "exec"), module.__dict__)  # noqa: S102 - KB code is reviewed like tests are
    return module.__dict__


def forget_snippets() -> None:
    """Drop the modules of finished checks, so nothing of one check is reachable from the next."""
    for name in [n for n in sys.modules if n.startswith(SNIPPET_PREFIX)]:
        del sys.modules[name]
