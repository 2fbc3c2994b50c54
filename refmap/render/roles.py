"""Roles that bind narrative pages to checks: a sentence in the guide names the check that proves it.

    {check}`adam/nn-adam-eps-as-torch-eps`     a proof link to that check's row (✓ nn-adam-eps-as-torch-eps)
    {measured}`adam/nn-adam-eps-placement`    the check's measured max|Δ|, linked to the check

The build fails (a located warning under -W) when the entry or check does not exist, or the check did
not pass. Numbers quoted from measurements therefore come from the run, never typed by hand, and the
sentence around a {measured} number is a translation message that a new measurement leaves valid.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx

from .model import num

# {source folder: {(entry id, check name): CheckResult}}, filled by the build at builder-inited (kept
# out of Sphinx's pickled environment: results are large and are re-read from the cache each build).
RESULTS: dict[str, dict[tuple[str, str], Any]] = {}


def _resolve(text: str, inliner: Any, lineno: int) -> tuple[str, str, Any, list[nodes.Node]]:
    results = RESULTS.get(str(inliner.document.settings.env.srcdir), {})
    entry, _, check = text.strip().partition("/")
    found = results.get((entry, check))
    problems: list[nodes.Node] = []
    if not check:
        problems.append(
            inliner.reporter.error(f"refmap: write {{check}}`entry-id/check-name`, got {text!r}", line=lineno)
        )
    elif found is None:
        problems.append(inliner.reporter.error(f"refmap: no check {check!r} in entry {entry!r}", line=lineno))
    elif not found.passed:
        problems.append(inliner.reporter.error(f"refmap: check {entry}/{check} did not pass", line=lineno))
    return entry, check, found, problems


def _xref(entry: str, check: str, label: nodes.Node) -> nodes.Node:
    ref = addnodes.pending_xref(
        "", refdomain="std", reftype="ref", reftarget=f"{entry}-{check}", refexplicit=True, refwarn=True
    )
    ref += label
    return ref


def check_role(name: str, rawtext: str, text: str, lineno: int, inliner: Any, options: Any = None, content: Any = None):
    entry, check, _found, problems = _resolve(text, inliner, lineno)
    if problems:
        return [nodes.inline(rawtext, rawtext)], problems
    link = _xref(entry, check, nodes.inline("", f"✓ {check}", classes=["refmap-proof"]))
    return [link], []


def measured_role(
    name: str, rawtext: str, text: str, lineno: int, inliner: Any, options: Any = None, content: Any = None
):
    entry, check, found, problems = _resolve(text, inliner, lineno)
    if problems:
        return [nodes.inline(rawtext, rawtext)], problems
    if found.max_abs is None:
        msg = inliner.reporter.error(f"refmap: check {entry}/{check} measured no difference (it raises)", line=lineno)
        return [nodes.inline(rawtext, rawtext)], [msg]
    return [_xref(entry, check, nodes.inline("", num(found.max_abs), classes=["refmap-measured"]))], []


def setup(app: Sphinx) -> None:
    app.add_role("check", check_role)
    app.add_role("measured", measured_role)
