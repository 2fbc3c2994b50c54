"""Build-speed figures, measured on this machine in one run (`nox -s bench`, or `python tools/bench.py`).

Works on a temporary copy of the knowledge base and temporary caches and output folders, so the
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

from ruamel.yaml import YAML

from refmap.load import KB_ROOT

ROOT = Path(__file__).resolve().parent.parent  # the repository: docs/ and conf.py live here
TARGETS = {"no-change rebuild": 5.0, "one-entry edit rebuild": 15.0, "cold verify (in process)": 60.0}


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


def main() -> int:
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="refmap-bench-") as tmp_s:
        tmp = Path(tmp_s)
        kb = tmp / "kb"
        for section in ("optimizers", "schedules", "concepts"):
            if (KB_ROOT / section).is_dir():
                shutil.copytree(KB_ROOT / section, kb / section)
        env = {**os.environ, "REFMAP_CACHE_DIR": str(tmp / "cache"), "GLOG_v": "3", "MPLBACKEND": "Agg"}
        verify = [sys.executable, "-m", "refmap", "verify", "--kb", str(kb), "--quiet"]

        wall, out = _run([*verify, "--force"], env)
        inproc = float(re.search(r"run afresh in ([0-9.]+) s", out).group(1))  # type: ignore[union-attr]
        summary = next(ln for ln in out.splitlines() if " checks, " in ln and " passed, " in ln)
        rows += [("cold verify (process)", f"{wall:.1f} s"), ("cold verify (in process)", f"{inproc:.1f} s")]
        wall, _ = _run(verify, env)
        rows.append(("cached verify (process)", f"{wall:.1f} s"))

        html, doctrees = tmp / "html", tmp / "doctrees"
        wall, _ = _run(_sphinx(kb, html, doctrees), env)
        rows.append(("cold docs build (cache warm, gallery runs)", f"{wall:.1f} s"))
        wall, _ = _run(_sphinx(kb, html, doctrees), env)
        rows.append(("no-change rebuild", f"{wall:.1f} s"))

        entry = sorted((kb / "optimizers").glob("*.yaml"))[0]
        yaml = YAML(typ="rt")
        doc = yaml.load(entry.read_text(encoding="utf-8"))
        doc["summary"] = str(doc["summary"]) + " (edited)"  # a content change: new digest
        with entry.open("w", encoding="utf-8") as f:
            yaml.dump(doc, f)
        wall, out = _run(_sphinx(kb, html, doctrees), env)
        fresh = re.search(r"verified afresh: ([^;]*);", out)
        reread = re.search(r"updating environment: (\d+) added, (\d+) changed", out)
        docs = f"{int(reread.group(1)) + int(reread.group(2))} pages re-read" if reread else "?"
        rows.append(
            ("one-entry edit rebuild", f"{wall:.1f} s (re-verified: {fresh.group(1) if fresh else '?'}; {docs})")
        )

        pages = [p for p in html.rglob("*") if p.is_file()]
        total = sum(p.stat().st_size for p in pages)
        largest = max((p for p in pages if p.suffix == ".html"), key=lambda p: p.stat().st_size)
        rows.append(("total HTML output", f"{total / 1e6:.1f} MB in {len(pages)} files"))
        rows.append(("largest page", f"{largest.relative_to(html)} ({largest.stat().st_size / 1e3:.0f} kB)"))

    width = max(len(k) for k, _ in rows)
    print(f"refmap bench ({summary})")
    for k, v in rows:
        target = TARGETS.get(k)
        verdict = ""
        if target is not None:
            seconds = float(v.split()[0])
            verdict = f"  [target < {target:g} s: {'met' if seconds < target else 'MISSED'}]"
        print(f"  {k:<{width}}  {v}{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
