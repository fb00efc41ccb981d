"""One random execution of a protocol, step by step, with its properties judged after each step.

Nothing here knows about hypothesis: every decision goes through a :class:`Chooser`,
so the same code runs under the fuzz engine (choices drawn by hypothesis), under
:mod:`accord.testing` (choices drawn inside a user's state machine) and in tests
(choices from a fixed list).

Contract of :meth:`Stepper.step` at a state ``s`` (the semantics is
:class:`accord.semantics.model.Model`, unchanged):

* a protocol step of ``s`` that raises (``assert``, runtime error, overflow) is a
  violation at ``s``, as in the explicit checker: the state is reachable and the
  step is enabled there;
* with no protocol step enabled (and none raising), ``s`` is a deadlock when the
  spec checks deadlock and not every role is final (any such state when no
  ``final`` is declared anywhere);
* otherwise the step is chosen among the enabled transitions. A transition is a
  *fault* when it spends a fault budget (fault steps, early timeouts, out-of-order
  deliveries); a coin with the run's fault rate decides whether a fault happens
  now, so that a shrinker can remove a fault by flipping one coin.
* a protocol step is chosen in two stages: which step (agent, step, bindings,
  message) uniformly, then which of its outcomes (``choose``);
* :class:`Swarm` narrows a run to a random subset of step kinds and faults (swarm
  testing, Groce et al., ISSTA 2012), and may make some steps' outcomes *sticky*
  (the same ``choose`` outcome every time in that run). Switched-off steps are only
  avoided while some other step is enabled, so a swarm never causes a deadlock or a
  stop by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from accord import ir
from accord.diagnostics import Span
from accord.semantics.model import Model, State, StepError, Transition

#: The fault rate (percent per step) used where nothing but a fault can happen.
QUIET_FAULT_RATE = 90


class Chooser(Protocol):
    """Where a run's decisions come from."""

    def pick(self, n: int) -> int:
        """An index in ``range(n)`` (``n >= 1``)."""

    def coin(self, percent: int) -> bool:
        """True with about ``percent`` % probability; a shrinker should drive it to False."""


@dataclass(frozen=True)
class Swarm:
    """What one run may do: step labels it avoids, faults (indexes into ``proto.faults``) it never
    takes, and how eager it is to take a fault (percent per step; 0: no fault at all)."""

    off_steps: frozenset[str] = frozenset()
    off_faults: frozenset[int] = frozenset()
    fault_rate: int = 0
    #: step label -> rank: among the outcomes of one step (``choose``), always take this one (modulo their
    #: number) instead of a fresh choice; so that, say, every writer's LLM answers "yes" in one run
    sticky: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Failure:
    """A property violated by a run, named and worded as the explicit checker names it."""

    kind: str  # invariant | agreement | deadlock | assert | runtime | overflow | concurrent write
    name: str
    message: str
    span: Span | None = None
    error: StepError | None = None  # a step that raised: its transition is the last of the trace


@dataclass
class Move:
    """What :meth:`Stepper.step` did: a transition taken, a failure found, or nothing (the run ends)."""

    transition: Transition | None = None
    state: State | None = None
    failure: Failure | None = None
    fault: bool = False


@dataclass(repr=False)
class Run:
    """One execution: ``states[0]`` is initial and ``transitions[i]`` leads from ``states[i]`` to
    ``states[i + 1]``. ``failure`` is judged at the last state (or, for a step error, on a step
    leaving it). ``witnesses`` maps a ``reachable`` property to the first state index satisfying it."""

    states: list[State]
    transitions: list[Transition]
    failure: Failure | None = None
    faults: int = 0
    swarm: Swarm = field(default_factory=Swarm)
    ended: str = "depth"  # depth | failure | quiet (nothing enabled) | constraint
    witnesses: dict[str, int] = field(default_factory=dict)

    @property
    def length(self) -> int:
        """In states, the initial state included (the length of its trace)."""
        return len(self.states)

    def __repr__(self) -> str:  # hypothesis prints failing examples; a run's states are too big for that
        failed = f", failure={self.failure.name!r}" if self.failure is not None else ""
        return f"Run(length={self.length}, faults={self.faults}{failed})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # hypothesis' printer, which skips __repr__
        printer.text(repr(self))


