"""Shared fixtures: private copies of the fixture KB and caches, fabricated results, Sphinx test apps.

Sphinx builds use `sphinx.testing`'s `make_app` with the test roots in tests/roots (as
sphinx-gallery's own tests do). Slow tests (marked `slow`) run the real frameworks; the fixture KB
is verified once per session and each test gets a private copy of that cache.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest_plugins = ("sphinx.testing.fixtures",)

TESTS = Path(__file__).resolve().parent
FIXTURE_KB = TESTS / "fixtures" / "kb"
ROOTS = TESTS / "roots"
REPO = TESTS.parent


@pytest.fixture(scope="session")
def rootdir() -> Path:
    return ROOTS


@pytest.fixture
def kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the fixture KB and a private results cache; cwd is the tmp folder."""
    root = tmp_path / "kb"
    shutil.copytree(FIXTURE_KB, root)
    monkeypatch.setenv("REFMAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return root


@pytest.fixture
def write_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[Path, Path]]:
    """Write one YAML text into an otherwise empty KB; returns (kb root, file path)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFMAP_CACHE_DIR", str(tmp_path / "cache"))

    def write(text: str, section: str = "optimizers", name: str = "e.yaml") -> tuple[Path, Path]:
        root = tmp_path / "kb"
        (root / section).mkdir(parents=True, exist_ok=True)
        path = root / section / name
        path.write_text(text, encoding="utf-8")
        return root, path

    return write


@pytest.fixture(scope="session")
def verified_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture KB verified once with the real frameworks (a cache folder to copy)."""
    from refmap.verify import verify_kb

    cache = tmp_path_factory.mktemp("verified") / "cache"
    old = os.environ.get("REFMAP_CACHE_DIR")
    os.environ["REFMAP_CACHE_DIR"] = str(cache)
    try:
        verify_kb(FIXTURE_KB)
    finally:
        if old is None:
            del os.environ["REFMAP_CACHE_DIR"]
        else:
            os.environ["REFMAP_CACHE_DIR"] = old
    return cache


@pytest.fixture
def warm_kb(kb: Path, verified_cache: Path, tmp_path: Path) -> Path:
    """The fixture KB with every check already measured (a private copy of the session cache)."""
    shutil.copytree(verified_cache, tmp_path / "cache", dirs_exist_ok=True)
    return kb


def fabricate_results(kb_root: Path) -> None:
    """Write made-up measurements for every check of `kb_root` into the cache (REFMAP_CACHE_DIR), so
    rendering can be tested without any framework: equal checks agree to 1e-9, differs checks by 0.5,
    raises checks raise on the side they name."""
    import numpy as np  # here, not at the top: the browser tests' environment has no NumPy

    from refmap.load import load_kb
    from refmap.verify.measure.raw import ErrorInfo, Raw
    from refmap.verify.results import Environment
    from refmap.verify.store import Store
    from refmap.verify.tasks import apis_of, task_for

    store = Store()
    sigs: dict[str, dict] = {}
    for le in load_kb(kb_root):
        e = le.entry
        for api in apis_of(le):
            sigs.setdefault(api, {"args": {}})
        for cp in e.counterparts:
            for row in cp.params:
                if row.torch and e.torch_api:
                    sigs[e.torch_api]["args"][row.torch] = "0.5"
                if row.mindspore and cp.api:
                    sigs[cp.api]["args"][row.mindspore] = "0.5"
        for spec in le.checks:
            n = spec.inputs.size if spec.measure == "trajectory" else 1
            rows = spec.inputs.steps + (1 if spec.measure == "trajectory" else 0)
            base = np.outer(np.linspace(1.0, 0.5, rows), np.ones(n))
            gap = {"equal": 1e-9, "differs": 0.5}.get(spec.expect.which, 0.0)
            raw = Raw(
                torch=base,
                mindspore=base + gap,
                labels=["value"] if spec.measure != "lr" else ["learning rate"],
                plot_index=[0],
                starts_at_initial=spec.measure == "trajectory",
                api_calls=1,
            )
            if spec.expect.raises is not None:
                side = spec.expect.raises.side
                setattr(raw, side, None)
                raw.errors[side] = ErrorInfo((spec.expect.raises.exception,), spec.expect.raises.match)
            if spec.measure == "trajectory":
                raw.mindspore = base.copy()
                raw.mindspore[1:] += gap  # both start from the same parameters
            task = task_for(spec)
            for arg, _ in task.perturbations:  # every argument visibly changes the torch run
                raw.perturbed[arg] = base + 1.0
            store.write(task.key, raw)
    store.write_environment(
        Environment(
            torch="2.13.0",
            mindspore="2.10.0",
            numpy="1.26.4",
            python="3.11",
            torch_device="cpu",
            mindspore_device="CPU",
        )
    )
    store.write_signatures(sigs)


@pytest.fixture
def fabricate() -> Callable[[Path], None]:
    return fabricate_results


@pytest.fixture
def fabricated_kb(kb: Path) -> Path:
    fabricate_results(kb)
    return kb


@pytest.fixture
def build_site(make_app: Callable, tmp_path: Path) -> Iterator[Callable[..., SimpleNamespace]]:
    """Build tests/roots/test-site (copied) around a KB: returns status text, warnings, output folder."""
    from io import StringIO

    apps = []

    def build(kb_root: Path, **conf: object) -> SimpleNamespace:
        src = tmp_path / "site"
        if not src.exists():
            shutil.copytree(ROOTS / "test-site", src)
        status, warning = StringIO(), StringIO()
        app = make_app(
            "html", srcdir=src, confoverrides={"refmap_kb": str(kb_root), **conf}, status=status, warning=warning
        )
        apps.append(app)
        app.build()
        return SimpleNamespace(
            app=app, src=src, out=Path(app.outdir), status=status.getvalue(), warnings=warning.getvalue()
        )

    yield build
