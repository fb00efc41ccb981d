"""Test your own implementation against a spec, with the fault search's schedules and faults.

The fuzz engine (``accord fuzz``) drives the spec itself. This module drives *your*
code the same way: a hypothesis state machine picks, at each step, a transition the
spec allows (which agent moves, which message it receives, which fault strikes,
within the spec's budgets; swarm testing as in the engine), tells your code to
perform it through a small adapter, reads back what your code holds, and checks
the spec's properties on it.

The adapter (any object with these three methods, see :class:`Adapter`):

* ``reset()`` — start from the spec's initial state;
* ``apply(event)`` — perform one :class:`Event` (``event.label`` such as
  ``"Worker.on_Job"``, ``event.index``, ``event.bindings``, ``event.choices`` for the
  outcomes of ``choose``, or a fault: ``event.kind == "fault"``);
* ``observe()`` — a mapping from variable names as traces print them
  (``"Worker[1].done"``, ``"board"``) to plain Python values; observe as many or as few
  as you like (see :mod:`accord.checker.fuzz.lift` for the value forms).

After each step the observed values are written over the spec's state and every
invariant and agreement is judged there; with ``conformance=True`` (the default) an
observed value that differs from the spec's is a failure too. A failure raises
:class:`SpecViolation` with the steps that led to it; hypothesis then shrinks them.

>>> from accord.testing import Spec
>>> spec = Spec.from_text('''
... protocol Counter
... var x: 0..3 = 0
... action inc when x < 3 { x := x + 1 }
... invariant small: x <= 3
... ''')
>>> sorted(spec.properties)
['small']

Usage in a test module::

    TestMyCounter = spec_machine(spec, MyAdapter).TestCase

or programmatically: ``check_implementation(spec, MyAdapter, max_examples=100)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from hypothesis import HealthCheck, Verbosity, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from accord import ir
from accord.checker.fuzz.budgets import apply_fault_budgets
from accord.checker.fuzz.lift import Event, Observer
from accord.checker.fuzz.shrink import step_name
from accord.checker.fuzz.stepper import Judge, Run, Stepper, Swarm
from accord.checker.fuzz.strategies import DrawChooser, draw_swarm
from accord.checker.fuzz.strategies import runs as _runs
from accord.semantics.model import Model, State, Transition


class SpecError(ValueError):
    """The spec cannot be loaded (its diagnostics, rendered, are the message)."""


class SpecViolation(AssertionError):
    """A property of the spec fails on the implementation (or the implementation leaves the spec)."""


class Adapter(Protocol):
    """What :func:`spec_machine` needs from an implementation under test."""

    def reset(self) -> None:
        """Go back to the spec's initial state."""

    def apply(self, event: Event) -> None:
        """Perform one step of the spec run."""

    def observe(self) -> Mapping[str, Any]:
        """What the implementation holds, by spec variable name (any subset)."""


class Spec:
    """A loaded spec, ready to drive tests: its model, properties and fault budgets."""

    def __init__(self, proto: ir.Protocol, deadlock: bool | None = None):
        self.proto = proto
        self.model = Model(proto)
        self.judge = Judge(self.model, deadlock)
        self.stepper = Stepper(self.model, self.judge)
        self.observer = Observer(self.model.layout)

    @property
    def properties(self) -> list[str]:
        """The safety properties judged after each step (invariants and agreements)."""
        return [p.name for p, _ in self.judge.invariants]

    @classmethod
    def from_text(cls, text: str, consts: Mapping[str, int | bool] | None = None,
                  fault_budget: Mapping[str, int] | None = None, path: str = "<spec>") -> Spec:
        from accord.dsl import load_text

        return cls._build(*load_text(text, path, dict(consts or {})), fault_budget)

    @classmethod
    def from_file(cls, path: str | Path, consts: Mapping[str, int | bool] | None = None,
                  fault_budget: Mapping[str, int] | None = None) -> Spec:
        from accord.dsl import load_file

        return cls._build(*load_file(path, dict(consts or {})), fault_budget)

    @classmethod
    def _build(cls, proto: ir.Protocol | None, diags: list[Any], fault_budget: Mapping[str, int] | None) -> Spec:
        errors = [d.render() for d in diags if d.is_error]
        if proto is None or errors:
            raise SpecError("\n".join(errors) or "the spec cannot be loaded")
        proto, problems = apply_fault_budgets(proto, dict(fault_budget or {}))
        if problems:
            raise SpecError("; ".join(problems))
        return cls(proto)

    def render(self, transitions: list[Transition]) -> str:
        lay = self.model.layout
        return "\n".join(f"  {i}. {t.render(lay)}" for i, t in enumerate(transitions, start=1)) or "  (no step)"


