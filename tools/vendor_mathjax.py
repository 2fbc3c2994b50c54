"""Put MathJax into _build/vendor/mathjax/ so the site serves it itself (no CDN at page load).

Fetches the pinned release from the npm registry with `npm pack` (once; later runs find it in
place) and keeps the one combined component the site uses, `tex-chtml.js`, with its fonts.
Run by `nox -s docs` before Sphinx; the build itself never touches the network.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "3.2.2"
ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "_build" / "vendor" / "mathjax"
STAMP = TARGET / ".version"


def main() -> int:
    if STAMP.is_file() and STAMP.read_text().strip() == VERSION:
        return 0
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("vendor_mathjax: npm is needed once to fetch MathJax (apt install npm, or install Node.js)")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([npm, "pack", f"mathjax@{VERSION}", "--silent"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        (tarball,) = Path(tmp).glob("mathjax-*.tgz")
        with tarfile.open(tarball) as tar:
            tar.extractall(tmp, filter="data")
        es5 = Path(tmp) / "package" / "es5"
        shutil.rmtree(TARGET, ignore_errors=True)
        TARGET.mkdir(parents=True)
        shutil.copy2(es5 / "tex-chtml.js", TARGET / "tex-chtml.js")
        shutil.copytree(es5 / "output" / "chtml" / "fonts", TARGET / "output" / "chtml" / "fonts")
        for extra in ("LICENSE", "README.md"):
            if (Path(tmp) / "package" / extra).exists():
                shutil.copy2(Path(tmp) / "package" / extra, TARGET / extra)
    STAMP.write_text(VERSION + "\n")
    print(f"vendor_mathjax: MathJax {VERSION} in {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
