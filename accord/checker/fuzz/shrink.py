"""Trace shrinking: delete steps from a failing run while it still fails the same way.

Hypothesis shrinks the *choices* that produced a run; a choice is an index among the
transitions enabled at that moment, so deleting one step shifts the meaning of the
next ones and some short stories are out of its reach (the run in which every choice
is 0 cannot be shrunk at all). This pass works on the *transitions* instead: a step
is named by what it is (kind, label, agent, bindings, message, channel, detail, and
its rank among the enabled transitions with that name, for ``choose`` outcomes), so
a step keeps its meaning when others are deleted.

``shrink_run`` first tries to delete each fault step (fewer faults first; when the
steps after it relied on it, the run is completed without it: steps no longer
enabled are skipped and protocol steps are added until the property fails), then
deletes chunks of steps, halving the chunk size down to single steps (delta
debugging, Zeller & Hildebrandt, TSE 2002). A candidate is kept when every step is
still enabled where it is replayed, no state before the end leaves the state
constraint, and the same property fails, possibly earlier (the run is then cut
there). The result is 1-minimal when the pass finishes: no single step can be
deleted. Every state of the result is produced by the semantics.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

from accord import ir
from accord.checker.fuzz.stepper import Failure, Run, Stepper
from accord.ir.types import Inst
from accord.semantics.model import State, StepError, Transition

#: kind, label, actor, bindings (for a round: the names of its parts), message, channel, detail
Name = tuple[str, str, Inst | None, tuple[Any, ...], str | None, str | None, str | None]


@dataclass(frozen=True)
class Named:
    """A step of a run by what it is, plus its rank among enabled transitions of the same name."""

    name: Name
    rank: int


def step_name(tr: Transition) -> Name:
    """What a step is, independently of the state it leaves (a round: what each agent did in it)."""
    if tr.kind == "round":
        return (tr.kind, tr.label, tr.actor, tuple(step_name(p) for p in tr.parts), None, None, tr.detail)
    return (tr.kind, tr.label, tr.actor, tr.bindings, tr.message, tr.channel, tr.detail)


class _Replayer:
    def __init__(self, stepper: Stepper):
        self.stepper = stepper
        self.model = model = stepper.model
        self.fast = model.proto.schedule is ir.Schedule.INTERLEAVING
        self.by_label = {cs.label: cs for cs in model.normal_steps}

    def candidates(self, st: State, name: Name) -> list[tuple[Transition, State]]:
        """The enabled transitions at ``st`` named ``name``, in the model's order."""
        kind, label, actor = name[0], name[1], name[2]
        cs = self.by_label.get(label) if kind == "step" else None
        if self.fast and cs is not None and actor is not None:
            if self.model.layout.is_crashed(st, actor):
                return []
            errors: list[StepError] = []
            return [(t, n) for t, n in cs.fire(st, actor, False, errors) if step_name(t) == name]
        succ = self.model.successors(st, errors=[]) if kind == "step" else self.model.fault_successors(st)
        return [(t, n) for t, n in succ if step_name(t) == name]

    def name_run(self, run: Run) -> list[Named]:
        out = []
        for st, tr, nxt in zip(run.states, run.transitions, run.states[1:]):
            same = self.candidates(st, step_name(tr))
            rank = next((i for i, (_, n) in enumerate(same) if n == nxt), 0)
            out.append(Named(step_name(tr), rank))
        return out

    def replay(self, start: State, steps: list[Named], target: Failure) -> Run | None:
        """The run following ``steps`` from ``start`` up to ``target``'s first violation, or None."""
        judge = self.stepper.judge
        st = start
        run = Run([st], [])
        if self._fails(st, target, at_end=False):
            return run
        for i, s in enumerate(steps):
            same = self.candidates(st, s.name)
            if s.rank >= len(same):
                return None
            tr, st = same[s.rank]
            run.states.append(st)
            run.transitions.append(tr)
            run.faults += bool(self.stepper.spent(run.states[-2], st))
            if self._fails(st, target, at_end=False):
                return run
            if judge.constraints and not judge.inside(st):
                return None
        return run if self._fails(st, target, at_end=True) else None

    def complete(self, start: State, steps: list[Named], target: Failure, extend: int,
                 rng: random.Random | None) -> Run | None:
        """As :meth:`replay`, but a step that is not enabled any more is skipped, and a run that ends
        before failing goes on with protocol steps (no faults) for at most ``extend`` steps: the first
        enabled one (``rng`` None) or random ones. Used to delete a fault that other steps relied on."""
        judge = self.stepper.judge
        st = start
        run = Run([st], [])

        def take(tr: Transition, nxt: State) -> bool:
            run.faults += bool(self.stepper.spent(run.states[-1], nxt))
            run.states.append(nxt)
            run.transitions.append(tr)
            return self._fails(nxt, target, at_end=False)

        for s in steps:
            same = self.candidates(st, s.name)
            if not same:
                continue
            tr, st = same[min(s.rank, len(same) - 1)]
            if take(tr, st):
                return run
            if judge.constraints and not judge.inside(st):
                return None
        for _ in range(extend):
            if self._fails(st, target, at_end=True):
                return run
            succ = self.model.protocol_successors(st, errors=[])
            normal = [(t, n) for t, n in succ if not self.stepper.spent(st, n)]
            if not normal:
                break
            tr, st = normal[0] if rng is None else normal[rng.randrange(len(normal))]
            if take(tr, st):
                return run
            if judge.constraints and not judge.inside(st):
                return None
        return run if self._fails(st, target, at_end=True) else None

    def _fails(self, st: State, target: Failure, at_end: bool) -> bool:
        f = self.stepper.judge.violated(st)
        if f is not None:
            return f.name == target.name
        if at_end and target.kind in ("deadlock", "assert", "runtime", "overflow", "concurrent write"):
            f = self.stepper.stuck(st)
            return f is not None and f.name == target.name
        return False


