"""Run tasks in worker processes, each of which imports the frameworks once.

The parent never runs KB code. It hands out tasks longest-first, enforces a per-check and an
overall time limit, kills and replaces a worker that hangs, dies or changed shared framework
state, and turns each of those into a located failure of the check that caused it. A worker in
which MindSpore raised is retired once only checks it could disturb are left.

Checks that expect a MindSpore error get their own workers ("error lanes") beside the ordinary
ones: after a failed kernel MindSpore sleeps a fixed 3 s before it raises, which costs no CPU, so
those checks overlap with the ordinary ones instead of queueing behind them on the same cores.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from .measure import worker
from .measure.raw import Raw
from .measure.task import Task

STARTUP_TIMEOUT_S = 300.0
ERROR_LANES = 2  # extra workers for checks that expect a MindSpore error (they mostly sleep)


class PoolError(RuntimeError):
    """The workers could not start (bad device setting, broken install)."""


@dataclass
class Outcome:
    task: Task
    raw: Raw | None = None  # check tasks that ran to the end
    payload: dict[str, Any] | None = None  # introspect tasks
    failure: str | None = None  # why there is no trustworthy measurement
    cacheable: bool = False


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    task: Task | None = None
    started: float = 0.0  # when its task (or, until ready, the process) started
    ready: bool = False
    tainted: bool = False  # a MindSpore error happened in it: later graphs may compute differently
    error_lane: bool = False  # takes only checks that expect a MindSpore error


def default_workers() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    raw = os.environ.get("REFMAP_WORKERS", "")
    return max(1, int(raw)) if raw.isdigit() else max(1, cores)


def _describe_death(p: BaseProcess) -> str:
    code = p.exitcode
    if code is None:
        return "worker died"
    if code < 0:
        return f"worker died (killed by signal {-code})"
    return f"worker died (exit code {code})"


class WorkerPool:
    def __init__(self, size: int, check_timeout: float, total_timeout: float, error_lanes: int = ERROR_LANES) -> None:
        self.size = size
        self.error_lanes = error_lanes
        self.check_timeout = check_timeout
        self.total_timeout = total_timeout
        self.env: dict[str, str] | None = None
        self._ctx = mp.get_context("spawn")  # a clean interpreter: nothing of the parent (Sphinx, pytest) leaks in
        self._workers: list[_Worker] = []

    # ---------------- lifecycle ----------------
    def _spawn(self, error_lane: bool = False) -> _Worker:
        parent, child = self._ctx.Pipe()
        p = self._ctx.Process(target=worker.main, args=(child,), daemon=True, name="refmap-worker")
        p.start()
        child.close()
        return _Worker(p, parent, started=time.monotonic(), error_lane=error_lane)

    def _await_ready(self, w: _Worker) -> None:
        if not w.conn.poll(STARTUP_TIMEOUT_S):
            self._kill(w)
            raise PoolError(f"a verification worker did not start within {STARTUP_TIMEOUT_S:.0f} s")
        try:
            msg = w.conn.recv()
        except EOFError:
            raise PoolError(f"a verification worker could not start: {_describe_death(w.process)}") from None
        if msg[0] == "fatal":
            raise PoolError(msg[1])
        self.env = msg[1]
        w.ready = True

    def _kill(self, w: _Worker) -> None:
        if w.process.is_alive():
            w.process.kill()
        w.process.join(5)
        w.conn.close()

    def close(self) -> None:
        for w in self._workers:
            try:
                if w.process.is_alive() and w.task is None:
                    w.conn.send(None)
            except (OSError, ValueError):
                pass
        for w in self._workers:
            w.process.join(2)
            self._kill(w)
        self._workers = []

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------- running ----------------
    def run(self, tasks: list[Task], on_done: Callable[[Outcome], None]) -> None:
        """Run every task; call on_done once per task, in completion order."""
        if not tasks:
            return
        # Longest first; checks that expect a MindSpore error last (see Task.expects_mindspore_error).
        pending = sorted(tasks, key=lambda t: (t.expects_mindspore_error, -t.expected_s))
        deadline = time.monotonic() + self.total_timeout
        ordinary = sum(not t.expects_mindspore_error for t in pending)
        errors = len(pending) - ordinary
        # Error lanes only pay off beside ordinary work; alone, error checks use the ordinary workers.
        lanes = min(self.error_lanes, errors) if ordinary else 0
        want = min(self.size, ordinary or errors)
        while sum(not w.error_lane for w in self._workers) < want:
            self._workers.append(self._spawn())  # they import the frameworks in parallel
        for w in self._workers:
            if not w.ready:
                self._await_ready(w)
        while sum(w.error_lane for w in self._workers) < lanes:
            self._workers.append(self._spawn(error_lane=True))  # the run loop uses them once ready
        while pending or any(w.task for w in self._workers):
            for w in list(self._workers):
                if w.ready and w.task is None and pending:
                    task = self._next_for(w, pending)
                    if task is None and w.error_lane:  # no error checks left: it has nothing to do
                        self._retire(w)
                        continue
                    if task is None:  # tainted, and only checks it could disturb are left
                        self._replace(w)
                        continue
                    w.task, w.started = task, time.monotonic()
                    w.conn.send(task)
            busy = [w for w in self._workers if w.task is not None]
            starting = [w for w in self._workers if not w.ready]
            now = time.monotonic()
            limits = [w.started + self.check_timeout for w in busy]
            limits += [w.started + STARTUP_TIMEOUT_S for w in starting]
            ready = wait(
                [w.conn for w in busy + starting] + [w.process.sentinel for w in busy + starting],
                timeout=max(0.0, min([*limits, deadline]) - now),
            )
            for w in starting:
                if w.conn in ready or w.process.sentinel in ready:
                    self._await_ready(w)
                elif time.monotonic() - w.started >= STARTUP_TIMEOUT_S:
                    self._kill(w)
                    raise PoolError(f"a verification worker did not start within {STARTUP_TIMEOUT_S:.0f} s")
            for w in busy:
                if w.conn in ready or w.process.sentinel in ready:
                    self._collect(w, on_done)
            now = time.monotonic()
            for w in [w for w in self._workers if w.task is not None]:
                if now >= deadline:
                    self._fail_and_replace(
                        w, f"not finished: verification passed its overall limit of {self.total_timeout:.0f} s", on_done
                    )
                elif now - w.started >= self.check_timeout:
                    self._fail_and_replace(
                        w, f"timed out after {self.check_timeout:.0f} s (its worker was killed)", on_done
                    )
            if now >= deadline:
                for t in pending:
                    on_done(
                        Outcome(
                            t, failure=f"not run: verification passed its overall limit of {self.total_timeout:.0f} s"
                        )
                    )
                pending = []

    @staticmethod
    def _next_for(w: _Worker, pending: list[Task]) -> Task | None:
        """The next task this worker may run: after a MindSpore error, or in an error lane, only
        checks that expect one."""
        if not (w.tainted or w.error_lane):
            return pending.pop(0)
        for i, t in enumerate(pending):
            if t.expects_mindspore_error:
                return pending.pop(i)
        return None

    def _collect(self, w: _Worker, on_done: Callable[[Outcome], None]) -> None:
        task = w.task
        assert task is not None
        try:
            msg = w.conn.recv() if w.conn.poll() else None
        except (EOFError, OSError):
            msg = None
        if msg is None:
            w.process.join(1)
            self._fail_and_replace(w, _describe_death(w.process), on_done)
            return
        w.task = None
        kind = msg[0]
        if kind == "error":
            on_done(Outcome(task, failure=msg[2]))
            return
        _, _key, payload, changed, tainted = msg
        w.tainted = w.tainted or tainted
        if changed:
            shown = ", ".join(changed[:4]) + (f" and {len(changed) - 4} more" if len(changed) > 4 else "")
            failure = f"the check changed shared framework state ({shown}); its worker was replaced"
            on_done(Outcome(task, failure=failure))
            self._replace(w)
        elif task.measure == "introspect":
            on_done(Outcome(task, payload=payload, cacheable=True))
        else:
            on_done(Outcome(task, raw=Raw.from_bytes(payload), cacheable=True))

    def _fail_and_replace(self, w: _Worker, why: str, on_done: Callable[[Outcome], None]) -> None:
        task = w.task
        w.task = None
        self._replace(w)
        if task is not None:
            on_done(Outcome(task, failure=why))

    def _replace(self, w: _Worker) -> None:
        """Kill the worker and start a fresh one; the run loop hands it work once it is ready."""
        self._kill(w)
        self._workers[self._workers.index(w)] = self._spawn(w.error_lane)

    def _retire(self, w: _Worker) -> None:
        self._kill(w)
        self._workers.remove(w)
