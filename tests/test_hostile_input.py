"""Hostile and malformed YAML: never a traceback, always a located error, nothing executed."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refmap.load import load_file
from refmap.load.files import MAX_BYTES
from refmap.schema import Entry

FIXTURE = Path(__file__).parent / "fixtures" / "kb" / "optimizers" / "sgd_small.yaml"
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
LOCATED = re.compile(r"^[^:]+\.yaml:\d+:\d+: ")


def load_text(tmp_path: Path, text: str | bytes):
    path = tmp_path / "optimizers" / "entry.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    return load_file(path, tmp_path, "optimizer")


def assert_rejected(result) -> list[str]:
    le, errors = result
    assert le is None and errors, "hostile input was accepted"
    msgs = [str(e) for e in errors]
    for m in msgs:
        assert LOCATED.match(m), m
        assert "entry.yaml" in m
    return msgs


@SETTINGS
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(tmp_path, data):
    le, errors = load_text(tmp_path, data)
    assert le is None or not errors
    for e in errors:
        assert LOCATED.match(str(e))


@SETTINGS
@given(st.text(max_size=300))
def test_arbitrary_text_never_crash(tmp_path, text):
    le, errors = load_text(tmp_path, text)
    if le is None:
        assert errors and all(LOCATED.match(str(e)) for e in errors)


JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
# Every top-level key the schema knows; a hand-kept list missed `formula` and Hypothesis found it.
FIELDS = list(Entry.model_fields)


@SETTINGS
@given(field=st.sampled_from(FIELDS), value=JSONISH)
def test_wrong_values_name_the_field(tmp_path, field, value):
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    doc = yaml.load(FIXTURE.read_text())
    doc[field] = value
    text = json.dumps(doc, allow_nan=True)  # JSON is YAML; NaN/Infinity become strings or errors
    le, errors = load_text(tmp_path, text)
    if le is not None:
        return  # some values are valid (e.g. a different title)
    msgs = [str(e) for e in errors]
    assert all(LOCATED.match(m) for m in msgs), msgs
    assert any(field in m or "YAML syntax" in m for m in msgs), msgs


@SETTINGS
@given(key=st.text(min_size=1, max_size=20).filter(lambda k: k not in FIELDS and k.isprintable()))
def test_unknown_keys_are_named(tmp_path, key):
    text = FIXTURE.read_text() + f"\n{json.dumps(key)}: 1\n"
    msgs = assert_rejected(load_text(tmp_path, text))
    assert any(k in m for m in msgs for k in ("unknown key", "YAML syntax", "surrogate")), msgs


def test_python_object_tags_never_run(tmp_path):
    marker = tmp_path / "pwned"
    for tag in ("!!python/object/apply:os.system", "!!python/object/new:os.system", "!!python/name:os.system"):
        text = FIXTURE.read_text().replace("title: SGD (test fixture)", f"title: {tag} ['touch {marker}']")
        msgs = assert_rejected(load_text(tmp_path, text))
        assert any("title" in m for m in msgs), msgs
    assert not marker.exists()


def test_local_tags_and_binary_are_refused(tmp_path):
    for value in ("!custom 1", "!!binary aGVsbG8=", "!!set {a, b}", "!!timestamp 2001-12-14"):
        text = FIXTURE.read_text().replace("title: SGD (test fixture)", f"title: {value}")
        assert_rejected(load_text(tmp_path, text))


def test_alias_bomb_is_refused_quickly(tmp_path):
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    msgs = assert_rejected(load_text(tmp_path, "\n".join(lines) + "\n"))
    assert any("aliases" in m for m in msgs), msgs


def test_deep_nesting_is_refused(tmp_path):
    for text in ("x: " + "[" * 5000 + "]" * 5000, "x: " + "{a: " * 3000 + "1" + "}" * 3000):
        msgs = assert_rejected(load_text(tmp_path, text))
        assert msgs


def test_huge_file_is_refused(tmp_path):
    text = FIXTURE.read_text() + "#" + "x" * MAX_BYTES
    (msg,) = assert_rejected(load_text(tmp_path, text))
    assert "limit" in msg


def test_huge_numbers_are_range_checked(tmp_path):
    text = FIXTURE.read_text().replace(
        "inputs: {seed: 1, steps: 200}\n", "inputs: {seed: 1, steps: 100000000000000000000}\n", 1
    )
    msgs = assert_rejected(load_text(tmp_path, text))
    assert any("checks[0].inputs.steps" in m for m in msgs), msgs
    text = FIXTURE.read_text().replace(
        "inputs: {seed: 1, steps: 200}\n", "inputs: {seed: 1, steps: 12, params: [{name: w, shape: [4096, 4096]}]}\n", 1
    )
    msgs = assert_rejected(load_text(tmp_path, text))
    assert any("checks[0].inputs" in m for m in msgs), msgs


def test_unicode_is_fine_where_text_is_allowed(tmp_path):
    text = FIXTURE.read_text().replace("A two-check fixture used by the test suite.", "Ünïcødé ✓ 优化器 — 𝔘")
    le, errors = load_text(tmp_path, text)
    assert errors == [] and le is not None and "优化器" in str(le.entry.summary)
    bad = FIXTURE.read_text().replace("id: sgd-small", "id: sgd-ünï")
    msgs = assert_rejected(load_text(tmp_path, bad))
    assert any(": id:" in m for m in msgs)
