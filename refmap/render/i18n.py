"""Translations of what refmap itself writes: the page templates, figure labels and the KB's prose.

Narrative pages (docs/) are translated the standard Sphinx way, with sphinx-intl catalogs in
docs/locales/. Generated reference pages are rendered directly in each language instead, from
gettext catalogs in refmap/locale/<lang>/: `pages.po` for the templates and figures, and one
`<entry id>.po` per KB entry, whose messages are the entry's English sentences. Measured numbers,
API names and code are never inside a message (templates pass them as %(placeholders)s), so a new
measurement never invalidates a translation; a changed English sentence becomes a new message, and
`python -m refmap i18n update` marks its old translation fuzzy (stale) until someone revisits it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from ..load import LoadedEntry
from ..schema import as_statement

LOCALE_ROOT = Path(__file__).resolve().parent.parent / "locale"  # pages.po: the renderer's own phrases
PAGES = "pages"  # the catalog of template and figure strings; entries' catalogs live in <kb>/locale/


def normalize(text: str) -> str:
    """Messages are compared as the page shows them: one line, single spaces."""
    return " ".join(text.split())


def kb_messages(le: LoadedEntry) -> Iterator[tuple[str, str]]:
    """(English sentence, where it is in the YAML) for every piece of KB prose a page shows."""
    e = le.entry

    def at(*loc: int | str) -> str:
        return le.where(*loc)

    yield e.title, at("title")
    yield as_statement(e.summary).text, at("summary")
    if e.formula is not None and e.formula.where:
        yield e.formula.where, at("formula", "where")
    for k, u in enumerate(e.unverified):
        yield u, at("unverified", k)
    for i, cp in enumerate(e.counterparts):
        if cp.label:
            yield cp.label, at("counterparts", i, "label")
        yield as_statement(cp.summary).text, at("counterparts", i, "summary")
        if cp.trap:
            yield cp.trap.text, at("counterparts", i, "trap")
        if cp.formula is not None and cp.formula.where:
            yield cp.formula.where, at("counterparts", i, "formula", "where")
        for k, d in enumerate(cp.differences):
            yield as_statement(d).text, at("counterparts", i, "differences", k)
        for k, row in enumerate(cp.params):
            if row.note:
                yield row.note, at("counterparts", i, "params", k, "note")
        for k, u in enumerate(cp.unverified):
            yield u, at("counterparts", i, "unverified", k)
        if cp.no_long_check:
            yield cp.no_long_check, at("counterparts", i, "no_long_check")
        for j, c in enumerate(cp.checks):
            yield c.description, at("counterparts", i, "checks", j, "description")
            for arg, why in c.blind_to.items():
                yield why, at("counterparts", i, "checks", j, "blind_to", arg)


@dataclass
class Usage:
    """What a build looked up and did not find (reported after the build)."""

    missing: set[tuple[str, str]] = field(default_factory=set)  # (catalog, msgid)
    stale: set[tuple[str, str]] = field(default_factory=set)


@cache
def _catalog(path: Path, mtime: float) -> Catalog | None:
    try:
        with path.open("rb") as f:
            return read_po(f)
    except OSError:
        return None


def catalog_path(lang: str, name: str, kb_root: Path) -> Path:
    """pages.po beside the renderer; an entry's catalog beside its knowledge base."""
    return (LOCALE_ROOT if name == PAGES else kb_root / "locale") / lang / f"{name}.po"


def load_catalog(lang: str, name: str, kb_root: Path) -> Catalog | None:
    path = catalog_path(lang, name, kb_root)
    try:
        return _catalog(path, path.stat().st_mtime)
    except OSError:
        return None


class Translator:
    """Look-ups for one language; English (or a missing catalog) returns the text unchanged."""

    def __init__(self, lang: str | None, kb_root: Path = LOCALE_ROOT.parent) -> None:
        self.lang = lang if lang and lang != "en" else None
        self.kb_root = kb_root
        self.usage = Usage()

    def _lookup(self, catalog_name: str, text: str) -> str:
        if self.lang is None:
            return text
        msgid = normalize(text)
        catalog = load_catalog(self.lang, catalog_name, self.kb_root)
        message = catalog.get(msgid) if catalog is not None else None
        if message is None or not message.string:
            self.usage.missing.add((catalog_name, msgid))
            return text
        if message.fuzzy:
            self.usage.stale.add((catalog_name, msgid))
            return text  # a stale translation says something the English no longer does
        return str(message.string)

    def gettext(self, text: str) -> str:
        return self._lookup(PAGES, text)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)

    def for_entry(self, entry_id: str) -> Callable[[str], str]:
        return lambda text: self._lookup(entry_id, text)
