"""Rendering from stored results only: fast tests on fabricated measurements, no framework involved."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BLOCKER = """
import sys
class _Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "mindspore"):
            raise ImportError(f"{name} is blocked: rendering must not import a framework")
        return None
sys.meta_path.insert(0, _Blocked())
"""


def text_of(page: Path) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))).split())


def test_site_renders_from_stored_results_with_frameworks_blocked(fabricated_kb: Path, tmp_path: Path):
    """Every process of the build (workers included, were any started) fails to import torch or MindSpore."""
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(BLOCKER)
    src = tmp_path / "site"
    src.mkdir()
    roots = Path(__file__).parent / "roots" / "test-site"
    for f in roots.iterdir():
        (src / f.name).write_text(f.read_text())
    env = {**os.environ, "PYTHONPATH": str(blocker), "REFMAP_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "-q",
            "-b",
            "html",
            "-D",
            f"refmap_kb={fabricated_kb}",
            str(src),
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    page = text_of(tmp_path / "out" / "reference" / "sgd-small.html")
    assert "Measured with torch 2.13.0 · mindspore 2.10.0 · numpy 1.26.4 (torch on cpu, MindSpore on CPU)" in page


def test_pages_show_measurements_code_and_figures(fabricated_kb: Path, build_site):
    site = build_site(fabricated_kb)
    assert site.warnings == ""
    page = text_of(site.out / "reference" / "sgd-small.html")
    assert "MindSpore on Ascend and GPU is not verified here" in page
    assert "momentum pass 1e-09 1.1e-05 200" in page  # verification row, from the stored result
    code = html.unescape(re.sub(r"<[^>]+>", "", (site.out / "reference" / "sgd-small.html").read_text()))
    assert "opt = mindspore.nn.SGD(params, learning_rate=0.1, momentum=0.9)" in code  # the code that ran
    svgs = sorted((site.out / "_images").glob("*.svg"))
    assert len(svgs) == 3
    overview = text_of(site.out / "reference" / "index.html")
    assert "3 checks in 2 entries, 3 passed" in overview


def test_figure_axis_says_what_was_measured(fabricated_kb: Path, build_site, fabricate):
    """A schedule driving an optimizer measures parameters, not learning rates, and says so."""
    path = fabricated_kb / "schedules" / "steplr_small.yaml"
    path.write_text(
        path.read_text()
        + """      - name: drives-sgd
        description: The list drives nn.SGD (a made-up difference, so the check gets a figure).
        measure: trajectory
        inputs: {steps: 8}
        torch: |
          opt = torch.optim.SGD(params, lr=0.1)
          scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        mindspore: |
          lrs = mindspore.nn.dynamic_lr.piecewise_constant_lr([3, 6, 9], [0.1, 0.05, 0.025])
          opt = mindspore.nn.SGD(params, learning_rate=lrs)
        expect: {differs: {min_abs: 0.1}}
