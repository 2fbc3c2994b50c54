"""The results cache: one measurement per check, keyed by everything that can change it.

A check's key covers the code both sides run, its inputs, mode and perturbations, the measuring
code (refmap/verify/measure, refmap/probes, refmap/schema.py), the torch/MindSpore/NumPy/Python
versions and the device. Not covered, so editing them re-judges or re-renders without re-running:
the check's name, description and expectation. Keys are computed without importing the frameworks
(versions come from package metadata), so a no-change rebuild never pays for `import torch`.

Every file read back is validated strictly and re-judged; an unreadable one is measured again.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from ..cachedir import cache_dir
from ..introspect.apis import installed_version
from .measure.raw import Raw, RawFormatError
from .measure.runtime import requested_device
from .results import Environment

PACKAGE = Path(__file__).resolve().parent.parent
MEASURING_CODE = ("verify/measure/", "probes/", "introspect/", "schema.py")


class StoreError(RuntimeError):
    pass


@cache
def measuring_code_hash() -> str:
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(MEASURING_CODE):
            h.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _gpu_present() -> bool:
    return any(Path("/dev").glob("nvidia[0-9]*"))


def environment_key() -> str:
    dev = requested_device()
    if dev != "cpu":
        dev += f":{_gpu_present()}"
    parts = [f"{d}={installed_version(d)}" for d in ("torch", "mindspore", "numpy")]
    return ";".join([*parts, f"python={platform.python_version()}", f"device={dev}"])


def task_key(spec: dict[str, Any]) -> str:
    raw = json.dumps(spec, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256("\n".join([raw, measuring_code_hash(), environment_key()]).encode()).hexdigest()


class Store:
    def __init__(self, root: Path | None = None) -> None:
        # One folder per environment and measuring code: signatures and the environment live there too.
        tag = hashlib.sha256(f"{environment_key()}\n{measuring_code_hash()}".encode()).hexdigest()[:16]
        self.root = (root or cache_dir()) / tag
        self.checks = self.root / "checks"

    # ---------------- reading ----------------
    def read(self, key: str) -> Raw | None:
        try:
            data = (self.checks / f"{key}.npz").read_bytes()
        except OSError:
            return None
        try:
            return Raw.from_bytes(data)
        except RawFormatError:
            return None  # corrupt or from another verifier: measure again

    def _json(self, name: str) -> Any:
        try:
            return json.loads((self.root / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def environment(self) -> Environment | None:
        data = self._json("environment.json")
        try:
            return Environment.model_validate(data) if data is not None else None
        except ValueError:
            return None

    def signatures(self) -> dict[str, dict[str, Any]]:
        """api -> {"args": {...}} | {"error": ...}, as measured in this environment."""
        data = self._json("apis.json")
        if not isinstance(data, dict):
            return {}
        good = {}
        for api, v in data.items():
            if isinstance(v, dict) and (
                (
                    set(v) == {"args"}
                    and isinstance(v["args"], dict)
                    and all(isinstance(x, str) for x in v["args"].values())
                )
                or (set(v) == {"error"} and isinstance(v["error"], str))
            ):
                good[api] = v
        return good

    def timings(self) -> dict[str, float]:
        data = self._json("timings.json")
        return {k: float(v) for k, v in data.items() if isinstance(v, int | float)} if isinstance(data, dict) else {}

    # ---------------- writing ----------------
    def ensure_writable(self) -> None:
        """Fail before any work if results could not be kept."""
        try:
            self.checks.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.checks, suffix=".probe")
            os.close(fd)
            os.unlink(tmp)
        except OSError as exc:
            raise StoreError(
                f"cannot write the results cache at {self.root}: {exc.strerror or exc}. "
                "Make it writable or point REFMAP_CACHE_DIR at a writable folder."
            ) from None

    def _atomic(self, path: Path, data: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from None

    def write(self, key: str, raw: Raw) -> None:
        self._atomic(self.checks / f"{key}.npz", raw.to_bytes())

    def write_environment(self, env: Environment) -> None:
        self._atomic(self.root / "environment.json", env.model_dump_json(indent=1).encode())

    def write_signatures(self, sigs: dict[str, dict[str, Any]]) -> None:
        merged = {**self.signatures(), **sigs}
        self._atomic(self.root / "apis.json", json.dumps(merged, indent=1, sort_keys=True).encode())

    def write_timings(self, timings: dict[str, float]) -> None:
        merged = {**self.timings(), **timings}
        self._atomic(self.root / "timings.json", json.dumps(merged, indent=0, sort_keys=True).encode())

    def prune(self, keep: set[str]) -> int:
        """Drop measurements no check refers to any more (after verifying the whole KB)."""
        n = 0
        for path in self.checks.glob("*.npz"):
            if path.stem not in keep:
                path.unlink(missing_ok=True)
                n += 1
        return n
