"""`schedule rounds`: synchronous rounds (accord.semantics.rounds), against hand-counted state spaces.

In a round every live agent with an enabled step takes exactly one, all reading the
state before the round; messages sent in a round arrive after it; faults happen
between rounds.  Figures are (distinct, depth, initial).
"""

from __future__ import annotations

from semkit import figures, labels, load, result, run, verdicts

from accord.report.text import render_result
from accord.semantics.layout import Layout
from accord.semantics.model import Model

LOCKSTEP = """
protocol Lockstep
schedule rounds
role A[2] {sym} {{ var x: 0..2 = 0  action inc when x < 2 {{ x := x + 1 }} {final} }}
{extra}
"""


def test_lockstep() -> None:
    # Both agents step in every round: (0,0) -> (1,1) -> (2,2): 3 states, depth 3.
    # (Interleaved, the same spec has 3 x 3 = 9 states, depth 5.)
    res = run(LOCKSTEP.format(sym="", final="", extra=""))
    assert figures(res) == (3, 3, 1)
    assert (res.stats.generated, res.stats.terminal) == (3, 1)
    interleaved = run(LOCKSTEP.format(sym="", final="", extra="").replace("schedule rounds", ""))
    assert figures(interleaved) == (9, 5, 1)


def test_each_agent_picks_one_of_its_steps() -> None:
    # one: +1, two: +2, both while x < 2.  Round 1: each agent 1 or 2 -> 4 states.  Round 2:
    # only agents with x = 1 step (to 2 or 3): from (1,1) 4 successors, (1,2) and (2,1) 2 each;
    # new states (2,3) (3,2) (3,3).  Total 1 + 4 + 3 = 8, depth 3.
    # generated = 1 + 4 + 4 + 2 + 2 = 13; terminal: (2,2) (2,3) (3,2) (3,3).
    text = """
    protocol Choice
    schedule rounds
    role A[2] {
      var x: 0..3 = 0
      action one when x < 2 { x := x + 1 }
      action two when x < 2 { x := x + 2 }
    }
    """
    res = run(text)
    assert figures(res) == (8, 3, 1)
    assert (res.stats.generated, res.stats.terminal) == (13, 4)


SWAP = """
protocol Swap
{schedule}
var a: 0..1 = 0
var b: 0..1 = 1
role P {{ var done: bool = false  action go when not done {{ a := b  done := true }} }}
role Q {{ var done: bool = false  action go when not done {{ b := a  done := true }} }}
reachable swapped: a == 1 and b == 0
"""


def test_everyone_reads_the_state_before_the_round() -> None:
    # Rounds: P and Q both read (a, b) = (0, 1) and swap them: 2 states, depth 2.
    # Interleaved: P first gives (1,1), Q first gives (0,0); the swap is unreachable:
    # (0,1,F,F) (1,1,T,F) (0,0,F,T) (1,1,T,T) (0,0,T,T) = 5 states, depth 3.
    rounds = run(SWAP.format(schedule="schedule rounds"))
    assert figures(rounds) == (2, 2, 1)
    assert verdicts(rounds) == {"swapped": "holds"}
    steps = result(rounds, "swapped").trace.steps
    assert [p.label for p in steps[1].transition.parts] == ["P.go", "Q.go"]
    interleaved = run(SWAP.format(schedule=""))
    assert figures(interleaved) == (5, 3, 1)
    assert verdicts(interleaved) == {"swapped": "violated"}


def test_messages_arrive_after_the_round() -> None:
    # A sends twice; B cannot take a message sent in the same round.
    # (0,<>,0) -> A sends -> (1,<M>,0) -> A sends, B takes the first -> (2,<M>,1) -> (2,<>,2).
    # 4 states, depth 4 (interleaved: 6 states, depth 5).  With capacity 1 the same: B's receipt
    # frees the room A's second message needs, as delivery comes after the round.
    text = """
    protocol Msg
    schedule rounds
    message M
    channel A -> B {chan}
    role A {{ var n: 0..2 = 0  action s when n < 2 {{ send M to B  n := n + 1 }} }}
    role B {{ var c: 0..2 = 0  on M {{ c := c + 1 }} }}
    """
    assert figures(run(text.format(chan="fifo"))) == (4, 4, 1)
    assert figures(run(text.format(chan="fifo capacity 1"))) == (4, 4, 1)


