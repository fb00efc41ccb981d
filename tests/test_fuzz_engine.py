"""The fault-search engine: runs, verdicts, shrinking to minimal fault sets, determinism.

The minimal figures are known by construction and agree with the explicit checker's
shortest counterexamples, which each test also asks for.
"""

from __future__ import annotations

import pytest

from accord.checker.explicit import check
from accord.checker.fuzz.budgets import apply_fault_budgets, parse_fault_budgets
from accord.checker.fuzz.engine import FuzzConfig, fuzz
from accord.checker.fuzz.stepper import Judge, ListChooser, Stepper, Swarm, execute
from accord.checker.result import Verdict
from accord.dsl import load_text
from accord.semantics.model import Model

# Two lost messages (of a budget of four) deadlock it; one is not enough, duplicates only hurt.
LOSE_TWO = """protocol LoseTwo
message M
channel S -> R fifo
role S {
  var n: 0..3 = 0
  action put when n < 3 {
    send M to R
    n := n + 1
  }
  final when n == 3
}
role R {
  var got: 0..6 = 0
  on M { got := got + 1 }
  final when got >= 2
}
faults {
  lose S -> R at most 4
  duplicate S -> R at most 2
}
check deadlock
"""

# One crash of a worker (of three allowed) breaks it; crashing the boss (twice allowed) does not.
CRASH_ONE = """protocol CrashOne
role Boss {
  var k: 0..1 = 0
  action tick when k == 0 { k := 1 }
  final always
}
role W[4] {
  var done: bool = false
  action work when not done { done := true }
  final when done
}
faults {
  crash W at most 3
  crash Boss at most 2
}
invariant nobody_down: forall w in W: alive(w)
"""

# A race that needs no fault; crashes are allowed but only lengthen the story.
RACE = """protocol Race
const N = 6
var owner: option A = none
var claims: 0..N = 0
role A[N] symmetric {
  var seen: bool = false
  action look when owner == none and not seen { seen := true }
  action take when seen {
    owner := self
    claims := claims + 1
    seen := false
  }
}
faults { crash A at most 2 }
invariant one_claim: claims <= 1
"""

# Correct: nothing to find; one reachable goal, and a liveness property the fuzzer does not judge.
COUNTER = """protocol Counter
var x: 0..3 = 0
action inc when x < 3 { x := x + 1 }
invariant small: x <= 3
reachable top: x == 3
check termination
"""

BOOM = """protocol Boom
var x: 0..2 = 0
action step when x < 2 {
  x := x + 1
  assert x < 2
}
"""


def load(text: str, **consts: int):
    proto, diags = load_text(text, "<test>", consts or None)
    assert proto is not None, [d.render() for d in diags]
    return proto


def run(text: str, seed: int = 0, **kw):
    cfg = FuzzConfig(seed=seed, runs=kw.pop("runs", 300), shrink_seconds=kw.pop("shrink_seconds", 30), **kw)
    return fuzz(load(text), cfg)


# ---------------------------------------------------------------------- one run, by hand


def test_a_run_follows_its_choices():
    model = Model(load(LOSE_TWO))
    stepper = Stepper(model, Judge(model))
    # every choice 0: S puts three times, R receives three times; R is final, S is final: no deadlock
    plain = execute(stepper, ListChooser(), Swarm(), depth=20)
    assert plain.failure is None and plain.ended == "quiet" and plain.length == 7 and plain.faults == 0
    # with faults on, a choice is drawn only where there is one: step 1 (put) has none; at step 2 the
    # coin says "fault" (1) and the first fault listed (0) is taken: M is lost; step 3 (put) has none
    faulty = execute(stepper, ListChooser([1, 0]), Swarm(fault_rate=50), depth=3)
    assert [t.kind for t in faulty.transitions] == ["step", "fault", "step"]
    assert faulty.faults == 1 and faulty.transitions[1].label == "lose"
    # the coin says "no" (0) and the second step listed (1) is taken: R receives M
    calm = execute(stepper, ListChooser([0, 1]), Swarm(fault_rate=50), depth=2)
    assert [t.label for t in calm.transitions] == ["S.put", "R.on_M"] and calm.faults == 0


def test_a_switched_off_step_is_only_avoided_while_something_else_is_enabled():
    model = Model(load(LOSE_TWO))
    stepper = Stepper(model, Judge(model))
    run = execute(stepper, ListChooser(), Swarm(off_steps=frozenset({"S.put"})), depth=20)
    # S.put is the only step at first, so it is taken anyway: a swarm never stops a run by itself
    assert run.length == 7 and run.failure is None


def test_the_run_judges_deadlock_and_step_errors():
    model = Model(load(BOOM))
    run = execute(Stepper(model, Judge(model)), ListChooser(), Swarm(), depth=10)
    assert run.failure is not None and run.failure.name == "assert at line 5" and run.length == 2


# ---------------------------------------------------------------------- shrinking: minimal fault sets


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_losses_shrink_to_exactly_two_faults(seed):
    out = run(LOSE_TWO, seed)
    v = out.result.first_violation
    assert v is not None and v.name == "deadlock" and out.result.exit_code() == 11
    found = out.info.found["deadlock"]
    assert found.run.faults == 2 and found.minimal
    assert v.trace.length == 7 == check(load(LOSE_TWO)).first_violation.trace.length
    kinds = [s.transition.label for s in v.trace.steps if s.transition is not None and s.transition.kind == "fault"]
    assert kinds == ["lose", "lose"]  # the duplicates are gone


