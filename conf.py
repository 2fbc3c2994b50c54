"""Sphinx configuration for the refmap site. Source: docs/; gallery: examples/ -> docs/auto_examples/."""

import os
import sys
import time
from pathlib import Path

from sphinx.search.zh import SearchChinese

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GLOG_v", "3")  # MindSpore: errors only on stderr
os.environ.setdefault("MPLBACKEND", "Agg")

project = "refmap"
author = "the refmap developers"
# Reproducible builds honour SOURCE_DATE_EPOCH for the one date on the site.
_epoch = int(os.environ.get("SOURCE_DATE_EPOCH", time.time()))
copyright = f"{time.gmtime(_epoch).tm_year}, {author}"

extensions = [
    "myst_parser",
    "sphinx_design",
    "sphinx_copybutton",
    "sphinx_gallery.gen_gallery",
    "sphinx_sitemap",  # sitemap.xml from html_baseurl
    "sphinxext.opengraph",  # link previews (og: meta tags)
    "notfound.extension",  # a 404 page whose links work from any URL
    "refmap.render",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "**/*.ipynb", "**/*.py.md5", "**/*.zip", "**/*.codeobj.json"]
myst_enable_extensions = ["colon_fence", "deflist", "attrs_inline", "dollarmath"]
myst_heading_anchors = 3
nitpicky = False

html_theme = "furo"
# Page titles name both frameworks: "AdamW - refmap: PyTorch ↔ MindSpore".
html_title = "refmap: PyTorch ↔ MindSpore"
html_short_title = "refmap"
# Where the site is published; canonical links, the sitemap and link previews use it.
html_baseurl = os.environ.get("REFMAP_BASEURL", "https://refmap.github.io/")
sitemap_url_scheme = "{link}"
ogp_site_url = html_baseurl
ogp_site_name = "refmap: PyTorch ↔ MindSpore optimizers and schedules, verified"
ogp_image = None
ogp_enable_meta_description = True
notfound_urls_prefix = None  # relative links: the 404 page works wherever the site is mounted
# MathJax from the site itself (fetched by `nox -s docs` from the npm registry), never from a CDN.
mathjax_path = "mathjax/tex-chtml.js"
# _build/vendor holds MathJax, put there by tools/vendor_mathjax.py (run by `nox -s docs`).
VENDOR = ROOT / "_build" / "vendor"
html_static_path = ["docs/_static", str(VENDOR)]
if not (VENDOR / "mathjax" / "tex-chtml.js").is_file():
    raise RuntimeError("MathJax is not vendored: run `python tools/vendor_mathjax.py` (or `nox -s docs`)")
html_css_files = ["refmap.css"]
html_favicon = "docs/_static/favicon.svg"  # also stops browsers asking for a missing /favicon.ico
html_last_updated_fmt = None
templates_path = ["docs/_templates"]
html_sidebars = {
    "**": [
        "sidebar/scroll-start.html",
        "sidebar/brand.html",
        "sidebar/lang-switch.html",  # the same page in the other language
        "sidebar/search.html",
        "sidebar/navigation.html",
        "sidebar/scroll-end.html",
    ]
}
html_theme_options = {
    "source_repository": "",
    "navigation_with_keys": True,
}

sphinx_gallery_conf = {
    "examples_dirs": [str(ROOT / "examples")],  # absolute: the Chinese build reads docs/ through a mirror
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "only_warn_on_example_error": False,
    "abort_on_example_error": False,
    "download_all_examples": False,
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "remove_config_comments": True,
    "show_signature": False,
    "show_memory": False,
    "within_subsection_order": "FileNameSortKey",
    # The execution-time table page loads jQuery and DataTables from CDNs.
    "write_computation_times": False,
    # No "Total running time" line: it changes every build, so pages would never be byte-stable
    # and its translation would always be stale.
    "min_reported_time": 10**9,
}

refmap_output = "reference"

# ---- languages: English in _build/html, Chinese in _build/html/zh_CN (`nox -s docs` builds both) ----
# Narrative pages are translated with sphinx-intl catalogs (docs/locales/); generated reference pages
# are rendered in the build's language from refmap/locale/ (see refmap/render/i18n.py).
locale_dirs = [str(ROOT / "docs" / "locales")]  # absolute: the Chinese build reads a mirror source folder
gettext_compact = False
gettext_uuid = False
gettext_additional_targets = ["index"]  # the guide's index entries, so Chinese search ranks its pages
gettext_location = False  # line numbers in catalogs would churn with every edit
# Chinese search: jieba segmentation with the terms of this domain kept whole (学习率, 权重衰减 ...)
html_search_scorer = "docs/_search/scorer.js"  # multi-word queries: all words in a title rank first
html_search_options = {"dict": str(ROOT / "docs" / "_static" / "zh_search_dict.txt")}


def _per_language(app, config):
    """The Chinese site sits in zh_CN/ under the same base URL."""
    if config.language == "zh_CN":
        config.html_baseurl = html_baseurl.rstrip("/") + "/zh_CN/"
        config.ogp_site_url = config.html_baseurl


class _ChineseSearch(SearchChinese):
    """Sphinx 9.0's Chinese search stems Latin words with the English stemmer but names a
    `ChineseStemmer` in language_data.js (`window.Stemmer = ChineseStemmer`) that no script defines,
    so every search on the Chinese site fails. Name the stemmer it ships."""

    language_name = "English"


def setup(app):
    app.connect("config-inited", _per_language)
    app.add_search_language(_ChineseSearch)


refmap_examples = str(ROOT / "examples")
