"""python -m refmap check | verify | coverage | mutants | i18n | schema | translate | compare"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .load import KB_ROOT, KBLoadError, load_kb

SCHEMA_PATH = KB_ROOT / "entry.schema.json"


def _files(args: argparse.Namespace) -> list[Path] | None:
    return [Path(f) for f in args.files] if args.files else None


def cmd_check(args: argparse.Namespace) -> int:
    entries = load_kb(Path(args.kb), files=_files(args))
    checks = sum(len(le.checks) for le in entries)
    if not args.no_resolve:
        from .introspect import describe_apis
        from .verify.pipeline import api_errors
        from .verify.tasks import apis_of

        apis = sorted({a for le in entries for a in apis_of(le)})
        errors = api_errors(entries, describe_apis(apis))
        if errors:
            raise KBLoadError(errors)
    from .verify.evidence import unproven

    missing = [(le, c) for le in entries for i in range(len(le.entry.counterparts)) for c in unproven(le, i)]
    for le, c in missing:
        print(f"{le.where(*c.loc)}: unproven {c.kind}: {c.text[:100]}")
    resolved = "every API resolves" if not args.no_resolve else "APIs not resolved (--no-resolve)"
    print(f"ok: {len(entries)} entries, {checks} checks, {resolved}; {len(missing)} statements without proof")
    return 1 if (missing and args.strict) else 0


def cmd_verify(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from .verify import Settings, Verification, VerificationFailed, verify_kb

    settings = Settings(
        force=args.force, workers=args.workers, check_timeout=args.timeout, total_timeout=args.total_timeout
    )
    console = Console(stderr=True)
    failed: VerificationFailed | None = None
    verification: Verification | None = None
    with Progress(console=console, transient=True, disable=args.quiet) as bar:
        task = bar.add_task("verifying", total=None)

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=f"verified {label}")

        try:
            verification = verify_kb(
                Path(args.kb), files=_files(args), only=args.only, settings=settings, progress=progress
            )
        except VerificationFailed as exc:
            failed, verification = exc, exc.verification
    if verification is None:  # pragma: no cover - VerificationFailed always carries the results
        raise RuntimeError("verification produced no results")
    rows = verification.entries
    if not args.quiet:
        table = Table(title="refmap verify")
        for col in ("entry", "checks", "passed", "run", "time (s)"):
            table.add_column(col, justify="left" if col == "entry" else "right")
        for eid, res in rows.items():
            fresh = sum(not c.cached for c in res.checks)
            table.add_row(
                eid, str(len(res.checks)), str(sum(c.passed for c in res.checks)), str(fresh), f"{res.wall_s:.2f}"
            )
        console.print(table)
    total = sum(len(r.checks) for r in rows.values())
    ok = sum(c.passed for r in rows.values() for c in r.checks)
    fresh = sum(not c.cached for r in rows.values() for c in r.checks)
    print(
        f"{len(rows)} entries, {total} checks, {ok} passed, {total - ok} failed, {fresh} run afresh "
        f"in {verification.wall_s:.1f} s ({verification.environment.label()})"
    )
    if failed:
        print(str(failed), file=sys.stderr)
        return 1
    return 0


def cmd_coverage(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from .introspect.coverage import report

    rows = report(load_kb(Path(args.kb), files=_files(args)))
    table = Table(title="public optimizers and schedules of the installed frameworks")
    for col in ("kind", "API", "entry"):
        table.add_column(col)
    for kind, api, where in rows:
        table.add_row(kind, api, where or "[bold red]missing[/]")
    Console(width=150).print(table)
    missing = [api for _, api, where in rows if not where]
    print(f"{len(rows)} public APIs, {len(rows) - len(missing)} documented or excluded, {len(missing)} missing")
    return 1 if (missing and args.strict) else 0


def cmd_mutants(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import Progress

    from .mutants import run

    entries = load_kb(Path(args.kb), files=_files(args))
    console = Console(stderr=True)
    total = sum(len(le.checks) for le in entries)
    with Progress(console=console, transient=True, disable=args.quiet) as progress:
        task = progress.add_task("mutants", total=None)
        results = run(entries, on_result=lambda m: progress.update(task, advance=1, description=f"{m.entry}/{m.check}"))
    survivors = [m for m in results if not m.caught]
    for m in survivors:
        print(f"SURVIVED {m.entry}/{m.check}: {m.mutation}: {m.detail}")
    caught = len(results) - len(survivors)
    print(
        f"{len(results)} mutants of {total} checks in {len(entries)} entries: {caught} caught, {len(survivors)} survived"
    )
    return 1 if survivors else 0


def cmd_i18n(args: argparse.Namespace) -> int:
    from . import catalogs

    entries = load_kb(Path(args.kb))
    if args.action == "update":
        written = catalogs.update(entries, Path(args.kb))
        for path in written:
            print(f"updated {path}")
        print(f"{len(written)} catalogs changed")
        return 0
    failed = False
    for lang, counts in catalogs.status(entries, Path(args.kb)).items():
        total = sum(c.total for c in counts)
        missing = sum(len(c.untranslated) for c in counts)
        stale = sum(len(c.stale) for c in counts)
        for c in counts:
            if (c.untranslated or c.stale) and (args.entry is None or c.catalog.endswith(f"/{args.entry}.po")):
                print(f"{c.catalog}: {len(c.untranslated)} untranslated, {len(c.stale)} stale")
                if args.verbose or args.entry:
                    for m in c.untranslated:
                        print(f"  untranslated: {m[:120]}")
                    for m in c.stale:
                        print(f"  stale: {m[:120]}")
        print(f"{lang}: {total} messages, {total - missing - stale} translated, {missing} untranslated, {stale} stale")
        failed = failed or bool(missing or stale)
    return 1 if failed else 0


def schema_text() -> str:
    from .schema import Entry

    schema = Entry.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "refmap knowledge-base entry"
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def cmd_schema(args: argparse.Namespace) -> int:
    text = schema_text()
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from .verify import PoolError, StoreError
    from .verify.measure.runtime import DeviceError

    parser = argparse.ArgumentParser(prog="python -m refmap", description=__doc__)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--kb", default=argparse.SUPPRESS, help="knowledge-base folder (default: the packaged one)")
    common.add_argument(
        "--files", nargs="+", default=argparse.SUPPRESS, metavar="YAML", help="load only these entry files"
    )
    parser.add_argument("--kb", default=str(KB_ROOT), help=argparse.SUPPRESS)
    parser.set_defaults(files=None)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", parents=[common], help="validate every entry and resolve every API; print all errors")
    p.add_argument("--no-resolve", action="store_true", help="skip importing the frameworks")
    p.add_argument("--strict", action="store_true", help="exit 1 when any statement has no proof")
    p.set_defaults(fn=cmd_check)
    p = sub.add_parser("verify", parents=[common], help="run every check in both frameworks (cached)")
    p.add_argument("--force", action="store_true", help="ignore cached measurements and run every check again")
    p.add_argument("--only", nargs="+", metavar="ID", help="verify only these entries")
    p.add_argument("--quiet", action="store_true", help="no progress bar or table")
    p.add_argument("--workers", type=int, default=0, help="worker processes (default: one per core)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds one check may take (default 300)")
    p.add_argument("--total-timeout", type=float, default=3600.0, help="seconds the whole run may take")
    p.set_defaults(fn=cmd_verify)
    p = sub.add_parser(
        "coverage", parents=[common], help="list every public optimizer/schedule and the entry that documents it"
    )
    p.add_argument("--strict", action="store_true", help="exit 1 when any API has no entry")
    p.set_defaults(fn=cmd_coverage)
    p = sub.add_parser("mutants", parents=[common], help="flip claims and perturb recipes; every mutant must fail")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(fn=cmd_mutants)
    p = sub.add_parser("i18n", help="update translation catalogs of generated pages, or report what is left")
    p.add_argument("action", choices=["update", "status"])
    p.add_argument("--entry", help="status: list the messages of this entry")
    p.add_argument("-v", "--verbose", action="store_true", help="status: list every message left")
    p.set_defaults(fn=cmd_i18n)
    p = sub.add_parser("schema", help="export the entry JSON Schema")
    p.add_argument("--output", default=str(SCHEMA_PATH), help="file to write, or - for stdout")
    p.set_defaults(fn=cmd_schema)
    from .translate.cli import add_commands

    add_commands(sub, common)
    args = parser.parse_args(argv)
    try:
        return args.fn(args)
    except KBLoadError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except (DeviceError, PoolError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: workers stopped, nothing more was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
