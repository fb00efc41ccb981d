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
@click.option("--taskgraph", metavar="CONST", help="Also report the task graph held by this constant: critical "
              "path, parallel fraction, Amdahl and ideal bounds.")
@click.option("--max-states", type=click.IntRange(min=1), default=200_000, show_default=True,
              help="Refuse graphs larger than this (metrics over a partial graph would be wrong).")
def analyze(file: str, consts: tuple[str, ...], sweep_spec: str | None, fmt: str, plot: str | None,
            taskgraph: str | None, max_states: int) -> None:
    from accord.analysis.metrics import analyze as run
    from accord.analysis.render import (analysis_json, analysis_text, sweep_text, taskgraph_json, taskgraph_text,
                                        write_plots)
    from accord.analysis.sweep import parse_range, sweep

    overrides = parse_consts(consts)
    graph = None
    if taskgraph:
        from accord.analysis.taskgraph import NotATaskGraph, task_graph

        try:
            graph = task_graph(load_or_exit(file, overrides, warnings=False), taskgraph)
        except NotATaskGraph as exc:
            raise click.UsageError(f"--taskgraph {taskgraph}: {exc}") from None
        if graph.cycle is not None:
            click.echo(f"error: task graph `{taskgraph}` has a cycle: "
                       + " -> ".join(map(str, [*graph.cycle, graph.cycle[0]])), err=True)
            sys.exit(EXIT_USAGE)
    if sweep_spec is None:
        proto = load_or_exit(file, overrides, warnings=False)
        a = run(proto, max_states)
        if fmt == "json":
            data = analysis_json(a)
            if graph is not None:
                data["taskgraph"] = taskgraph_json(graph, [])
            click.echo(json.dumps(data, indent=2))
        else:
            click.echo(analysis_text(a))
            if graph is not None:
                click.echo(taskgraph_text(graph, []))
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
        data = {"sweep": name, "values": values, "rows": [analysis_json(a) for a in sw.rows],
                "exponents": {m: sw.exponent(m) for m in ("messages", "steps")}}
        if graph is not None:
            data["taskgraph"] = taskgraph_json(graph, values, sw)
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(sweep_text(sw))
        if graph is not None:
            click.echo(taskgraph_text(graph, values, sw))
    if plot:
        for p in write_plots(sw, Path(plot)):
            click.echo(f"wrote {p}", err=True)
    sys.exit(EXIT_OK)
