"""The built site in a real browser: pages load cleanly, synced tabs, copy buttons, search, figures,
links, screenshots in light and dark mode, and axe-core accessibility checks.

Run against a built site, e.g.
    REFMAP_SITE=_build/html python -m pytest tests/browser -m browser
See conftest.py for the environment variables.
"""

from __future__ import annotations

import concurrent.futures
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

from .conftest import THEMES, Visit, page_keys, search_terms

pytestmark = pytest.mark.browser

AXE_FAILING_IMPACTS = ("serious", "critical")
# axe-core rules switched off entirely, rule id -> why. Keep empty unless a whole rule is
# meaningless for this site; our own templates and CSS must pass every rule.
AXE_DISABLED_RULES: dict[str, str] = {}
# Narrower: (rule id, start of the offending element's HTML) for markup that Sphinx or Furo
# write and that this site cannot change. Only nodes matching both are ignored.
AXE_UPSTREAM_NODES: list[tuple[str, str, str]] = [
    (
        "aria-required-attr",
        '<p class="caption" role="heading">',
        "Sphinx's HTML writer renders toctree captions as <p role=heading> without aria-level "
        "(sphinx-doc/sphinx#14030; fix proposed in sphinx-doc/sphinx#14437)",
    ),
]

# Waits all <img> for load/error, then reports the ones with no pixels.
_IMAGES_JS = """async () => {
  const imgs = Array.from(document.images);
  imgs.forEach(i => { i.loading = "eager"; });  // lazy images off screen would never load
  const loaded = Promise.all(imgs.map(i => i.complete ? null :
    new Promise(r => { i.addEventListener("load", r); i.addEventListener("error", r); })));
  await Promise.race([loaded, new Promise(r => setTimeout(r, 30000))]);
  return imgs.map(i => ({src: i.currentSrc || i.src, w: i.naturalWidth, complete: i.complete}));
}"""


# --------------------------------------------------------------------------------------------
# One visit per (key page, theme): console errors, images, screenshot, axe. The tests below
# assert on the cached observations, so each page is loaded once per theme.
# --------------------------------------------------------------------------------------------


class Observations:
    def __init__(self, browser, base_url, key_pages, artifacts_dir):
        self.browser, self.base_url, self.pages, self.artifacts = browser, base_url, key_pages, artifacts_dir
        self.cache: dict[tuple[str, str], dict] = {}

    def __call__(self, key: str, theme: str) -> dict:
        if (key, theme) not in self.cache:
            self.cache[key, theme] = self._observe(key, theme)
        return self.cache[key, theme]

    def _observe(self, key: str, theme: str) -> dict:
        if key not in self.pages:
            pytest.fail(f"no {key!r} page found in reference/index.html (set REFMAP_PAGES={key}=reference/<id>.html)")
        path = self.pages[key]
        v = Visit(self.browser, self.base_url, theme)
        try:
            v.goto(path)
            v.page.evaluate("document.fonts.ready.then(() => true)")
            body_theme = v.page.evaluate("document.body.dataset.theme")
            images = v.page.evaluate(_IMAGES_JS)
            shot = self.artifacts / f"{key}-{theme}.png"
            v.page.screenshot(path=str(shot), full_page=True)
            axe = _run_axe(v.page)
            return {
                "path": path,
                "errors": list(v.errors),
                "images": images,
                "screenshot": shot,
                "theme": body_theme,
                "axe": axe,
            }
        finally:
            v.close()


def _run_axe(page) -> list[dict] | None:
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        return None
    options = {"resultTypes": ["violations"]}
    if AXE_DISABLED_RULES:
        options["rules"] = {rule: {"enabled": False} for rule in AXE_DISABLED_RULES}
    return Axe().run(page, options=options).response["violations"]


@pytest.fixture(scope="session")
def observe(browser, base_url, key_pages, artifacts_dir):
    return Observations(browser, base_url, key_pages, artifacts_dir)


CASES = [pytest.param(k, t, id=f"{k}-{t}") for k in page_keys() for t in THEMES]


@pytest.mark.parametrize(("key", "theme"), CASES)
def test_page_loads_without_console_errors(observe, key, theme):
    obs = observe(key, theme)
    assert obs["theme"] == theme, f"{obs['path']}: Furo theme is {obs['theme']!r}, wanted {theme!r}"
    assert not obs["errors"], f"{obs['path']} ({theme}):\n  " + "\n  ".join(obs["errors"])


