"""Two cold builds give the same numbers and the same pages (wall times aside, which are marked as
such), and the build needs no network."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

WALL = re.compile(r'<span class="refmap-wall">[0-9.]+</span>')
ROOT = Path(__file__).parent / "roots" / "test-site"


def sphinx(kb: Path, src: Path, out: Path, cache: Path, *prefix: str) -> subprocess.CompletedProcess[str]:
    if not src.exists():
        shutil.copytree(ROOT, src)
    env = {**os.environ, "REFMAP_CACHE_DIR": str(cache), "SOURCE_DATE_EPOCH": "1700000000", "GLOG_v": "3"}
    cmd = [
        *prefix,
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-q",
        "-b",
        "html",
        "-D",
        f"refmap_kb={kb}",
        str(src),
        str(out),
    ]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)


def measured(cache: Path) -> dict[str, list[np.ndarray]]:
    out = {}
    for f in sorted(cache.rglob("*.npz")):
        with np.load(f) as z:
            header = json.loads(bytes(z["header"]).decode())
            out[f.name] = [z[k] for k in sorted(z.files) if k != "header"] + [header["errors"], header["api_calls"]]
    return out


def pages(out: Path) -> dict[str, str]:
    files = {}
    for f in sorted(out.rglob("*")):
        if f.is_file() and f.suffix in (".html", ".svg", ".js", ".css") and ".doctrees" not in f.parts:
            files[str(f.relative_to(out))] = WALL.sub("<wall/>", f.read_text(encoding="utf-8", errors="replace"))
    return files


def test_two_cold_builds_are_identical(tmp_path: Path, kb: Path):
    runs = []
    for i in (1, 2):
        proc = sphinx(kb, tmp_path / f"src{i}", tmp_path / f"out{i}", tmp_path / f"cache{i}")
        assert proc.returncode == 0, proc.stderr[-3000:]
        runs.append((measured(tmp_path / f"cache{i}"), pages(tmp_path / f"out{i}")))
    (m1, p1), (m2, p2) = runs
    assert m1.keys() == m2.keys() and len(m1) == 3
    for k in m1:
        for a, b in zip(m1[k], m2[k], strict=True):
            assert np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b, k
    assert p1.keys() == p2.keys()
    assert [k for k in p1 if p1[k] != p2[k]] == []


def test_build_needs_no_network(tmp_path: Path, kb: Path):
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-n", "true"]).returncode != 0:
        pytest.skip("cannot create a network namespace here (unshare -n)")
    proc = sphinx(kb, tmp_path / "src", tmp_path / "out", tmp_path / "cache", "unshare", "-n")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "out" / "reference" / "sgd-small.html").exists()
