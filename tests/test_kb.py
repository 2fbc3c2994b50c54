"""The real knowledge base: it loads, every API resolves, parameter tables match the installed
signatures, and every public optimizer and schedule of the installed frameworks has an entry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from refmap.introspect import describe_apis
from refmap.introspect.coverage import report
from refmap.load import load_kb
from refmap.render.examples_index import scan_all
from refmap.verify.pipeline import api_errors
from refmap.verify.tasks import apis_of

pytestmark = pytest.mark.slow
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def entries():
    return load_kb()


def test_every_api_resolves_and_every_table_matches_its_signatures(entries):
    apis = sorted({a for le in entries for a in apis_of(le)})
    assert [str(e) for e in api_errors(entries, describe_apis(apis))] == []


def test_every_public_optimizer_and_schedule_has_an_entry(entries):
    missing = [api for _, api, where in report(entries) if not where]
    assert missing == [], "no entry (and no commented exclusion in refmap/coverage.py) for: " + ", ".join(missing)


def test_every_counterpart_with_an_api_is_checked(entries):
    unchecked = [
        f"{le.entry.id}: {cp.api}" for le in entries for cp in le.entry.counterparts if cp.api and not cp.checks
    ]
    assert unchecked == []


def test_examples_link_the_entries_they_exercise(entries):
    """An example links every optimizer or schedule entry whose primary API it calls: the PyTorch
    API, or the first MindSpore counterpart of a MindSpore-only entry. (A MindSpore list function
    such as polynomial_decay_lr is a counterpart in several entries; concept entries cover
    base-class methods such as zero_grad that nearly every example calls.)"""
    by_api: dict[str, set[str]] = {}
    for le in entries:
        if le.entry.kind in ("concept", "setup"):
            continue  # concepts cover base-class methods nearly every example calls; setups combine entries
        primary = le.entry.torch_api or le.entry.counterparts[0].api
        if primary:
            by_api.setdefault(primary, set()).add(le.entry.id)
    unlinked = []
    for ex in scan_all(EXAMPLES):
        text = (EXAMPLES / f"{ex.stem}.py").read_text(encoding="utf-8")
        linked = set(re.findall(r":ref:`(?:[^`<]*<)?([a-z0-9_-]+)>?`", text))
        used = {eid for api in ex.apis for eid in by_api.get(api, ())}
        unlinked += [f"{ex.stem} -> {eid}" for eid in sorted(used - linked)]
    assert unlinked == []