def shrink_run(stepper: Stepper, run: Run, deadline: float | None = None) -> tuple[Run, bool]:
    """A shorter run failing like ``run`` (``run.failure`` must be set), and whether the pass finished
    (False: the deadline, in ``time.monotonic()`` seconds, cut it short)."""
    assert run.failure is not None
    target = run.failure
    rp = _Replayer(stepper)
    steps = rp.name_run(run)
    best = run
    start = run.states[0]

    def attempt(cand: list[Named]) -> bool:
        nonlocal best, steps
        got = rp.replay(start, cand, target)
        if got is None or (got.faults, got.length) >= (best.faults, best.length):
            return False
        got.failure, got.swarm, got.ended = best.failure, best.swarm, best.ended
        best, steps = got, cand[:len(got.transitions)]
        return True

    def late() -> bool:
        return deadline is not None and time.monotonic() > deadline

    def attempt_completed(cand: list[Named]) -> bool:
        """Delete a fault that later steps relied on: skip what is no longer enabled, then go on."""
        nonlocal best, steps
        extend = max(50, len(cand))
        for rng in (None, random.Random(1), random.Random(2)):
            if late():
                return False
            got = rp.complete(start, cand, target, extend, rng)
            if got is not None and (got.faults, got.length) < (best.faults, best.length):
                got.failure, got.swarm, got.ended = best.failure, best.swarm, best.ended
                best, steps = got, rp.name_run(got)
                return True
        return False

    # fewer faults first: delete each fault step on its own, from the last one
    i = len(steps) - 1
    while i >= 0:
        if late():
            return best, False
        if stepper.spent(best.states[i], best.states[i + 1]):
            cand = steps[:i] + steps[i + 1:]
            if not attempt(cand):
                attempt_completed(cand)
        i = min(i - 1, len(steps) - 1)
    chunk = max(1, len(steps) // 2)
    while True:
        i = 0
        while i < len(steps):
            if late():
                return best, False
            if not attempt(steps[:i] + steps[i + chunk:]):
                i += chunk
        if chunk == 1:
            break
        chunk = max(1, chunk // 2)
    return best, True


__all__ = ["shrink_run", "step_name", "Named"]
