"""The verifier against the real frameworks: contradictions fail loudly and located, measurements are
cached per check and judged again on every run, a corrupt cache is measured again, and a check must
exercise the MindSpore API it documents with MindSpore alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from refmap.load import load_kb
from refmap.verify import Settings, VerificationFailed, verify_kb
from refmap.verify.store import Store, environment_key

pytestmark = pytest.mark.slow

SGD = "optimizers/sgd_small.yaml"


def edit(kb: Path, rel: str, old: str, new: str, count: int = 1) -> None:
    path = kb / rel
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, count))


def add_check(kb: Path, body: str) -> None:
    path = kb / SGD
    path.write_text(path.read_text() + body)


def cli(kb: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "refmap", "--kb", str(kb), *args], capture_output=True, text=True, timeout=600
    )


def fresh(v) -> set[str]:
    return {f"{r.entry}/{r.check}" for e in v.entries.values() for r in e.checks if not r.cached}


def test_fixture_kb_verifies_and_records_environment(warm_kb: Path):
    v = verify_kb(warm_kb)
    sgd = v.entries["sgd-small"]
    assert [r.check for r in sgd.checks] == ["momentum", "nesterov-is-not-plain"]
    mom = sgd.checks[0]
    assert mom.passed and mom.max_abs is not None and mom.max_abs < 1e-5
    assert mom.moved_torch > 0.1 and mom.moved_mindspore > 0.1 and len(mom.diff_per_step) == 200
    assert mom.code_mindspore == "opt = mindspore.nn.SGD(params, learning_rate=0.1, momentum=0.9)\n"
    assert mom.api_calls == 1
    assert (v.environment.torch, v.environment.mindspore) == ("2.13.0", "2.10.0")
    assert (v.environment.torch_device, v.environment.mindspore_device) == ("cpu", "CPU")
    assert sgd.signatures["torch.optim.SGD"]["momentum"] == "0"
    lr = v.entries["steplr-small"].checks[0]
    assert [round(x[0], 6) for x in lr.series.torch[:7]] == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]


def test_wrong_expectation_fails_with_file_line_expected_and_measured(warm_kb: Path):
    # still a `differs` check, so the stored measurement serves (an `equal` check would also need
    # its perturbed torch runs)
    edit(warm_kb, SGD, "expect: {differs: {min_abs: 1.0e-3}}", "expect: {differs: {min_abs: 5.0}}")
    with pytest.raises(VerificationFailed) as info:
        verify_kb(warm_kb)
    line, proof = info.value.lines  # the check, and the statement it was the proof of
    assert proof.endswith("sgd-small: proof 'nesterov-is-not-plain' did not pass"), proof
    n = (warm_kb / SGD).read_text().splitlines().index("      - name: nesterov-is-not-plain") + 1
    assert line.startswith(f"kb/{SGD}:{n}:9: sgd-small/nesterov-is-not-plain [mindspore.nn.SGD]: ")
    assert "expected differs (max|Δ| ≥ 5); measured max|Δ| " in line and "over 12 steps" in line
    assert fresh(info.value.verification) == set()  # judged again from the stored measurement


def test_cache_is_per_check_and_keyed_by_what_is_measured(warm_kb: Path):
    assert fresh(verify_kb(warm_kb)) == set()
    edit(warm_kb, SGD, "description: Momentum 0.9 gives the same trajectory over 200 steps.", "description: Reworded.")
    assert fresh(verify_kb(warm_kb)) == set()  # prose is not measured
    edit(warm_kb, SGD, "inputs: {seed: 1, steps: 200}", "inputs: {seed: 2, steps: 200}")
    assert fresh(verify_kb(warm_kb)) == {"sgd-small/momentum"}
    (warm_kb / SGD).write_text("# a comment\n" + (warm_kb / SGD).read_text())
    assert fresh(verify_kb(warm_kb)) == set()
    assert len(fresh(verify_kb(warm_kb, settings=Settings(force=True)))) == 3


def test_measuring_one_check_leaves_other_entries_results_byte_identical(warm_kb: Path):
    """A page is rendered again when its results' JSON changes. Measuring a schedule check also
    re-reads one API's signature (mindspore.nn.SGD, the first in order) to start a worker: read
    afresh, its arguments came in signature order, from the cache sorted, and the SGD page was
    rendered again for nothing."""

    def dumped(v) -> dict[str, str]:
        return {
            k: r.model_dump_json(exclude={"checks": {"__all__": {"wall_s", "cached"}}}) for k, r in v.entries.items()
        }

    before = dumped(verify_kb(warm_kb))
    edit(warm_kb, "schedules/steplr_small.yaml", "inputs: {steps: 10}", "inputs: {steps: 11}")
    after_v = verify_kb(warm_kb)
    assert fresh(after_v) == {"steplr-small/halves-every-3"}
    after = dumped(after_v)
    assert {k for k in before if before[k] != after[k]} == {"steplr-small"}


def test_cache_key_covers_versions_and_device(monkeypatch: pytest.MonkeyPatch):
    base = environment_key()
    monkeypatch.setenv("REFMAP_DEVICE", "auto")
    assert environment_key() != base
    monkeypatch.setenv("REFMAP_DEVICE", "cpu")
    monkeypatch.setattr("refmap.verify.store.installed_version", lambda dist: "9.9")
    assert environment_key() != base


def rewrite_header(path: Path, change) -> None:
    import json

    import numpy as np

    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    header = change(json.loads(bytes(arrays["header"]).decode()))
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez_compressed(path.with_suffix(""), **arrays)  # numpy appends .npz


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda p: p.write_bytes(p.read_bytes()[:100]),  # truncated
        lambda p: p.write_bytes(b"not an npz"),
        lambda p: rewrite_header(p, lambda h: {**h, "format": 9}),  # another layout
        lambda p: rewrite_header(p, lambda h: {**h, "labels": "yes"}),  # wrong type
        lambda p: rewrite_header(p, lambda h: {**h, "errors": {"both": h["errors"]}}),  # unknown side
    ],
    ids=["truncated", "garbage", "other-format", "wrong-type", "unknown-side"],
)
def test_corrupt_measurements_are_measured_again(warm_kb: Path, corrupt):
    files = sorted(Store().checks.glob("*.npz"))
    assert len(files) == 3
    for f in files:
        corrupt(f)
    assert len(fresh(verify_kb(warm_kb))) == 3


def test_a_forged_measurement_is_judged_not_trusted(warm_kb: Path):
    """The cache holds measurements, not verdicts: a measurement that contradicts the claim fails."""
    import numpy as np

    from refmap.verify.tasks import task_for

    spec = next(s for le in load_kb(warm_kb) for s in le.checks if s.name == "momentum")
    store = Store()
    raw = store.read(task_for(spec).key)
    assert raw is not None and raw.mindspore is not None
    raw.mindspore = raw.mindspore + np.linspace(0, 1, raw.mindspore.shape[0])[:, None]
    store.write(task_for(spec).key, raw)
    with pytest.raises(VerificationFailed, match="sgd-small/momentum"):
        verify_kb(warm_kb)


def test_unwritable_cache_is_one_clear_error(warm_kb: Path, tmp_path: Path):
    """Root ignores read-only modes, so the cache is put below a regular file: no folder can be made."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {**os.environ, "REFMAP_CACHE_DIR": str(blocker / "cache")}
    proc = subprocess.run(
        [sys.executable, "-m", "refmap", "--kb", str(warm_kb), "verify", "--quiet"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: cannot write the results cache at ") and "Traceback" not in proc.stderr
    assert "REFMAP_CACHE_DIR" in proc.stderr


def test_cli_verify_exit_codes(warm_kb: Path):
    ok = cli(warm_kb, "verify", "--quiet")
    assert ok.returncode == 0, ok.stderr
    assert "2 entries, 3 checks, 3 passed, 0 failed, 0 run afresh" in ok.stdout
    assert "torch 2.13.0 · mindspore 2.10.0" in ok.stdout
    edit(warm_kb, "schedules/steplr_small.yaml", "0.025, 0.0125]", "0.02, 0.0125]")
    bad = cli(warm_kb, "verify", "--quiet")
    assert bad.returncode == 1
    assert "steplr-small/halves-every-3 [mindspore.nn.dynamic_lr.piecewise_constant_lr]: expected equal" in bad.stderr
    unknown = cli(warm_kb, "verify", "--only", "nope")
    assert unknown.returncode == 1 and "no entry with id 'nope'" in unknown.stderr


NAN_CHECK = """      - name: nan-step
        description: Infinite gradients on the MindSpore side only.
        inputs: {seed: 1, steps: 5}
        torch: |
          opt = torch.optim.SGD(params, lr=0.1)
        mindspore: |
          opt = mindspore.nn.SGD(params, learning_rate=0.1)
          step = lambda gs: opt(tuple(g * float('inf') for g in gs))
        expect: {differs: {min_abs: 1.0e-3%s}}
"""


def test_non_finite_results_are_not_a_difference_unless_expected(warm_kb: Path):
    add_check(warm_kb, NAN_CHECK % "")
    with pytest.raises(VerificationFailed, match="non-finite values are not a difference"):
        verify_kb(warm_kb)
    edit(warm_kb, SGD, "min_abs: 1.0e-3}}\n", "min_abs: 1.0e-3, nonfinite: true}}\n", count=2)
    edit(warm_kb, SGD, "nonfinite: true}}\n      - name: nan-step", "}}\n      - name: nan-step")
    r = verify_kb(warm_kb).entries["sgd-small"].checks[-1]
    assert r.passed and "non-finite" in r.outcome and r.cached  # judged again from the cached NaN measurement


def test_a_check_that_never_calls_its_counterpart_fails(warm_kb: Path):
    add_check(
        warm_kb,
        """      - name: momentum-instead
        description: Runs nn.Momentum under the nn.SGD counterpart.
        inputs: {seed: 1, steps: 5}
        torch: |
          opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
        mindspore: |
          opt = mindspore.nn.Momentum(params, learning_rate=0.1, momentum=0.9)
        expect: {equal: {rtol: 1.0e-5, atol: 1.0e-6}}
""",
    )
    with pytest.raises(
        VerificationFailed, match=r"momentum-instead .*the MindSpore side never called mindspore\.nn\.SGD"
    ):
        verify_kb(warm_kb)
    edit(
        warm_kb,
        SGD,
        "        description: Runs nn.Momentum",
        "        calls: mindspore.nn.Momentum\n        description: Runs nn.Momentum",
    )
    assert verify_kb(warm_kb).entries["sgd-small"].checks[-1].passed


def test_the_mindspore_side_cannot_take_its_numbers_from_torch(warm_kb: Path):
    """A 'recipe' that replays torch on the MindSpore side and copies the numbers over fails."""
    add_check(
        warm_kb,
        """      - name: copies-torch
        description: Claims nn.SGD matches, but computes with torch.
        inputs: {seed: 1, steps: 5}
        torch: |
          opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
        mindspore: |
          import torch
          opt = mindspore.nn.SGD(params, learning_rate=0.1, momentum=0.9)
          shadow = [torch.nn.Parameter(torch.tensor(p.asnumpy())) for p in params]
          topt = torch.optim.SGD(shadow, lr=0.1, momentum=0.9)
          def step(grads):
              for s, g in zip(shadow, grads):
                  s.grad = torch.tensor(g.asnumpy())
              topt.step()
              for p, s in zip(params, shadow):
                  p.set_data(mindspore.Tensor(s.detach().numpy()))
        expect: {equal: {rtol: 1.0e-5, atol: 1.0e-6}}
""",
    )
    with pytest.raises(
        VerificationFailed,
        match=r"copies-torch .*mindspore raised ForeignImport: the MindSpore side of a check may not import torch",
    ):
        verify_kb(warm_kb)
