# A tiny gallery: tests write examples into ex/ and build.
extensions = ["myst_parser", "sphinx_gallery.gen_gallery", "refmap.render.gallery_guard"]
sphinx_gallery_conf = {
    "examples_dirs": ["ex"],
    "gallery_dirs": ["auto"],
    "filename_pattern": "/plot_",
    "only_warn_on_example_error": False,
    "image_scrapers": ("matplotlib",),
}
exclude_patterns = ["ex"]