@pytest.mark.parametrize(("key", "theme"), CASES)
def test_every_figure_loads(observe, key, theme):
    obs = observe(key, theme)
    broken = [f"{i['src']} (naturalWidth={i['w']}, complete={i['complete']})" for i in obs["images"] if not i["w"]]
    assert not broken, f"{obs['path']} ({theme}): images that did not load:\n  " + "\n  ".join(broken)
    if key in ("optimizer", "schedule"):
        assert obs["images"], f"{obs['path']}: an entry page should show at least one figure"


@pytest.mark.parametrize(("key", "theme"), CASES)
def test_full_page_screenshot_saved(observe, key, theme):
    shot: Path = observe(key, theme)["screenshot"]
    assert shot.is_file() and shot.stat().st_size > 1000, f"screenshot {shot} missing or empty"


@pytest.mark.parametrize(("key", "theme"), CASES)
def test_no_serious_accessibility_violations(observe, key, theme):
    obs = observe(key, theme)
    if obs["axe"] is None:
        pytest.skip("axe-playwright-python is not installed")
    bad = []
    for v in obs["axe"]:
        known = [html for rule, html, _ in AXE_UPSTREAM_NODES if rule == v["id"]]
        nodes = [n for n in v["nodes"] if not any(n.get("html", "").startswith(h) for h in known)]
        if nodes and v.get("impact") in AXE_FAILING_IMPACTS:
            bad.append({**v, "nodes": nodes})
    lines = []
    for v in bad:
        targets = [", ".join(map(str, n.get("target", []))) for n in v["nodes"][:4]]
        first = v["nodes"][0] if v["nodes"] else {}
        why = (first.get("any") or first.get("all") or first.get("none") or [{}])[0].get("message", "")
        lines.append(
            f"{v['id']} [{v['impact']}] {v['help']} ({len(v['nodes'])} nodes)\n"
            f"      targets: {targets}\n      first: {why}"
        )
    assert not bad, f"{obs['path']} ({theme}): axe-core violations:\n  " + "\n  ".join(lines)


# --------------------------------------------------------------------------------------------
# Interactions
# --------------------------------------------------------------------------------------------

_TABSETS_JS = """() => Array.from(document.querySelectorAll(".sd-tab-set"))
  .filter(s => s.querySelector(':scope > label.sd-tab-label[data-sync-group="framework"]'))
  .map(s => {
    const checked = s.querySelector(":scope > input.sd-tab-input:checked, :scope > input[type=radio]:checked");
    const label = checked && s.querySelector(`:scope > label[for="${checked.id}"]`);
    const content = label && label.nextElementSibling;
    return {sync: label ? label.dataset.syncId : null,
            visible: !!content && content.offsetParent !== null};
  })"""


def _entry_page_with_most_tabsets(visit, key_pages) -> tuple[Visit, str]:
    best = None
    for key in ("optimizer", "schedule"):
        if key not in key_pages:
            continue
        v = visit()
        v.goto(key_pages[key])
        n = len(v.page.evaluate(_TABSETS_JS))
        if best is None or n > best[2]:
            best = (v, key_pages[key], n)
    assert best and best[2], "no entry page with a PyTorch/MindSpore tab-set (sync-group framework)"
    return best[0], best[1]


def test_framework_tabs_switch_together(visit, key_pages):
    v, path = _entry_page_with_most_tabsets(visit, key_pages)
    page = v.page
    before = page.evaluate(_TABSETS_JS)
    assert all(t["sync"] == "torch" for t in before), f"{path}: PyTorch should be selected first: {before}"
    for wanted, label in (("mindspore", "MindSpore"), ("torch", "PyTorch")):
        tab = page.locator(f'.sd-tab-set label.sd-tab-label[data-sync-group="framework"][data-sync-id="{wanted}"]')
        assert tab.count() >= 1, f"{path}: no {label} tab"
        tab.first.click()
        page.wait_for_function(
            """(want) => Array.from(document.querySelectorAll(
                 '.sd-tab-set > label[data-sync-group="framework"][data-sync-id="' + want + '"]'))
               .every(l => document.getElementById(l.htmlFor).checked)""",
            arg=wanted,
            timeout=5000,
        )
        after = page.evaluate(_TABSETS_JS)
        wrong = [i for i, t in enumerate(after) if t["sync"] != wanted or not t["visible"]]
        assert not wrong, f"{path}: after clicking {label}, tab-sets {wrong} of {len(after)} don't show it: {after}"
    assert not v.errors, "\n".join(v.errors)


