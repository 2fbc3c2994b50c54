"""Signatures in declaration order, for binding positional arguments.

The verifier stores signatures with sorted keys, which loses the order positional arguments bind
in. The translator asks a verification worker once (`refmap.introspect.describe_apis`, the same
code the verifier runs) and keeps the answer, in order, next to the verification cache, keyed by
the installed framework versions and the API list.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from ..cachedir import cache_dir
from ..verify.pool import Outcome, WorkerPool
from ..verify.store import environment_key
from ..verify.tasks import introspect_task

Signatures = dict[str, dict[str, str]]


def _path(apis: list[str]) -> Path:
    digest = hashlib.sha256(("\n".join([environment_key(), *apis])).encode()).hexdigest()[:16]
    return cache_dir() / "translate" / f"signatures-{digest}.json"


def ordered_signatures(apis: Iterable[str], fallback: Signatures | None = None) -> Signatures:
    """api -> {argument: default source} in declaration order (APIs that do not resolve are left out)."""
    wanted = sorted({a for a in apis if a.startswith(("torch.", "mindspore."))})
    path = _path(wanted)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if isinstance(v, dict)}
    except (OSError, ValueError):
        pass
    got: Signatures = {}

    def on_done(o: Outcome) -> None:
        for api, v in (o.payload or {}).items():
            if isinstance(v, dict) and isinstance(v.get("args"), dict):
                got[api] = v["args"]

    try:
        with WorkerPool(1, 300.0, 600.0) as pool:
            pool.run([introspect_task(wanted)], on_done)
    except Exception:  # noqa: BLE001 - no worker: fall back to the stored (unordered) signatures
        return dict(fallback or {})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(got, indent=0), encoding="utf-8")
    except OSError:
        pass
    return got
