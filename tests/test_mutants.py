"""Mutation testing: flipping a claim or perturbing a MindSpore argument must fail verification."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from refmap.load import load_kb
from refmap.mutants import perturb, run


def test_perturb_changes_the_first_meaningful_argument():
    code, how = perturb("opt = mindspore.nn.SGD(params, learning_rate=0.1, momentum=0.9)\n")
    assert code == "opt = mindspore.nn.SGD(params, learning_rate=0.15000000000000002, momentum=0.9)\n"
    assert how == "mindspore learning_rate=0.1 -> 0.15000000000000002"
    code, _ = perturb("lrs = f([3, 6], [0.1, 0.05])\nx = g(milestone=[3, 6])\n")
    assert "milestone=[4, 7]" in code
    assert perturb("opt = mindspore.nn.SGD(params)\n") is None


@pytest.mark.slow
def test_every_mutant_of_the_fixture_kb_is_caught(warm_kb: Path):
    results = run(load_kb(warm_kb))
    assert len(results) == 5  # 3 flipped claims + 2 perturbed recipes
    assert all(m.caught for m in results), [(m.entry, m.check, m.mutation) for m in results if not m.caught]
    perturbed = [m for m in results if m.mutation.startswith("mindspore ")]
    assert {m.mutation for m in perturbed} == {
        "mindspore learning_rate=0.1 -> 0.15000000000000002",
        "mindspore argument 1=[3, 6, 9, 12] -> [4, 7, 10, 13]",
    }


@pytest.mark.slow
def test_cli_reports_counts(warm_kb: Path):
    proc = subprocess.run(
        [sys.executable, "-m", "refmap", "mutants", "--kb", str(warm_kb), "--quiet"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 mutants of 3 checks in 2 entries: 5 caught, 0 survived" in proc.stdout