QUEUE = """
protocol Queue
schedule rounds
message Job
channel P -> W fifo shared
role P {{ var n: 0..2 = 0  action put when n < 2 {{ send Job to W  n := n + 1 }} }}
role W[2] {sym} {{ var done: 0..2 = 0  on Job {{ done := done + 1 }} }}
"""


def test_two_agents_cannot_take_one_message() -> None:
    # Round 1: P puts.  Round 2: P puts again, and exactly one W takes the queued job (both want
    # it; the other sits the round out): (2,<J>,1,0), (2,<J>,0,1).  Round 3: one W takes the
    # second job: (2,<>,2,0), (2,<>,1,1), (2,<>,0,2).  1 + 1 + 2 + 3 = 7 states, depth 4.
    # generated = 1 + 1 + 2 + 2 + 2 = 8.  Under symmetry: (1,0)~(0,1) and (2,0)~(0,2): 5 orbits.
    res = run(QUEUE.format(sym=""))
    assert figures(res) == (7, 4, 1)
    assert res.stats.generated == 8
    assert figures(run(QUEUE.format(sym="symmetric"))) == (5, 4, 1)


INBOX = """
protocol Inbox
schedule rounds
message M
channel A -> B fifo inbox capacity 1 {mode}
role A[2] {{ var d: bool = false  action s when not d {{ send M to B  d := true }} }}
role B {{ var heard: set of A = {{}}  on M from x {{ heard := heard + {{x}} }} }}
"""


def test_capacity_blocks_a_round_that_does_not_fit() -> None:
    # Both A's want to send into a 1-slot inbox: only one can (the other sits out): 2 states.
    # Round 2: B takes the message and the other A sends (it fits once B's receipt is done).
    # Round 3: B takes it.  init, 2, 2, 1 = 6 states, depth 4.
    res = run(INBOX.format(mode="blocks"))
    assert figures(res) == (6, 4, 1)
    assert res.stats.generated == 7


def test_capacity_drops_the_excess_in_agent_order() -> None:
    # Both send in round 1; A[0]'s message fits, A[1]'s is dropped.  Then B takes it.
    # 3 states, depth 3.
    res = run(INBOX.format(mode="drops"))
    assert figures(res) == (3, 3, 1)


def test_capacity_fails_in_a_round() -> None:
    res = run(INBOX.format(mode="fails"))
    over = result(res, "channel overflow at line 5")
    assert over.kind == "overflow" and over.trace.length == 1
    assert labels(over.trace) == ["init", "round"]


def test_merge_union_applies_every_writers_changes() -> None:
    # Each W adds 0 or 1 in round 1: {0}|{0}, {0}|{1}, {1}|{0}, {1}|{1} -> seen is {0}, {0,1}, {1}.
    # 1 + 3 = 4 states, depth 2, generated 1 + 4 = 5.
    text = """
    protocol Union
    schedule rounds
    var seen: set of 0..2 = {} merge union
    role W[2] { var done: bool = false  action add(v in {0, 1}) when not done { seen := seen + {v}  done := true } }
    """
    res = run(text)
    assert figures(res) == (4, 2, 1)
    assert res.stats.generated == 5


def test_merge_union_keeps_removals() -> None:
    # s = {0,1}.  A writes {1,2} (adds 2, removes 0), B writes {0} (removes 1) in the same round:
    # ({0,1} - {0,1}) + {2} = {2}.  (A plain union of the new values would give {0,1,2}.)
    text = """
    protocol Union2
    schedule rounds
    var s: set of 0..2 = {0, 1} merge union
    role A { var d: bool = false  action a when not d { s := s - {0} + {2}  d := true } }
    role B { var d: bool = false  action b when not d { s := s - {1}  d := true } }
    reachable two: s == {2}
    invariant never_all: s != {0, 1, 2}
    """
    res = run(text)
    assert figures(res) == (2, 2, 1)
    assert verdicts(res) == {"two": "holds", "never_all": "holds"}


CLAIM = """
protocol Claim
schedule rounds
var leader: option W = none {merge}
role W[2] {{
  var done: bool = false
  action claim when leader == none and not done {{ leader := self  done := true }}
}}
"""


def test_merge_last_writer_branches_over_writers() -> None:
    # Both W's see leader == none and claim; either value wins: leader = W[0] or W[1].
    # 1 + 2 = 3 states, depth 2; generated 1 + 2 = 3.
    res = run(CLAIM.format(merge="merge last_writer"))
    assert figures(res) == (3, 2, 1)
    assert res.stats.generated == 3


