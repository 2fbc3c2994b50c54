"""Figures drawn at build time from measured data: both frameworks overlaid, plus |Δ| per step against
the limit the check holds it to.

SVG with a fixed hash salt and no date, so an unchanged measurement gives an unchanged file. Colours
tell coordinates apart (Okabe–Ito, readable with colour-vision deficiencies); line style tells the
frameworks apart (PyTorch solid, MindSpore dashed). The stylesheet inverts the figures in dark mode,
so they are drawn on white.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..verify.results import CheckResult  # noqa: E402

PALETTE = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9"]
LIMIT_COLOUR = "#c92a2a"
RC: Any = {  # matplotlib types rcParams keys as a Literal union
    "svg.hashsalt": "refmap",
    "svg.fonttype": "none",  # text as text, not glyph paths: a third of the size
    "font.size": 9,
    "font.sans-serif": ["DejaVu Sans"],  # written into every <text>: one name, not eleven
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "path.simplify": True,
    "path.simplify_threshold": 0.5,  # pixels: drops points a reader cannot see, half the bytes
}
MARKERS_UP_TO = 40  # steps; beyond, per-point markers only add weight


def _same(text: str) -> str:
    return text


def check_figure(r: CheckResult, _: Callable[[str], str] = _same) -> str | None:
    """SVG text, or None when the check has no series (it raised); labels translated by `_`."""
    if r.series is None:
        return None
    s = r.series
    with plt.rc_context(RC):
        # Fixed margins: constrained layout measured every tick label and doubled the build time.
        fig, (ax, axd) = plt.subplots(1, 2, figsize=(8.4, 2.9), width_ratios=[1.6, 1])
        fig.subplots_adjust(left=0.08, right=0.985, bottom=0.16, top=0.89, wspace=0.28)
        steps = list(range(len(s.torch)))
        marker = "." if len(steps) <= MARKERS_UP_TO else None
        for j, label in enumerate(s.labels):
            colour = PALETTE[j % len(PALETTE)]
            tail = f" {label}" if len(s.labels) > 1 else ""
            ax.plot(steps, [row[j] for row in s.torch], color=colour, linewidth=2.0, alpha=0.8, label=f"PyTorch{tail}")
            ax.plot(
                steps,
                [row[j] for row in s.mindspore],
                color=colour,
                linewidth=1.2,
                linestyle=(0, (4, 2)),
                marker=marker,
                markersize=3,
                label=f"MindSpore{tail}",
            )
        ax.set_xlabel(_("step"))
        ax.set_ylabel(_("learning rate") if r.measure == "lr" else _("value"))
        ax.set_title(_("both frameworks, overlaid"))
        ax.legend(fontsize=7, frameon=False, ncol=2 if len(s.labels) > 2 else 1)
        start = len(steps) - len(r.diff_per_step)
        dsteps = steps[start:]
        positive = [d for d in [*r.diff_per_step, *r.limit_per_step] if d > 0]
        axd.set_title(_("max |PyTorch − MindSpore| per step"))
        axd.set_xlabel(_("step"))
        if positive:
            floor = max(1e-16, min(positive) / 10)
            axd.semilogy(dsteps, [max(d, floor) for d in r.diff_per_step], color="#495057", linewidth=1.4, label="|Δ|")
            axd.set_ylim(bottom=floor)
            if r.limit_per_step and len(r.limit_per_step) == len(dsteps):
                what = _("tolerance") if r.expect_kind == "equal" else _("must reach")
                axd.semilogy(dsteps, r.limit_per_step, color=LIMIT_COLOUR, linewidth=1.0, linestyle=":", label=what)
            axd.legend(fontsize=7, frameon=False)
            if not any(d > 0 for d in r.diff_per_step):
                axd.text(
                    0.5, 0.5, _("identical at every step\n(|Δ| = 0)"), ha="center", va="center", transform=axd.transAxes
                )
        else:  # a log axis cannot show zeros: say it
            axd.plot(dsteps, r.diff_per_step, color="#495057", linewidth=1.4)
            axd.text(
                0.5, 0.5, _("identical at every step\n(|Δ| = 0)"), ha="center", va="center", transform=axd.transAxes
            )
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        plt.close(fig)
    return _short_coordinates(buf.getvalue())


def _tenths(m: re.Match[str]) -> str:
    return re.sub(r"(\d\.\d)\d+", r"\1", m.group(0))


def _short_coordinates(svg: str) -> str:
    """Path data and x/y positions to a tenth of a pixel (matplotlib writes six decimals): a fifth of
    the bytes. Text (tick labels, tolerances) is left exactly as drawn."""
    return re.sub(r'(?<= )(?:d|x|y)="[^"]*"', _tenths, svg)
