"""Every property kind, state constraints, asserts and runtime errors, with hand-worked verdicts."""

from __future__ import annotations

import pytest
from semkit import figures, labels, result, run, verdicts

COUNTER = """
protocol Counter
var x: 0..5 = 0
action inc when x < 3 { x := x + 1 }
invariant small: x < 2
invariant fine: x <= 3
reachable three: x == 3
reachable five: x == 5
"""


def test_invariant_and_reachable() -> None:
    # x = 0, 1, 2, 3: 4 states, depth 4.  `small` first fails at x=2 (trace of 3 states);
    # `three` has a 4-state witness; nothing reaches x=5, so `five` is violated (the spec is
    # vacuous there).  generated = 1 + 3 = 4; terminal: x=3.
    res = run(COUNTER)
    assert figures(res) == (4, 4, 1)
    assert (res.stats.generated, res.stats.terminal) == (4, 1)
    assert verdicts(res) == {"small": "violated", "fine": "holds", "three": "holds", "five": "violated"}
    assert result(res, "small").trace.length == 3
    assert result(res, "three").trace.length == 4
    assert result(res, "five").trace is None
    assert res.exit_code() == 12


def test_first_violation_stops_the_search() -> None:
    # BFS stops when x=2 is found: 3 states; nothing else is decided.
    res = run(COUNTER, stop_at_first=True)
    assert figures(res) == (3, 3, 1)
    assert verdicts(res) == {"small": "violated", "fine": "unknown", "three": "unknown", "five": "unknown"}


def test_vacuous_reachable_alone_exits_12() -> None:
    res = run(COUNTER.replace("invariant small: x < 2\n", ""))
    assert verdicts(res) == {"fine": "holds", "three": "holds", "five": "violated"}
    assert res.exit_code() == 12


AGREE = """
protocol Agree
role R[2] {sym} {{
  var d: option 0..1 = none
  action decide(v in {{0, 1}}) when d == none {{ d := v }}
}}
agreement agree: R.d
"""


def test_agreement_over_an_option_ignores_none() -> None:
    # Each R: none, 0 or 1: 9 states, depth 3.  Undecided (none) instances do not disagree, so the
    # first violation needs two decisions: R[0]=0, R[1]=1 -> a 3-state trace.
    # generated = 1 + 4 (initial) + 4 states with one decision x 2 = 13.
    res = run(AGREE.format(sym=""))
    assert figures(res) == (9, 3, 1)
    assert res.stats.generated == 13
    agree = result(res, "agree")
    assert agree.verdict.value == "violated" and agree.kind == "agreement"
    assert labels(agree.trace) == ["init", "R.decide", "R.decide"]


def test_agreement_with_ignoring() -> None:
    # `ignoring undecided` leaves instances that hold `undecided` out of the comparison: the
    # first violation needs two decisions (3 states).  Without it, undecided vs yes is already a
    # disagreement (2 states).
    text = """
    protocol Agree2
    enum D { undecided, yes, no }
    role R[2] {
      var d: D = undecided
      action decide(v in {yes, no}) when d == undecided { d := v }
    }
    agreement lenient: R.d ignoring undecided
    agreement strict: R.d
    agreement none_at_all: R.d ignoring {undecided, no}
    """
    res = run(text)
    assert figures(res) == (9, 3, 1)
    assert result(res, "lenient").trace.length == 3
    assert result(res, "strict").trace.length == 2
    # ignoring undecided and no leaves only `yes` values: they always agree
    assert result(res, "none_at_all").verdict.value == "holds"


DEADLOCK = """
protocol Dl
role A {{
  var x: 0..3 = 0
  action inc when x < 3 {{ x := x + 1 }}
  {a_final}
}}
role B {{ var y: bool = false  action go when not y {{ y := true }} {b_final} }}
check deadlock
"""