def test_conflict_is_a_concurrent_write_violation() -> None:
    # Round 1 has W[0] and W[1] both write `leader`: a safety violation, exit 12.  The trace is
    # the initial state and the violating round, which shows both steps.
    res = run(CLAIM.format(merge="conflict"))
    bad = result(res, "concurrent write at line 4")
    assert bad.kind == "concurrent write" and bad.verdict.value == "violated"
    assert labels(bad.trace) == ["init", "round"] and bad.trace.length == 1
    round_ = bad.trace.steps[-1].transition
    assert [p.label for p in round_.parts] == ["W.claim", "W.claim"]
    assert [p.actor.idx for p in round_.parts] == [0, 1]
    assert "`leader` is written by W[0] and W[1] in the same round (declared `conflict`)" in bad.message
    assert res.exit_code() == 12
    text = render_result(res, Layout.build(load(CLAIM.format(merge="conflict"))))
    assert "  Step: round: W[0]: claim; W[1]: claim  <- violates the property" in text


def test_no_merge_declared_is_a_conflict() -> None:
    res = run(CLAIM.format(merge=""))
    assert "(no `merge` declared)" in result(res, "concurrent write at line 4").message


def test_one_writer_is_not_a_conflict() -> None:
    # Only W[0] may claim: 2 states, no violation.
    res = run(CLAIM.format(merge="conflict").replace("when leader", "when self == W[0] and leader"))
    assert figures(res) == (2, 2, 1) and res.results == []


TIMEOUT = """
protocol Timeout
schedule rounds
role A { var x: 0..2 = 0  action inc when x < 2 { x := x + 1 } }
role B { var t: bool = false  on timeout when not t { t := true } }
"""


def test_timeout_when_nobody_else_can_step() -> None:
    # (0,F) -> (1,F) -> (2,F): then no agent has a step, B times out -> (2,T).  4 states, depth 4.
    res = run(TIMEOUT)
    assert figures(res) == (4, 4, 1)


def test_early_timeout_is_optional_within_budget() -> None:
    # With `timeout B at most 1`, B may time out early in any round (spending the budget) or wait.
    # (x,t,budget): (0,F,1) -> (1,F,1) | (1,T,0);  (1,F,1) -> (2,F,1) | (2,T,0);  (1,T,0) -> (2,T,0);
    # (2,F,1) -> (2,T,1) (everybody waits: no budget spent).  6 states, depth 4;
    # generated = 1 + 2 + 2 + 1 + 1 = 7.
    res = run(TIMEOUT + "faults { timeout B at most 1 }")
    assert figures(res) == (6, 4, 1)
    assert res.stats.generated == 7


def test_faults_interleave_between_rounds() -> None:
    # Lockstep with `crash A at most 1`: the 3 crash-free states, and for each crashed instance
    # the states where the other one goes on alone: crashed at (0,0): (0,0) (0,1) (0,2); at (1,1):
    # (1,1) (1,2); at (2,2): (2,2) -> 6 per instance.  3 + 12 = 15 states, depth 4 (crash, 2 rounds).
    # Symmetric A: 3 + 6 = 9 orbits.
    res = run(LOCKSTEP.format(sym="", final="", extra="faults { crash A at most 1 }"))
    assert figures(res) == (15, 4, 1)
    sym = run(LOCKSTEP.format(sym="symmetric", final="", extra="faults { crash A at most 1 }"))
    assert figures(sym) == (9, 4, 1)


def test_deadlock_under_rounds() -> None:
    # No round from (2,2): final when x == 2 makes it a proper end; final when x == 1 a deadlock
    # whose shortest trace is 3 states.
    ok = run(LOCKSTEP.format(sym="", final="final when x == 2", extra="check deadlock"))
    assert verdicts(ok) == {"deadlock": "holds"}
    bad = run(LOCKSTEP.format(sym="", final="final when x == 1", extra="check deadlock"))
    assert result(bad, "deadlock").trace.length == 3
    assert labels(result(bad, "deadlock").trace) == ["init", "round", "round"]


