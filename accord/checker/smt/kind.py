"""k-induction: proofs that the invariants hold in every reachable state, at fixed constants.

``prove(proto, max_k) -> ProofResult | Diagnostic`` proves the conjunction Q of
every ``invariant`` and ``agreement`` together with "no step raises a violation"
(assert, runtime error, overflow) and "no run leaves the encoding":

* base case: no run of at most k states violates Q (bounded model checking);
* step case: no loop-free run of k+1 states, the first k satisfying Q (and,
  where a ``constraint`` is declared, inside it), ends in a state violating Q.

Both hold for some k ≤ ``max_k``: every invariant HOLDS, for all depths. The
base case fails: a real counterexample, as ``bmc`` reports it (replayed). The
step case fails at every k: the invariants may still be true, but they are not
k-inductive; the result carries the counterexample to induction (:class:`Cti`)
of the largest k tried — replayed step by step through the explicit
semantics — whose last state breaks a property. Strengthening an invariant so
that it excludes the CTI's first state is the usual way forward (docs/engines.md).

The team size is fixed (the spec's constants): proofs for every team size are
not done here.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

import z3

from accord import ir
from accord.checker.result import CheckResult, PropertyResult, Stats, Verdict
from accord.checker.smt.bmc import GaveUp, Unroller, _model, bmc, solvers
from accord.checker.smt.encode import CHANNEL_BOUND, Encoding, encode
from accord.checker.trace import ReplayError
from accord.diagnostics import Diagnostic
from accord.semantics.layout import Layout
from accord.semantics.model import Model, State, Transition

_RAISED = ("assert", "runtime error", "channel overflow", "(a step")


@dataclass
class Cti:
    """A counterexample to induction: states s_0 … s_k, all but the last satisfying every property."""

    k: int
    states: list[State]
    transitions: list[Transition]  # transitions[i] leads from states[i] to states[i + 1]
    broken: list[str]  # what the last state violates

    def render(self, lay: Layout) -> str:
        """The CTI as text: the first state in full, then each step and what it changed."""
        props = [f"`{b}`" for b in self.broken if not b.startswith(_RAISED)]
        raised = [f"`{b}`" for b in self.broken if b.startswith(_RAISED)]
        what = []
        if props:
            what.append("breaks " + ", ".join(props))
        if raised:
            what.append("reaches a state where a step raises " + ", ".join(raised))
        lines = [f"counterexample to induction (k={self.k}): every invariant holds in "
                 f"{'this state' if self.k == 1 else 'these states'}, yet one step more " + " and ".join(what)]
        prev = lay.describe(self.states[0])
        lines.append("  State A (not necessarily reachable):")
        lines.extend(f"      {key} = {value}" for key, value in prev.items())
        for i, (tr, st) in enumerate(zip(self.transitions, self.states[1:])):
            last = i == len(self.transitions) - 1
            lines.append(f"  {'then' if not last else 'Step'}: {tr.render(lay)}"
                         + ("  <- breaks the invariant" if last else ""))
            cur = lay.describe(st)
            lines.extend(f"      {key} = {value}" for key, value in cur.items() if prev.get(key) != value)
            prev = cur
        return "\n".join(lines)


@dataclass
class ProofResult:
    result: CheckResult
    k: int | None  # the k of the proof, None when not proved
    cti: Cti | None


def prove(proto: ir.Protocol, max_k: int = 1, channel_bound: int = CHANNEL_BOUND,
          parameters: dict[str, Any] | None = None) -> ProofResult | Diagnostic:
    """Try k-induction for k = 1 … ``max_k`` on every invariant and agreement of ``proto``."""
    started = time.monotonic()
    enc = encode(proto, deadlock=False, channel_bound=channel_bound)
    if isinstance(enc, Diagnostic):
        return enc
    model = Model(proto)
    for make in range(len(solvers())):
        try:
            outcome = _induct(enc, model, max_k, make)
        except GaveUp:
            continue
        break
    else:
        raise RuntimeError("no solver could decide the k-induction queries")
    kind, k, cti = outcome
    seconds = time.monotonic() - started
    if kind == "violated":
        found = bmc(proto, k, stop_at_first=False, deadlock=False, parameters=parameters)
        assert not isinstance(found, Diagnostic)
        found.stats.engine = "smt-kind"
        return ProofResult(found, None, None)
    return ProofResult(_result(proto, enc, kind == "proved", k, cti, seconds, parameters or {}),
                       k if kind == "proved" else None, cti)


def _q(enc: Encoding) -> Any:
    """Q over the template state: every invariant, no step violation, no escape (inside the constraint)."""
    bad = z3.Or(z3.Or(*enc.invariants.values()) if enc.invariants else z3.BoolVal(False),
                z3.And(enc.constraint, z3.Or(enc.any_error, enc.escape)))
    return z3.Not(bad)


def _induct(enc: Encoding, model: Model, max_k: int, which: int) -> tuple[str, int, Cti | None]:
    q = _q(enc)
    base_solver, step_solver = solvers()[which], solvers()[which]
    base = Unroller(enc, base_solver, "b")
    step = Unroller(enc, step_solver, "i", initial=False)
    cti: Cti | None = None
    for k in range(1, max_k + 1):
        # base case: the k-th state of a run from an initial state satisfies Q
        if _model(base_solver, z3.Not(base.last(q))) is not None:
            return "violated", k, None
        base_solver.add(base.last(enc.constraint))
        base.add_state()
        # step case: k states satisfying Q (and the constraint), then one that does not
        step_solver.add(step.last(q), step.last(enc.constraint))
        step.add_state()
        new = step.states[-1][1]
        for st, lv in step.states[:-1]:
            step_solver.add(z3.Not(z3.And(*[a == b for a, b in zip(lv, new)])))
        bad = z3.Not(step.last(q))
        if _model(step_solver, bad) is None:
            return "proved", k, None
        cti = _cti(enc, model, k, step.extract(_least(step_solver, bad, [x for _, lv in step.states for x in lv])))
    return "unknown", max_k, cti


def _least(solver: z3.Solver, goal: Any, terms: list[Any]) -> z3.ModelRef:
    """The model of ``goal`` whose ``terms`` are lexicographically least (false before true, small numbers
    first): the same counterexample to induction whatever the solver's history, and a simple one."""
    solver.push()
    try:
        solver.add(goal)
        assert solver.check() == z3.sat
        for t in terms:
            m = solver.model()
            v = m.eval(t, model_completion=True)
            if z3.is_bool(t):
                if z3.is_true(v):
                    solver.push()
                    solver.add(z3.Not(t))
                    r = solver.check()
                    solver.pop()
                    v = z3.BoolVal(r != z3.sat)
            else:
                while True:
                    solver.push()
                    solver.add(t < v)
                    r = solver.check()
                    if r == z3.sat:
                        v = solver.model().eval(t, model_completion=True)
                    solver.pop()
                    if r != z3.sat:
                        break
            solver.add(t == v)
            if solver.check() != z3.sat:
                raise RuntimeError("the solver lost a model while minimising a counterexample to induction")
        return solver.model()
    finally:
        solver.pop()