"""
    )
    fabricate(fabricated_kb)
    site = build_site(fabricated_kb)
    figures = site.src / "reference" / "_figures" / "steplr-small"
    assert ">value<" in (figures / "drives-sgd.svg").read_text().replace("</text>", "<")
    assert ">learning rate<" in (figures / "halves-every-3.svg").read_text().replace("</text>", "<")
    raw = (site.out / "reference" / "steplr-small.html").read_text()
    assert 'alt="StepLR (test fixture), check drives-sgd: PyTorch and MindSpore overlaid' in raw


def test_kb_prose_is_inert(fabricated_kb: Path, build_site):
    path = fabricated_kb / "optimizers" / "sgd_small.yaml"
    evil = (
        ":::{note} directive then ![img](https://evil.example/x.png) and [link](https://evil.example) "
        "<script>alert(1)</script> {raw}`<b>x</b>` # heading $math$ *em* 1. list"
    )
    path.write_text(
        path.read_text().replace("  text: A two-check fixture used by the test suite.", f"  text: {evil!r}")
    )
    site = build_site(fabricated_kb)
    raw = (site.out / "reference" / "sgd-small.html").read_text()
    assert "evil.example" not in re.findall(r'(?:src|href)="([^"]*)"', raw).__str__()
    assert "<script>alert" not in raw and "<b>x</b>" not in raw and "<em>em</em>" not in raw
    assert 'class="admonition' not in raw
    page = text_of(site.out / "reference" / "sgd-small.html")
    assert ":::{note} directive then ![img](https://evil.example/x.png) and [link](https://evil.example)" in page
    assert "<script>alert(1)</script>" in page and "# heading $math$ *em* 1. list" in page


def test_warning_from_kb_code_names_the_yaml_file(fabricated_kb: Path, build_site, fabricate):
    path = fabricated_kb / "optimizers" / "sgd_small.yaml"
    # the recipe's MindSpore side (check code is shown as plain text, which Pygments never rejects)
    text = path.read_text().replace("learning_rate=0.1, momentum=0.9)\n", "learning_rate=0.1, momentum=0.9) $$\n", 1)
    path.write_text(text)
    fabricate(fabricated_kb)
    from refmap.load import load_kb

    (le,) = [x for x in load_kb(fabricated_kb) if x.entry.id == "sgd-small"]
    where = le.where("counterparts", 0, "recipe", "mindspore")
    site = build_site(fabricated_kb, refmap_force=False)
    assert f"{where}: (in the generated page sgd-small.md)" in site.warnings, site.warnings


def test_changed_expectation_is_judged_again_from_the_cache(fabricated_kb: Path, build_site, tmp_path: Path):
    """No re-run: the stored measurement is held against the new claim, and the build fails."""
    path = fabricated_kb / "optimizers" / "sgd_small.yaml"
    path.write_text(
        path.read_text().replace("expect: {differs: {min_abs: 1.0e-3}}", "expect: {differs: {min_abs: 5.0}}")
    )
    from refmap.render import RefmapBuildError

    with pytest.raises(
        RefmapBuildError, match=r"nesterov-is-not-plain .*expected differs \(max\|Δ\| ≥ 5\); measured max\|Δ\| 0\.5"
    ):
        build_site(fabricated_kb)
    assert not (tmp_path / "site" / "reference").exists()


def test_guide_sentences_link_checks_and_quote_measurements(fabricated_kb: Path, build_site, tmp_path: Path):
    """{check} links a sentence to its proof; {measured} inserts the measured number, linked to it."""
    src = tmp_path / "site"
    roots = Path(__file__).parent / "roots" / "test-site"
    src.mkdir()
    for f in roots.iterdir():
        (src / f.name).write_text(f.read_text())
    (src / "index.md").write_text("# Fixture site\n\n```{toctree}\nreference/index\nguide\n```\n")
    (src / "guide.md").write_text(
        "# Guide\n\nMomentum matches {check}`sgd-small/momentum`; Nesterov moves by {measured}`sgd-small/nesterov-is-not-plain`.\n"
    )
    site = build_site(fabricated_kb)
    assert site.warnings == ""
    html = (site.out / "guide.html").read_text()
    assert 'href="reference/sgd-small.html#sgd-small-momentum"' in html and "✓ momentum" in html
    assert ">0.5<" in html.replace("</span>", "<")
    (src / "guide.md").write_text("# Guide\n\nWrong {check}`sgd-small/no-such-check`.\n")
    site = build_site(fabricated_kb)
    assert "refmap: no check 'no-such-check' in entry 'sgd-small'" in site.warnings


def test_formulas_are_typeset_as_math(fabricated_kb: Path, build_site):
    path = fabricated_kb / "optimizers" / "sgd_small.yaml"
    path.write_text(
        path.read_text().replace(
            "counterparts:\n", "formula:\n  tex: 'v \\leftarrow \\mu v + g'\n  proof: [momentum]\ncounterparts:\n", 1
        )
    )
    site = build_site(fabricated_kb)
    html = (site.out / "reference" / "sgd-small.html").read_text()
    assert 'class="math' in html and "\\mu v + g" in html


def test_an_api_on_several_pages_is_one_search_object(fabricated_kb: Path, build_site, fabricate):
    """Two entries (and two sections of one entry) showing mindspore.nn.SGD: Sphinx registers the
    object once, on the optimizer's own page, and every section keeps a label of its own."""
    text = (fabricated_kb / "optimizers" / "sgd_small.yaml").read_text()
    block = text[text.index("  - api: mindspore.nn.SGD") :]
    second = block.replace("name: momentum", "name: momentum-2").replace("nesterov-is-not-plain", "nesterov-2")
    setup = (text + second).replace("id: sgd-small", "id: sgd-setup").replace("kind: optimizer", "kind: setup")
    setup = setup.replace(
        "family: sgd\ntorch_api: torch.optim.SGD\n",
        "torch_api: null\ninvolves: [torch.optim.SGD, torch.optim.lr_scheduler.StepLR]\n",
    )
    setup = setup.replace("  - api: mindspore.nn.SGD\n", "  - api: mindspore.nn.SGD\n    label: a style\n")
    setup = re.sub(r"\n +- \{torch: \w+, mindspore: null\}", "", setup)
    setup = re.sub(r"\{torch: \w+, mindspore:", "{mindspore:", setup)  # a setup has no single torch API
    setup = setup.replace(", note: Renamed.}", "}")
    (fabricated_kb / "setups").mkdir()
    (fabricated_kb / "setups" / "sgd_setup.yaml").write_text(setup)
    fabricate(fabricated_kb)
    site = build_site(fabricated_kb)
    assert "duplicate object description" not in site.warnings, site.warnings
    assert "Duplicate explicit target" not in site.warnings, site.warnings
    own = (site.out / "reference" / "sgd-small.html").read_text()
    other = (site.out / "reference" / "sgd-setup.html").read_text()
    assert 'id="mindspore.nn.SGD"' in own and 'id="mindspore.nn.SGD"' not in other
    assert 'id="sgd-setup-mindspore-nn-sgd"' in other and 'id="sgd-setup-mindspore-nn-sgd-2"' in other


def test_a_page_rendered_again_redraws_only_figures_whose_data_changed(
    fabricated_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from refmap.render import pages
    from refmap.render.build import generate

    out = tmp_path / "reference"
    generate(out, fabricated_kb)
    figures = sorted(p.relative_to(out).as_posix() for p in (out / "_figures" / "sgd-small").glob("*.svg"))
    assert figures, "the fixture's SGD page has no figure"
    drawn: list[str] = []
    real = pages.check_figure
    monkeypatch.setattr(pages, "check_figure", lambda r, _: drawn.append(r.check) or real(r, _))
    path = fabricated_kb / "optimizers" / "sgd_small.yaml"
    path.write_text(path.read_text().replace("A two-check fixture", "A fixture"))
    rep = generate(out, fabricated_kb)
    assert "sgd-small.md" in rep.rewritten and drawn == []  # prose changed: every figure reused
    (out / figures[0]).unlink()  # a figure gone from disk is drawn again, and only that one
    path.write_text(path.read_text().replace("A fixture", "A two-check fixture"))
    generate(out, fabricated_kb)
    assert len(drawn) == 1 and (out / figures[0]).exists()