def test_rounds_force_progress_that_weak_fairness_does_not() -> None:
    # The flip example of test_semantics_properties: interleaved, weak fairness lets A flip
    # forever.  In rounds B must take `finish` whenever it is enabled: FF -> TF -> FT -> TT <-> FT.
    # 4 states, depth 4; termination holds under weak fairness.
    text = """
    protocol Flip
    schedule rounds
    var f: bool = false
    role A { action flip { f := not f }  final always }
    role B { var done: bool = false  action finish when f and not done { done := true }  final when done }
    check termination under weak fairness
    """
    res = run(text)
    assert figures(res) == (4, 4, 1)
    assert verdicts(res) == {"termination": "holds"}


def test_round_takes_every_agents_unit() -> None:
    # Coverage and fairness see every step of a round: the round's transition carries the first
    # part's unit and the others in `joined`.
    model = Model(load(SWAP.format(schedule="schedule rounds")))
    (tr, _), = model.successors(model.initial_states()[0])
    assert tr.kind == "round" and len(tr.parts) == 2
    assert {tr.unit, *tr.joined} == {p.unit for p in tr.parts}


def test_sync_channels_are_refused_under_rounds() -> None:
    text = """
    protocol SyncRounds
    schedule rounds
    message M
    channel A -> B sync
    role A { var s: bool = false  action go when not s { send M to B  s := true } }
    role B { on M { skip } }
    """
    from accord.dsl import load_text

    proto, diags = load_text(text)
    assert proto is None
    assert [(d.code, d.span.line, d.span.column) for d in diags if d.is_error] == [("ACC308", 5, 5)]


def test_map_entries_merge_one_by_one() -> None:
    # Two agents claim different entries of one board in the same round: both claims stand.
    # When both claim the same entry, `last_writer` gives one round per winner.
    # Board starts [none, none]; round 1: A0 and A1 each claim an entry they choose (0 or 1):
    # different entries -> [A0, A1] or [A1, A0]; same entry e -> [w, none] / [none, w] for w in {A0, A1}.
    text = """
    protocol Board
    schedule rounds
    type Slot = 0..1
    var owner: map Slot -> option Agent = [t -> none] merge last_writer
    role Agent[2] {
      var done: bool = false
      action claim(t in Slot) when not done and owner[t] == none { owner[t] := self  done := true }
    }
    """
    res = run(text)
    # initial + [A0,A1], [A1,A0], [A0,none], [A1,none], [none,A0], [none,A1] = 7 states, depth 2
    assert (res.stats.distinct, res.stats.depth) == (7, 2)


def test_map_entry_written_twice_without_merge_is_a_concurrent_write() -> None:
    text = """
    protocol Board
    schedule rounds
    type Slot = 0..1
    var owner: map Slot -> option Agent = [t -> none]
    role Agent[2] {
      var done: bool = false
      action claim(t in Slot) when not done and owner[t] == none { owner[t] := self  done := true }
    }
    """
    res = run(text)
    err = res.first_violation
    assert err is not None and err.kind == "concurrent write"
    assert "entry 0 of `owner`" in err.message and err.trace is not None and err.trace.length == 1


def test_an_agent_whose_send_cannot_fit_sits_out() -> None:
    # B never takes M (not ready), so A's second send never fits the 1-slot channel: A sits out
    # while C keeps counting.  (0,<>,0) -> (1,<M>,1) -> (1,<M>,2), then nobody can step:
    # 3 states, depth 3.
    text = """
    protocol Full
    schedule rounds
    message M
    channel A -> B fifo capacity 1
    role A { var n: 0..2 = 0  action s when n < 2 { send M to B  n := n + 1 } }
    role B { var ready: bool = false  on M when ready { skip } }
    role C { var c: 0..2 = 0  action inc when c < 2 { c := c + 1 } }
    """
    res = run(text)
    assert figures(res) == (3, 3, 1)
    assert res.stats.terminal == 1


def test_timeout_fires_when_the_only_other_step_cannot_fit() -> None:
    # A's send never fits (B never takes), so no round of ordinary steps exists after the first:
    # everybody waits and T times out.  (0,<>,F) -> (1,<M>,F) -> (1,<M>,T): 3 states, depth 3.
    text = """
    protocol Wait
    schedule rounds
    message M
    channel A -> B fifo capacity 1
    role A { var n: 0..2 = 0  action s when n < 2 { send M to B  n := n + 1 } }
    role B { var ready: bool = false  on M when ready { skip } }
    role T { var out: bool = false  on timeout when not out { out := true } }
    """
    res = run(text)
    assert figures(res) == (3, 3, 1)
    assert res.stats.coverage_missing == ["B.on_M"]
