"""`accord replay TRACE.json`: replay a saved counterexample through the semantics.

Reads the JSON report of ``accord check --format json`` or ``accord fuzz`` (see
:mod:`accord.checker.fuzz.replay` for how steps are matched and judged). The spec is
``--spec``, else the report's ``spec`` path, else the path saved by ``accord fuzz``;
constants and fault budgets are the report's unless given again. Exit codes are those
of ``accord check``: 11 or 12 when the violation is reproduced, 3 when the trace
replays without reproducing it, 2 when the trace does not fit the spec.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from accord.checker.fuzz.budgets import parse_fault_budgets
from accord.checker.fuzz.replay import ReplayMismatch, read_saved, replay
from accord.cli.common import EXIT_USAGE, parse_consts
from accord.cli.fuzz import emit, load_budgeted
from accord.report.outputs import FORMATS, plan_outputs, render_outputs
from accord.semantics.layout import Layout


@click.command(help="Replay a saved trace (a JSON report of `accord check` or `accord fuzz`) and check that it "
               "still reaches its violation. See `accord --help` for exit codes.")
@click.argument("trace_file", metavar="TRACE.json", type=click.Path(dir_okay=False))
@click.option("--spec", type=click.Path(dir_okay=False), help="The spec (default: the one named in the file).")
@click.option("--property", "prop", help="Which property's trace (default: the reported violation).")
@click.option("--const", "consts", multiple=True, metavar="NAME=VALUE",
              help="Override a constant (default: the file's).")
@click.option("--fault-budget", "budgets", multiple=True, metavar="KIND=N",
              help="Fault budgets (default: the file's).")
@click.option("--format", "formats", multiple=True, metavar="NAME[=PATH]",
              help=f"Report format (repeatable): {', '.join(FORMATS)}. Default: text.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the one report whose --format has no PATH here.")
def replay_cmd(trace_file: str, spec: str | None, prop: str | None, consts: tuple[str, ...],
               budgets: tuple[str, ...], formats: tuple[str, ...], output: str | None) -> None:
    try:
        plan = plan_outputs(formats, output)
        fault_budget = parse_fault_budgets(budgets)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        doc = json.loads(Path(trace_file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        _fail(f"{trace_file}: cannot read a JSON trace: {exc}")
    try:
        saved = read_saved(doc, prop)
    except ReplayMismatch as exc:
        _fail(f"{trace_file}: {exc}")
    spec_path = spec or _find_spec(trace_file, saved.spec, doc)
    if spec_path is None:
        _fail(f"{trace_file}: the file names no spec that exists here; give one with --spec FILE")
    overrides = parse_consts(consts) if consts else {k: v for k, v in saved.consts.items()
                                                     if isinstance(v, (int, bool))}
    proto = load_budgeted(spec_path, overrides, fault_budget or saved.fault_budget)
    try:
        result = replay(proto, saved)
    except ReplayMismatch as exc:
        _fail(f"{trace_file}: the trace does not fit {spec_path}: {exc}")
    writes, notes = render_outputs(plan, result, Layout.build(proto), spec_path)
    for dest, data in writes:
        emit(data, dest)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    sys.exit(result.exit_code())


def _find_spec(trace_file: str, named: str | None, doc: dict[str, Any]) -> str | None:
    fz: dict[str, Any] = doc["fuzz"] if isinstance(doc.get("fuzz"), dict) else {}
    options = [named, fz.get("spec_path")]
    if named:
        options.append(str(Path(trace_file).parent / named))
    return next((p for p in options if isinstance(p, str) and p and Path(p).is_file()), None)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


__all__ = ["replay_cmd"]
