"""Step 2 of the data flow, in one place: load -> look up cached measurements -> introspect and run
what is missing in worker processes -> judge everything -> results, or every contradiction located.

Both the CLI (`python -m refmap verify`) and the Sphinx extension call `verify_kb`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..load import KB_ROOT, CheckSpec, KBError, KBLoadError, LoadedEntry, load_kb
from . import evidence
from .judge import failed, judge
from .measure.raw import Raw
from .pool import Outcome, WorkerPool, default_workers
from .results import CheckResult, EntryResults, Environment, Verification
from .store import Store
from .tables import table_drift
from .tasks import apis_of, introspect_task, task_for

CHECK_TIMEOUT_S = 300.0
TOTAL_TIMEOUT_S = 3600.0


class VerificationFailed(Exception):
    def __init__(self, lines: list[str], verification: Verification | None = None):
        self.lines = lines
        self.verification = verification
        n = len(lines)
        super().__init__(
            f"{n} check{'s' * (n != 1)} contradict{'s' * (n == 1)} the knowledge base:\n"
            + "\n".join(f"  {ln}" for ln in lines)
        )


@dataclass
class Settings:
    force: bool = False  # ignore cached measurements
    persist: bool = True  # keep fresh measurements in the cache
    workers: int = 0  # 0: one per core
    check_timeout: float = CHECK_TIMEOUT_S
    total_timeout: float = TOTAL_TIMEOUT_S
    sensitivity: bool = True  # re-run the torch side with each argument perturbed (equal checks)


Progress = Callable[[int, int, str], None]  # (done, total, label of the check just finished)


def verify_kb(
    root: Path = KB_ROOT,
    *,
    files: Iterable[Path] | None = None,
    only: Iterable[str] | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> Verification:
    entries = load_kb(root, files=files)
    if only is not None:
        wanted = set(only)
        unknown = wanted - {le.entry.id for le in entries}
        if unknown:
            raise KBLoadError([KBError(str(root), 1, 1, "", f"no entry with id {u!r}") for u in sorted(unknown)])
        entries = [le for le in entries if le.entry.id in wanted]
    return verify_entries(entries, settings or Settings(), progress, whole_kb=files is None and only is None)


def _api_locations(le: LoadedEntry) -> dict[str, list[tuple[int | str, ...]]]:
    e = le.entry
    out: dict[str, list[tuple[int | str, ...]]] = {}
    if e.torch_api:
        out.setdefault(e.torch_api, []).append(("torch_api",))
    for k, api in enumerate(e.involves):
        out.setdefault(api, []).append(("involves", k))
    for i, cp in enumerate(e.counterparts):
        if cp.api:
            out.setdefault(cp.api, []).append(("counterparts", i, "api"))
        for j, c in enumerate(cp.checks):
            if c.calls:
                out.setdefault(c.calls, []).append(("counterparts", i, "checks", j, "calls"))
    return out


def api_errors(entries: list[LoadedEntry], sigs: dict[str, dict]) -> list[KBError]:
    errors = []
    for le in entries:
        for api, locs in _api_locations(le).items():
            if "error" in sigs.get(api, {}):
                errors += [le.error(loc, sigs[api]["error"]) for loc in locs]
        for i, cp in enumerate(le.entry.counterparts):
            t_args = sigs.get(le.entry.torch_api or "", {}).get("args")
            m_args = sigs.get(cp.api or "", {}).get("args")
            for problem in table_drift(le.entry.torch_api, t_args, cp, m_args):
                errors.append(le.error(("counterparts", i, "params"), problem))
    return errors


def _failure_line(spec: CheckSpec, r: CheckResult) -> str:
    return f"{spec.where}: {spec.label} [{spec.counterpart}]: expected {r.expectation}; measured {r.outcome}"


def verify_entries(
    entries: list[LoadedEntry], settings: Settings, progress: Progress | None = None, *, whole_kb: bool = False
) -> Verification:
    """Results for every check of `entries`; raise VerificationFailed naming every failing check.

    All checks run before anything fails, so one run reports every contradiction.
    """
    from ..probes.registry import PROBES

    t0 = time.perf_counter()
    store = Store()
    timings = store.timings()
    specs = [spec for le in entries for spec in le.checks]
    tasks = {spec.label: task_for(spec, timings.get(spec.label, 1.0), settings.sensitivity) for spec in specs}
    raws: dict[str, Raw] = {}
    cached: set[str] = set()
    if not settings.force:
        for t in tasks.values():
            if (raw := store.read(t.key)) is not None:
                raws[t.key] = raw
                cached.add(t.key)
    failures: dict[str, str] = {}
    sigs = store.signatures()
    wanted_apis = sorted({a for le in entries for a in apis_of(le)})
    missing_apis = [a for a in wanted_apis if settings.force or a not in sigs]
    misses = list({t.key: t for t in tasks.values() if t.key not in raws}.values())
    env = store.environment()
    done = [0]
    total = len(specs)
    if progress:
        progress(len(specs) - len(set(t.key for t in tasks.values()) - set(raws)), total, "cached")

    if misses or missing_apis or env is None:
        if settings.persist:
            store.ensure_writable()
        fresh_timings: dict[str, float] = {}
        label_of: dict[str, list[str]] = {}
        for label, t in tasks.items():
            label_of.setdefault(t.key, []).append(label)

        def on_done(o: Outcome) -> None:
            if o.task.measure == "introspect":
                if o.payload is not None:
                    # in the order the cache keeps (sorted): a page's key must not depend on
                    # whether its API's signature was read afresh in this run
                    sigs.update(json.loads(json.dumps(o.payload, sort_keys=True)))
                else:
                    raise KBLoadError([KBError("(introspection)", 1, 1, "", o.failure or "failed")])
                return
            if o.raw is not None:
                raws[o.task.key] = o.raw
                for label in label_of[o.task.key]:
                    fresh_timings[label] = o.raw.wall_s
                if settings.persist and o.cacheable:
                    store.write(o.task.key, o.raw)
            else:
                failures[o.task.key] = o.failure or "no measurement"
            done[0] += len(label_of[o.task.key])
            if progress:
                progress(total - len(misses) + done[0], total, o.task.label)

        workers = settings.workers or default_workers()
        with WorkerPool(workers, settings.check_timeout, settings.total_timeout) as pool:
            pool.run([introspect_task(missing_apis or wanted_apis[:1])], on_done)
            bad = api_errors(entries, sigs)
            if bad:
                raise KBLoadError(bad)  # nothing runs against an API that does not exist
            pool.run(misses, on_done)
            assert pool.env is not None
            env = Environment.model_validate(pool.env)
        if settings.persist:
            store.write_environment(env)
            store.write_signatures({a: sigs[a] for a in wanted_apis if a in sigs})
            store.write_timings(fresh_timings)
    bad = api_errors(entries, sigs)
    if bad:
        raise KBLoadError(bad)
    if whole_kb and settings.persist:
        store.prune({t.key for t in tasks.values()})

    results: dict[str, EntryResults] = {}
    lines: list[str] = []
    for le in entries:
        checks = []
        for spec in le.checks:
            t = tasks[spec.label]
            source = PROBES[spec.check.probe].source if spec.check.probe else None
            if t.key in failures:
                r = failed(spec, failures[t.key], source)
            else:
                r = judge(spec, raws[t.key], t.key in cached, source)
            checks.append(r)
            if not r.passed:
                lines.append(_failure_line(spec, r))
        lines += evidence.errors(le, checks)
        results[le.entry.id] = EntryResults(
            entry=le.entry.id,
            checks=checks,
            signatures={a: sigs[a]["args"] for a in apis_of(le) if "args" in sigs.get(a, {})},
            wall_s=round(sum(c.wall_s for c in checks), 4),
        )
    assert env is not None
    verification = Verification(environment=env, entries=results, wall_s=round(time.perf_counter() - t0, 2))
    if lines:
        raise VerificationFailed(lines, verification)
    return verification