class Judge:
    """The safety properties of a spec, compiled once: invariants (agreement included), state
    constraints, ``reachable`` predicates and whether deadlock is checked."""

    def __init__(self, model: Model, deadlock: bool | None = None):
        proto = model.proto
        self.model = model
        self.invariants = [(p, model.compile_property_expr(p.expr)) for p in proto.properties
                           if p.kind in (ir.PropKind.INVARIANT, ir.PropKind.AGREEMENT) and p.expr is not None]
        self.reachables = [(p.name, model.compile_property_expr(p.expr)) for p in proto.properties
                           if p.kind is ir.PropKind.REACHABLE and p.expr is not None]
        self.constraints = [model.compile_property_expr(c.expr) for c in proto.constraints]
        self.deadlock_prop = next((p for p in proto.properties if p.kind is ir.PropKind.DEADLOCK), None)
        self.check_deadlock = deadlock if deadlock is not None else self.deadlock_prop is not None

    def violated(self, st: State) -> Failure | None:
        """The first invariant (in declaration order) that ``st`` violates."""
        for p, pred in self.invariants:
            try:
                ok = pred(st)
            except Exception as exc:  # an EvalError inside a property is a violation of it
                return Failure(p.kind.value, p.name, f"cannot evaluate: {exc}", p.span)
            if not ok:
                return Failure(p.kind.value, p.name, f"{p.kind.value} `{p.name}` is violated", p.span)
        return None

    def inside(self, st: State) -> bool:
        """``st`` satisfies every state constraint (states outside are judged, never expanded)."""
        return all(f(st) for f in self.constraints)

    def reached(self, st: State, wanted: set[str]) -> list[str]:
        out = []
        for name, pred in self.reachables:
            if name in wanted:
                try:
                    if pred(st):
                        out.append(name)
                except Exception:  # a reachable predicate that cannot be evaluated is not a witness
                    pass
        return out

    def deadlocked(self, st: State) -> Failure | None:
        model = self.model
        if self.check_deadlock and (not model.has_final or not model.is_final(st)):
            p = self.deadlock_prop
            return Failure("deadlock", "deadlock", "deadlock: no step is enabled and not every role is final",
                           p.span if p is not None else None)
        return None

    @staticmethod
    def step_failure(exc: StepError) -> Failure:
        """A step that raised, named as :mod:`accord.checker.explicit` names it."""
        v = exc.violation
        kind = getattr(v, "kind", "runtime")
        where = f" at line {v.span.line}" if getattr(v, "span", None) is not None else ""
        name = {"assert": "assert", "overflow": "channel overflow", "concurrent write": "concurrent write"}.get(
            kind, "runtime error")
        return Failure("assert" if kind == "assert" else kind, f"{name}{where}", f"{name}{where}: {v}", error=exc)


class Stepper:
    """Takes single steps of a model under a chooser and a swarm (see the module doc)."""

    def __init__(self, model: Model, judge: Judge):
        self.model = model
        self.judge = judge
        self.inits = model.initial_states()
        self.fault_slots = list(model.layout.fault_slot)

    def spent(self, st: State, nxt: State) -> list[int]:
        """Indexes of the faults whose budget the step ``st -> nxt`` spent."""
        return [i for i, s in enumerate(self.fault_slots) if nxt[s] < st[s]]

    def initial(self, chooser: Chooser) -> State:
        return self.inits[chooser.pick(len(self.inits))] if len(self.inits) > 1 else self.inits[0]

    def stuck(self, st: State) -> Failure | None:
        """The violation found at ``st`` before any step: a raising step, or a deadlock."""
        errors: list[StepError] = []
        succ = self.model.protocol_successors(st, errors=errors)
        if errors:
            return self.judge.step_failure(errors[0])
        return None if succ else self.judge.deadlocked(st)

    def step(self, st: State, swarm: Swarm, chooser: Chooser) -> Move:
        model = self.model
        errors: list[StepError] = []
        proto_succ = model.protocol_successors(st, errors=errors)
        if errors:
            return Move(failure=self.judge.step_failure(errors[0]))
        if not proto_succ:
            failure = self.judge.deadlocked(st)
            if failure is not None:
                return Move(failure=failure)
        normal: list[tuple[Transition, State]] = []
        faulty: list[tuple[Transition, State]] = []
        for tr, nxt in proto_succ:
            spent = self.spent(st, nxt)
            if not spent:
                normal.append((tr, nxt))
            elif swarm.fault_rate and not swarm.off_faults.intersection(spent):
                faulty.append((tr, nxt))
        if swarm.fault_rate:
            for tr, nxt in model.fault_successors(st):
                if not swarm.off_faults.intersection(self.spent(st, nxt)):
                    faulty.append((tr, nxt))
        if faulty and chooser.coin(swarm.fault_rate if normal else max(swarm.fault_rate, QUIET_FAULT_RATE)):
            tr, nxt = faulty[chooser.pick(len(faulty))] if len(faulty) > 1 else faulty[0]
            return Move(tr, nxt, fault=True)
        if not normal:
            return Move()
        preferred = [x for x in normal if x[0].label not in swarm.off_steps] or normal
        tr, nxt = _pick_grouped(preferred, swarm, chooser)
        return Move(tr, nxt)


