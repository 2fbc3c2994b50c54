"""Nothing a KB snippet does can hang verification, end it with success, or change another check:
each case fails the check that caused it, located, while the other checks still pass."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SGD = "optimizers/sgd_small.yaml"


def add_check(kb: Path, name: str, mindspore: str, torch: str = "opt = torch.optim.SGD(params, lr=0.1)") -> None:
    body = "\n".join("          " + ln for ln in mindspore.strip().splitlines())
    tbody = "\n".join("          " + ln for ln in torch.strip().splitlines())
    path = kb / SGD
    path.write_text(
        path.read_text()
        + f"""      - name: {name}
        description: A misbehaving snippet.
        inputs: {{seed: 1, steps: 3}}
        torch: |
{tbody}
        mindspore: |
{body}
        expect: {{equal: {{rtol: 1.0e-5, atol: 1.0e-6}}}}
"""
    )


def verify(kb: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "refmap", "--kb", str(kb), "verify", "--quiet", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def located(proc: subprocess.CompletedProcess[str], name: str) -> str:
    line = next((ln for ln in proc.stderr.splitlines() if f"sgd-small/{name} " in ln), "")
    assert line.strip().startswith(f"kb/{SGD}:"), proc.stderr[-3000:]
    return line


def test_a_hanging_snippet_times_out_and_the_rest_still_runs(warm_kb: Path):
    add_check(warm_kb, "hangs", "opt = mindspore.nn.SGD(params, learning_rate=0.1)\nwhile True:\n    pass")
    t0 = time.monotonic()
    proc = verify(warm_kb, "--timeout", "15")
    assert time.monotonic() - t0 < 120
    assert proc.returncode == 1
    assert "timed out after 15 s" in located(proc, "hangs")
    assert "4 checks, 3 passed, 1 failed" in proc.stdout


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("raise SystemExit(0)", "mindspore raised SystemExit: 0"),
        ("import sys\nsys.exit()", "mindspore raised SystemExit"),
        ("raise KeyboardInterrupt", "mindspore raised KeyboardInterrupt"),
        ("import os\nos._exit(0)", "worker died (exit code 0)"),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "worker died (killed by signal 9)"),
    ],
    ids=["SystemExit", "sys.exit", "KeyboardInterrupt", "os._exit", "SIGKILL"],
)
def test_a_snippet_cannot_end_verification(warm_kb: Path, code: str, expected: str):
    add_check(warm_kb, "exits", code)
    proc = verify(warm_kb)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert expected in located(proc, "exits")
    assert "4 checks, 3 passed, 1 failed" in proc.stdout


def test_a_monkeypatching_snippet_fails_and_poisons_nothing(warm_kb: Path):
    """The patch would make every later torch SGD step a no-op; the worker is replaced instead, and the
    poisoned measurement is not cached."""
    add_check(
        warm_kb,
        "patches",
        "opt = mindspore.nn.SGD(params, learning_rate=0.1)",
        torch="torch.optim.SGD.step = lambda self, closure=None: None\nopt = torch.optim.SGD(params, lr=0.1)",
    )
    proc = verify(warm_kb, "--workers", "1")
    assert proc.returncode == 1
    assert "changed shared framework state (torch.optim.SGD.step)" in located(proc, "patches")
    assert "4 checks, 3 passed, 1 failed" in proc.stdout
    again = verify(warm_kb, "--workers", "1")
    assert "1 run afresh" in again.stdout  # the failure was not cached


def _processes_with(marker: str) -> list[int]:
    """Live processes whose environment carries `marker` (workers inherit the parent's environment)."""
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if marker.encode() in (d / "environ").read_bytes():
                    found.append(int(d.name))
            except OSError:
                pass
    return found


def test_ctrl_c_stops_cleanly(warm_kb: Path):
    add_check(warm_kb, "slow", "opt = mindspore.nn.SGD(params, learning_rate=0.1)\nimport time\ntime.sleep(60)")
    marker = f"REFMAP_TEST_MARK={os.getpid()}-{time.time()}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "refmap", "--kb", str(warm_kb), "verify", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, marker.split("=")[0]: marker.split("=")[1]},
    )
    time.sleep(12)  # workers started, the slow check is running
    assert len(_processes_with(marker)) >= 2  # the parent and its workers (the check can see them)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    time.sleep(1)
    assert _processes_with(marker) == []  # no worker outlives the run


def test_after_a_mindspore_error_a_worker_runs_only_checks_that_expect_one(warm_kb: Path, tmp_path: Path):
    """A failed MindSpore kernel can change how the same process computes later graphs, so checks
    that expect a MindSpore error run in their own workers (or last), and a worker in which
    MindSpore raised unexpectedly is replaced before the next ordinary check."""
    log = tmp_path / "pids.txt"
    note = f"import os\nopen({str(log)!r}, 'a').write('{{}} {{}}\\n'.format(NAME, os.getpid()))\n"
    path = warm_kb / SGD
    path.write_text(
        path.read_text()
        + f"""      - name: expects-error
        description: Declared first, runs last.
        inputs: {{seed: 1, steps: 3}}
        torch: |
          opt = torch.optim.SGD(params, lr=0.1)
        mindspore: |
          {note.replace("NAME", "'expects-error'").replace(chr(10), chr(10) + "          ")}raise RuntimeError("kernel failed")
        expect: {{raises: {{side: mindspore, exception: RuntimeError, match: kernel failed}}}}
"""
    )
    add_check(warm_kb, "raises-unexpectedly", note.replace("NAME", "'raises'") + "raise RuntimeError('kernel failed')")
    add_check(warm_kb, "after", note.replace("NAME", "'after'") + "opt = mindspore.nn.SGD(params, learning_rate=0.1)")
    proc = verify(warm_kb, "--workers", "1")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "6 checks, 5 passed, 1 failed" in proc.stdout, proc.stdout + proc.stderr
    runs = [ln.split() for ln in log.read_text().splitlines()]
    names = [name for name, _ in runs]
    assert sorted(names) == ["after", "expects-error", "raises"], runs
    raised_in: set[str] = set()  # processes in which MindSpore code raised (the log is in time order)
    for name, pid in runs:
        if name == "after":
            assert pid not in raised_in, f"an ordinary check ran in a process after an error: {runs}"
        else:
            raised_in.add(pid)