def test_copy_button_copies_the_code(visit, key_pages):
    v, path = _entry_page_with_most_tabsets(visit, key_pages)
    page = v.page
    page.wait_for_selector(".copybtn", state="attached", timeout=5000)
    buttons = page.locator(".copybtn:visible")
    n = buttons.count()
    assert n >= 1, f"{path}: no visible copy button"
    for i in range(min(n, 3)):
        btn = buttons.nth(i)
        expected = btn.evaluate(
            """b => { const t = document.querySelector(b.dataset.clipboardTarget);
                      const c = t.cloneNode(true); c.querySelectorAll('.linenos').forEach(e => e.remove());
                      return c.textContent; }"""
        ).removesuffix("\n")
        page.evaluate("navigator.clipboard.writeText('')")
        btn.hover()
        btn.click()
        page.wait_for_function("async () => (await navigator.clipboard.readText()).length > 0", timeout=5000)
        got = page.evaluate("navigator.clipboard.readText()")
        assert got == expected, f"{path}: copy button {i} copied {got!r}, the code block says {expected!r}"
    assert not v.errors, "\n".join(v.errors)


@pytest.mark.parametrize("term", search_terms())
def test_search_finds_term(visit, term):
    v = visit()
    v.goto("search.html?q=" + urllib.parse.quote(term))
    page = v.page
    page.wait_for_function(
        "() => { const s = document.querySelector('#search-results .search-summary');"
        " return s && /Search finished|did not match/.test(s.textContent); }",
        timeout=10000,
    )
    links = page.locator("#search-results ul.search li a")
    summary = page.locator("#search-results .search-summary").inner_text()
    assert links.count() >= 1, f"search for {term!r} found nothing: {summary}"
    assert not v.errors, "\n".join(v.errors)


# --------------------------------------------------------------------------------------------
# Links: crawl every .html page reachable from index.html (HTTP, no browser needed)
# --------------------------------------------------------------------------------------------


class _LinkParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name in ("id",) + (("name",) if tag == "a" else ()):
            if a.get(name):
                self.ids.add(a[name])
        ref = None
        if tag in ("a", "link"):
            ref = a.get("href")
        elif tag in ("img", "script", "source", "iframe"):
            ref = a.get("src")
        if ref:
            self.refs.append(ref)


def _fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers.get_content_type(), r.read()
    except urllib.error.HTTPError as e:
        return e.code, "", b""
    except (urllib.error.URLError, OSError) as e:
        return -1, str(e), b""


def test_no_broken_internal_links(base_url, site_dir):
    origin = urllib.parse.urlsplit(base_url)
    status: dict[str, int] = {}
    ids: dict[str, set[str]] = {}
    sources: dict[str, set[str]] = {}  # target URL (no fragment) -> pages linking to it
    fragments: dict[tuple[str, str], set[str]] = {}  # (target, fragment) -> pages linking to it
    todo = [urllib.parse.urljoin(base_url, "index.html")]
    sources[todo[0]] = {"(start)"}

    def is_page(url: str) -> bool:
        p = urllib.parse.urlsplit(url).path
        return p.endswith((".html", "/"))

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        while todo:
            batch = [u for u in dict.fromkeys(todo) if u not in status]
            todo = []
            for url, (code, ctype, body) in zip(batch, pool.map(_fetch, batch), strict=True):
                status[url] = code
                if code != 200 or not is_page(url) or ctype not in ("text/html", ""):
                    continue
                parser = _LinkParser()
                parser.feed(body.decode("utf-8", "replace"))
                ids[url] = parser.ids
                for ref in parser.refs:
                    full = urllib.parse.urljoin(url, ref)
                    parts = urllib.parse.urlsplit(full)
                    if parts.scheme not in ("http", "https") or parts.netloc != origin.netloc:
                        continue  # external, mailto:, javascript:, data:
                    target = urllib.parse.urlunsplit(parts._replace(fragment="", query=""))
                    sources.setdefault(target, set()).add(url)
                    if parts.fragment:
                        fragments.setdefault((target, urllib.parse.unquote(parts.fragment)), set()).add(url)
                    if target not in status:
                        todo.append(target)

    def rel(u: str) -> str:
        return u.removeprefix(base_url) or "/"

    broken = [
        f"HTTP {code}: {rel(u)}  <- {', '.join(sorted(map(rel, sources.get(u, ()))))[:300]}"
        for u, code in sorted(status.items())
        if code != 200
    ]
    for (target, frag), srcs in sorted(fragments.items()):
        if status.get(target) == 200 and target in ids and frag not in ids[target]:
            broken.append(f"missing anchor: {rel(target)}#{frag}  <- {', '.join(sorted(map(rel, srcs)))[:300]}")
    pages = [u for u in status if u in ids]
    assert len(pages) >= 3, f"crawl found only {len(pages)} pages: {sorted(map(rel, pages))}"
    assert not broken, (
        f"{len(broken)} broken internal links ({len(status)} URLs, {len(pages)} pages checked):\n  "
        + "\n  ".join(broken)
    )
