"""The two subcommands: `python -m refmap translate` and `python -m refmap compare`.

Exit codes: 0 done; 1 `translate --strict` left something, or `compare` could not run both sides;
2 bad input (unreadable file, not Python, unknown target); 3 `compare` ran and the difference is
outside the KB's tolerance.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from .rules import TARGETS
from .values import check_python


class InputError(Exception):
    """Bad input: the message is shown as it is, without a traceback."""


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc


def _report(title: str, notes: list[Any]) -> None:
    if notes:
        print(f"{title}:", file=sys.stderr)
        for n in notes:
            print(f"  {n.render()}", file=sys.stderr)


def cmd_translate(args: argparse.Namespace) -> int:
    from .rewrite import translate_source
    from .rules import load_rulebook

    t0 = time.perf_counter()
    source = _read(args.input)
    problem = check_python(source)
    if problem:  # before the rules are derived: bad input fails at once
        raise InputError(f"{'<stdin>' if args.input == '-' else args.input}: not valid Python: {problem}")
    book = load_rulebook(Path(args.kb))
    t1 = time.perf_counter()
    result = translate_source(source, book, args.target)
    t2 = time.perf_counter()
    if args.output in (None, "-"):
        sys.stdout.write(result.code)
    else:
        try:
            Path(args.output).write_text(result.code, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {args.output}: {exc}") from exc
    if not args.quiet:
        _report("translated", result.rewrites)
        _report("warning: differences that apply to the arguments used", result.warnings)
        _report("not translated (left in place with a comment)", result.untranslated)
        _report("other torch code left in place", result.torch_uses)
        print(
            f"{len(result.rewrites)} rule(s) applied, target {result.target or '-'}; "
            f"{len(result.untranslated)} construct(s) not translated, {len(result.torch_uses)} torch use(s) left; "
            f"rules derived in {t1 - t0:.1f} s, script rewritten in {t2 - t1:.2f} s",
            file=sys.stderr,
        )
    if args.strict and not result.complete:
        return 1
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from .compare import compare, render
    from .rules import load_rulebook

    for what, code in [("optimizer", args.optimizer), *(("--schedule", s) for s in args.schedule or [])]:
        problem = check_python(code, expression=True)
        if problem:
            raise InputError(f"{what} {code!r}: not valid Python: {problem}")
    if not 1 <= args.steps <= 2000:
        raise InputError("--steps must be between 1 and 2000")
    book = load_rulebook(Path(args.kb))
    c = compare(book, args.optimizer, args.schedule or [], target=args.target, steps=args.steps, seed=args.seed)
    if args.json:
        print(json.dumps(c.as_dict(), indent=1))
    else:
        sys.stdout.write(render(c))
    if c.failure or c.raw is None or c.raw.errors:
        return 1
    return 0 if c.within_tolerance else 3


def _guarded(fn: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return int(fn(args))
        except InputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return run


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "translate",
        parents=[common],
        help="rewrite a PyTorch optimizer/scheduler script into MindSpore with the KB's proven recipes",
    )
    p.add_argument("input", help="the PyTorch script, or - for stdin")
    p.add_argument("-o", "--output", help="where to write the MindSpore script (default, or -: stdout)")
    p.add_argument("--target", choices=TARGETS, help="MindSpore style (default: the most faithful per optimizer)")
    p.add_argument("--strict", action="store_true", help="exit 1 when anything is left untranslated")
    p.add_argument("--quiet", action="store_true", help="no report on stderr")
    p.set_defaults(fn=_guarded(cmd_translate))
    p = sub.add_parser(
        "compare",
        parents=[common],
        help="run a torch optimizer (and schedule) and its translation on the standard inputs; print the difference",
    )
    p.add_argument("optimizer", help='a torch optimizer call on `params`, e.g. "torch.optim.AdamW(params, lr=3e-4)"')
    p.add_argument(
        "--schedule",
        action="append",
        help='a scheduler call on the optimizer, e.g. "torch.optim.lr_scheduler.StepLR(opt, 10)" (repeatable; '
        "each is stepped after every optimizer step)",
    )
    p.add_argument("--target", choices=TARGETS, help="MindSpore style (default: the most faithful)")
    p.add_argument("--steps", type=int, default=200, help="optimizer steps (default 200)")
    p.add_argument("--seed", type=int, default=0, help="seed of the standard inputs (default 0)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(fn=_guarded(cmd_compare))
