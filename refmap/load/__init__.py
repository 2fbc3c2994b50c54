"""Step 1 of the data flow: YAML files -> validated entries with resolved checks, or located errors.

Framework-free: nothing here imports torch or MindSpore.
"""

from .errors import KBError, KBLoadError
from .kb import KB_ROOT, CheckSpec, LoadedEntry, load_file, load_kb

__all__ = ["KB_ROOT", "CheckSpec", "KBError", "KBLoadError", "LoadedEntry", "load_file", "load_kb"]
