"""Page data -> MyST pages (Jinja2 templates) and figure files, in memory."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..load import LoadedEntry
from ..schema import FAMILIES, Entry
from ..verify.results import Verification
from .figures import check_figure
from .i18n import Translator
from .model import EntryPage

TEMPLATES = Path(__file__).resolve().parent / "templates"
BADGES = {
    "equivalent": "success",
    "equivalent_with_recipe": "info",
    "differs": "warning",
    "no_counterpart": "secondary",
}
GROUP_TITLES = {"schedule": "Learning-rate schedules", "setup": "Common setups", "concept": "Optimizer concepts"}
TRAP = "⚠ trap"
FAMILY_TITLES = {
    "sgd": "SGD family",
    "adam": "Adam family",
    "adaptive": "Adaptive per-coordinate",
    "large_batch": "Large-batch",
    "sparse_online": "Sparse and online",
    "second_order": "Second-order",
    "other": "Other optimizers",
}


# Every ASCII punctuation character may be backslash-escaped in CommonMark, and then means itself.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def _escape_prose(s: str) -> str:
    return _PUNCTUATION.sub(r"\\\1", s)


def text(value: Any) -> str:
    """KB prose as inert Markdown: one line, `code spans` kept, every other punctuation character
    escaped, so no directive, role, link, image, heading, list or HTML can come from KB text."""
    s = " ".join(("" if value is None else str(value)).split())
    parts = re.split(r"(`[^`]+`)", s)
    return "".join(p if i % 2 else _escape_prose(p) for i, p in enumerate(parts))


def attr(value: Any) -> str:
    return re.sub(r"[\"\\\n<>{}]", " ", str(value))


def inlinecode(value: Any) -> str:
    s = str(value or "")
    if not s:
        return "—"
    fence = "`" * (max((len(m) for m in re.findall(r"`+", s)), default=0) + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}".replace("|", "\\|")


SOURCE_MARK = "% refmap-source: "


def codeblock(code: str, where: str | None = None, language: str = "python") -> str:
    """A fenced block; `where` (the YAML location of the code) goes in a MyST comment above it, so a
    Sphinx warning about the block can name the entry file (see refmap.render.locations). The code
    each check ran is shown as plain text: highlighted, it was half of the heaviest pages' bytes."""
    fence = "`" * max(3, max((len(m) for m in re.findall(r"`+", code)), default=0) + 1)
    mark = f"{SOURCE_MARK}{where}\n" if where else ""
    return f"{mark}{fence}{language}\n{code.rstrip()}\n{fence}"


# Status names as the badges show them (translated like every phrase of the templates). A trap badge
# ("⚠ trap") is shown beside the status of a counterpart that silently does nothing or trains differently.
STATUS_NAMES = {
    "equivalent": "equivalent",
    "equivalent_with_recipe": "equivalent with recipe",
    "differs": "differs",
    "no_counterpart": "no counterpart",
}


class Renderer:
    def __init__(self, translator: Translator | None = None) -> None:
        self.translator = translator or Translator(None)
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            undefined=StrictUndefined,
            autoescape=False,  # Markdown, not HTML: KB text goes through the `text` filter
            keep_trailing_newline=True,
            trim_blocks=False,
            lstrip_blocks=True,
            extensions=["jinja2.ext.i18n"],
        )
        t = self.translator
        self.env.install_gettext_callables(t.gettext, t.ngettext, newstyle=True)  # type: ignore[attr-defined]
        self.env.filters.update(text=text, attr=attr, inlinecode=inlinecode, codeblock=codeblock)
        self.env.globals.update(
            badge=lambda status: f"{{bdg-{BADGES[status]}}}`{t.gettext(STATUS_NAMES[status])}`",
            trap_badge=lambda: f"{{bdg-danger}}`{t.gettext(TRAP)}`",
        )

    def entry_page(self, page: EntryPage, drawn: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
        """(page markdown, {figure path under the output folder: svg}); figures in `drawn` are
        reused as they are (their data did not change)."""
        figures = {}
        for path, r in page.figures.items():
            svg = drawn[path] if drawn and path in drawn else check_figure(r, self.translator.gettext)
            if svg is not None:
                figures[path] = svg
        return _tidy(self.env.get_template("entry.md.j2").render(page=page)), figures

    def overview(self, entries: list[LoadedEntry], verification: Verification) -> str:
        es = [le.entry for le in entries]
        groups = []
        for fam in FAMILIES:
            members = [e for e in es if e.kind == "optimizer" and e.family == fam]
            if members:
                groups.append(
                    {
                        "title": self.translator.gettext("Optimizers: %(family)s")
                        % {"family": self.translator.gettext(FAMILY_TITLES[fam])},
                        "entries": members,
                    }
                )
        for kind, title in (
            ("schedule", "Learning-rate schedules"),
            ("setup", "Common setups"),
            ("concept", "Optimizer concepts"),
        ):
            members = [e for e in es if e.kind == kind]
            if members:
                groups.append({"title": title, "entries": members})
        reverse = sorted(((cp.api, cp, e) for e in es for cp in e.counterparts if cp.api), key=lambda t: t[0])
        results = verification.entries
        checks = [c for r in results.values() for c in r.checks]

        def passed_of_entry(e: Entry) -> str:
            rs = results[e.id].checks
            return f"{sum(r.passed for r in rs)}/{len(rs)}" if rs else "—"

        return _tidy(
            self.env.get_template("overview.md.j2").render(
                groups=groups,
                reverse=reverse,
                passed_of_entry=passed_of_entry,
                n_checks=len(checks),
                n_entries=len(es),
                n_passed=sum(c.passed for c in checks),
                versions=verification.environment.label(),
            )
        )


def _tidy(markdown: str) -> str:
    """Template control lines leave runs of blank lines; one is enough for Markdown."""
    return re.sub(r"\n{3,}", "\n\n", markdown)