@pytest.mark.parametrize("a_final, b_final, verdict", [
    ("final when x == 3", "final always", "holds"),  # the one stuck state (3, T) is final
    ("final when x == 2", "final always", "violated"),  # (3, T) is not final for A
    ("final when x == 3", "", "violated"),  # B never is final once some role declares `final`
    ("", "", "violated"),  # no `final` anywhere: any state without a successor deadlocks (TLC)
])
def test_deadlock_and_final(a_final: str, b_final: str, verdict: str) -> None:
    # x in 0..3 times y: 8 states, depth 5; generated = 1 + 6 incs + 4 gos = 11; the only state
    # without a protocol step is (3, T), reached in 5 states at the shortest.
    res = run(DEADLOCK.format(a_final=a_final, b_final=b_final))
    assert figures(res) == (8, 5, 1)
    assert (res.stats.generated, res.stats.terminal) == (11, 1)
    dl = result(res, "deadlock")
    assert dl.verdict.value == verdict
    if verdict == "violated":
        assert dl.trace.length == 5
        assert res.exit_code() == 11


def test_self_loop_is_not_a_deadlock() -> None:
    # x := x is a step back to the same state: 1 state, 1 self-loop, no deadlock.
    res = run("protocol Self\nvar x: 0..1 = 0\naction stay { x := x }\ncheck deadlock\n")
    assert figures(res) == (1, 1, 1)
    assert (res.stats.generated, res.stats.terminal) == (2, 0)
    assert verdicts(res) == {"deadlock": "holds"}


def test_crashed_instances_need_not_be_final() -> None:
    # W never becomes final by itself; once crashed it is out of the final condition.
    # States: (live), (crashed): the crashed one is terminal and final -> no deadlock there; the
    # live one has its `spin` step.  Only deadlock-free because crashed instances are excused.
    text = """
    protocol Cr
    role W { var x: bool = false  action spin when not x { x := true }  final when false }
    faults { crash W at most 1 }
    check deadlock
    """
    res = run(text)
    # (F,-,1) (T,-,1) (F,c,0) (T,c,0): 4; (T,-,1) is stuck and not final -> deadlock of 2 states
    assert figures(res) == (4, 3, 1)
    assert result(res, "deadlock").trace.length == 2


# ---------------------------------------------------------------------------------- liveness

FLIP = """
protocol Flip
var f: bool = false
role A { action flip { f := not f }  final always }
role B { var done: bool = false  action finish when f and not done { done := true }  final when done }
check termination under %s fairness
"""


def test_weak_fairness_fails_where_strong_holds() -> None:
    # States (f, done): FF <-> TF, TF -finish-> TT <-> FT: 4 states, depth 4.
    # B.finish is enabled only at TF; on the cycle FF <-> TF it is enabled infinitely often
    # but not continuously, so weak fairness allows never taking it: termination fails with
    # the lasso init, flip, (back to init).  Strong fairness forces it: termination holds.
    weak = run(FLIP % "weak")
    assert figures(weak) == (4, 4, 1)
    assert weak.stats.generated == 6
    t = result(weak, "termination")
    assert t.verdict.value == "violated"
    assert labels(t.trace) == ["init", "A.flip", "A.flip"]
    assert t.trace.loop_start == 0 and not t.trace.stutter
    assert weak.exit_code() == 13
    strong = run(FLIP % "strong")
    assert verdicts(strong) == {"termination": "holds"}


GROUP = """
protocol Group
role B {
  var x: 0..1 = 0
  var done: bool = false
  action spin when not done { x := 1 - x }
  action finish when not done { done := true }
  final when done
}
%s
check termination
"""


def test_per_step_weak_fairness_is_the_default() -> None:
    # (x, done): (0,F) <-> (1,F), each -finish-> (x,T): 4 states, depth 3.  `finish` is
    # continuously enabled on the spin cycle, so by weak fairness of each step it is taken.
    res = run(GROUP % "")
    assert figures(res) == (4, 3, 1)
    assert verdicts(res) == {"termination": "holds"}


def test_fair_weak_role_groups_its_steps() -> None:
    # `fair weak B`: B's steps form one unit.  Spinning forever takes that unit infinitely
    # often, so the cycle (0,F) <-> (1,F) is fair and termination fails.
    res = run(GROUP % "fair weak B")
    t = result(res, "termination")
    assert t.verdict.value == "violated"
    assert labels(t.trace) == ["init", "B.spin", "B.spin"] and t.trace.loop_start == 0


