"""Parse one YAML file into plain Python data plus a way to find the line of any field.

ruamel's round-trip loader keeps line/column marks and never constructs Python objects from
tags; we additionally reject every explicit tag, cap size and nesting, and refuse aliases so a
hostile file can neither run code nor blow up memory. A file that parsed cleanly before is read
back from `parsed_cache` instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from . import parsed_cache
from .errors import KBError, field_path
from .parsed_cache import Positions

MAX_DEPTH = 24
MAX_NODES = 20_000

Locator = Callable[[tuple[int | str, ...]], tuple[int, int]]


class _Reject(Exception):
    def __init__(self, loc: tuple[int | str, ...], message: str, mark: tuple[int, int] | None = None):
        self.loc, self.message, self.mark = loc, message, mark


def _valid_text(s: str, loc: tuple[int | str, ...]) -> str:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise _Reject(
            loc, "text contains an unpaired surrogate (an escaped \\uD800-\\uDFFF); write the character itself"
        ) from None
    return str(s)


def _plain(node: Any, loc: tuple[int | str, ...], seen: set[int], count: list[int], positions: Positions) -> Any:
    count[0] += 1
    if count[0] > MAX_NODES:
        raise _Reject(loc, f"more than {MAX_NODES} YAML nodes; entries are small documents")
    if len(loc) > MAX_DEPTH:
        raise _Reject(loc, f"nested deeper than {MAX_DEPTH} levels")
    tag = getattr(node, "tag", None)
    tag_value = getattr(tag, "value", tag) if tag is not None else None
    if isinstance(tag_value, str) and tag_value:
        raise _Reject(loc, f"YAML tag {tag_value!r} is not allowed: entries hold plain data only")
    anchor = getattr(getattr(node, "anchor", None), "value", None)
    if anchor:
        raise _Reject(loc, f"YAML anchors and aliases (&{anchor} / *{anchor}) are not allowed: write the value out")
    if isinstance(node, CommentedMap | CommentedSeq):
        if id(node) in seen:
            raise _Reject(loc, "YAML aliases are not allowed: write the value out")
        seen.add(id(node))
    if isinstance(node, CommentedMap):
        out = {}
        for key, value in node.items():
            if not isinstance(key, str):
                raise _Reject(loc, f"mapping key {key!r} is not a string")
            key = _valid_text(key, loc)
            positions[(*loc, key)] = tuple(node.lc.key(key))
            out[key] = _plain(value, (*loc, key), seen, count, positions)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, v in enumerate(node):
            positions[(*loc, i)] = tuple(node.lc.item(i))
            items.append(_plain(v, (*loc, i), seen, count, positions))
        return items
    if node is None or isinstance(node, bool):
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return _valid_text(node, loc)
    raise _Reject(
        loc, f"unsupported YAML value of type {type(node).__name__}; use plain strings, numbers, lists and mappings"
    )


def _locator(positions: Positions) -> Locator:
    """Return (line, col), 1-based, of the deepest existing node along a field path."""

    def locate(loc: tuple[int | str, ...]) -> tuple[int, int]:
        pos = (0, 0)
        for k in range(1, len(loc) + 1):
            if loc[:k] not in positions:
                break
            pos = positions[loc[:k]]
        return pos[0] + 1, pos[1] + 1

    return locate


def parse_yaml(raw: bytes, display: str) -> tuple[Any, Locator, list[KBError]]:
    """Return (plain data, locator, errors) for a file's bytes. On any error the data is None."""

    def fail(msg: str, line: int = 1, col: int = 1, field: str = "") -> tuple[Any, Locator, list[KBError]]:
        return None, lambda loc: (1, 1), [KBError(display, line, col, field, msg)]

    cached = parsed_cache.read(raw)
    if cached is not None:
        return cached[0], _locator(cached[1]), []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return fail(f"not UTF-8 (byte {exc.start})")
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        doc = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return fail(f"YAML syntax: {problem or exc}", line, col)
    except (YAMLError, RecursionError, ValueError) as exc:
        return fail(f"YAML syntax: {exc}")
    if not isinstance(doc, CommentedMap):
        return fail("an entry is a YAML mapping (id: ..., kind: ..., ...)")
    positions: Positions = {}
    try:
        data = _plain(doc, (), set(), [0], positions)
    except _Reject as rej:
        locate = _locator(positions)  # every prefix of rej.loc was recorded before descending
        line, col = locate(rej.loc)
        return None, locate, [KBError(display, line, col, field_path(rej.loc), rej.message)]
    except RecursionError:
        return fail(f"nested deeper than {MAX_DEPTH} levels")
    parsed_cache.write(raw, data, positions)
    return data, _locator(positions), []
