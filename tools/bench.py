"""Build-speed figures, measured on this machine in one run (`nox -s bench`, or `python tools/bench.py`).

Every figure is also given as a ratio to the import floor (the time to import torch and MindSpore
once), measured in the same run: these machines are noisy, ratios travel better than seconds.
Works on a temporary copy of the knowledge base with temporary caches and output folders, so the
repository's own cache and site are left alone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from refmap.load import KB_ROOT
from refmap.load.files import SECTIONS

ROOT = Path(__file__).resolve().parent.parent  # the repository: docs/ and conf.py live here
# Targets: a cold verification of the whole KB within 20x the import floor; an edit rebuilt quickly.
RATIO_TARGETS = {"cold verify (whole KB)": 20.0}
SECOND_TARGETS = {"no-change rebuild": 5.0, "one-entry prose edit rebuild": 8.0, "one-check edit rebuild": 8.0}


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"bench: command failed: {' '.join(cmd)}")
    return wall, proc.stdout + proc.stderr


def _sphinx(kb: Path, out: Path, doctrees: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-c",
        ".",
        "-d",
        str(doctrees),
        "-D",
        f"refmap_kb={kb}",
        "docs",
        str(out),
    ]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def main() -> int:
    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="refmap-bench-") as tmp_s:
        tmp = Path(tmp_s)
        kb = tmp / "kb"
        for section in SECTIONS:
            if (KB_ROOT / section).is_dir():
                shutil.copytree(KB_ROOT / section, kb / section)
        env = {**os.environ, "REFMAP_CACHE_DIR": str(tmp / "cache"), "GLOG_v": "3", "MPLBACKEND": "Agg"}

        floor = min(_run([sys.executable, "-c", "import torch, mindspore"], env)[0] for _ in range(3))
        rows.append(("import floor (torch + MindSpore, best of 3)", floor, ""))

        verify = [sys.executable, "-m", "refmap", "verify", "--kb", str(kb), "--quiet"]
        wall, out = _run([*verify, "--force"], env)
        summary = next(ln for ln in out.splitlines() if " checks, " in ln and " passed, " in ln)
        rows.append(("cold verify (whole KB)", wall, summary.split(" in ")[0]))
        wall, _ = _run(verify, env)
        rows.append(("cached verify (no framework import)", wall, ""))

        html, doctrees = tmp / "html", tmp / "doctrees"
        wall, _ = _run(_sphinx(kb, html, doctrees), env)
        rows.append(("cold docs build (results cached, gallery runs)", wall, ""))
        wall, _ = _run(_sphinx(kb, html, doctrees), env)
        rows.append(("no-change rebuild", wall, ""))

        entry = kb / "optimizers" / "sgd.yaml"
        _edit(entry, "Plain, momentum and Nesterov", "(edited) Plain, momentum and Nesterov")  # prose only
        wall, out = _run(_sphinx(kb, html, doctrees), env)
        reread = re.search(r"updating environment: (\d+) added, (\d+) changed", out)
        pages = f"{int(reread.group(1)) + int(reread.group(2))} pages re-read" if reread else "?"
        rows.append(("one-entry prose edit rebuild", wall, pages))

        _edit(entry, "seed: ", "seed: 9")  # one check's inputs: that check is measured again
        wall, out = _run(_sphinx(kb, html, doctrees), env)
        fresh = re.search(r"verified afresh: ([^;]*);", out)
        rows.append(("one-check edit rebuild", wall, f"re-verified: {fresh.group(1) if fresh else '?'}"))

        pages_ = [p for p in html.rglob("*") if p.is_file()]
        total = sum(p.stat().st_size for p in pages_)
        largest = max((p for p in pages_ if p.suffix == ".html"), key=lambda p: p.stat().st_size)
        largest_kb = largest.stat().st_size / 1e3  # before the temporary folder goes
        largest_name = largest.relative_to(html)

    width = max(len(k) for k, _, _ in rows)
    print("refmap bench (this machine, one run)")
    for name, seconds, note in rows:
        verdict = ""
        if name in RATIO_TARGETS:
            ok = seconds / floor <= RATIO_TARGETS[name]
            verdict = f"  [target <= {RATIO_TARGETS[name]:g}x the import floor: {'met' if ok else 'MISSED'}]"
        elif name in SECOND_TARGETS:
            ok = seconds <= SECOND_TARGETS[name]
            verdict = f"  [target <= {SECOND_TARGETS[name]:g} s: {'met' if ok else 'MISSED'}]"
        print(f"  {name:<{width}}  {seconds:7.1f} s  {seconds / floor:6.1f}x floor  {note}{verdict}")
    print(
        f"  {'HTML output':<{width}}  {total / 1e6:.1f} MB in {len(pages_)} files; largest page {largest_name} ({largest_kb:.0f} kB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
