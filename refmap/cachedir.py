"""Where refmap keeps what it can recompute: parsed entry files and measurements."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    return Path(os.environ.get("REFMAP_CACHE_DIR") or Path.cwd() / ".refmap_cache")
