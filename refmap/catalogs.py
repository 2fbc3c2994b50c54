"""`python -m refmap i18n update | status`: keep the translation catalogs of generated pages in step.

update  rebuilds the message templates from the page templates, the renderer's phrases and every
        KB entry, and merges them into refmap/locale/<lang>/*.po: new English is a new, untranslated
        message; changed English keeps the old translation but marks it fuzzy (stale) until a
        translator confirms it; English that is gone is dropped.
status  counts, per catalog, untranslated and stale messages, including the narrative pages'
        sphinx-intl catalogs in docs/locales/<lang>/; exits 1 when any is left (the CI gate).

Narrative catalogs are updated by `nox -s i18n` (sphinx gettext builder + sphinx-intl); this module
only reads them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from .load import LoadedEntry
from .load.files import display
from .render.i18n import PAGES, catalog_path, kb_messages, normalize
from .render.pages import FAMILY_TITLES, GROUP_TITLES, STATUS_NAMES, TEMPLATES, TRAP
from .schema import IMPLEMENTATION_FLAGS

LANGUAGES = ("zh_CN",)
RENDER = TEMPLATES.parent
LINK_KINDS = ("optimizer", "schedule", "concept", "setup")  # `_(link.kind)` in entry.md.j2
NARRATIVE_ROOT = Path(__file__).resolve().parent.parent / "docs" / "locales"


def _pages_template() -> Catalog:
    cat = Catalog(project="refmap", domain=PAGES)
    for path in sorted(TEMPLATES.glob("*.j2")):
        opts = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true", "trimmed": "false"}
        for line, message, comments, _ctx in extract_from_file("jinja2", str(path), options=opts):
            text = message if isinstance(message, str) else message[0]
            cat.add(normalize(text), locations=[(f"refmap/render/templates/{path.name}", line)], auto_comments=comments)
    # phrases the renderer's Python code translates: `_("...")` / `gettext("...")` calls
    for path in sorted(RENDER.glob("*.py")):
        for line, message, comments, _ctx in extract_from_file(
            "python", str(path), keywords={"_": None, "gettext": None}
        ):
            text = message if isinstance(message, str) else message[0]
            cat.add(normalize(text), locations=[(f"refmap/render/{path.name}", line)], auto_comments=comments)
    # phrases looked up through tables rather than literal calls
    tables = [*STATUS_NAMES.values(), TRAP, *FAMILY_TITLES.values(), *GROUP_TITLES.values()]
    for text in [*tables, *IMPLEMENTATION_FLAGS.values(), *LINK_KINDS]:
        cat.add(normalize(text), locations=[("refmap/render/pages.py", 0)])
    return cat


def _entry_template(le: LoadedEntry) -> Catalog:
    cat = Catalog(project="refmap", domain=le.entry.id)
    for text, where in kb_messages(le):
        path, line, _col = where.rsplit(":", 2)
        msgid = normalize(text)
        existing = cat.get(msgid)
        locations = [*(existing.locations if existing else []), (path, int(line))]
        cat.add(msgid, locations=locations)
    return cat


def _read(path: Path, lang: str, domain: str) -> Catalog:
    if path.exists():
        with path.open("rb") as f:
            return read_po(f, locale=lang, domain=domain)
    return Catalog(locale=lang, domain=domain, project="refmap")


def _write(path: Path, cat: Catalog) -> bool:
    buf = io.BytesIO()
    write_po(buf, cat, width=0, omit_header=False, sort_output=False, ignore_obsolete=True, include_previous=True)
    data = buf.getvalue()
    # the header carries a revision date; keep the file unchanged when nothing else changed
    if path.exists() and _strip_dates(path.read_bytes()) == _strip_dates(data):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def _strip_dates(data: bytes) -> bytes:
    return b"\n".join(
        ln for ln in data.splitlines() if not ln.startswith((b'"POT-Creation-Date', b'"PO-Revision-Date'))
    )


def update(entries: list[LoadedEntry], kb_root: Path, languages: tuple[str, ...] = LANGUAGES) -> list[Path]:
    templates = {PAGES: _pages_template(), **{le.entry.id: _entry_template(le) for le in entries}}
    written = []
    for lang in languages:
        for name, template in templates.items():
            path = catalog_path(lang, name, kb_root)
            cat = _read(path, lang, name)
            cat.update(template, no_fuzzy_matching=False, update_creation_date=False)
            if _write(path, cat):
                written.append(path)
        for stale in sorted((kb_root / "locale" / lang).glob("*.po")):
            if stale.stem not in templates:  # an entry that no longer exists
                stale.unlink()
                written.append(stale)
    return written


@dataclass
class Count:
    catalog: str
    total: int
    untranslated: list[str]
    stale: list[str]


def _count(path: Path, label: str, lang: str) -> Count:
    with path.open("rb") as f:
        cat = read_po(f, locale=lang)
    messages = [m for m in cat if m.id]
    return Count(
        label,
        len(messages),
        [str(m.id) for m in messages if not m.string],
        [str(m.id) for m in messages if m.string and m.fuzzy],
    )


def status(entries: list[LoadedEntry], kb_root: Path, languages: tuple[str, ...] = LANGUAGES) -> dict[str, list[Count]]:
    """Counts for every catalog the site needs: pages, each entry, each narrative page."""
    out: dict[str, list[Count]] = {}
    for lang in languages:
        counts = []
        for name in [PAGES, *(le.entry.id for le in entries)]:
            path = catalog_path(lang, name, kb_root)
            shown = display(path)
            if not path.exists():
                counts.append(Count(shown, 1, ["(catalog missing: run `python -m refmap i18n update`)"], []))
            else:
                counts.append(_count(path, shown, lang))
        narrative = NARRATIVE_ROOT / lang / "LC_MESSAGES"
        for path in sorted(narrative.rglob("*.po")):
            counts.append(_count(path, str(path.relative_to(NARRATIVE_ROOT.parent.parent)), lang))
        if not narrative.is_dir():
            counts.append(Count(f"docs/locales/{lang}", 1, ["(no narrative catalogs: run `nox -s i18n`)"], []))
        out[lang] = counts
    return out
