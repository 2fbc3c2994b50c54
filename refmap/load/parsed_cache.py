"""Parsed entry files, kept by their bytes and the parser's own code.

ruamel's pure-Python parser is half of a no-change rebuild (about 1.9 s for the whole KB). A file
whose bytes did not change parses to the same data and positions, so those are read back from
JSON. Only files that parsed cleanly are kept. A cache file that is unreadable or not of the
expected shape is ignored (the file is parsed again); failing to write one only costs time on the
next run, so write errors are ignored too.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import ruamel.yaml

from ..cachedir import cache_dir

Positions = dict[tuple[int | str, ...], tuple[int, int]]  # field path -> (line, col), 0-based
KEEP = 400  # parsed files kept; the oldest go first


@cache
def _parser_hash() -> str:
    code = (Path(__file__).parent / "yaml_source.py").read_bytes() + Path(__file__).read_bytes()
    return hashlib.sha256(code + ruamel.yaml.__version__.encode()).hexdigest()


def _path(raw: bytes) -> Path:
    key = hashlib.sha256(_parser_hash().encode() + b"\0" + raw).hexdigest()
    return cache_dir() / "parsed" / f"{key[:32]}.json"


def _is_path(p: Any) -> bool:
    return isinstance(p, list) and all(type(x) is str or type(x) is int for x in p)


def read(raw: bytes) -> tuple[dict[str, Any], Positions] | None:
    try:
        doc = json.loads(_path(raw).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (isinstance(doc, dict) and isinstance(doc.get("data"), dict) and isinstance(doc.get("positions"), list)):
        return None
    positions: Positions = {}
    for item in doc["positions"]:
        if not (isinstance(item, list) and len(item) == 3 and _is_path(item[0])):
            return None
        if not all(type(v) is int for v in item[1:]):
            return None
        positions[tuple(item[0])] = (item[1], item[2])
    return doc["data"], positions


def write(raw: bytes, data: dict[str, Any], positions: Positions) -> None:
    path = _path(raw)
    text = json.dumps({"data": data, "positions": [[list(k), *v] for k, v in positions.items()]})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
        if len(os.listdir(path.parent)) > KEEP + KEEP // 4:  # prune in batches: listing is cheap, stat is not
            kept = sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime)
            for old in kept[:-KEEP]:
                old.unlink(missing_ok=True)
    except OSError:
        pass
