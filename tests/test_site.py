"""A small site built with the real extension and real frameworks (tests/roots/test-site)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from refmap.render import RefmapBuildError

pytestmark = pytest.mark.slow


def text_of(page: Path) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))).split())


def test_pages_show_measured_numbers_versions_and_signature_defaults(warm_kb: Path, build_site):
    import inspect

    import mindspore
    import torch

    site = build_site(warm_kb)
    assert site.warnings == ""
    page = text_of(site.out / "reference" / "sgd-small.html")
    assert "Measured with torch 2.13.0 · mindspore 2.10.0 · numpy 1.26.4 (torch on cpu, MindSpore on CPU)" in page
    # defaults are the installed ones: read here directly, compared with what the page shows
    t_default = inspect.signature(torch.optim.SGD).parameters["momentum"].default
    real_init = mindspore.nn.SGD.__init__.__closure__[0].cell_contents  # hidden behind a wrapper
    m_default = inspect.signature(real_init).parameters["learning_rate"].default
    assert re.search(rf"momentum {re.escape(repr(t_default))} momentum", page)
    assert re.search(rf"learning_rate {re.escape(repr(m_default))}", page)
    # implementation flags get their rows without being listed in the fixture's table
    assert "foreach None — — Chooses torch" in page


def test_failing_claim_fails_the_build_and_writes_nothing(warm_kb: Path, build_site, tmp_path: Path):
    path = warm_kb / "schedules" / "steplr_small.yaml"
    path.write_text(path.read_text().replace("0.025, 0.0125]", "0.02, 0.0125]"))
    with pytest.raises(RefmapBuildError, match=r"steplr-small/halves-every-3 .*expected equal"):
        build_site(warm_kb)
    assert not (tmp_path / "site" / "reference").exists()


def test_no_change_rebuild_rewrites_nothing_and_an_edit_only_its_page(warm_kb: Path, build_site):
    from refmap.render.build import generate

    site = build_site(warm_kb)
    page = site.src / "reference" / "sgd-small.md"
    stamp = page.stat().st_mtime_ns
    rep = generate(site.src / "reference", warm_kb)
    assert rep.verified == [] and rep.rewritten == []
    assert page.stat().st_mtime_ns == stamp
    path = warm_kb / "optimizers" / "sgd_small.yaml"
    path.write_text(path.read_text().replace("A two-check fixture", "A fixture"))
    rep = generate(site.src / "reference", warm_kb)
    assert rep.verified == []  # prose changed, measurements did not
    assert set(rep.rewritten) - {".refmap-manifest.json", "index.md"} == {"sgd-small.md"}
