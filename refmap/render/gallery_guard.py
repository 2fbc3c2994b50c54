"""Gallery examples are code run during the build; the build fails, naming the example, when one
- was not executed (misnamed, or `plot_gallery=0`): that would publish unverified code;
- produced no figure;
- ran past its time limit (`refmap_example_timeout`, default 300 s): interrupted with an error, and
  if it is stuck where Python cannot interrupt it, the build is ended with exit status 1;
- ended the build itself (`sys.exit()` / `SystemExit`): that would otherwise end `sphinx-build`
  "successfully" with an empty site.

sphinx-gallery has no timeout or exit guard of its own; its `reset_modules` hook, called before
and after every example, is where this module starts and stops watching.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

NOT_RUN = "**Total running time of the script:** (0 minutes 0.000 seconds)"
FIGURE_MARKERS = (".. image-sg::", "sphx-glr-single-img", "sphx-glr-multi-img")
GRACE_S = 30.0  # after the timeout, how long an uninterruptible example gets before the build ends


class ExampleTimeout(Exception):
    pass


class _Watch:
    """The example running now, and the timers that bound it."""

    timeout_s = 300.0
    current: str | None = None
    watchdog: threading.Timer | None = None


def _alarm(signum: int, frame: Any) -> None:
    raise ExampleTimeout(f"{_Watch.current} ran longer than {_Watch.timeout_s:.0f} s (refmap_example_timeout)")


def _stuck() -> None:
    sys.stderr.write(
        f"\nrefmap: gallery example {_Watch.current} is stuck past its {_Watch.timeout_s:.0f} s limit "
        "where Python cannot interrupt it; ending the build (exit status 1)\n"
    )
    sys.stderr.flush()
    os._exit(1)


def watch(gallery_conf: dict, fname: str, when: str) -> None:
    """sphinx-gallery `reset_modules` hook: arm the timers before an example, disarm after."""
    if when == "before":
        _Watch.current = fname
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, _Watch.timeout_s)
        _Watch.watchdog = threading.Timer(_Watch.timeout_s + GRACE_S, _stuck)
        _Watch.watchdog.daemon = True
        _Watch.watchdog.start()
    else:
        if threading.current_thread() is threading.main_thread():
            signal.setitimer(signal.ITIMER_REAL, 0)
        if _Watch.watchdog is not None:
            _Watch.watchdog.cancel()
        _Watch.current = None


@atexit.register
def _ended_during_an_example() -> None:
    """The interpreter is exiting while an example runs: the example ended the build."""
    if _Watch.current is not None:
        sys.stderr.write(
            f"\nrefmap: gallery example {_Watch.current} ended the build early (it called sys.exit() or "
            "raised SystemExit); the site is incomplete (exit status 1)\n"
        )
        sys.stderr.flush()
        os._exit(1)


def problems(examples: Path, gallery: Path) -> list[str]:
    out = []
    for path in sorted(examples.glob("*.py")):
        if not path.name.startswith("plot_"):
            out.append(f"{path}: gallery scripts must be named plot_*.py, or they are never executed")
            continue
        rst = gallery / f"{path.stem}.rst"
        cost = gallery / f"{path.stem}.cost.json"
        try:
            ran = json.loads(cost.read_text())["time"] > 0
        except (OSError, ValueError, KeyError, TypeError):
            ran = False
        if not rst.exists():
            out.append(f"{path}: sphinx-gallery produced no page for it")
            continue
        page = rst.read_text(encoding="utf-8")
        if NOT_RUN in page or not ran:
            out.append(f"{path}: was rendered without being executed (is plot_gallery disabled?)")
        elif not any(m in page for m in FIGURE_MARKERS):
            out.append(f"{path}: produced no figure (did it stop before plotting?)")
    return out


def check(app: Sphinx, exception: BaseException | None) -> None:
    if exception is not None or "sphinx_gallery.gen_gallery" not in app.extensions:
        return
    if app.builder.format != "html":
        return  # the gettext builder extracts the gallery's prose without running it
    conf = app.config.sphinx_gallery_conf
    src = Path(app.srcdir)
    found = []
    for ex_dir, gal_dir in zip(conf["examples_dirs"], conf["gallery_dirs"], strict=True):
        found += problems((src / ex_dir).resolve(), src / gal_dir)
    if found:
        raise ExtensionError("gallery examples that did not run:\n" + "\n".join(f"  {p}" for p in found))


def _configure(app: Sphinx, config: Any) -> None:
    _Watch.timeout_s = float(config.refmap_example_timeout)
    conf = getattr(config, "sphinx_gallery_conf", None)
    if isinstance(conf, dict):
        resets = conf.get("reset_modules", ("matplotlib", "seaborn"))
        resets = (resets,) if isinstance(resets, str) or callable(resets) else tuple(resets)
        hook = f"{__name__}.watch"
        if hook not in resets:
            conf["reset_modules"] = (*resets, hook)
        conf["reset_modules_order"] = "both"


def setup(app: Sphinx) -> dict[str, object]:
    app.add_config_value("refmap_example_timeout", 300, "env", types=frozenset({int, float}))
    # before sphinx-gallery reads its configuration (its own config-inited handler has priority 500)
    app.connect("config-inited", _configure, priority=100)
    app.connect("build-finished", check)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
