# A tiny site around the fixture KB (tests/fixtures/kb); tests point refmap_kb at a private copy.
extensions = ["myst_parser", "sphinx_design", "sphinx_copybutton", "refmap.render"]
myst_enable_extensions = ["colon_fence", "deflist", "attrs_inline"]
html_theme = "furo"
