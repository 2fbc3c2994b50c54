"""Sessions: `nox -s docs` builds the site, `nox -s tests` runs the tests, `nox -s verify` runs the KB.

Nox creates and reuses every environment (uv when it is installed, else virtualenv and pip):

- `_refmap`: torch, MindSpore, the project (editable) and its docs, test and lint tools. The
  framework sessions (docs, tests, verify, check, mutants, bench) require it and run in it, so
  the frameworks are installed once, not once per session.
- `lint` and `browser`: their own small environments, without the frameworks.
- `serve`: no environment (the standard library's http.server).

An environment is installed into again only when its requirements, `constraints.txt` or the
`[project]` table of `pyproject.toml` change; `nox -N` rebuilds from scratch, `nox -R` skips
installs.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nox
from packaging.requirements import Requirement

# 2026.02.09 passes --clear to uv 0.10 and newer when it rebuilds an environment.
nox.needs_version = ">=2026.2.9"
nox.options.sessions = ["tests", "docs"]
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"

ROOT = Path(__file__).resolve().parent
HTML = ROOT / "_build" / "html"
CONSTRAINTS = ROOT / "constraints.txt"
PROJECT = nox.project.load_toml(ROOT / "pyproject.toml")["project"]
EXTRAS: dict[str, list[str]] = PROJECT["optional-dependencies"]
FRAMEWORKS = {"torch", "mindspore"}
SHARED = "_refmap"  # the session, and so the environment, that the framework sessions share
STAMP = ".refmap-stamp"


def _without_frameworks(requirements: list[str]) -> list[str]:
    return [r for r in requirements if Requirement(r).name.lower() not in FRAMEWORKS]


def _uv_sources() -> dict[str, str]:
    """pip's configured package sources, as uv's environment variables.

    uv does not read pip's configuration, and on machines whose pip is pointed at local wheels
    (a CPU build of torch, say) uv would otherwise resolve from PyPI alone. Variables already
    set in the environment win.
    """
    try:
        listing = subprocess.run(
            [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError):
        listing = ""
    values: dict[str, list[str]] = {}
    for line in listing.splitlines():
        key, sep, raw = line.partition("=")
        if not sep:
            continue
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            value = raw
        name, words = key.rsplit(".", 1)[-1], str(value).split()
        if key.startswith(":env:"):  # PIP_* variables outrank the configuration files, as for pip
            values[name] = words + values.get(name, [])
        else:
            values.setdefault(name, []).extend(words)
    env = {
        # pip takes the best match across all indexes and links; uv's default is the first index.
        "UV_INDEX_STRATEGY": "unsafe-best-match",
        "UV_FIND_LINKS": ",".join(dict.fromkeys(values.get("find-links", []))),
        "UV_INDEX_URL": next(iter(values.get("index-url", [])), ""),
        "UV_EXTRA_INDEX_URL": " ".join(dict.fromkeys(values.get("extra-index-url", []))),
        "UV_CONSTRAINT": " ".join(dict.fromkeys(values.get("constraint", []))),
        "SSL_CERT_FILE": next(iter(values.get("cert", [])), ""),
    }
    return {k: v for k, v in env.items() if v and k not in os.environ}


def _install(session: nox.Session, *requirements: str) -> None:
    """Install into the session's environment, pinned by constraints.txt, unless it already has exactly this."""
    digest = hashlib.sha256(
        json.dumps([requirements, CONSTRAINTS.read_text(encoding="utf-8"), PROJECT], sort_keys=True).encode()
    ).hexdigest()
    if session.venv_backend == "none":  # --no-venv: never install into the Python that runs nox
        session.warn("no environment (--no-venv): nothing installed")
        return
    stamp = session.env_dir / STAMP
    if stamp.is_file() and stamp.read_text() == digest:
        session.log(f"{session.env_dir.name}: up to date (constraints.txt and pyproject.toml unchanged)")
        return
    args = ("install", "-c", str(CONSTRAINTS), *requirements)
    if session.venv_backend == "uv":
        try:
            done = session.run_install("uv", "pip", *args, env=_uv_sources(), silent=True)
        except nox.command.CommandFailed:
            session.warn("uv could not install these requirements; trying pip, with pip's own configuration")
            session.run_install("python", "-m", "ensurepip", silent=True)
            done = session.run_install("python", "-m", "pip", *args, "-q", "--disable-pip-version-check", silent=True)
    else:
        done = session.run_install("python", "-m", "pip", *args, "-q", "--disable-pip-version-check", silent=True)
    if done is not None:  # None: skipped by `nox --no-install`
        stamp.write_text(digest)


def _py(session: nox.Session, *args: str) -> None:
    """Run the shared environment's Python (the session itself has no environment)."""
    env = session.env_dir.parent / SHARED
    bindir = env / "bin"
    if not (bindir / "python").exists():
        session.error(f"{env} does not exist: run `nox -s {SHARED}` (or leave out --no-dependencies)")
    path = os.pathsep.join([str(bindir), os.environ.get("PATH", "")])
    session.run(str(bindir / "python"), *args, external=True, env={"VIRTUAL_ENV": str(env), "PATH": path})


@nox.session(name=SHARED, default=False)
def shared_env(session: nox.Session) -> None:
    """The environment the framework sessions share: torch, MindSpore, the project (editable), docs/test/lint tools."""
    _install(session, "-e", ".[docs,test,lint]")


LANGUAGES = ("zh_CN",)  # besides English; each is built into _build/html/<language>/