def _cti(enc: Encoding, model: Model, k: int, states: list[State]) -> Cti:
    """Replay a counterexample to induction through the explicit semantics and name what it breaks."""
    transitions = []
    for a, b in itertools.pairwise(states):
        tr = next((t for t, nxt in model.successors(a, record=True, errors=[]) if nxt == b), None)
        if tr is None:
            raise ReplayError("a step of the counterexample to induction cannot be replayed")
        transitions.append(tr)
    last = states[-1]
    broken = []
    for p in enc.proto.properties:
        if p.kind in (ir.PropKind.INVARIANT, ir.PropKind.AGREEMENT) and p.expr is not None:
            try:
                ok = model.compile_property_expr(p.expr)(last)
            except Exception:  # noqa: BLE001 - any error evaluating a property violates it (as explicit)
                ok = False
            if not ok:
                broken.append(p.name)
    errs: list[Any] = []
    model.protocol_successors(last, errors=errs)
    broken.extend(sorted({_name(e.violation) for e in errs}))
    if not broken:
        broken.append("(a step the SMT encoding cannot follow)")
    return Cti(k, states, transitions, broken)


def _name(v: Any) -> str:
    from accord.checker.smt.bmc import _error_name

    return _error_name(v)


def _result(proto: ir.Protocol, enc: Encoding, proved: bool, k: int, cti: Cti | None, seconds: float,
            parameters: dict[str, Any]) -> CheckResult:
    out = []
    for p in proto.properties:
        if p.kind not in (ir.PropKind.INVARIANT, ir.PropKind.AGREEMENT):
            continue
        if proved:
            out.append(PropertyResult(p.name, p.kind.value, Verdict.HOLDS, f"proved by {k}-induction", span=p.span))
        else:
            assert cti is not None
            why = (f"not proved: true up to depth {k} but not {k}-inductive; see the counterexample to induction"
                   if p.name in cti.broken else
                   f"not proved: the invariants together are not {k}-inductive")
            out.append(PropertyResult(p.name, p.kind.value, Verdict.UNKNOWN, why, span=p.span))
    notes = [f"k-induction at fixed constants ({len(enc.branches)} transition branches)"]
    if proved:
        notes.append("no step raises a violation (assert, runtime error, overflow) in any reachable state")
    others = [p.name for p in proto.properties if p.kind not in (ir.PropKind.INVARIANT, ir.PropKind.AGREEMENT)]
    if others:
        notes.append("not covered by k-induction (use `accord check`): " + ", ".join(others))
    stats = Stats(depth=k, seconds=seconds, engine="smt-kind")
    return CheckResult(proto.name, out, stats, complete=proved, limit=None if proved else "depth",
                       parameters=parameters, notes=notes)


__all__ = ["Cti", "ProofResult", "prove"]
