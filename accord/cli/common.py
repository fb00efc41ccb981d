"""Shared pieces of the subcommands: loading specs, printing diagnostics, exit codes."""

from __future__ import annotations

import os
import sys
from typing import Iterable

import click

from accord import ir
from accord.diagnostics import Diagnostic
from accord.dsl import load_file

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INCONCLUSIVE = 3
EXIT_DEADLOCK = 11
EXIT_SAFETY = 12
EXIT_LIVENESS = 13

EXIT_CODES_HELP = """\b
Exit codes:
  0   every property holds
  1   internal error (a bug in accord: please report it)
  2   usage or spec error
  3   inconclusive: a limit was hit before an answer was certain
  11  deadlock
  12  safety violation (invariant, agreement, assert, reachable not reachable)
  13  liveness violation (termination, leads_to)"""


def parse_consts(values: Iterable[str]) -> dict[str, int | bool]:
    out: dict[str, int | bool] = {}
    for item in values:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise click.UsageError(f"--const {item!r}: write NAME=VALUE, e.g. --const WORKERS=5")
        raw = raw.strip()
        if raw in ("true", "false"):
            out[name] = raw == "true"
            continue
        try:
            out[name] = int(raw)
        except ValueError:
            raise click.UsageError(f"--const {item!r}: the value must be a whole number or true/false") from None
    return out


def print_diagnostics(diags: list[Diagnostic], warnings: bool = True) -> None:
    for d in diags:
        if d.is_error or warnings:
            click.echo(d.render(), err=True)


def load_or_exit(path: str, consts: dict[str, int | bool], warnings: bool = True) -> ir.Protocol:
    proto, diags = load_file(path, consts)
    print_diagnostics(diags, warnings)
    if proto is None or any(d.is_error for d in diags):
        n = sum(1 for d in diags if d.is_error)
        click.echo(f"{path}: {n} error(s)", err=True)
        sys.exit(EXIT_USAGE)
    return proto


def quiet_progress() -> bool:
    return bool(os.environ.get("CI")) or not sys.stderr.isatty()
