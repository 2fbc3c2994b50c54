"""Step 3 of the data flow: the Sphinx extension that turns entries + results into pages.

Enable with ``extensions = ["refmap.render"]``. Config: ``refmap_output`` (folder under the
source dir, default "reference"), ``refmap_kb`` (knowledge-base folder, default the packaged one).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

from ..load import KB_ROOT, KBLoadError
from ..verify import PoolError, Settings, StoreError, VerificationFailed
from ..verify.measure.runtime import DeviceError
from . import locations, roles

logger = logging.getLogger(__name__)


class RefmapBuildError(ExtensionError):
    category = "refmap: the knowledge base does not hold, nothing was written"


def _generate(app: Sphinx) -> None:
    from .build import generate

    t0 = time.perf_counter()
    out = Path(app.srcdir) / app.config.refmap_output
    kb = Path(app.config.refmap_kb or KB_ROOT)
    try:
        examples = Path(app.srcdir) / app.config.refmap_examples if app.config.refmap_examples else None
        rep = generate(
            out,
            kb,
            settings=Settings(force=app.config.refmap_force),
            examples_dir=examples,
            language=app.config.language,
        )
    except (KBLoadError, VerificationFailed, DeviceError, PoolError, StoreError) as exc:
        # One located line each, up front; the exception then stops the build.
        for line in getattr(exc, "errors", None) or getattr(exc, "lines", None) or [exc]:
            logger.error("[refmap] %s", line)
        raise RefmapBuildError(str(exc)) from None
    roles.RESULTS[str(app.srcdir)] = rep.results
    logger.info(
        "[refmap] %d entries, %d checks; verified afresh: %s; files rewritten: %d (%.1f s)",
        rep.entries,
        rep.checks,
        ", ".join(rep.verified) or "none (all cached)",
        len(rep.rewritten),
        time.perf_counter() - t0,
    )
    if rep.untranslated or rep.stale:
        logger.info(
            "[refmap] %s: %d messages without translation and %d stale ones in the pages written "
            "(English shown; `python -m refmap i18n status` lists them)",
            app.config.language,
            rep.untranslated,
            rep.stale,
        )


MINDSPORE_DOCS = {"en": "www.mindspore.cn/docs/en/", "zh_CN": "www.mindspore.cn/docs/zh-CN/"}


def _docs_links_in_language(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Links to MindSpore's documentation open it in the reader's language (same pinned release)."""
    target = MINDSPORE_DOCS.get(app.config.language or "en")
    if target is None or target == MINDSPORE_DOCS["en"]:
        return
    for ref in doctree.findall(nodes.reference):
        uri = ref.get("refuri", "")
        if MINDSPORE_DOCS["en"] in uri:
            ref["refuri"] = uri.replace(MINDSPORE_DOCS["en"], target)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("refmap_output", "reference", "env")
    app.add_config_value("refmap_kb", "", "env")
    app.add_config_value("refmap_force", False, "env")
    app.add_config_value("refmap_examples", "", "env")  # gallery sources, relative to the source dir
    app.connect("builder-inited", _generate)
    app.connect("builder-inited", locations.install)
    app.connect("doctree-resolved", _docs_links_in_language)
    roles.setup(app)
    app.setup_extension("refmap.render.gallery_guard")
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