def test_fair_no_allows_stopping() -> None:
    # `fair no B`: B may stop forever in the initial state (a stuttering lasso of 1 state).
    res = run(GROUP % "fair no B")
    t = result(res, "termination")
    assert t.verdict.value == "violated"
    assert t.trace.length == 1 and t.trace.stutter


def test_fair_no_on_one_step() -> None:
    # `fair no B.finish`: only spin stays weakly fair; the spin cycle is fair.
    res = run(GROUP % "fair no B.finish")
    assert result(res, "termination").verdict.value == "violated"
    assert labels(result(res, "termination").trace) == ["init", "B.spin", "B.spin"]


LEADS = """
protocol Leads
var x: 0..3 = 0
action inc when x < 3 { x := x + 1 }
property up: x == 1 leads_to x == 3
%s
"""


def test_leads_to_under_weak_fairness() -> None:
    # x climbs to 3 and stops there; from x=1, weak fairness of inc reaches x=3.
    res = run(LEADS % "")
    assert figures(res) == (4, 4, 1)
    assert verdicts(res) == {"up": "holds"}


def test_leads_to_without_fairness() -> None:
    # `fair no env`: the run may stop at x=1 forever.  The lasso is init, inc, then staying at
    # x=1 (2 states).  (A fair component must be looked for among the states a P-state reaches:
    # x=0 can stutter too, but it is not after P.)
    res = run(LEADS % "fair no env")
    up = result(res, "up")
    assert up.verdict.value == "violated" and up.kind == "leads_to"
    assert up.trace.length == 2 and up.trace.stutter
    assert res.exit_code() == 13


def test_leads_to_cycle() -> None:
    # x cycles 0 -> 1 -> 2 -> 0 forever and never reaches 3: a fair cycle; P (x == 1) holds on it.
    text = """
    protocol Cycle
    var x: 0..3 = 0
    action step { x := (x + 1) % 3 }
    property up: x == 1 leads_to x == 3
    """
    res = run(text)
    up = result(res, "up")
    assert up.verdict.value == "violated"
    # prefix init (x=0), step to x=1, then the cycle 1 -> 2 -> 0 -> 1
    assert up.trace.length == 5 and up.trace.loop_start == 1


# ------------------------------------------------------------------------ constraint

def test_constraint_tlc_meaning() -> None:
    # x counts to 5; `constraint x <= 2` keeps x = 0, 1, 2 (3 states, depth 3).  x = 3 is
    # generated from x = 2, checked against the invariants (lt3 fails there: a 4-state trace
    # whose last state is outside the constraint), not counted, not expanded (so lt4 holds).
    # generated = 1 + 3 = 4; x = 2 has a successor, so no deadlock.
    text = """
    protocol Con
    var x: 0..5 = 0
    action inc when x < 5 { x := x + 1 }
    constraint bound: x <= 2
    invariant lt3: x < 3
    invariant lt4: x < 4
    check deadlock
    """
    res = run(text)
    assert figures(res) == (3, 3, 1)
    assert res.stats.generated == 4
    assert verdicts(res) == {"lt3": "violated", "lt4": "holds", "deadlock": "holds"}
    assert result(res, "lt3").trace.length == 4


def test_constraint_on_initial_states() -> None:
    # x starts at 0 or 3.  x = 3 is outside the constraint: checked (lt4 holds there), witness of
    # `r3`, but neither counted nor expanded (so x = 4 is never generated).  Kept: 0, 1, 2.
    # generated = 2 initial + 3 = 5.
    text = """
    protocol Con2
    var x: 0..5 in {0, 3}
    action inc when x < 5 { x := x + 1 }
    constraint bound: x <= 2
    invariant lt4: x < 4
    reachable r3: x == 3
    """
    res = run(text)
    assert figures(res) == (3, 3, 1)
    assert res.stats.generated == 5
    assert verdicts(res) == {"lt4": "holds", "r3": "holds"}
    assert result(res, "r3").trace.length == 1


