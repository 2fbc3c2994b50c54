"""Figures drawn at build time from measured data: both frameworks overlaid, plus |Δ| per step.

SVG with a fixed hash salt and no date, so an unchanged measurement gives an unchanged file.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..verify.results import CheckResult  # noqa: E402

TORCH_STYLE = dict(color="#d9480f", linewidth=2.2, alpha=0.85)
MS_STYLE = dict(color="#1864ab", linewidth=1.4, linestyle="--", marker=".", markersize=4)
RC: Any = {  # matplotlib types rcParams keys as a Literal union
    "svg.hashsalt": "refmap",
    "svg.fonttype": "none",  # text as text, not glyph paths: a third of the size
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
}


def check_figure(r: CheckResult) -> str | None:
    """SVG text, or None when the check has no series (it raised)."""
    if r.series is None:
        return None
    s = r.series
    with plt.rc_context(RC):
        # Fixed margins: constrained layout measured every tick label and doubled the build time.
        fig, (ax, axd) = plt.subplots(1, 2, figsize=(8.4, 2.9), width_ratios=[1.6, 1])
        fig.subplots_adjust(left=0.08, right=0.985, bottom=0.16, top=0.89, wspace=0.28)
        steps = list(range(len(s.torch)))
        for j, label in enumerate(s.labels):
            tail = f" {label}" if len(s.labels) > 1 else ""
            ax.plot(steps, [row[j] for row in s.torch], label=f"PyTorch{tail}", **TORCH_STYLE)
            ax.plot(steps, [row[j] for row in s.mindspore], label=f"MindSpore{tail}", **MS_STYLE)
        ax.set_xlabel("step")
        ax.set_ylabel("learning rate" if r.measure == "lr" else "value")
        ax.set_title("both frameworks, overlaid")
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles[:4], labels[:4], fontsize=7, frameon=False)
        start = len(steps) - len(r.diff_per_step)
        dsteps = steps[start:]
        positive = [d for d in r.diff_per_step if d > 0]
        axd.set_title("max |PyTorch − MindSpore| per step")
        axd.set_xlabel("step")
        if positive:
            floor = max(1e-12, min(positive) / 10)
            axd.semilogy(dsteps, [max(d, floor) for d in r.diff_per_step], color="#495057", linewidth=1.4)
            axd.set_ylim(bottom=floor)
        else:  # a log axis cannot show zeros: say it
            axd.plot(dsteps, r.diff_per_step, color="#495057", linewidth=1.4)
            axd.text(0.5, 0.5, "identical at every step\n(|Δ| = 0)", ha="center", va="center", transform=axd.transAxes)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        plt.close(fig)
    return buf.getvalue()
