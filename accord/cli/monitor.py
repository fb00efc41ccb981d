"""`accord monitor SPEC events.jsonl`: validate a recorded team run against the protocol.

Exit 0 when every event conforms; 12 (safety) at the first divergence, which is
printed with its line number; 2 for a spec error or an unreadable file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from accord.cli.common import EXIT_OK, EXIT_SAFETY, EXIT_USAGE, load_or_exit, parse_consts


@click.command(help="Check a recorded event log (one JSON object per send, receive, step, decide, fault) against "
               "SPEC; report the first divergence with its line number.")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("log", type=click.Path(dir_okay=False))
@click.option("--const", "consts", multiple=True, metavar="NAME=VALUE", help="Override a constant (repeatable).")
@click.option("--budget", type=str, default="auto", show_default=True,
              help="Most protocol steps allowed: a number, 'auto' (the spec's worst case to termination) or 'none'.")
def monitor(file: str, log: str, consts: tuple[str, ...], budget: str) -> None:
    from accord.runtime.monitor import validate_log
    from accord.runtime.spec import Spec

    proto = load_or_exit(file, parse_consts(consts))
    if not Path(log).is_file():
        click.echo(f"error: cannot read {log}", err=True)
        sys.exit(EXIT_USAGE)
    if budget not in ("auto", "none") and not budget.isdigit():
        raise click.UsageError("--budget is a whole number, 'auto' or 'none'")
    limit: int | str | None = "auto" if budget == "auto" else None if budget == "none" else int(budget)
    report = validate_log(Spec(proto), log, limit)
    d = report.divergence
    if d is None:
        click.echo(f"{log}: {report.events} events, {report.steps} protocol steps: conforms to {proto.name}")
        sys.exit(EXIT_OK)
    where = f"{log}:{d.line}: " if d.line is not None else f"{log}: "
    click.echo(f"{where}divergence [{d.kind}]: {d.message}")
    sys.exit(EXIT_SAFETY)


__all__ = ["monitor"]
