"""A worker process: imports the frameworks once, then runs tasks sent by the parent until told to stop.

Each task runs with fresh seeds, its output captured, and the shared framework state fingerprinted
before and after. A task that changed shared state is reported and the worker exits, so the parent
replaces it before anything else runs. SIGINT is ignored here: Ctrl-C is the parent's to handle,
and it stops workers by killing them.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

OUTPUT_TAIL = 4000


@contextmanager
def _captured() -> Iterator[list[str]]:
    """Everything written to fds 1 and 2 (Python and C++ alike) while the block runs."""
    out: list[str] = []
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile() as f:
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
        try:
            yield out
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            f.seek(0)
            out.append(f.read()[-OUTPUT_TAIL:].decode("utf-8", "replace"))


def main(conn: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.dup2(2, 1)  # the parent's stdout carries its report; worker chatter goes to stderr
    from ... import probes  # noqa: F401 - fills the probe registry
    from ...introspect import describe_apis
    from .guard import SharedState
    from .raw import ErrorInfo
    from .run import run_check
    from .runtime import DeviceError, runtime
    from .snippets import forget_snippets

    try:
        rt = runtime()
    except DeviceError as exc:
        conn.send(("fatal", str(exc)))
        return
    conn.send(("ready", rt.env))
    while True:
        task = conn.recv()
        if task is None:
            return
        rt.reset()
        state = SharedState()
        t0 = time.perf_counter()
        try:
            with _captured() as output:
                if task.measure == "introspect":
                    payload: Any = describe_apis(task.apis)
                else:
                    raw = run_check(rt, task)
        except BaseException as exc:  # noqa: BLE001 - our own failure: report it, stay alive
            conn.send(("error", task.key, f"internal error in the verifier: {ErrorInfo.of(exc).message}"))
            continue
        finally:
            forget_snippets()
        changed = state.changed()
        if task.measure != "introspect":
            raw.wall_s = round(time.perf_counter() - t0, 4)
            raw.output = output[0] if output else ""
            payload = raw.to_bytes()
        # After a MindSpore error this process may compute later graphs differently: say so, and
        # the parent gives it only checks that expect a MindSpore error themselves.
        tainted = task.measure != "introspect" and "mindspore" in raw.errors
        conn.send(("done", task.key, payload, changed, tainted))
        if changed:
            return  # the parent replaces this worker: nothing else runs against patched frameworks