def _mirror(language: str) -> Path:
    """A source folder for one language: docs/ through symlinks, but its own generated reference/
    (rendered in that language) and the gallery output the English build already produced."""
    src = ROOT / "_build" / f"src-{language}"
    src.mkdir(parents=True, exist_ok=True)
    for item in (ROOT / "docs").iterdir():
        if item.name in ("reference", "locales"):
            continue
        link = src / item.name
        if not link.is_symlink():
            if link.exists():
                shutil.rmtree(link) if link.is_dir() else link.unlink()
            link.symlink_to(item)
    return src


def _sphinx(session: nox.Session, src: Path, out: Path, doctrees: Path, *extra: str) -> None:
    _py(
        session,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "-c",
        ".",
        "-d",
        str(doctrees),
        *extra,
        str(src),
        str(out),
    )


@nox.session(venv_backend="none", requires=[SHARED])
def docs(session: nox.Session) -> None:
    """Build the site: English into _build/html, Chinese into _build/html/zh_CN (warnings are errors;
    gallery executed once). `-- --clean` starts afresh; `-- --en` builds English only."""
    clean = "--clean" in session.posargs
    if clean:
        for d in (HTML, ROOT / "_build" / "doctrees", ROOT / "docs" / "auto_examples", ROOT / "docs" / "reference"):
            shutil.rmtree(d, ignore_errors=True)
        for lang in LANGUAGES:
            shutil.rmtree(ROOT / "_build" / f"src-{lang}", ignore_errors=True)
            shutil.rmtree(ROOT / "_build" / f"doctrees-{lang}", ignore_errors=True)
    _py(session, "tools/vendor_mathjax.py")  # once: the site serves MathJax itself
    _sphinx(session, ROOT / "docs", HTML, ROOT / "_build" / "doctrees")
    if "--en" not in session.posargs:
        for lang in LANGUAGES:
            _sphinx(session, _mirror(lang), HTML / lang, ROOT / "_build" / f"doctrees-{lang}", "-D", f"language={lang}")
    session.log(f"site: {HTML / 'index.html'}")


@nox.session(venv_backend="none", requires=[SHARED])
def i18n(session: nox.Session) -> None:
    """Update the translation catalogs from the English sources, then report what is left to translate.

    Narrative pages: Sphinx's gettext builder and sphinx-intl (docs/locales/<lang>/). Generated
    reference pages: `python -m refmap i18n update` (refmap/locale/<lang>/). `-- --check` only reports.
    """
    if "--check" not in session.posargs:
        pot = ROOT / "_build" / "gettext"
        shutil.rmtree(pot, ignore_errors=True)
        _py(session, "tools/vendor_mathjax.py")
        # the gallery's prose is extracted without running the examples again
        _py(session, "-m", "sphinx", "-q", "-b", "gettext", "-c", ".", "-D", "plot_gallery=0", "docs", str(pot))
        shutil.rmtree(pot / "reference", ignore_errors=True)  # generated pages have catalogs of their own
        for lang in LANGUAGES:
            _py(session, "-m", "sphinx_intl", "update", "-p", str(pot), "-l", lang, "-d", "docs/locales", "-w", "0")
        _py(session, "-m", "refmap", "i18n", "update")
    _py(session, "-m", "refmap", "i18n", "status")


@nox.session(venv_backend="none", requires=[SHARED])
def tests(session: nox.Session) -> None:
    """Run the test suite (real frameworks). Extra arguments go to pytest."""
    _py(session, "-m", "pytest", *(session.posargs or ["-q"]))


@nox.session(venv_backend="none", requires=[SHARED])
def verify(session: nox.Session) -> None:
    """Verify the whole knowledge base in one process, with a progress bar and a summary table."""
    _py(session, "-m", "refmap", "verify", *session.posargs)


@nox.session(venv_backend="none", requires=[SHARED])
def check(session: nox.Session) -> None:
    """Validate every entry and resolve every API."""
    _py(session, "-m", "refmap", "check")


@nox.session(venv_backend="none")
def serve(session: nox.Session) -> None:
    """Serve the built site on http://127.0.0.1:8000 (standard library only: no environment)."""
    session.run(sys.executable, "-m", "http.server", "8000", "--bind", "127.0.0.1", "--directory", str(HTML))


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint + format check) on everything, mypy on the refmap package and tools/ (no frameworks installed)."""
    # mypy follows the imports into pydantic, numpy, sphinx...; torch and MindSpore are left out
    # (ignore_missing_imports: they type as Any, with or without them installed).
    _install(session, *_without_frameworks(PROJECT["dependencies"]), *EXTRAS["docs"], *EXTRAS["lint"])
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", "refmap", "tests", "tools", "noxfile.py", "conf.py")
    session.run("mypy")
    session.run("mypy", "tools")


@nox.session(venv_backend="none", requires=[SHARED])
def mutants(session: nox.Session) -> None:
    """Flip every claim and perturb every recipe of the KB in a temporary copy; every mutant must fail."""
    _py(session, "-m", "refmap", "mutants", *session.posargs)


@nox.session(venv_backend="none", requires=[SHARED])
def bench(session: nox.Session) -> None:
    """Measure verify and docs-build times on a temporary copy of the KB (cold, cached, no-change, one edit)."""
    _py(session, str(ROOT / "tools" / "bench.py"))


@nox.session
def browser(session: nox.Session) -> None:
    """Drive Debian's Chromium (apt install chromium) against the site built by `nox -s docs`.

    Screenshots land in artifacts/screenshots/. Extra arguments go to pytest. Its environment has
    pytest, Playwright and axe only: the tests read the built HTML and import nothing of the project.
    """
    _install(session, *EXTRAS["browser"])
    # --confcutdir: tests/conftest.py (sphinx.testing, NumPy) belongs to the framework environment
    session.run(
        "python", "-m", "pytest", "tests/browser", "--confcutdir=tests/browser", "-m", "browser", "-q", *session.posargs
    )
