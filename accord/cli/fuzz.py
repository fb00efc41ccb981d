"""`accord fuzz FILE`: random runs with faults, at team sizes exhaustive search cannot reach.

Also the engine behind ``accord check --engine fuzz`` (:func:`run_fuzz`). A failure is
reported like any counterexample, with the seed and the commands that replay it; the
shrunk counterexample is saved as a JSON report (``--save``) that ``accord replay``
reads. Nothing found is ``unknown`` (exit 3), never ``holds``.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

import click

from accord import ir
from accord.checker.fuzz.budgets import apply_fault_budgets, parse_fault_budgets
from accord.checker.fuzz.engine import FuzzConfig, FuzzOutcome, fuzz
from accord.cli.common import EXIT_USAGE, load_or_exit, parse_consts, quiet_progress
from accord.report.json_report import result_json
from accord.report.outputs import FORMATS, STDERR, STDOUT, plan_outputs, render_outputs
from accord.semantics.layout import Layout


@click.command(help="Search for violations with random runs and faults (hypothesis), then shrink the first one "
               "found to a short trace. For teams too large for `accord check`. Finding nothing is "
               "inconclusive (exit 3). See `accord --help` for exit codes.")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--const", "consts", multiple=True, metavar="NAME=VALUE", help="Override a constant (repeatable).")
@click.option("--runs", type=click.IntRange(min=1), default=1000, show_default=True, help="At most this many runs.")
@click.option("--max-seconds", type=click.FloatRange(min=0), default=60.0, show_default=True,
              help="Stop searching after this many seconds.")
@click.option("--shrink-seconds", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="Time for shrinking a failure once found.")
@click.option("--depth", type=click.IntRange(min=1, max=2000), default=200, show_default=True,
              help="Steps per run.")
@click.option("--seed", type=click.IntRange(min=0), help="Random seed (default: a fresh one, printed).")
@click.option("--fault-budget", "budgets", multiple=True, metavar="KIND=N",
              help="Set the budget of the spec's faults of KIND (crash, restart, lose, duplicate, reorder, "
              "corrupt, timeout), e.g. --fault-budget crash=3 (repeatable).")
@click.option("--no-swarm", is_flag=True, help="Every run may take every step and fault (no swarm testing).")
@click.option("--continue", "keep_going", is_flag=True, help="Report every property violated, not the first.")
@click.option("--deadlock/--no-deadlock", default=None, help="Override the spec's `check deadlock`.")
@click.option("--format", "formats", multiple=True, metavar="NAME[=PATH]",
              help=f"Report format, optionally with its own file (repeatable): {', '.join(FORMATS)}. Default: text.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the one report whose --format has no PATH here.")
@click.option("--save", type=click.Path(dir_okay=False),
              help="Where to save the counterexample for `accord replay` "
              "(default: .accord/fuzz/<protocol>-<seed>.json).")
@click.option("--no-save", is_flag=True, help="Do not save the counterexample.")
def fuzz_cmd(file: str, consts: tuple[str, ...], runs: int, max_seconds: float, shrink_seconds: float, depth: int,
             seed: int | None, budgets: tuple[str, ...], no_swarm: bool, keep_going: bool, deadlock: bool | None,
             formats: tuple[str, ...], output: str | None, save: str | None, no_save: bool) -> None:
    overrides = parse_consts(consts)
    try:
        plan = plan_outputs(formats, output)
        fault_budget = parse_fault_budgets(budgets)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    proto = load_budgeted(file, overrides, fault_budget)
    cfg = FuzzConfig(runs=runs, depth=depth, max_seconds=max_seconds, shrink_seconds=shrink_seconds, seed=seed,
                     swarm=not no_swarm, stop_at_first=not keep_going, deadlock=deadlock)
    outcome = run_fuzz(proto, file, overrides, fault_budget, cfg)
    result = outcome.result
    lay = Layout.build(proto)
    if outcome.info.first is not None and not no_save:
        path = save or str(Path(".accord") / "fuzz" / f"{proto.name}-{outcome.info.seed}.json")
        result.notes.append(f"replay: accord replay {shlex.quote(path)}")
        doc = saved_document(outcome, lay, file, overrides, fault_budget, cfg)
        emit(json.dumps(doc, indent=2), path)
    writes, notes = render_outputs(plan, result, lay, file)
    for dest, data in writes:
        emit(data, dest)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    sys.exit(result.exit_code())


def load_budgeted(file: str, overrides: dict[str, int | bool], fault_budget: dict[str, int]) -> ir.Protocol:
    """The spec with its fault budgets overridden; exits 2 on a spec error or an undeclared fault kind."""
    proto = load_or_exit(file, overrides)
    proto, problems = apply_fault_budgets(proto, fault_budget)
    for p in problems:
        click.echo(f"error: {p}", err=True)
    if problems:
        sys.exit(EXIT_USAGE)
    return proto


def run_fuzz(proto: ir.Protocol, file: str, overrides: dict[str, int | bool], fault_budget: dict[str, int],
             cfg: FuzzConfig) -> FuzzOutcome:
    """Run the engine with a progress line on a terminal; add the command that re-runs the search."""
    cfg.parameters = {c.name: c.value for c in proto.consts if not c.declared}
    cfg.progress = None if quiet_progress() else _progress
    outcome = fuzz(proto, cfg)
    if cfg.progress is not None:
        click.echo("\r\033[K", nl=False, err=True)
    if outcome.info.first is not None:
        outcome.result.notes.append(f"rerun: {rerun_command(file, overrides, fault_budget, cfg, outcome.info.seed)}")
    return outcome


def rerun_command(file: str, overrides: dict[str, int | bool], fault_budget: dict[str, int], cfg: FuzzConfig,
                  seed: int) -> str:
    """The `accord fuzz` command that draws the same runs in the same order (same seed and settings)."""
    args = ["accord", "fuzz", file]
    for k, v in overrides.items():
        args += ["--const", f"{k}={str(v).lower() if isinstance(v, bool) else v}"]
    for k, n in fault_budget.items():
        args += ["--fault-budget", f"{k}={n}"]
    args += ["--seed", str(seed), "--runs", str(cfg.runs), "--depth", str(cfg.depth)]
    if not cfg.swarm:
        args.append("--no-swarm")
    if not cfg.stop_at_first:
        args.append("--continue")
    if cfg.deadlock is not None:
        args.append("--deadlock" if cfg.deadlock else "--no-deadlock")
    return " ".join(shlex.quote(a) for a in args)


def saved_document(outcome: FuzzOutcome, lay: Layout, file: str, overrides: dict[str, int | bool],
                   fault_budget: dict[str, int], cfg: FuzzConfig) -> dict[str, Any]:
    """The JSON report plus a ``fuzz`` section with what a replay or a re-run needs."""
    doc = result_json(outcome.result, lay, file)
    info = outcome.info
    doc["fuzz"] = {
        "seed": info.seed,
        "consts": dict(overrides),
        "fault_budget": dict(fault_budget),
        "runs": cfg.runs,
        "depth": cfg.depth,
        "swarm": cfg.swarm,
        "spec_path": str(Path(file).resolve()),
        "first_failure": None if info.first is None else {
            "property": info.first.prop, "run": info.first.run_index, "seconds": round(info.first.seconds, 3),
            "length": info.first.length, "faults": info.first.faults},
    }
    return doc


def emit(data: str, dest: str) -> None:
    if dest == STDOUT:
        click.echo(data)
    elif dest == STDERR:
        click.echo(data, err=True)
    else:
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        Path(dest).write_text(data + "\n", encoding="utf-8")


def _progress(info: dict[str, Any]) -> None:
    best = f"  shortest {info['best']} states" if info.get("best") else ""
    click.echo(f"\r\033[K  {info['phase']}: {info['runs']:,} runs  {info['steps']:,} steps  "
               f"{info['seconds']:.1f}s{best}", nl=False, err=True)




def check_with_fuzz(proto: ir.Protocol, file: str, overrides: dict[str, int | bool], cfg: Any) -> Any:
    """``accord check --engine fuzz``: the fuzz engine under check's limits (``cfg`` is check's Config)."""
    fcfg = FuzzConfig(depth=cfg.max_depth or 200, stop_at_first=cfg.stop_at_first, deadlock=cfg.deadlock,
                      max_seconds=cfg.max_seconds if cfg.max_seconds is not None else 60.0)
    return run_fuzz(proto, file, overrides, {}, fcfg).result


__all__ = ["fuzz_cmd", "run_fuzz", "check_with_fuzz", "load_budgeted", "rerun_command", "saved_document", "emit"]
