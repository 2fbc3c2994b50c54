"""The reader's side, in Chromium against the built site: the proof is visible at laptop and phone
widths, pages are light, search ranks the entry first, nothing is fetched from third parties, the
site is ready to host, and the Chinese site mirrors the English one."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

MAX_PAGE_BYTES = 600_000  # an entry page's HTML plus every image it shows
MAX_IMAGES = 40


def entry_pages(site: Path, lang: str = "") -> list[Path]:
    folder = site / lang / "reference" if lang else site / "reference"
    return sorted(p for p in folder.glob("*.html") if p.name != "index.html")


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.loaded: list[str] = []  # anything the browser fetches by itself: scripts, styles, images
        self.lazy: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img" and a.get("src"):
            self.images.append(a["src"] or "")
            self.lazy.append(a.get("loading") == "lazy")
        if tag in ("img", "script", "iframe") and a.get("src"):
            self.loaded.append(a["src"] or "")
        if (
            tag == "link"
            and a.get("href")
            and (a.get("rel") or "") in ("stylesheet", "preload", "icon", "modulepreload")
        ):
            self.loaded.append(a["href"] or "")


def assets(page: Path) -> _Assets:
    p = _Assets()
    p.feed(page.read_text(encoding="utf-8"))
    return p


# ---------------------------------------------------------------- the proof is visible
@pytest.mark.parametrize("width", [1366, 390])
def test_verdict_is_above_the_fold_and_results_are_visible(browser, base_url, site_dir, width):
    page_path = "reference/" + max(entry_pages(site_dir), key=lambda p: p.stat().st_size).name  # the heaviest
    ctx = browser.new_context(viewport={"width": width, "height": 768 if width > 800 else 844}, base_url=base_url)
    try:
        page = ctx.new_page()
        page.goto(page_path)
        anchors = page.evaluate(
            "() => Array.from(document.querySelectorAll('article section > h2')).map(h => h.parentElement.id)"
        )
        assert anchors, "no counterpart sections"
        for anchor in anchors:
            sec = page.locator(f"section#{anchor}")
            if sec.locator(".refmap-verdict").count() == 0:
                continue  # a counterpart without checks (no counterpart at all)
            sec.locator("h2").first.evaluate("h => h.scrollIntoView({block: 'start', behavior: 'instant'})")
            box = sec.locator(".refmap-verdict").first.bounding_box()
            assert box is not None and box["y"] + box["height"] <= page.viewport_size["height"], (anchor, box)
        for table in page.locator("table.refmap-verification").all():
            table.scroll_into_view_if_needed()
            geometry = table.evaluate(
                "t => ({scroll: t.scrollWidth, client: t.clientWidth, right: Math.max(...Array.from("
                "t.querySelectorAll('tbody tr td:nth-child(2)')).map(c => c.getBoundingClientRect().right))})"
            )
            assert geometry["scroll"] <= geometry["client"] + 1, geometry  # no horizontal scrolling
            assert geometry["right"] <= width, geometry  # the result column is on screen
    finally:
        ctx.close()


# ---------------------------------------------------------------- light pages
def test_every_entry_page_is_light(site_dir):
    heavy = []
    for page in entry_pages(site_dir):
        found = assets(page)
        size = page.stat().st_size + sum(
            (page.parent / src).stat().st_size for src in set(found.images) if not src.startswith("data:")
        )
        if size > MAX_PAGE_BYTES or len(found.images) > MAX_IMAGES:
            heavy.append(f"{page.name}: {size / 1000:.0f} kB, {len(found.images)} images")
        assert all(found.lazy), f"{page.name}: every figure is lazy-loaded"
    assert heavy == []


def test_heaviest_page_requests_at_most_40_images(browser, base_url, site_dir):
    page_path = "reference/" + max(entry_pages(site_dir), key=lambda p: p.stat().st_size).name
    ctx = browser.new_context(base_url=base_url)
    try:
        page = ctx.new_page()
        images: list[str] = []
        page.on("request", lambda r: images.append(r.url) if r.resource_type == "image" else None)
        page.goto(page_path)
        page.evaluate(
            "async () => { for (let y = 0; y < document.body.scrollHeight; y += 600) { window.scrollTo(0, y); await new Promise(r => setTimeout(r, 20)); } }"
        )
        page.wait_for_load_state("networkidle")
        assert len([u for u in images if "favicon" not in u]) <= MAX_IMAGES
    finally:
        ctx.close()


# ---------------------------------------------------------------- search finds the entry
SEARCHES = [
    ("mindspore.nn.Adam", "adam"),
    ("torch.optim.Adam", "adam"),
    ("Adam", "adam"),
    ("AdamW", "adamw"),
    ("torch.optim.AdamW", "adamw"),
    ("mindspore.experimental.optim.AdamW", "adamw"),
    ("SGD", "sgd"),
    ("mindspore.nn.SGD", "sgd"),
    ("nesterov", "sgd"),
    ("StepLR", "steplr"),
    ("torch.optim.lr_scheduler.StepLR", "steplr"),
    ("piecewise_constant_lr", "steplr"),
    ("CosineAnnealingLR", "cosineannealinglr"),
    ("cosine_decay_lr", "cosineannealinglr"),
    ("OneCycleLR", "onecyclelr"),
    ("warmup", "warmup_lr"),
    ("warmup_lr", "warmup_lr"),
    ("LinearLR", "linearlr"),
    ("weight decay", "weight-decay"),  # the guide page on weight decay
    ("RMSprop", "rmsprop"),
    ("Adagrad", "adagrad"),
    ("ReduceLROnPlateau", "reducelronplateau"),
    ("LBFGS", "lbfgs"),
    ("loss scale", "loss_scale"),
    ("gradient clipping", "grad_clipping"),
]


def _top3(browser, base_url: str, query: str, prefix: str = "") -> list[str]:
    ctx = browser.new_context(base_url=base_url)
    try:
        page = ctx.new_page()
        page.goto(f"{prefix}search.html?q={query}")
        page.wait_for_selector("#search-results ul.search li", timeout=20_000)
        hrefs = page.eval_on_selector_all("#search-results ul.search li a", "as => as.map(a => a.getAttribute('href'))")
    finally:
        ctx.close()
    docs = []
    for h in hrefs:
        doc = h.split("#")[0].split("?")[0].rsplit("/", 1)[-1].removesuffix(".html")
        if doc not in docs:
            docs.append(doc)
    return docs[:3]


def test_search_ranks_the_entry_in_the_top_three(browser, base_url):
    misses = []
    for query, entry in SEARCHES:
        top = _top3(browser, base_url, query)
        if entry not in top:
            misses.append(f"{query!r}: top 3 {top}, wanted {entry}")
    hit_rate = 1 - len(misses) / len(SEARCHES)
    print(f"search top-3 hit rate: {hit_rate:.0%} of {len(SEARCHES)} queries")
    assert misses == [], "\n".join(misses)


# ---------------------------------------------------------------- ready to host
class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.canonical: str | None = None
        self.lang: str | None = None
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "meta" and (a.get("property") or a.get("name")):
            self.meta[a.get("property") or a.get("name") or ""] = a.get("content") or ""
        if tag == "link" and a.get("rel") == "canonical":
            self.canonical = a.get("href")
        self._in_title = tag == "title"

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False


def parsed(page: Path) -> _Links:
    p = _Links()
    p.feed(page.read_text(encoding="utf-8"))
    return p


def test_no_page_loads_anything_from_another_host(site_dir):
    offenders = []
    for page in sorted(site_dir.rglob("*.html")):
        for url in assets(page).loaded:
            if urlparse(url).scheme in ("http", "https") or url.startswith("//"):
                offenders.append(f"{page.relative_to(site_dir)}: {url}")
    assert offenders == []


def test_key_pages_make_no_external_request(browser, base_url, key_pages):
    host = urlparse(base_url).netloc
    outside = []
    for path in key_pages.values():
        ctx = browser.new_context(base_url=base_url)
        try:
            page = ctx.new_page()
            page.on("request", lambda r: outside.append(r.url) if urlparse(r.url).netloc not in (host, "") else None)
            page.goto(path)
            page.wait_for_load_state("networkidle")
        finally:
            ctx.close()
    assert outside == []


def test_ready_to_host(site_dir):
    sitemap = (site_dir / "sitemap.xml").read_text(encoding="utf-8")
    assert sitemap.count("<loc>") > 50 and "reference/adam.html" in sitemap
    assert (site_dir / "404.html").is_file()
    for page in [site_dir / "index.html", *entry_pages(site_dir)]:
        p = parsed(page)
        assert p.canonical and p.canonical.startswith("http"), page.name
        assert p.meta.get("og:title") and p.meta.get("og:url"), page.name
        assert "PyTorch" in p.title and "MindSpore" in p.title, p.title
    for page in entry_pages(site_dir):
        text = page.read_text(encoding="utf-8")
        assert "MindSpore on Ascend and GPU is not verified here" in text, page.name


def test_no_build_internals_in_pages_or_downloads(site_dir):
    leaks = []
    for path in [*site_dir.rglob("*.html"), *site_dir.rglob("*.py"), *site_dir.rglob("*.ipynb")]:
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern in (r"\[/?guide:", r"\\\[[A-Za-z]+\\\]", r"-{20,}\s*-?\s*C\+\+ Call Stack"):
            if re.search(pattern, text):
                leaks.append(f"{path.relative_to(site_dir)}: {pattern}")
    assert leaks == []


# ---------------------------------------------------------------- the Chinese site
def test_every_english_page_has_a_chinese_page_with_the_right_lang(site_dir):
    english = sorted(
        p.relative_to(site_dir) for p in site_dir.rglob("*.html") if not p.relative_to(site_dir).parts[0] == "zh_CN"
    )
    missing = [str(p) for p in english if not (site_dir / "zh_CN" / p).is_file()]
    assert missing == []
    assert parsed(site_dir / "index.html").lang == "en"
    assert parsed(site_dir / "zh_CN" / "index.html").lang in ("zh-CN", "zh_CN", "zh")


def test_language_switcher_keeps_the_reader_on_the_same_page(browser, base_url):
    ctx = browser.new_context(base_url=base_url)
    try:
        page = ctx.new_page()
        page.goto("reference/adamw.html")
        page.locator("a.refmap-lang-other").first.click()
        page.wait_for_load_state("load")
        assert page.url.endswith("/zh_CN/reference/adamw.html")
        assert page.evaluate("() => document.documentElement.lang").startswith("zh")
        page.locator("a.refmap-lang-other").first.click()
        page.wait_for_load_state("load")
        assert urlparse(page.url).path.endswith("/reference/adamw.html") and "/zh_CN/" not in page.url
    finally:
        ctx.close()


CHINESE_SEARCHES = [
    ("学习率", ["learning-rate", "steplr", "exponentiallr", "cosineannealinglr", "linearlr", "multisteplr"]),
    ("权重衰减", ["weight-decay", "adamw"]),
    ("优化器 状态", ["state", "state_dict"]),
    ("mindspore.nn.Adam", ["adam"]),
    ("AdamW", ["adamw"]),
]


def test_chinese_search_finds_the_pages(browser, base_url):
    misses = []
    for query, wanted in CHINESE_SEARCHES:
        top = _top3(browser, base_url, query, prefix="zh_CN/")
        if not set(wanted) & set(top):
            misses.append(f"{query}: top 3 {top}, wanted one of {wanted}")
    assert misses == [], "\n".join(misses)


def test_mindspore_links_pin_the_release_in_the_readers_language(site_dir):
    bad = []
    for page in site_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        zh = page.relative_to(site_dir).parts[0] == "zh_CN"
        for url in re.findall(r'href="(https://www\.mindspore\.cn/docs/[^"]+)"', text):
            if "/master/" in url or ("/docs/zh-CN/" in url) != zh:
                bad.append(f"{page.relative_to(site_dir)}: {url}")
    assert bad == []


def test_chinese_narrative_pages_are_translated(site_dir):
    """Every narrative page (home, guide, glossary, gallery) has a Chinese title and mostly Chinese text."""
    untranslated = []
    for page in sorted(site_dir.rglob("*.html")):
        rel = page.relative_to(site_dir)
        if rel.parts[0] not in ("guide", "auto_examples") and rel.name not in ("index.html", "glossary.html"):
            continue
        if rel.parts[0] == "zh_CN" or rel.name == "sg_execution_times.html":
            continue
        zh = site_dir / "zh_CN" / rel
        text = re.sub(r"<[^>]+>", " ", zh.read_text(encoding="utf-8"))
        h1 = re.search(r"<h1>(.*?)<", zh.read_text(encoding="utf-8"), re.S)
        cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
        named = h1 is not None and h1.group(1).strip() == "refmap"  # the home page's title is the name
        if not h1 or not (named or re.search(r"[\u4e00-\u9fff]", h1.group(1))) or cjk < 200:
            untranslated.append(f"{rel}: h1 {h1.group(1) if h1 else None!r}, {cjk} Chinese characters")
    assert untranslated == [], "\n".join(untranslated)
