"""Step 2 of the data flow: run every check in both frameworks (in worker processes), judge, cache.

`verify_kb` is the one entry point; `measure/` is the code that runs inside the workers.
"""

from .pipeline import Settings, VerificationFailed, verify_entries, verify_kb
from .pool import PoolError
from .results import CheckResult, EntryResults, Environment, Verification
from .store import StoreError

__all__ = [
    "CheckResult",
    "EntryResults",
    "Environment",
    "PoolError",
    "Settings",
    "StoreError",
    "Verification",
    "VerificationFailed",
    "verify_entries",
    "verify_kb",
]
