"""The loader, framework-free: located errors for every problem, nothing skipped silently, inheritance
of check defaults, and files refused before they are read."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from refmap.load import KBLoadError, load_kb
from refmap.load.files import MAX_BYTES

GOOD = (Path(__file__).parent / "fixtures" / "kb" / "optimizers" / "sgd_small.yaml").read_text()


def errors_of(root: Path, **kw: object) -> list[str]:
    with pytest.raises(KBLoadError) as info:
        load_kb(root, **kw)  # type: ignore[arg-type]
    return [str(e) for e in info.value.errors]


def line_of(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


def test_fixture_entry_loads_without_frameworks(write_entry):
    root, _ = write_entry(GOOD)
    (le,) = load_kb(root)
    assert le.entry.id == "sgd-small" and [c.name for c in le.checks] == ["momentum", "nesterov-is-not-plain"]
    probe = f"import sys; from refmap.load import load_kb; load_kb({str(root)!r}); print(sorted({{'torch', 'mindspore'}} & set(sys.modules)))"
    assert (
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip() == "[]"
    )


def test_checks_inherit_defaults_from_counterpart_and_entry(write_entry):
    text = GOOD.replace(
        "    checks:\n",
        "    check_defaults:\n      inputs: {steps: 7}\n      expect: {equal: {rtol: 1.0e-6, atol: 1.0e-7}}\n    checks:\n",
    ).replace("        expect: {equal: {rtol: 1.0e-5, atol: 1.0e-6}}\n", "")
    text = text.replace("inputs: {seed: 1, steps: 200}", "inputs: {seed: 1}")
    text = text.replace("counterparts:\n", "check_defaults:\n  inputs: {seed: 9, grad_scale: 2.0}\ncounterparts:\n", 1)
    root, _ = write_entry(text)
    (le,) = load_kb(root)
    momentum, nesterov = le.checks
    # check > counterpart > entry > built-in
    assert (momentum.inputs.seed, momentum.inputs.steps, momentum.inputs.grad_scale) == (1, 7, 2.0)
    assert (nesterov.inputs.seed, nesterov.inputs.steps) == (1, 12)
    assert momentum.expect.describe() == "equal (rtol=1e-06, atol=1e-07)"
    assert nesterov.expect.which == "differs"
    assert momentum.code is not None and "momentum=0.9" in momentum.code.mindspore  # runs: recipe


def test_yaml_syntax_error_is_located(write_entry):
    root, _ = write_entry(GOOD.replace("title: SGD (test fixture)", "title: [unclosed"))
    (msg,) = errors_of(root)
    assert re.match(r"kb/optimizers/e\.yaml:\d+:\d+: YAML syntax", msg), msg


def test_unknown_key_names_line_and_field(write_entry):
    text = GOOD.replace("        description: Momentum", "        descripton: typo\n        description: Momentum")
    root, _ = write_entry(text)
    (msg,) = errors_of(root)
    n = line_of(text, "descripton")
    assert msg == (
        f"kb/optimizers/e.yaml:{n}:9: counterparts[0].checks[0].descripton: unknown key "
        "(check the spelling; see refmap/entry.schema.json)"
    )


def test_wrong_type_is_located(write_entry):
    root, _ = write_entry(GOOD.replace("inputs: {seed: 1, steps: 200}", "inputs: {seed: 1, steps: twelve}"))
    (msg,) = errors_of(root)
    assert re.match(r"kb/optimizers/e\.yaml:\d+:\d+: counterparts\[0\]\.checks\[0\]\.inputs\.steps: ", msg), msg


def test_bad_status_and_missing_field_both_reported(write_entry):
    text = GOOD.replace("status: equivalent_with_recipe", "status: same").replace(
        "summary:\n  text: A two-check fixture used by the test suite.\n  proof: [momentum]\n", ""
    )
    root, _ = write_entry(text)
    msgs = errors_of(root)
    assert any("counterparts[0].status: Input should be" in m for m in msgs), msgs
    assert any(m.endswith(": summary: required field is missing") for m in msgs), msgs


def test_duplicate_key_is_rejected(write_entry):
    root, _ = write_entry(GOOD.replace("title: SGD (test fixture)\n", "title: SGD (test fixture)\ntitle: again\n"))
    (msg,) = errors_of(root)
    assert re.match(r"kb/optimizers/e\.yaml:\d+:\d+: YAML syntax: .*duplicate key", msg, re.S), msg


def test_duplicate_ids_across_files(write_entry):
    write_entry(GOOD, name="a.yaml")
    root, _ = write_entry(GOOD, name="b.yaml")
    (msg,) = errors_of(root)
    assert re.match(
        r"kb/optimizers/b\.yaml:2:1: id: duplicate id 'sgd-small' \(also in kb/optimizers/a\.yaml:2:1\)", msg
    )


def test_runs_recipe_needs_a_recipe(write_entry):
    start = GOOD.index("    recipe:")
    end = GOOD.index("    checks:")
    root, _ = write_entry(GOOD[:start] + GOOD[end:])
    msgs = errors_of(root)
    assert any(
        "checks[0].runs: check 'momentum' runs the recipe of mindspore.nn.SGD, which has none" in m for m in msgs
    )
    assert any("equivalent_with_recipe needs the recipe" in m for m in msgs)


def test_counterpart_must_be_a_mindspore_api(write_entry):
    root, _ = write_entry(GOOD.replace("  - api: mindspore.nn.SGD", "  - api: torch.optim.SGD"))
    (msg,) = errors_of(root)
    assert "counterparts[0].api: String should match pattern '^mindspore" in msg


def test_proof_must_name_a_check_of_the_entry(write_entry):
    text = GOOD.replace("        proof: [momentum]\n    recipe", "        proof: [momentum, no-such-check]\n    recipe")
    root, _ = write_entry(text)
    (msg,) = errors_of(root)
    assert msg.endswith("counterparts[0].differences[0].proof[1]: no check named 'no-such-check' in this entry")


@pytest.mark.parametrize(
    ("replace", "expected"),
    [
        ("rtol: 1.0e-5, atol: 1.0e-6}}\n      - name: nesterov", "Input should be less than or equal to 0.001"),
        ("{differs: {min_abs: 1.0e-3}}", "match\n"),
    ],
)
def test_blind_tolerances_and_vague_raises_are_refused(write_entry, replace, expected):
    if "rtol" in replace:
        text = GOOD.replace("rtol: 1.0e-5, atol: 1.0e-6}}", "rtol: 1.0e-5, atol: 0.5}}")
        field = "expect.equal.atol"
    else:
        text = GOOD.replace(replace, "{raises: {side: mindspore, exception: Exception}}")
        field = "expect.raises"
    root, _ = write_entry(text)
    msgs = errors_of(root)
    assert any(field in m for m in msgs), msgs
    if "rtol" not in replace:
        assert any("match: required field is missing" in m or "matches any error" in m for m in msgs), msgs


def test_unregistered_probe_is_located(write_entry):
    text = (
        GOOD.replace("kind: optimizer", "kind: concept")
        .replace("family: sgd\n", "")
        .replace("        runs: recipe\n", "        probe: params.no_such_probe\n")
    )
    root, _ = write_entry(text, section="concepts")
    (msg,) = errors_of(root)
    assert "counterparts[0].checks[0].probe: no probe named 'params.no_such_probe' is registered" in msg


def test_python_tags_are_refused_without_running_anything(write_entry, tmp_path):
    marker = tmp_path / "pwned"
    root, _ = write_entry(
        GOOD.replace("title: SGD (test fixture)", f"title: !!python/object/apply:os.system ['touch {marker}']")
    )
    (msg,) = errors_of(root)
    assert "title: YAML tag" in msg and "not allowed" in msg
    assert not marker.exists()


def test_wrong_kind_for_folder(write_entry):
    root, _ = write_entry(GOOD, section="schedules")
    (msg,) = errors_of(root)
    assert "kind: 'optimizer' entries do not belong in this folder (expected 'schedule')" in msg


def test_every_error_of_every_file_is_reported(write_entry):
    write_entry(GOOD.replace("family: sgd", "family: sgdd"), name="a.yaml")
    root, _ = write_entry(GOOD.replace("id: sgd-small", "id: Bad Id"), name="b.yaml")
    msgs = errors_of(root)
    assert [m.split(":")[0] for m in msgs] == ["kb/optimizers/a.yaml", "kb/optimizers/b.yaml"]


# ---------------- nothing is skipped silently ----------------
@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("optimizers/upper.YAML", "entries use the lower-case .yaml extension"),
        ("optimizers/short.yml", "entries use the lower-case .yaml extension"),
        ("optimizer/typo.yaml", "unknown section folder optimizer/ (did you mean optimizers/?)"),
        ("optimizers/sub/deep.yaml", "entries sit directly in optimizers/, not in subfolders"),
        ("loose.yaml", "entry files belong in a section folder"),
    ],
)
def test_misplaced_files_are_errors(write_entry, where, message):
    root, _ = write_entry(GOOD)
    path = root / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(GOOD.replace("sgd-small", "other"))
    msgs = errors_of(root)
    assert any(m.startswith(f"kb/{where}:1:1: ") and message in m for m in msgs), msgs


def test_missing_kb_folder_and_unknown_files_are_errors(write_entry, tmp_path):
    root, _ = write_entry(GOOD)
    (msg,) = errors_of(tmp_path / "nowhere")
    assert "nowhere:1:1: knowledge-base folder does not exist" in msg
    (msg,) = errors_of(root, files=[root / "optimizers" / "typo.yaml"])
    assert msg.endswith("typo.yaml:1:1: no such file")
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text(GOOD)
    (msg,) = errors_of(root, files=[elsewhere])
    assert "is not inside the knowledge base" in msg


def test_an_empty_kb_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "kb" / "optimizers").mkdir(parents=True)
    (msg,) = errors_of(tmp_path / "kb")
    assert msg.endswith("no entries found")


def test_special_files_and_escaping_symlinks_are_refused_before_reading(write_entry, tmp_path):
    root, _ = write_entry(GOOD)
    opt = root / "optimizers"
    os.mkfifo(opt / "fifo.yaml")  # reading it would block forever
    (opt / "zero.yaml").symlink_to("/dev/zero")  # reading it would never end
    outside = tmp_path / "outside.yaml"
    outside.write_text(GOOD.replace("sgd-small", "outside"))
    (opt / "out.yaml").symlink_to(outside)
    big = opt / "big.yaml"
    big.write_bytes(b"# " + b"x" * MAX_BYTES)
    msgs = errors_of(root)
    by_file = {m.split(":")[0].rsplit("/", 1)[-1]: m for m in msgs}
    assert "is not a regular file" in by_file["fifo.yaml"]
    assert "outside the knowledge base" in by_file["zero.yaml"]
    assert "outside the knowledge base" in by_file["out.yaml"]
    assert f"the limit is {MAX_BYTES}" in by_file["big.yaml"]


def test_cli_check_prints_all_errors_and_fails(write_entry):
    write_entry(GOOD.replace("family: sgd", "family: nope"), name="a.yaml")
    root, _ = write_entry(
        GOOD.replace("status: equivalent_with_recipe", "status: nope").replace("id: sgd-small", "id: other"),
        name="b.yaml",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "refmap", "--kb", str(root), "check", "--no-resolve"], capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert "2 errors in the knowledge base" in proc.stderr
    assert "a.yaml:5:1: family:" in proc.stderr and "b.yaml:12:5: counterparts[0].status:" in proc.stderr


def test_cli_files_typo_is_an_error(write_entry):
    root, _ = write_entry(GOOD)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "refmap",
            "--kb",
            str(root),
            "check",
            "--no-resolve",
            "--files",
            str(root / "optimizers" / "tpyo.yaml"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "tpyo.yaml:1:1: no such file" in proc.stderr


def test_bad_device_setting_is_one_clear_line(write_entry):
    root, _ = write_entry(GOOD)
    env = {**os.environ, "REFMAP_DEVICE": "tpu"}
    proc = subprocess.run(
        [sys.executable, "-m", "refmap", "--kb", str(root), "verify", "--quiet"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: REFMAP_DEVICE='tpu' is not a device choice; use one of cpu, gpu, auto"


def test_formulas_are_inert_tex(write_entry):
    ok = GOOD.replace(
        "counterparts:\n",
        "formula:\n  tex: 'v \\leftarrow \\mu v + g,\\quad p \\leftarrow p - \\eta v'\n  proof: [momentum]\ncounterparts:\n",
        1,
    )
    root, _ = write_entry(ok)
    (le,) = load_kb(root)
    assert le.entry.formula is not None
    bad = GOOD.replace(
        "counterparts:\n", "formula:\n  tex: '\\href{https://evil.example}{x}'\n  proof: [momentum]\ncounterparts:\n", 1
    )
    root, _ = write_entry(bad)
    (msg,) = errors_of(root)
    assert "formula: Value error" in msg or "only typesetting commands" in msg


def _paths(data: object, loc: tuple = ()) -> list[tuple]:
    out = [loc]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*loc, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*loc, i))
    return out


def test_parsed_files_read_back_from_the_cache_exactly(tmp_path, monkeypatch):
    """Every KB file parses to the same data and the same line of every field, fresh or cached; a
    damaged cache file is parsed again."""
    from refmap.load import KB_ROOT
    from refmap.load.yaml_source import parse_yaml

    monkeypatch.setenv("REFMAP_CACHE_DIR", str(tmp_path / "cache"))
    files = sorted(Path(KB_ROOT).rglob("*.yaml"))
    assert len(files) > 40
    for path in files:
        raw = path.read_bytes()
        fresh, fresh_at, errors = parse_yaml(raw, path.name)
        assert not errors
        cached, cached_at, _ = parse_yaml(raw, path.name)
        assert cached == fresh
        probes = [p for p in _paths(fresh)] + [("counterparts", 0, "no-such-field"), ("no-such-field",)]
        assert [cached_at(p) for p in probes] == [fresh_at(p) for p in probes], path
    written = sorted((tmp_path / "cache" / "parsed").glob("*.json"))
    assert len(written) == len(files)
    raw = files[0].read_bytes()
    expected = parse_yaml(raw, "x")[0]
    for damage in ('{"data": {}, "positions": [["id", 1]]}', "not json", '{"data": [], "positions": []}'):
        for w in written:
            w.write_text(damage)
        assert parse_yaml(raw, "x")[0] == expected


def test_errors_are_located_the_same_from_the_parse_cache(write_entry):
    text = GOOD.replace("steps: 200", "steps: many")
    root, _ = write_entry(text)
    first = errors_of(root)
    line = line_of(text, "steps: many")
    assert any(f"e.yaml:{line}:" in m and "inputs.steps: Input should be a valid integer" in m for m in first), first
    assert errors_of(root) == first  # the second load reads the parsed file back
