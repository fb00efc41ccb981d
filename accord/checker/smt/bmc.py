"""Bounded model checking: every violation reachable in at most K states, shortest first.

``bmc(proto, depth) -> CheckResult | Diagnostic`` unrolls the transition
relation one state at a time on one incremental solver. At each length k
(initial state = 1, as the explicit BFS counts) it asks whether the k-th state
violates an invariant or an agreement, raises a step violation (assert,
runtime error, overflow — named as the explicit checker names them), or is a
deadlock; and whether a ``reachable`` property has a witness. A violation is
therefore found at its shortest length, the length explicit BFS reports.

Every counterexample is replayed through the explicit semantics
(:func:`accord.checker.trace.replay_path`) before it is returned, and its last
state is checked to really violate the property; a counterexample that does
not replay is a bug in the encoding and raises :class:`ReplayError`.

Nothing found up to K is reported as UNKNOWN ("no violation up to depth K"),
never HOLDS; only a ``reachable`` witness is a definite answer. Liveness
properties are not checked by this engine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import z3

from accord import ir
from accord.checker.result import CheckResult, PropertyResult, Stats, Verdict
from accord.checker.smt.encode import CHANNEL_BOUND, Encoding, encode
from accord.checker.trace import ReplayError, replay_path, violation_step
from accord.diagnostics import Diagnostic
from accord.semantics.model import Model, State

Progress = Callable[[dict[str, Any]], None]


class Unroller:
    """The path s_0 … s_{k-1} of an encoding on one incremental solver (shared with k-induction)."""

    def __init__(self, enc: Encoding, solver: z3.Solver, tag: str = "s", initial: bool = True):
        self.enc = enc
        self.solver = solver
        self.tag = tag
        self.states: list[tuple[list[Any], list[Any]]] = []
        self.add_state(initial)

    def add_state(self, initial: bool = False) -> None:
        k = len(self.states)
        st, lv, wf = self.enc.state(f"{self.tag}{k}")
        self.solver.add(wf)
        if initial:
            self.solver.add(self.enc.at(self.enc.init, lv))
        if self.states:
            prev = self.states[-1][1]
            self.solver.add(self.enc.trans(prev, lv, z3.Int(f"{self.tag}.sel{k}")))
        self.states.append((st, lv))

    def last(self, f: Any) -> Any:
        """Template formula ``f`` over the last state."""
        return self.enc.at(f, self.states[-1][1])

    def on(self, i: int, f: Any) -> Any:
        return self.enc.at(f, self.states[i][1])

    def extract(self, m: z3.ModelRef) -> list[State]:
        return [self.enc.decode(st, m) for st, _ in self.states]


def bmc(proto: ir.Protocol, depth: int, stop_at_first: bool = True, deadlock: bool | None = None,
        parameters: dict[str, Any] | None = None, progress: Progress | None = None,
        channel_bound: int = CHANNEL_BOUND) -> CheckResult | Diagnostic:
    """Check every safety property on all runs of at most ``depth`` states.

    ``deadlock`` overrides the spec's ``check deadlock``; ``channel_bound`` is how many messages the
    encoding holds on a channel declared without a capacity (a run past it ends the search, UNKNOWN)."""
    started = time.monotonic()
    enc = encode(proto, deadlock, channel_bound)
    if isinstance(enc, Diagnostic):
        return enc
    model = Model(proto)
    for solver in solvers():
        try:
            found = _search(enc, model, solver, depth, stop_at_first, progress, started)
        except GaveUp:
            continue
        return _result(proto, enc, *found, time.monotonic() - started, parameters or {})
    raise RuntimeError("no solver could decide the bounded model checking queries")


class GaveUp(Exception):
    """The solver answered ``unknown`` (the finite-domain solver meets arithmetic it cannot bit-blast)."""


def solvers() -> list[z3.Solver]:
    """The finite-domain solver first (fast on bounded state), the general one when it gives up."""
    return [z3.SolverFor("QF_FD"), z3.Solver()]


def _search(enc: Encoding, model: Model, solver: z3.Solver, depth: int, stop_at_first: bool,
            progress: Progress | None, started: float
            ) -> tuple[dict[str, PropertyResult], int, int | None, int | None]:
    proto = enc.proto
    path = Unroller(enc, solver)
    results: dict[str, PropertyResult] = {}
    spans = {p.name: p.span for p in proto.properties}
    goals = _goals(enc)
    stopped_at: int | None = None
    escaped_at: int | None = None
    reached = 0
    for k in range(1, depth + 1):
        reached = k
        if progress is not None:
            progress({"depth": k, "seconds": time.monotonic() - started})
        expandable = path.last(enc.constraint)
        open_goals = [(name, kind, f) for name, kind, f in goals if name not in results]
        queries = [(name, kind, path.last(f) if kind in ("invariant", "reachable") else z3.And(path.last(f),
                                                                                               expandable))
                   for name, kind, f in open_goals]
        found_any = False
        for name, kind, q in queries:  # one query per goal: much faster than one disjunction of them all
            m = _model(solver, q)
            if m is None:
                continue
            states = path.extract(m)
            if kind == "escape":
                replay_path(model, states)
                escaped_at = k
                break
            results[name] = _judge(model, proto, enc, name, kind, states, spans.get(name))
            found_any = found_any or kind != "reachable"
        if escaped_at is not None or (found_any and stop_at_first):
            stopped_at = k
            break
        if all(name in results for name, kind, _ in goals if kind != "escape"):
            break
        if k < depth:
            solver.add(expandable)
            path.add_state()
    return results, reached, stopped_at, escaped_at


def _model(solver: z3.Solver, q: Any) -> z3.ModelRef | None:
    """A model of the path and ``q``, or None; the solver is left as it was."""
    solver.push()
    try:
        solver.add(q)
        r = solver.check()
        if r == z3.unknown:
            raise GaveUp(solver.reason_unknown())
        return solver.model() if r == z3.sat else None
    finally:
        solver.pop()


def _goals(enc: Encoding) -> list[tuple[str, str, Any]]:
    """(property name, kind, violation or witness condition over the template state)."""
    out: list[tuple[str, str, Any]] = []
    for name, f in enc.invariants.items():
        out.append((name, "invariant", f))
    for name, (kind, f) in enc.errors.items():
        out.append((name, kind, f))
    if not z3.is_false(enc.deadlock):
        out.append(("deadlock", "deadlock", enc.deadlock))
    for name, f in enc.reachables.items():
        out.append((name, "reachable", f))
    if not z3.is_false(enc.escape):
        out.append(("(escape)", "escape", enc.escape))
    return out


def _judge(model: Model, proto: ir.Protocol, enc: Encoding, name: str, kind: str, states: list[State],
           span: Any) -> PropertyResult:
    """Replay a counterexample through the explicit semantics and check that it shows what SMT claims."""
    trace = replay_path(model, states)
    last = states[-1]
    prop = next((p for p in proto.properties if p.name == name), None)
    expr = prop.expr if prop is not None else None
    if kind == "invariant":
        assert prop is not None and expr is not None
        pkind = prop.kind.value
        try:
            holds = model.compile_property_expr(expr)(last)
            message = f"{pkind} `{name}` is violated"
        except Exception as exc:  # noqa: BLE001 - any error evaluating a property violates it (as explicit)
            holds, message = False, f"cannot evaluate: {exc}"
        if holds:
            raise ReplayError(f"the SMT counterexample for `{name}` ends in a state that satisfies it")
        return PropertyResult(name, pkind, Verdict.VIOLATED, message, trace, span)
    if kind == "reachable":
        assert expr is not None
        if not model.compile_property_expr(expr)(last):
            raise ReplayError(f"the SMT witness for `{name}` ends in a state that does not satisfy it")
        return PropertyResult(name, "reachable", Verdict.HOLDS, "a witness was found", trace, span)
    errs: list[Any] = []
    succ = model.protocol_successors(last, record=True, errors=errs)
    if kind == "deadlock":
        if succ or errs or (model.has_final and model.is_final(last)):
            raise ReplayError("the SMT deadlock is not a deadlock in the explicit semantics")
        return PropertyResult("deadlock", "deadlock", Verdict.VIOLATED,
                              "deadlock: no step is enabled and not every role is final", trace, span)
    for e in errs:
        if _error_name(e.violation) == name:
            trace.steps.append(violation_step(e.transition, None))
            return PropertyResult(name, kind, Verdict.VIOLATED, f"{name}: {e.violation}", trace, None)
    raise ReplayError(f"the SMT counterexample for `{name}` does not raise it in the explicit semantics")


def _error_name(v: Any) -> str:
    kind = getattr(v, "kind", "runtime")
    where = f" at line {v.span.line}" if getattr(v, "span", None) is not None else ""
    return {"assert": "assert", "overflow": "channel overflow"}.get(kind, "runtime error") + where


def _result(proto: ir.Protocol, enc: Encoding, results: dict[str, PropertyResult], reached: int,
            stopped_at: int | None, escaped_at: int | None, seconds: float, parameters: dict[str, Any]
            ) -> CheckResult:
    out: list[PropertyResult] = []
    notes = [f"SMT encoding: {len(enc.branches)} transition branches, {len(enc.leaves)} state variables"]
    if escaped_at is not None:
        why = (f"no violation up to depth {escaped_at}; a step from depth {escaped_at} sends a message the SMT "
               f"encoding cannot hold (more than {enc.bound} on a channel without a capacity): use --engine "
               "explicit, or a larger channel bound")
        notes.append(why)
    elif stopped_at is not None:
        why = "not decided: the search stopped at the first violation (use --continue to go on)"
    else:
        why = f"no violation up to depth {reached}"
    for p in proto.properties:
        if p.name in results:
            out.append(results[p.name])
        elif p.kind in (ir.PropKind.INVARIANT, ir.PropKind.AGREEMENT):
            out.append(PropertyResult(p.name, p.kind.value, Verdict.UNKNOWN, why, span=p.span))
        elif p.kind is ir.PropKind.DEADLOCK and not z3.is_false(enc.deadlock):
            out.append(PropertyResult(p.name, "deadlock", Verdict.UNKNOWN, why, span=p.span))
        elif p.kind is ir.PropKind.REACHABLE:
            msg = why.replace("no violation", "no witness") if stopped_at is None else why
            out.append(PropertyResult(p.name, "reachable", Verdict.UNKNOWN, msg, span=p.span))
        elif p.kind in (ir.PropKind.TERMINATION, ir.PropKind.LEADS_TO):
            out.append(PropertyResult(p.name, p.kind.value, Verdict.UNKNOWN,
                                      "not checked: the SMT engine checks safety only (use --engine explicit)",
                                      span=p.span))
    named = {r.name for r in out}
    out.extend(r for n, r in results.items() if n not in named)
    stats = Stats(depth=reached, seconds=seconds, engine="smt-bmc")
    return CheckResult(proto.name, out, stats, complete=False, limit="depth", parameters=parameters, notes=notes)


__all__ = ["GaveUp", "Unroller", "bmc", "solvers"]