def _pick_grouped(options: list[tuple[Transition, State]], swarm: Swarm, chooser: Chooser
                  ) -> tuple[Transition, State]:
    """One option: first which step (agent, step, bindings, message), uniformly, then which of its
    outcomes (``choose``), by the swarm's sticky rank for that step or by a fresh choice."""
    groups: dict[tuple[object, ...], list[tuple[Transition, State]]] = {}
    for tr, nxt in options:
        groups.setdefault((tr.label, tr.actor, tr.bindings, tr.message, tr.channel, tr.detail), []).append((tr, nxt))
    keys = list(groups)
    group = groups[keys[chooser.pick(len(keys))] if len(keys) > 1 else keys[0]]
    if len(group) == 1:
        return group[0]
    rank = dict(swarm.sticky).get(group[0][0].label)
    return group[rank % len(group)] if rank is not None else group[chooser.pick(len(group))]


def execute(stepper: Stepper, chooser: Chooser, swarm: Swarm, depth: int,
            wanted: set[str] | None = None) -> Run:
    """One run of at most ``depth`` steps, stopped by the first violation.

    ``wanted``: the ``reachable`` properties still looking for a witness (None: all of them).
    """
    judge = stepper.judge
    wanted = {n for n, _ in judge.reachables} if wanted is None else set(wanted)
    st = stepper.initial(chooser)
    run = Run([st], [], swarm=swarm)
    if not _arrive(run, judge, st, wanted):
        return run
    while len(run.transitions) < depth:
        move = stepper.step(st, swarm, chooser)
        if move.failure is not None:
            run.failure, run.ended = move.failure, "failure"
            return run
        if move.transition is None or move.state is None:
            run.ended = "quiet"
            return run
        st = move.state
        run.transitions.append(move.transition)
        run.states.append(st)
        run.faults += move.fault
        if not _arrive(run, judge, st, wanted):
            return run
    failure = stepper.stuck(st)  # the last state is judged like every other
    if failure is not None:
        run.failure, run.ended = failure, "failure"
    return run


def _arrive(run: Run, judge: Judge, st: State, wanted: set[str]) -> bool:
    """Judge a state the run just reached; False when the run stops there."""
    failure = judge.violated(st)
    if failure is not None:
        run.failure, run.ended = failure, "failure"
        return False
    if wanted:
        for name in judge.reached(st, wanted):
            run.witnesses[name] = len(run.states) - 1
            wanted.discard(name)
    if judge.constraints and not judge.inside(st):
        run.ended = "constraint"
        return False
    return True


class ListChooser:
    """Decisions from a fixed list (then zeros): for tests and for replaying recorded choices."""

    def __init__(self, values: list[int] | tuple[int, ...] = ()):
        self.values = list(values)
        self.pos = 0

    def _next(self) -> int:
        v = self.values[self.pos] if self.pos < len(self.values) else 0
        self.pos += 1
        return v

    def pick(self, n: int) -> int:
        return min(self._next(), n - 1)

    def coin(self, percent: int) -> bool:
        return bool(self._next())


__all__ = ["Chooser", "Swarm", "Failure", "Move", "Run", "Judge", "Stepper", "execute", "ListChooser",
           "QUIET_FAULT_RATE"]
