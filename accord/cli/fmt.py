"""`accord fmt [--check] FILE…`: print specs in canonical form."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from accord.cli.common import EXIT_OK, EXIT_USAGE, print_diagnostics
from accord.dsl import load_file


@click.command(help="Format specs in place (or print with --stdout). --check exits 1 when a file would change.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--check", "check_only", is_flag=True, help="Change nothing; exit 1 if any file is not formatted.")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the formatted spec instead of rewriting it.")
def fmt(files: tuple[str, ...], check_only: bool, to_stdout: bool) -> None:
    from accord.dsl.printer import print_protocol

    unformatted = []
    for path in files:
        proto, diags = load_file(path)
        if proto is None or any(d.is_error for d in diags):
            print_diagnostics(diags, warnings=False)
            sys.exit(EXIT_USAGE)
        text = print_protocol(proto)
        old = Path(path).read_text(encoding="utf-8")
        if to_stdout:
            click.echo(text, nl=False)
        elif text != old:
            if check_only:
                unformatted.append(path)
                click.echo(f"would reformat {path}", err=True)
            else:
                Path(path).write_text(text, encoding="utf-8")
                click.echo(f"reformatted {path}", err=True)
    sys.exit(1 if unformatted else EXIT_OK)