def test_a_raised_budget_still_shrinks_to_the_minimum():
    proto, problems = apply_fault_budgets(load(LOSE_TWO), {"lose": 9, "duplicate": 5})
    assert not problems and [f.budget for f in proto.faults] == [9, 5]
    out = fuzz(proto, FuzzConfig(seed=3, runs=300))
    found = out.info.found["deadlock"]
    assert (found.run.faults, found.run.length) == (2, 7)


@pytest.mark.parametrize("seed", [0, 1])
def test_one_crash_of_the_right_role(seed):
    out = run(CRASH_ONE, seed)
    v = out.result.first_violation
    assert v.name == "nobody_down" and v.trace.length == 2
    (step,) = [s for s in v.trace.steps if s.transition is not None]
    assert step.transition.label == "crash" and step.transition.actor.role == "W"


def test_no_fault_when_none_is_needed():
    out = run(RACE, 0)
    v = out.result.first_violation
    assert v.name == "one_claim" and v.trace.length == 5 == check(load(RACE)).first_violation.trace.length
    assert out.info.found["one_claim"].run.faults == 0
    assert out.info.first is not None and out.info.first.length == 9  # the run as found: shrinking halved it


# ---------------------------------------------------------------------- verdicts


def test_nothing_found_is_unknown_never_holds():
    out = run(COUNTER, 0, runs=40, depth=10)
    r = {p.name: p for p in out.result.results}
    assert out.result.verdict is Verdict.UNKNOWN and out.result.exit_code() == 3
    assert r["small"].verdict is Verdict.UNKNOWN
    assert r["small"].message.startswith("no violation in ") and r["small"].message.endswith("of up to 10 steps")
    assert r["top"].verdict is Verdict.HOLDS and r["top"].trace.length == 4  # a witness: x = 0, 1, 2, 3
    assert r["termination"].verdict is Verdict.UNKNOWN and "not judged by random runs" in r["termination"].message
    assert out.info.first is None and out.result.stats.engine == "fuzz"


def test_the_search_space_of_a_tiny_spec_runs_out():
    out = run(COUNTER, 0, runs=1000, depth=10)
    assert out.info.stopped_by == "exhausted" and out.info.runs < 1000
    assert out.result.stats.distinct == 4


def test_a_step_error_is_a_violation_with_its_raising_step():
    out = run(BOOM, 0)
    v = out.result.first_violation
    assert v.name == "assert at line 5" and v.kind == "assert" and out.result.exit_code() == 12
    assert v.trace.length == 2 and v.trace.steps[-1].state is None


def test_continue_reports_every_property_found():
    two = RACE.replace("invariant one_claim: claims <= 1", "invariant one_claim: claims <= 1\n"
                       "invariant no_crash: forall a in A: alive(a)")
    out = run(two, 0, stop_at_first=False)
    names = sorted(r.name for r in out.result.results if r.verdict is Verdict.VIOLATED)
    assert names == ["no_crash", "one_claim"]
    lengths = {r.name: r.trace.length for r in out.result.results if r.trace is not None}
    assert lengths == {"no_crash": 2, "one_claim": 5}


def test_stop_at_first_reports_one_story_and_leaves_the_rest_undecided():
    two = RACE.replace("invariant one_claim: claims <= 1", "invariant one_claim: claims <= 1\n"
                       "invariant no_crash: forall a in A: alive(a)")
    out = run(two, 0)
    verdicts = {r.name: r.verdict for r in out.result.results}
    assert list(verdicts.values()).count(Verdict.VIOLATED) == 1
    assert Verdict.UNKNOWN in verdicts.values()


def test_same_seed_same_story():
    a, b = run(LOSE_TWO, 7, shrink_seconds=60), run(LOSE_TWO, 7, shrink_seconds=60)
    assert a.info.first.run_index == b.info.first.run_index
    assert a.info.first.length == b.info.first.length
    render = [[s.transition.render(Model(load(LOSE_TWO)).layout) if s.transition else None for s in x.result.
               first_violation.trace.steps] for x in (a, b)]
    assert render[0] == render[1]


def test_notes_say_what_the_search_did():
    out = run(RACE, 0)
    notes = "\n".join(out.result.notes)
    assert "fuzz: seed 0, 1 run of up to 200 steps" in notes
    assert "first failure (`one_claim`) in run 1" in notes and "9 states, 0 faults" in notes
    assert "`one_claim` shrunk to 5 states, 0 faults" in notes and "no step can be deleted" in notes


# ---------------------------------------------------------------------- fault budgets


def test_fault_budget_parsing():
    assert parse_fault_budgets(["crash=3", "LOSE=0"]) == {"crash": 3, "lose": 0}
    for bad in ["crash", "fire=1", "crash=-1", "crash=x"]:
        with pytest.raises(ValueError):
            parse_fault_budgets([bad])


def test_a_budget_for_an_undeclared_fault_kind_is_refused():
    proto = load(RACE)
    same, problems = apply_fault_budgets(proto, {"lose": 2})
    assert same is proto and len(problems) == 1 and "declares no `lose` fault" in problems[0]