# --------------------------------------------------------------- asserts and runtime errors

def test_assert_failure() -> None:
    # x = 0, 1, 2; at x = 2 `inc` fails its assert.  `other` (a self-loop) is still explored.
    # generated = 1 + (2 + 2 + 1) = 6; the trace is 3 states and the failing step.
    text = """
    protocol As
    var x: 0..3 = 0
    action inc when x < 3 { assert x < 2  x := x + 1 }
    action other when x < 3 { x := x }
    """
    res = run(text)
    assert figures(res) == (3, 3, 1)
    assert res.stats.generated == 6
    a = result(res, "assert at line 4")
    assert a.kind == "assert" and a.trace.length == 3
    assert a.trace.steps[-1].state is None and a.trace.steps[-1].transition.label == "env.inc"
    assert res.exit_code() == 12


def test_value_out_of_range_on_assignment() -> None:
    # x : 0..2, x := x + 1 unguarded: x = 0, 1, 2, then 3 is outside the type.
    res = run("protocol Rt\nvar x: 0..2 = 0\naction inc { x := x + 1 }\n")
    assert figures(res) == (3, 3, 1)
    err = result(res, "runtime error at line 3")
    assert err.kind == "runtime" and "`x` would be 3, outside 0..2" in err.message
    assert err.trace.length == 3


def test_division_by_zero_and_other_bindings() -> None:
    # d = 0 raises; d = 1, 2 still run: y = 0, 6, 3 (3 states, depth 2); each state has the
    # two good bindings: generated = 1 + 3 x 2 = 7.  The error trace is the initial state + step.
    res = run("protocol Dz\nvar y: 0..6 = 0\naction div(d in {0, 1, 2}) { y := 6 / d }\n")
    assert figures(res) == (3, 2, 1)
    assert res.stats.generated == 7
    err = result(res, "runtime error at line 3")
    assert "division by zero" in err.message
    assert err.trace.length == 1 and err.trace.steps[-1].transition.bindings == (("d", "0"),)


TERMINATES = """
protocol Terminates
role A {{ var x: 0..3 = 0  action inc when x < 3 {{ x := x + 1 }} }}
check termination
{fair}
"""


def test_termination_without_any_final_means_reaching_a_stuck_state() -> None:
    # No `final` anywhere (TLC meaning, as for deadlock): terminating = reaching a state with no
    # step.  x climbs to 3 and stops: holds under weak fairness; with `fair no A` the run may stop
    # at x = 0 forever (a 1-state stuttering lasso).
    assert verdicts(run(TERMINATES.format(fair=""))) == {"termination": "holds"}
    res = run(TERMINATES.format(fair="fair no A"))
    t = result(res, "termination")
    assert t.verdict.value == "violated" and t.trace.length == 1 and t.trace.stutter


def test_termination_without_final_fails_on_a_cycle() -> None:
    # x flips forever: no state without a step is ever reached.
    res = run("protocol Osc\nrole A { var x: 0..1 = 0  action flip { x := 1 - x } }\ncheck termination\n")
    t = result(res, "termination")
    assert t.verdict.value == "violated" and labels(t.trace) == ["init", "A.flip", "A.flip"]


def test_leads_to_weak_fails_strong_holds() -> None:
    # The flip example as a leads_to: from any state with B not done, B.done is reached.
    # Default (weak) fairness: the cycle FF <-> TF avoids it (finish is not continuously enabled).
    # `fair strong B`: finish is enabled infinitely often on that cycle, so it must be taken.
    base = """
    protocol FlipLeads
    var f: bool = false
    role A { action flip { f := not f } }
    role B { var done: bool = false  action finish when f and not done { done := true } }
    property fin: not B.done leads_to B.done
    """
    weak = result(run(base), "fin")
    assert weak.verdict.value == "violated"
    assert labels(weak.trace) == ["init", "A.flip", "A.flip"] and weak.trace.loop_start == 0
    assert verdicts(run(base + "fair strong B\n")) == {"fin": "holds"}
