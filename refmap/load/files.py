"""Find the entry files of a knowledge base and read them safely.

Nothing is skipped silently: every file under the root that looks like an entry (a .yaml or .yml
name, in any case) is either an entry or an error that says why it is not. Symlinks that leave the
root, special files (FIFOs, devices) and oversized files are refused before a byte is read.
"""

from __future__ import annotations

import difflib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import KBError

SECTIONS = {"optimizers": "optimizer", "schedules": "schedule", "concepts": "concept", "setups": "setup"}
MAX_BYTES = 256 * 1024
# Folders of the packaged root that hold code, not entries (a .yaml file there is still reported).
_SKIP_DIRS = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


@dataclass(frozen=True)
class EntryFile:
    path: Path
    kind: str  # the kind its section folder holds


def display(path: Path) -> str:
    """The path as messages show it: relative to the working directory when it is below it."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _looks_like_entry(name: str) -> bool:
    return name.lower().endswith((".yaml", ".yml"))


def _error(path: Path, message: str) -> KBError:
    return KBError(display(path), 1, 1, "", message)


def _classify(root: Path, path: Path) -> EntryFile | KBError:
    rel = path.relative_to(root)
    if path.suffix != ".yaml":
        return _error(path, f"entries use the lower-case .yaml extension (rename to {path.stem}.yaml)")
    if len(rel.parts) == 1:
        return _error(path, "entry files belong in a section folder: " + ", ".join(f"{s}/" for s in SECTIONS))
    section = rel.parts[0]
    if section not in SECTIONS:
        close = difflib.get_close_matches(section, list(SECTIONS), n=1)
        hint = f" (did you mean {close[0]}/?)" if close else ""
        return _error(path, f"unknown section folder {section}/{hint}; sections are " + ", ".join(SECTIONS))
    if len(rel.parts) > 2:
        return _error(path, f"entries sit directly in {section}/, not in subfolders")
    return EntryFile(path, SECTIONS[section])


def discover(root: Path, files: Iterable[Path] | None = None) -> tuple[list[EntryFile], list[KBError]]:
    """Entry files under root (or exactly `files`), sorted, and an error for everything refused."""
    if not root.is_dir():
        return [], [KBError(display(root), 1, 1, "", "knowledge-base folder does not exist")]
    root = root.absolute()
    found: list[EntryFile] = []
    errors: list[KBError] = []
    if files is not None:
        for f in files:
            path = Path(f).absolute()
            if not os.path.lexists(path):
                errors.append(_error(path, "no such file"))
                continue
            try:
                path.relative_to(root)
            except ValueError:
                errors.append(_error(path, f"is not inside the knowledge base {display(root)}"))
                continue
            item = _classify(root, path) if _looks_like_entry(path.name) else _error(path, "not a .yaml entry file")
            (found if isinstance(item, EntryFile) else errors).append(item)  # type: ignore[arg-type]
        if not found and not errors:
            errors.append(KBError(display(root), 1, 1, "", "--files named no file"))
        return sorted(found, key=lambda e: e.path), errors
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        for d in sorted(dirnames):
            if (here / d).is_symlink():
                errors.append(_error(here / d, "symlinked folders are not followed; move the entries into the tree"))
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not (here / d).is_symlink())
        for name in sorted(filenames):
            if _looks_like_entry(name):
                item = _classify(root, here / name)
                (found if isinstance(item, EntryFile) else errors).append(item)  # type: ignore[arg-type]
    return found, errors


def read_bytes(path: Path, root: Path) -> bytes | str:
    """The file's bytes, or why it was refused. Checks come before the first read, so a FIFO or
    /dev/zero behind a symlink can neither block nor fill memory."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        return f"cannot resolve the path: {getattr(exc, 'strerror', None) or exc}"
    try:
        real.relative_to(root.resolve())
    except ValueError:
        return f"is a symlink to {real}, outside the knowledge base"
    try:
        st = os.stat(real)
    except OSError as exc:
        return f"cannot read file: {exc.strerror}"
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file (a FIFO, device or folder)"
    if st.st_size > MAX_BYTES:
        return f"file is {st.st_size} bytes; the limit is {MAX_BYTES}"
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        return f"cannot read file: {exc.strerror}"
    if len(data) > MAX_BYTES:
        return f"file grew past the limit of {MAX_BYTES} bytes while being read"
    return data
