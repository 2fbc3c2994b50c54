"""What a worker sends back for one check: the two measured sequences (or what each side raised),
nothing judged. The parent judges, so no snippet can reach the judge.

Stored in the cache as one .npz file per check: arrays plus a JSON header, loaded with
allow_pickle=False and validated field by field.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

FORMAT = 3  # bump when the stored layout changes


class RawFormatError(ValueError):
    pass


@dataclass(frozen=True)
class ErrorInfo:
    """An exception, as names of its class and bases (for `raises` matching) and its message."""

    types: tuple[str, ...]  # qualified and plain names of the class and its bases
    message: str

    @property
    def name(self) -> str:
        return self.types[0].rsplit(".", 1)[-1] if self.types else "Exception"

    @classmethod
    def of(cls, exc: BaseException) -> ErrorInfo:
        names: list[str] = []
        for c in type(exc).__mro__:
            for n in (c.__name__, f"{c.__module__}.{c.__qualname__}"):
                if n not in names:
                    names.append(n)
        return cls(tuple(names), " ".join(str(exc).split())[:2000])

    @classmethod
    def plain(cls, name: str, message: str) -> ErrorInfo:
        return cls((name,), message)


@dataclass
class Raw:
    torch: np.ndarray | None = None  # (steps, values) float64
    mindspore: np.ndarray | None = None
    errors: dict[str, ErrorInfo] = field(default_factory=dict)  # side -> error
    labels: list[str] = field(default_factory=list)  # names of the plotted coordinates
    plot_index: list[int] = field(default_factory=list)
    starts_at_initial: bool = False  # row 0 is the shared starting point, not a measurement
    api_calls: int | None = None  # calls of the exercised MindSpore API during the MindSpore side
    perturbed: dict[str, np.ndarray | ErrorInfo] = field(default_factory=dict)  # torch arg -> torch run
    signatures: dict[str, Any] = field(default_factory=dict)  # unused for checks; see introspect tasks
    output: str = ""  # what the check printed (tail), for failure messages
    wall_s: float = 0.0

    # ---------------- storage ----------------
    def to_bytes(self) -> bytes:
        arrays: dict[str, np.ndarray] = {}
        if self.torch is not None:
            arrays["torch"] = self.torch
        if self.mindspore is not None:
            arrays["mindspore"] = self.mindspore
        perturbed_meta: dict[str, Any] = {}
        for i, (arg, value) in enumerate(self.perturbed.items()):
            if isinstance(value, ErrorInfo):
                perturbed_meta[arg] = {"error": asdict(value)}
            else:
                arrays[f"perturbed_{i}"] = value
                perturbed_meta[arg] = {"array": f"perturbed_{i}"}
        header = {
            "format": FORMAT,
            "errors": {side: asdict(e) for side, e in self.errors.items()},
            "labels": self.labels,
            "plot_index": self.plot_index,
            "starts_at_initial": self.starts_at_initial,
            "api_calls": self.api_calls,
            "perturbed": perturbed_meta,
            "output": self.output,
            "wall_s": self.wall_s,
        }
        arrays["header"] = np.frombuffer(json.dumps(header, sort_keys=True).encode(), dtype=np.uint8)
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Raw:
        """Strict: anything unexpected raises RawFormatError."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            header = json.loads(bytes(arrays.pop("header")).decode())
        except Exception as exc:  # noqa: BLE001 - a damaged file can fail in many ways; all mean "measure again"
            raise RawFormatError(f"unreadable: {exc}") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise RawFormatError("written by another version of the verifier")
        try:
            raw = cls(
                torch=_matrix(arrays.pop("torch", None)),
                mindspore=_matrix(arrays.pop("mindspore", None)),
                errors={_str(s): _error(e) for s, e in _dict(header["errors"]).items()},
                labels=[_str(x) for x in _list(header["labels"])],
                plot_index=[_int(x) for x in _list(header["plot_index"])],
                starts_at_initial=_bool(header["starts_at_initial"]),
                api_calls=None if header["api_calls"] is None else _int(header["api_calls"]),
                output=_str(header["output"]),
                wall_s=float(_number(header["wall_s"])),
            )
            for arg, meta in _dict(header["perturbed"]).items():
                meta = _dict(meta)
                if "error" in meta:
                    raw.perturbed[_str(arg)] = _error(meta["error"])
                else:
                    m = _matrix(arrays.pop(_str(meta["array"])))
                    if m is None:
                        raise RawFormatError("missing perturbed array")
                    raw.perturbed[_str(arg)] = m
        except (KeyError, TypeError) as exc:
            raise RawFormatError(f"malformed header: {exc!r}") from None
        if arrays:
            raise RawFormatError(f"unexpected arrays {sorted(arrays)}")
        if set(raw.errors) - {"torch", "mindspore"}:
            raise RawFormatError("errors name an unknown side")
        for side in ("torch", "mindspore"):
            if getattr(raw, side) is None and not raw.errors:
                raise RawFormatError(f"{side}: neither a measurement nor an error")
        n = raw.torch.shape[1] if raw.torch is not None else raw.mindspore.shape[1] if raw.mindspore is not None else 0
        if any(i < 0 or (n and i >= n) for i in raw.plot_index) or len(raw.labels) != len(raw.plot_index):
            raise RawFormatError("plot_index/labels do not fit the measurement")
        return raw


def _matrix(a: Any) -> np.ndarray | None:
    if a is None:
        return None
    if not isinstance(a, np.ndarray) or a.dtype != np.float64 or a.ndim != 2:
        raise RawFormatError("a measurement is a 2-D float64 array")
    return a


def _error(e: Any) -> ErrorInfo:
    e = _dict(e)
    if set(e) != {"types", "message"}:
        raise RawFormatError("malformed error record")
    return ErrorInfo(tuple(_str(t) for t in _list(e["types"])), _str(e["message"]))


def _dict(x: Any) -> dict:
    if not isinstance(x, dict):
        raise RawFormatError("expected a mapping")
    return x


def _list(x: Any) -> list:
    if not isinstance(x, list):
        raise RawFormatError("expected a list")
    return x


def _str(x: Any) -> str:
    if not isinstance(x, str):
        raise RawFormatError("expected a string")
    return x


def _int(x: Any) -> int:
    if not isinstance(x, int) or isinstance(x, bool):
        raise RawFormatError("expected an integer")
    return x


def _bool(x: Any) -> bool:
    if not isinstance(x, bool):
        raise RawFormatError("expected true/false")
    return x


def _number(x: Any) -> float:
    if not isinstance(x, int | float) or isinstance(x, bool):
        raise RawFormatError("expected a number")
    return x
