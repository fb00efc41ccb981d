"""`accord analyze SPEC [--sweep NAME=LO..HI]`: steps, messages and cost to termination."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from accord.cli.common import EXIT_OK, EXIT_USAGE, load_or_exit, parse_consts, print_diagnostics


@click.command(help="Path metrics from the initial state to termination: fewest and most steps (or rounds), "
               "messages, costs, and the step budget a runtime should allow. --sweep repeats it per team size.")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--const", "consts", multiple=True, metavar="NAME=VALUE", help="Override a constant.")
@click.option("--sweep", "sweep_spec", metavar="NAME=LO..HI", help="Repeat for each value of a constant.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--plot", type=click.Path(dir_okay=False), help="With --sweep: write the plot to PATH.svg (and .png).")
@click.option("--max-states", type=click.IntRange(min=1), default=200_000, show_default=True,
              help="Refuse graphs larger than this (metrics over a partial graph would be wrong).")
def analyze(file: str, consts: tuple[str, ...], sweep_spec: str | None, fmt: str, plot: str | None,
            max_states: int) -> None:
    from accord.analysis.metrics import analyze as run
    from accord.analysis.render import analysis_json, analysis_text, sweep_text, write_plots
    from accord.analysis.sweep import parse_range, sweep

    overrides = parse_consts(consts)
    if sweep_spec is None:
        proto = load_or_exit(file, overrides, warnings=False)
        a = run(proto, max_states)
        click.echo(json.dumps(analysis_json(a), indent=2) if fmt == "json" else analysis_text(a))
        sys.exit(EXIT_USAGE if a.error else EXIT_OK)
    try:
        name, values = parse_range(sweep_spec)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    sw, diags = sweep(file, name, values, overrides, max_states)
    if sw is None:
        print_diagnostics(diags)
        sys.exit(EXIT_USAGE)
    if fmt == "json":
        click.echo(json.dumps({"sweep": name, "values": values, "rows": [analysis_json(a) for a in sw.rows],
                               "exponents": {m: sw.exponent(m) for m in ("messages", "steps")}}, indent=2))
    else:
        click.echo(sweep_text(sw))
    if plot:
        for p in write_plots(sw, Path(plot)):
            click.echo(f"wrote {p}", err=True)
    sys.exit(EXIT_OK)
