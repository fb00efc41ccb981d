"""`accord check FILE`: verify every property of a spec."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from accord.checker.explicit import Config, check as explicit_check
from accord.cli.common import EXIT_USAGE, load_or_exit, parse_consts, quiet_progress
from accord.report.outputs import FORMATS, STDERR, STDOUT, plan_outputs, render_outputs
from accord.semantics.layout import Layout


@click.command(help="Check a spec's properties: invariants, agreement, reachability, deadlock, termination, "
               "leads_to. See `accord --help` for exit codes.")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--const", "consts", multiple=True, metavar="NAME=VALUE", help="Override a constant (repeatable).")
@click.option("--engine", type=click.Choice(["explicit", "vector", "explicit-generic", "smt", "fuzz"]), default="explicit",
              show_default=True,
              help="explicit: the vector engine when the spec is in its fragment, else the generic one "
              "(same results); vector: only the vector engine (an error outside its fragment); "
              "explicit-generic: only the reference engine; smt: bounded model checking with Z3 to --depth "
              "(safety only; never reports `holds`); fuzz: random runs with faults, shrunk (safety and deadlock; "
              "runs of --max-depth steps, default 200, for --max-seconds, default 60; never reports `holds`; "
              "`accord fuzz` has more options).")
@click.option("--depth", type=click.IntRange(min=1), default=10, show_default=True,
              help="--engine smt: check every run of at most this many states.")
@click.option("--strategy", type=click.Choice(["bfs", "dfs"]), default="bfs", show_default=True,
              help="Breadth-first finds shortest counterexamples.")
@click.option("--format", "formats", multiple=True, metavar="NAME[=PATH]",
              help=f"Report format, optionally with its own file (repeatable): {', '.join(FORMATS)}. "
              "E.g. --format sarif=out.sarif --format junit=out.xml; itf=DIR/ writes one trace per "
              "counterexample. Default: text.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the one report whose --format has no PATH here.")
@click.option("--max-states", type=click.IntRange(min=1), help="Stop after this many distinct states.")
@click.option("--max-seconds", type=click.FloatRange(min=0), help="Stop after this many seconds.")
@click.option("--max-memory", type=click.FloatRange(min=1), help="Stop when peak memory passes this many MB.")
@click.option("--max-depth", type=click.IntRange(min=1), help="Explore at most this many BFS levels.")
@click.option("--continue", "keep_going", is_flag=True, help="Keep exploring after the first violation.")
@click.option("--no-symmetry", is_flag=True, help="Do not reduce by the symmetry of `symmetric` roles.")
@click.option("--deadlock/--no-deadlock", default=None, help="Override the spec's `check deadlock`.")
@click.option("--por", is_flag=True,
              help="Partial-order reduction: skip interleavings of independent steps. Keeps the verdicts of "
              "invariants, agreement, reachable, asserts and deadlock; the state counts become those of the "
              "reduced graph. Off for liveness properties (they need every interleaving).")
@click.option("--hash-compact", is_flag=True,
              help="Store a 64-bit fingerprint per state instead of the state (far less memory); a `holds` "
              "then carries the probability that a state was missed (at most n^2/2^65).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes sharing a breadth-first search (states split by hash); same counts, verdicts "
              "and traces as one process.")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(dir_okay=False),
              help="Write the search state to this file every --checkpoint-every seconds and when a "
              "state, time or memory limit stops the search.")
@click.option("--checkpoint-every", type=click.FloatRange(min=1), default=300.0, show_default=True,
              help="Seconds between periodic checkpoints.")
@click.option("--resume", "resume_file", type=click.Path(dir_okay=False),
              help="Continue the search saved in this checkpoint (same spec, constants and settings).")
@click.option("--transport", type=click.Choice(["asyncio", "ray", "at-least-once", "datagram"]),
              help="Warn where the spec assumes more than this runtime transport provides (order, no loss, "
              "no duplicates, perfect failure detection).")
def check(file: str, consts: tuple[str, ...], engine: str, strategy: str, formats: tuple[str, ...],
          output: str | None, max_states: int | None, max_seconds: float | None, max_memory: float | None,
          max_depth: int | None, keep_going: bool, no_symmetry: bool, deadlock: bool | None,
          transport: str | None = None, depth: int = 10, por: bool = False, hash_compact: bool = False,
          workers: int = 1, checkpoint_file: str | None = None, checkpoint_every: float = 300.0,
          resume_file: str | None = None) -> None:
    overrides = parse_consts(consts)
    try:
        plan = plan_outputs(formats, output)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    proto = load_or_exit(file, overrides)
    if transport is not None:
        from accord.cli.common import print_diagnostics
        from accord.runtime.compat import transport_warnings

        print_diagnostics(transport_warnings(proto, transport))
    progress = None if quiet_progress() else _progress_printer()
    cfg = Config(strategy=strategy, max_states=max_states, max_seconds=max_seconds, max_memory_mb=max_memory,
                 max_depth=max_depth, stop_at_first=not keep_going, symmetry=not no_symmetry,
                 deadlock=deadlock, progress=progress,
                 parameters={c.name: c.value for c in proto.consts if not c.declared},
                 por=por, hash_compaction=hash_compact, workers=workers, checkpoint=checkpoint_file,
                 checkpoint_every=checkpoint_every, resume=resume_file)
    if engine == "smt":
        from accord.cli.prove import smt_check

        result = smt_check(proto, cfg, depth)
    elif engine == "fuzz":
        from accord.cli.fuzz import check_with_fuzz

        result = check_with_fuzz(proto, file, overrides, cfg)
    else:
        result = _run_engine(engine, proto, cfg)
    if progress is not None:
        click.echo("\r\033[K", nl=False, err=True)
    lay = Layout.build(proto)
    writes, notes = render_outputs(plan, result, lay, file)
    for dest, data in writes:
        _emit(data, dest)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    sys.exit(result.exit_code())


def _run_engine(engine: str, proto: Any, cfg: Config) -> Any:
    """The check result of the chosen engine (see ``--engine``)."""
    from accord.checker.checkpoint import CheckpointError
    from accord.checker.fast import Unsupported, check_auto, check_fast, supported

    generic = _generic_options(cfg)
    if engine == "explicit-generic" or (engine == "explicit" and generic):
        try:
            return explicit_check(proto, cfg)
        except CheckpointError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USAGE)
    if engine == "explicit":
        return check_auto(proto, cfg)
    why = ([f"{', '.join(generic)} (generic engine only)"] if generic else []) + supported(proto, cfg)
    try:
        if not why:
            return check_fast(proto, cfg)
    except Unsupported as exc:
        why = [str(exc)]
    click.echo("error: the vector engine does not support this check: " + "; ".join(why), err=True)
    click.echo("hint: use `--engine explicit` (picks the engine) or `--engine explicit-generic`", err=True)
    sys.exit(EXIT_USAGE)


def _generic_options(cfg: Config) -> list[str]:
    """The options only the generic explicit engine implements (they pick it under --engine explicit)."""
    flags = [("--por", cfg.por), ("--hash-compact", cfg.hash_compaction), ("--workers", cfg.workers > 1),
             ("--checkpoint", bool(cfg.checkpoint)), ("--resume", bool(cfg.resume))]
    return [name for name, on in flags if on]


def _emit(data: str, dest: str) -> None:
    if dest == STDOUT:
        click.echo(data)
    elif dest == STDERR:
        click.echo(data, err=True)
    else:
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        Path(dest).write_text(data + "\n", encoding="utf-8")


def _progress_printer():  # type: ignore[no-untyped-def]
    def show(info: dict) -> None:  # type: ignore[type-arg]
        rate = info["states"] / info["seconds"] if info["seconds"] else 0
        click.echo(f"\r\033[K  {info['states']:,} states  depth {info['depth']}  queue {info['queue']:,}  "
                   f"{rate:,.0f}/s", nl=False, err=True)

    return show


__all__ = ["check", "EXIT_USAGE"]
