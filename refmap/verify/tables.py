"""Parameter tables against the signatures captured at verification: every installed argument has a
row, no row names an argument that does not exist. torch's implementation flags (foreach, fused,
...) need no row: the page supplies it (refmap/render/model.py)."""

from __future__ import annotations

from ..schema import IMPLEMENTATION_FLAGS, Counterpart


def table_drift(
    torch_api: str | None, torch_args: dict[str, str] | None, cp: Counterpart, ms_args: dict[str, str] | None
) -> list[str]:
    """Problems with a counterpart's parameter table; empty when it matches both signatures."""
    if (cp.api is None or torch_api is None) and not cp.params:
        return []  # no counterpart, or a setup (no one torch API), and no table: nothing to hold against
    rows = [(r.torch, r.mindspore) for r in cp.params]
    problems = []
    for side, api, have, names in (
        ("torch", torch_api, torch_args, [t for t, _ in rows if t]),
        ("mindspore", cp.api, ms_args, [m for _, m in rows if m]),
    ):
        if not api:
            if names:
                problems.append(f"{side} arguments {names} listed, but there is no {side} API")
            continue
        if have is None:
            continue  # the API did not resolve: reported on its own
        supplied = set(IMPLEMENTATION_FLAGS) if side == "torch" else set()
        missing = [n for n in have if n not in names and n not in supplied]
        stale = [n for n in names if n not in have]
        dup = sorted({n for n in names if names.count(n) > 1})
        if missing:
            problems.append(f"{api} has arguments with no row: {', '.join(missing)}")
        if stale:
            problems.append(f"rows name arguments that {api} does not have: {', '.join(stale)}")
        if dup:
            problems.append(f"{side} arguments listed twice: {', '.join(dup)}")
    return problems
