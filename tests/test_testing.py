"""accord.testing: a user's implementation driven by the spec's schedules and faults."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings

from accord import ir
from accord.checker.fuzz.lift import from_plain
from accord.ir.types import Inst
from accord.testing import Spec, SpecError, SpecViolation, check_implementation, events, runs, spec_machine

DISPATCH = """protocol Dispatch
const JOBS = 2
type Job = 0..JOBS-1
message Work(j: Job)
channel Boss -> Worker fifo
role Boss {
  var left: set of Job = all Job
  action hand(j in left) {
    send Work(j) to Worker
    left := left - {j}
  }
}
role Worker {
  var seen: set of Job = {}
  var done: 0..JOBS = 0
  on Work(j) {
    if j not in seen {
      seen := seen + {j}
      done := done + 1
    }
  }
}
faults { duplicate Boss -> Worker at most 1 }
invariant once_each: Worker.done == size(Worker.seen)
"""


class Worker:
    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.done = 0

    def on_work(self, job: int) -> None:  # forgets to de-duplicate
        self.seen.add(job)
        self.done += 1


class CarefulWorker(Worker):
    def on_work(self, job: int) -> None:
        if job not in self.seen:
            super().on_work(job)


class Adapter:
    impl: type[Worker] = Worker

    def reset(self) -> None:
        self.worker = self.impl()

    def apply(self, event) -> None:
        if event.label == "Worker.on_Work":
            self.worker.on_work(int(event.bindings["j"]))

    def observe(self):
        return {"Worker.seen": self.worker.seen, "Worker.done": self.worker.done}


class CarefulAdapter(Adapter):
    impl = CarefulWorker


SPEC = Spec.from_text(DISPATCH)


def failure_of(adapter, **kw) -> str:
    with pytest.raises(SpecViolation) as info:
        check_implementation(SPEC, adapter, max_examples=150, steps=6, **kw)
    return str(info.value)


def test_the_duplicate_bug_is_found_as_a_departure_from_the_spec():
    text = failure_of(Adapter)
    first, *rest = text.splitlines()
    assert re.fullmatch(r"the implementation leaves the spec: Worker.done is (\d), the spec says (\d)", first)
    impl, said = re.fullmatch(r".* is (\d), .* says (\d)", first).groups()
    assert int(impl) == int(said) + 1  # one delivery counted twice
    assert any("FAULT duplicate: Work(" in line for line in rest)
    assert rest[-2].endswith("Worker: on_Work receives Work(0) (j=0)") or \
        rest[-2].endswith("Worker: on_Work receives Work(1) (j=1)")
    assert rest[-1].split(". ", 1)[1] == rest[-2].split(". ", 1)[1]  # the same message, received twice


def test_without_conformance_the_property_is_judged_on_the_implementation():
    first = failure_of(Adapter, conformance=False).splitlines()[0]
    assert first == "invariant `once_each` is violated on the implementation"


def test_a_correct_implementation_passes():
    check_implementation(SPEC, CarefulAdapter, max_examples=100, steps=8)


def test_the_machine_is_a_hypothesis_state_machine():
    machine = spec_machine(SPEC, CarefulAdapter)
    assert machine.__name__ == "DispatchMachine"
    assert hasattr(machine, "TestCase")


def test_observations_that_do_not_fit_are_the_adapters_error():
    class Unknown(CarefulAdapter):
        def observe(self):
            return {"Worker.count": 1}

    class WrongType(CarefulAdapter):
        def observe(self):
            return {"Worker.done": "two"}

    with pytest.raises(TypeError, match="no variable `Worker.count`"):
        check_implementation(SPEC, Unknown, max_examples=5)
    with pytest.raises(TypeError, match="`Worker.done`: expected an int, got 'two'"):
        check_implementation(SPEC, WrongType, max_examples=5)


def test_events_carry_choices_and_sends():
    spec = Spec.from_text("""protocol Ask
enum Answer { yes, no }
message Said(a: Answer)
channel Asker -> Judge fifo
role Asker {
  var asked: bool = false
  action ask when not asked {
    choose a in Answer { send Said(a) to Judge }
    asked := true
  }
}
role Judge {
  var heard: option Answer = none
  on Said(a) { heard := a }
}
""")
    run = next(r for r in [_first_run(spec)] if r is not None)
    ev = events(spec, run)
    assert [e.label for e in ev] == ["Asker.ask", "Judge.on_Said"]
    ask, said = ev
    assert ask.agent == "Asker" and ask.role == "Asker" and ask.index == 0 and ask.name == "ask"
    assert ask.choices == (("a", "no"),) and ask.sends == ("Said(no)",)  # the first outcome: `no` < `yes`
    assert said.message == "Said(no)" and dict(said.bindings) == {"a": "no"}


def _first_run(spec: Spec):
    from accord.checker.fuzz.stepper import ListChooser, Swarm, execute

    return execute(spec.stepper, ListChooser(), Swarm(), depth=10)


@settings(max_examples=30, deadline=None, database=None)
@given(runs(SPEC, depth=12))
def test_the_engines_runs_are_a_public_strategy(run):
    assert run.failure is None  # the spec itself is correct
    assert len(events(SPEC, run)) == len(run.transitions) <= 12
    assert run.faults <= 1  # the duplicate budget


def test_plain_values_become_runtime_values():
    role_t = ir.RoleType("W", 3)
    assert from_plain(role_t, "W[2]") == Inst("W", 2) == from_plain(role_t, ("W", 2))
    assert from_plain(ir.SetType(ir.IntType(0, 3)), [1, 3, 1]) == frozenset({1, 3})
    assert from_plain(ir.MapType(ir.BoolType(), ir.IntType(0, 9)), {True: 4, False: 2}) == (2, 4)
    assert from_plain(ir.OptionType(ir.EnumType("E", ("a", "b"))), None) is None
    record = ir.RecordType((("x", ir.IntType(0, 3)), ("ok", ir.BoolType())))
    assert from_plain(record, {"x": 1, "ok": True}) == (1, True)
    with pytest.raises(ValueError, match="no value for key"):
        from_plain(ir.MapType(ir.BoolType(), ir.IntType(0, 9)), {True: 4})
    with pytest.raises(ValueError, match="expected an instance of W"):
        from_plain(role_t, "W[7]")


def test_a_spec_with_errors_is_refused_with_its_diagnostics():
    with pytest.raises(SpecError, match="ACC2"):
        Spec.from_text("protocol P\nvar x: 0..3 = y\n")
    with pytest.raises(SpecError, match="declares no `crash` fault"):
        Spec.from_text(DISPATCH, fault_budget={"crash": 1})
