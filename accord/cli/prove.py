"""`accord prove FILE`: k-induction proofs of the invariants (SMT), and the SMT side of `accord check`.

``accord prove`` proves every ``invariant`` and ``agreement`` (and that no step
raises a violation) for all depths at the spec's constants, or shows a
counterexample to induction. ``accord check --engine smt --depth K`` runs
bounded model checking through :func:`smt_check` below.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from accord.checker.result import CheckResult, Verdict
from accord.checker.smt.encode import CHANNEL_BOUND
from accord.cli.common import (
    EXIT_INCONCLUSIVE,
    EXIT_OK,
    EXIT_SAFETY,
    EXIT_USAGE,
    load_or_exit,
    parse_consts,
    print_diagnostics,
    quiet_progress,
)
from accord.diagnostics import Diagnostic
from accord.report.json_report import result_json
from accord.report.text import render_result
from accord.semantics.layout import Layout


@click.command(help="Prove the invariants and agreements of a spec for all depths by k-induction (Z3), at its "
               "constants, or show a counterexample to induction: a state where they hold from which one step "
               "breaks one. Exit 0 proved, 12 violated, 3 not proved.")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--const", "consts", multiple=True, metavar="NAME=VALUE", help="Override a constant (repeatable).")
@click.option("--k", "max_k", type=click.IntRange(min=1), default=1, show_default=True,
              help="Try k-induction for k = 1 .. K (a larger K proves more, with longer counterexamples).")
@click.option("--channel-bound", type=click.IntRange(min=1), default=CHANNEL_BOUND, show_default=True,
              help="Messages the encoding holds on a channel declared without a capacity.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def prove(file: str, consts: tuple[str, ...], max_k: int, channel_bound: int, fmt: str) -> None:
    from accord.checker.smt.kind import prove as kinduction

    proto = load_or_exit(file, parse_consts(consts))
    params = {c.name: c.value for c in proto.consts}
    found = kinduction(proto, max_k, channel_bound, params)
    if isinstance(found, Diagnostic):
        print_diagnostics([found])
        sys.exit(EXIT_USAGE)
    lay = Layout.build(proto)
    result = found.result
    if fmt == "json":
        data: dict[str, Any] = result_json(result, lay, file)
        if found.cti is not None:
            data["counterexample_to_induction"] = {
                "k": found.cti.k, "breaks": found.cti.broken,
                "states": [lay.describe(s) for s in found.cti.states],
                "steps": [t.render(lay) for t in found.cti.transitions]}
        click.echo(json.dumps(data, indent=2))
    else:
        text = render_result(result, lay)
        if found.cti is not None:
            text += "\n\n" + found.cti.render(lay)
            text += ("\n  (if the first state cannot be reached, strengthen the invariants to exclude it; "
                     "a larger --k may also prove them)")
        click.echo(text)
    if result.first_violation is not None:
        sys.exit(EXIT_SAFETY)
    sys.exit(EXIT_OK if result.verdict is Verdict.HOLDS else EXIT_INCONCLUSIVE)


def smt_check(proto: Any, cfg: Any, depth: int) -> CheckResult:
    """``accord check --engine smt``: bounded model checking to ``depth``; exits 2 outside the fragment."""
    from accord.checker.smt.bmc import bmc

    progress = None
    if not quiet_progress():
        def progress(info: dict[str, Any]) -> None:
            click.echo(f"\r\033[K  SMT depth {info['depth']}  {info['seconds']:.1f}s", nl=False, err=True)
    found = bmc(proto, depth, stop_at_first=cfg.stop_at_first, deadlock=cfg.deadlock, parameters=cfg.parameters,
                progress=progress)
    if isinstance(found, Diagnostic):
        print_diagnostics([found])
        sys.exit(EXIT_USAGE)
    return found


__all__ = ["prove", "smt_check"]
