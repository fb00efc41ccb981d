"""`accord export python SPEC -o DIR [--check]`: a typed Python package for running the protocol.

Writes ``DIR/<proto>_generated/`` (always regenerated) and, only when absent,
``DIR/<proto>_agents.py`` (the user's file). ``--check`` writes nothing and
exits 1 when the generated files on disk differ from what the spec gives (CI).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from accord.cli.common import EXIT_USAGE, load_or_exit, parse_consts, print_diagnostics

EXIT_STALE = 1


@click.group(help="Generate code from a spec.")
def export() -> None:
    pass


@export.command("python", help="Generate a typed Python package (agent classes, messages, a team, tests) "
                "from SPEC into DIR. User files are never overwritten.")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False),
              help="The directory to write into.")
@click.option("--const", "consts", multiple=True, metavar="NAME=VALUE", help="Override a constant (repeatable).")
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing; exit 1 if the generated files differ from what the spec gives.")
@click.option("--no-traces", is_flag=True, help="Do not run the checker for the replay tests' traces.")
def python_cmd(file: str, out_dir: str, consts: tuple[str, ...], check_only: bool, no_traces: bool) -> None:
    from accord.export.python import check_exportable, export_python
    from accord.export.traces import collect

    overrides = parse_consts(consts)
    proto = load_or_exit(file, overrides)
    problems = check_exportable(proto)
    if problems:
        print_diagnostics(problems)
        sys.exit(EXIT_USAGE)
    text = Path(file).read_text(encoding="utf-8")
    traces, safe = ([], False) if no_traces else collect(proto)
    files = export_python(proto, text, overrides, traces, safe)
    root = Path(out_dir)
    if check_only:
        stale = [f.path for f in files if not f.user and _read(root / f.path) != f.text]
        for p in stale:
            click.echo(f"stale: {root / p}", err=True)
        if stale:
            click.echo(f"{len(stale)} generated file(s) differ from {file}: run `accord export python {file} "
                       f"-o {out_dir}`", err=True)
            sys.exit(EXIT_STALE)
        click.echo(f"{len(files) - 1} generated files are up to date")
        return
    written = kept = 0
    for f in files:
        path = root / f.path
        if f.user and path.exists():
            kept += 1
            click.echo(f"kept {path} (yours)")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.text, encoding="utf-8")
        written += 1
    click.echo(f"wrote {written} files to {root}" + (f", kept {kept} of yours" if kept else ""))


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


__all__ = ["export"]
