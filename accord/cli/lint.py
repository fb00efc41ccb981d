"""`accord lint FILE…`: parse and type-check only (fast; for pre-commit and editors)."""

from __future__ import annotations

import json
import sys

import click

from accord.cli.common import EXIT_OK, EXIT_USAGE, parse_consts, print_diagnostics
from accord.dsl import load_file


@click.command(help="Parse and type-check specs without exploring them. Exit 2 on any error.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--const", "consts", multiple=True, metavar="NAME=VALUE", help="Override a constant.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--no-warnings", is_flag=True, help="Show errors only.")
def lint(files: tuple[str, ...], consts: tuple[str, ...], fmt: str, no_warnings: bool) -> None:
    overrides = parse_consts(consts)
    failed = False
    report = []
    for path in files:
        proto, diags = load_file(path, overrides)
        errs = [d for d in diags if d.is_error]
        failed |= bool(errs) or proto is None
        if fmt == "json":
            report.append({"file": path, "ok": not errs and proto is not None,
                           "diagnostics": [d.to_json() for d in diags if d.is_error or not no_warnings]})
        else:
            print_diagnostics(diags, warnings=not no_warnings)
            if not errs and proto is not None:
                click.echo(f"{path}: ok", err=True)
    if fmt == "json":
        click.echo(json.dumps(report, indent=2))
    sys.exit(EXIT_USAGE if failed else EXIT_OK)
