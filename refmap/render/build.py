"""The pages of a site build: verify (cached) -> page data -> Markdown and figures, or fail with every error.

Nothing is written unless every entry loads and every check holds. Pages whose inputs (entry,
results, renderer code) are unchanged are reused from disk, and so is each figure of a page that
is rendered again whose own data did not change (drawing is most of a page's rendering time).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from ..load import KB_ROOT, LoadedEntry, load_kb
from ..verify import Settings, verify_entries
from ..verify.results import CheckResult
from .examples_index import for_apis, scan_all
from .i18n import PAGES, Translator, catalog_path
from .model import FIG_DIR, entry_page, related_links
from .output import write_tree
from .pages import Renderer

MANIFEST = ".refmap-manifest.json"
RENDER_CODE = Path(__file__).resolve().parent


def _render_code_hash() -> str:
    h = hashlib.sha256()
    for path in sorted(RENDER_CODE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".j2"):
            h.update(path.relative_to(RENDER_CODE).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


@dataclass
class BuildReport:
    entries: int
    checks: int
    verified: list[str]  # entry ids with checks run afresh (the rest came from the cache)
    rewritten: list[str]  # generated files whose bytes changed
    results: dict[tuple[str, str], CheckResult] = field(default_factory=dict)  # for {check} and {measured}
    untranslated: int = 0  # messages this language has no translation for (English shown instead)
    stale: int = 0  # translations of English that has since changed (English shown instead)


def _catalog_hash(language: str | None, name: str, kb_root: Path) -> str:
    if not language or language == "en":
        return ""
    try:
        return hashlib.sha256(catalog_path(language, name, kb_root).read_bytes()).hexdigest()
    except OSError:
        return "missing"


def generate(
    out_dir: Path,
    kb_root: Path = KB_ROOT,
    *,
    settings: Settings | None = None,
    examples_dir: Path | None = None,
    language: str | None = None,
) -> BuildReport:
    language = None if language in (None, "en") else language  # English is the source: no catalog
    entries = load_kb(kb_root)
    verification = verify_entries(entries, settings or Settings(), whole_kb=True)
    examples = scan_all(examples_dir) if examples_dir else []
    code = _render_code_hash()
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    translator = Translator(language, kb_root)
    renderer = Renderer(translator)
    # links between entries, and which page owns an API object or a search term, depend on every
    # entry's id, title, kind, APIs, see_also and keywords
    related_key = hashlib.sha256(
        json.dumps(
            [
                (
                    le.entry.id,
                    le.entry.title,
                    le.entry.kind,
                    le.entry.torch_api,
                    le.entry.involves,
                    le.entry.see_also,
                    [cp.api for cp in le.entry.counterparts],
                    le.entry.keywords,
                )
                for le in entries
            ]
        ).encode()
    ).hexdigest()
    files: dict[str, str] = {}
    keys: dict[str, str] = {}
    fig_keys: dict[str, dict[str, str]] = {}
    # a figure depends on its check's result, the drawing code, matplotlib and the label translations
    fig_salt = f"{code}\n{version('matplotlib')}\n{language}\n{_catalog_hash(language, PAGES, kb_root)}"
    for le in entries:
        e = le.entry
        res = verification.entries[e.id]
        mine = for_apis(examples, {a for a in [e.torch_api, *e.involves, *(cp.api for cp in e.counterparts)] if a})
        ex_key = ";".join(f"{ex.stem}={ex.title}" for ex in mine) + "|" + related_key
        data = res.model_dump_json(exclude={"checks": {"__all__": {"wall_s", "cached"}}})
        # translations of this entry and of every entry it links to change the page too
        catalogs = ";".join(
            _catalog_hash(language, name, kb_root) for name in [PAGES, e.id, *sorted(linked_ids(le, entries))]
        )
        key = hashlib.sha256(
            f"{le.digest}\n{data}\n{verification.environment.label()}\n{code}\n{ex_key}\n{language}\n{catalogs}".encode()
        ).hexdigest()
        keys[e.id] = key
        previous = manifest.get(e.id, {})
        reused = _reuse(out_dir, le, previous) if previous.get("key") == key else None
        if reused is None:
            model = entry_page(
                le, res, verification.environment, mine, entries, translator.gettext, translator.for_entry
            )
            fig_keys[e.id] = {path: _figure_key(r, fig_salt) for path, r in model.figures.items()}
            page, figures = renderer.entry_page(model, _drawn(out_dir, previous, fig_keys[e.id]))
            reused = {f"{e.id}.md": page, **figures}
        else:
            fig_keys[e.id] = previous.get("figures", {})
        files.update(reused)
    files["index.md"] = renderer.overview(entries, verification)
    manifest = {
        le.entry.id: {
            "key": keys[le.entry.id],
            "files": sorted(f for f in files if _owned_by(f, le)),
            "figures": fig_keys[le.entry.id],
        }
        for le in entries
    }
    files[MANIFEST] = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    rewritten = write_tree(out_dir, files, ("*.md", f"{FIG_DIR}/*/*.svg"))
    return BuildReport(
        entries=len(entries),
        checks=sum(len(r.checks) for r in verification.entries.values()),
        verified=[eid for eid, r in verification.entries.items() if not r.cached],
        rewritten=rewritten,
        results={(eid, r.check): r for eid, res in verification.entries.items() for r in res.checks},
        untranslated=len(translator.usage.missing),
        stale=len(translator.usage.stale),
    )


def linked_ids(le: LoadedEntry, entries: list[LoadedEntry]) -> set[str]:
    return {link.target for link in related_links(le, entries)}


def _owned_by(rel: str, le: LoadedEntry) -> bool:
    eid = le.entry.id
    return rel == f"{eid}.md" or rel.startswith(f"{FIG_DIR}/{eid}/")


def _figure_key(r: CheckResult, salt: str) -> str:
    data = r.model_dump_json(exclude={"wall_s", "cached"})
    return hashlib.sha256(f"{salt}\n{data}".encode()).hexdigest()


def _drawn(out_dir: Path, previous: dict, keys: dict[str, str]) -> dict[str, str]:
    """Figures on disk whose key is unchanged since they were drawn."""
    old = previous.get("figures")
    if not isinstance(old, dict):
        return {}
    out = {}
    for path, key in keys.items():
        if old.get(path) == key:
            try:
                out[path] = (out_dir / path).read_text(encoding="utf-8")
            except OSError:
                pass
    return out


def _reuse(out_dir: Path, le: LoadedEntry, info: dict) -> dict[str, str] | None:
    out = {}
    for rel in info.get("files", []):
        try:
            out[rel] = (out_dir / rel).read_text(encoding="utf-8")
        except OSError:
            return None
    return out if f"{le.entry.id}.md" in out else None
