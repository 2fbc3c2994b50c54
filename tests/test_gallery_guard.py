"""Gallery examples are code run by the build: one that raises, hangs, ends the build, draws nothing,
or was not run at all fails the build with a message naming it (tests/roots/test-gallery)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parent / "roots" / "test-gallery"
GOOD = '''"""
A fine example
==============

It runs.
"""
import matplotlib.pyplot as plt

plt.plot([0, 1], [1, 0])
print("ran")
'''


def build(
    tmp_path: Path, examples: dict[str, str], *extra: str, index_extra: str = ""
) -> subprocess.CompletedProcess[str]:
    src = tmp_path / "src"
    shutil.copytree(ROOT, src)
    for name, code in examples.items():
        (src / "ex" / name).write_text(code)
    if index_extra:
        (src / "index.md").write_text((src / "index.md").read_text() + index_extra)
    cmd = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-q",
        "-b",
        "html",
        *extra,
        str(src),
        str(tmp_path / "out"),
    ]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=600, env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"}
    )


def test_good_gallery_builds(tmp_path):
    proc = build(tmp_path, {"plot_good.py": GOOD})
    assert proc.returncode == 0, proc.stderr


def test_example_that_raises_fails_the_build(tmp_path):
    proc = build(
        tmp_path, {"plot_good.py": GOOD, "plot_bad.py": GOOD + "\nraise AssertionError('frameworks disagree by 0.5')\n"}
    )
    assert proc.returncode != 0
    assert "plot_bad.py" in proc.stderr and "frameworks disagree by 0.5" in proc.stderr


def test_example_that_hangs_fails_the_build(tmp_path):
    proc = build(tmp_path, {"plot_hang.py": GOOD + "\nwhile True:\n    pass\n"}, "-D", "refmap_example_timeout=5")
    assert proc.returncode != 0
    assert "plot_hang.py ran longer than 5 s (refmap_example_timeout)" in proc.stderr


@pytest.mark.parametrize("exit_code", ["import sys\nsys.exit(0)", "raise SystemExit"])
def test_example_that_ends_the_build_fails_it(tmp_path, exit_code):
    before_plot = GOOD.replace("plt.plot([0, 1], [1, 0])", exit_code + "\nplt.plot([0, 1], [1, 0])")
    proc = build(tmp_path, {"plot_exits.py": before_plot})
    assert proc.returncode == 1
    assert "gallery example" in proc.stderr and "plot_exits.py ended the build early" in proc.stderr


def test_example_that_draws_nothing_fails_the_build(tmp_path):
    proc = build(tmp_path, {"plot_quiet.py": GOOD.replace("plt.plot([0, 1], [1, 0])\n", "")})
    assert proc.returncode != 0
    assert "plot_quiet.py: produced no figure" in proc.stderr


def test_misnamed_example_fails_the_build(tmp_path):
    proc = build(tmp_path, {"plot_good.py": GOOD, "training.py": GOOD})
    assert proc.returncode != 0
    assert "training.py: gallery scripts must be named plot_*.py" in proc.stderr


def test_example_rendered_without_running_fails_the_build(tmp_path):
    proc = build(tmp_path, {"plot_good.py": GOOD}, "-D", "plot_gallery=0")
    assert proc.returncode != 0
    assert "plot_good.py: was rendered without being executed" in proc.stderr


def test_sphinx_warning_fails_the_build(tmp_path):
    proc = build(tmp_path, {"plot_good.py": GOOD}, index_extra="\nSee {ref}`no-such-label`.\n")
    assert proc.returncode != 0
    assert "no-such-label" in proc.stderr
