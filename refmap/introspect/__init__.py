"""Framework introspection: resolve API names against the installed frameworks and read their
signatures. The only package besides `verify.measure` that imports torch and MindSpore; the
verifier runs it in a worker and stores what it finds, so loading and rendering stay framework-free.
"""

from __future__ import annotations

from typing import Any


def describe_apis(apis: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """api -> {"args": {name: default as source}} or {"error": why it does not resolve}."""
    from .apis import resolve
    from .signatures import arguments

    out: dict[str, Any] = {}
    for api in apis:
        try:
            resolve(api)
            out[api] = {"args": arguments(api)}
        except LookupError as exc:
            out[api] = {"error": str(exc)}
    return out