def runs(spec: Spec, depth: int = 50, swarm: bool = True) -> st.SearchStrategy[Run]:
    """Runs of the spec itself, each stopped at its first violation: the fuzz engine's strategy."""
    return _runs(spec.stepper, depth, swarm)


def events(spec: Spec, run: Run) -> list[Event]:
    """The steps of a run as :class:`Event` values (with their sends and ``choose`` outcomes)."""
    return [_event(spec, a, t, b) for a, t, b in zip(run.states, run.transitions, run.states[1:])]


def _event(spec: Spec, st: State, tr: Transition, nxt: State) -> Event:
    """The transition re-fired with its events recorded (sends, choices)."""
    name = step_name(tr)
    full = next((t for t, n in spec.model.successors(st, record=True, errors=[]) if n == nxt and step_name(t) == name),
                tr)
    return Event.of(full, spec.model.layout)


def spec_machine(spec: Spec, adapter: Callable[[], Adapter], conformance: bool = True,
                 swarm: bool = True) -> type[RuleBasedStateMachine]:
    """A hypothesis state machine driving ``adapter()`` with the spec's schedules and faults (module doc)."""
    labels = list(spec.model.labels)
    n_faults = len(spec.model.faults)
    stepper = spec.stepper

    class SpecMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.impl = adapter()
            self.state: State = stepper.inits[0]
            self.swarm = Swarm()
            self.done = False
            self.taken: list[Transition] = []

        @initialize(data=st.data())
        def start(self, data: Any) -> None:
            self.swarm = draw_swarm(data.draw, labels, n_faults, swarm)
            self.state = stepper.initial(DrawChooser(data.draw))
            self.impl.reset()
            self._judge(self.state)

        @rule(data=st.data())
        def step(self, data: Any) -> None:
            if self.done:  # the spec run is over (nothing enabled); hypothesis needs a rule anyway
                return
            prev = self.state
            move = stepper.step(prev, self.swarm, DrawChooser(data.draw))
            if move.failure is not None:
                self._fail(f"the spec itself: {move.failure.message}")
            if move.transition is None or move.state is None:
                self.done = True
                return
            self.taken.append(move.transition)
            self.state = move.state
            self.impl.apply(_event(spec, prev, move.transition, move.state))
            self._judge(move.state)

        def _judge(self, st: State) -> None:
            try:
                lifted, differs = spec.observer.lift(st, self.impl.observe())
            except ValueError as exc:
                raise TypeError(f"observe() returned something the spec cannot read: {exc}") from None
            if conformance and differs:
                lay = spec.model.layout
                spec_view, impl_view = lay.describe(st), lay.describe(lifted)
                shown = "; ".join(f"{k} is {impl_view[k]}, the spec says {spec_view[k]}" for k in differs[:4])
                self._fail(f"the implementation leaves the spec: {shown}")
            failure = spec.judge.violated(lifted)
            if failure is not None:
                self._fail(f"{failure.message} on the implementation")

        def _fail(self, why: str) -> None:
            raise SpecViolation(f"{why}\nafter {len(self.taken)} step(s):\n{spec.render(self.taken)}")

    SpecMachine.__name__ = SpecMachine.__qualname__ = f"{spec.proto.name}Machine"
    return SpecMachine


def check_implementation(spec: Spec, adapter: Callable[[], Adapter], max_examples: int = 100, steps: int = 50,
                         conformance: bool = True, swarm: bool = True, seed: int | None = 0) -> None:
    """Run :func:`spec_machine` now (no example database; ``seed`` None: random). Raises
    :class:`SpecViolation` with the shrunk steps when the implementation fails."""
    from hypothesis import seed as hypothesis_seed

    machine = spec_machine(spec, adapter, conformance, swarm)
    cfg = settings(max_examples=max_examples, stateful_step_count=steps, database=None, deadline=None,
                   suppress_health_check=list(HealthCheck), print_blob=False, verbosity=Verbosity.quiet)
    if seed is not None:
        hypothesis_seed(seed)(machine)
    run_state_machine_as_test(machine, settings=cfg)


__all__ = ["Spec", "SpecError", "SpecViolation", "Adapter", "Event", "runs", "events", "spec_machine",
           "check_implementation"]
