"""Sphinx warnings about generated pages name the KB entry they came from.

A warning located in `reference/<entry>.md` is re-pointed at the YAML location recorded in the
nearest `% refmap-source:` comment above the offending line (or at the entry file itself), so the
contributor is sent to the file they wrote, not to a page that is regenerated on every build.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sphinx.application import Sphinx

from .pages import SOURCE_MARK


class _ToYaml(logging.Filter):
    def __init__(self, app: Sphinx) -> None:
        super().__init__()
        self.app = app
        self.folder = Path(app.srcdir) / app.config.refmap_output

    def _source(self, page: Path, line: int | None) -> str | None:
        try:
            lines = page.read_text(encoding="utf-8").splitlines()
        except OSError:
            return None
        for text in reversed(lines[: line or 0]):
            if text.startswith(SOURCE_MARK):
                return text[len(SOURCE_MARK) :].strip()
        return None

    def _page(self, loc: object) -> tuple[Path, int | None] | None:
        """The generated page and line a warning is located at, if it is one of ours."""
        if isinstance(loc, tuple) and loc and isinstance(loc[0], str):
            prefix = self.app.config.refmap_output + "/"
            if loc[0].startswith(prefix):
                line = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
                return self.folder / f"{loc[0][len(prefix) :]}.md", line
            return None
        if isinstance(loc, str):  # "path/to/page.md:123" once Sphinx has translated it
            path, _, number = loc.rpartition(":")
            if not number.isdigit():
                path, number = loc, ""
            page = Path(path)
            if page.suffix == ".md" and page.parent.resolve() == self.folder.resolve():
                return page, int(number) if number else None
        return None

    def filter(self, record: logging.LogRecord) -> bool:
        found = self._page(getattr(record, "location", None))
        if found is None:
            return True
        page, line = found
        where = self._source(page, line)
        if where is not None:
            record.location = None
            record.msg = f"{where}: (in the generated page {page.name}) {record.msg}"
        return True


def install(app: Sphinx) -> None:
    flt = _ToYaml(app)
    for handler in logging.getLogger("sphinx").handlers:
        handler.addFilter(flt)
