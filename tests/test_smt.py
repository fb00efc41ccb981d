"""The Z3 engine: bounded model checking and k-induction, against the explicit semantics.

Every figure below was worked out by hand (see the comments) and agrees with the
explicit BFS engine, which the tests also run: a BMC counterexample has the
length of the shortest explicit one, and a BMC run that finds nothing says
UNKNOWN, never HOLDS.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from semkit import load

from accord.checker.explicit import Config, check
from accord.checker.result import Verdict
from accord.checker.smt.bmc import bmc
from accord.checker.smt.encode import Encoding, encode
from accord.checker.smt.kind import prove
from accord.checker.smt.selfcheck import smt_facts, smt_successors
from accord.checker.trace import ReplayError
from accord.cli.main import cli
from accord.diagnostics import Diagnostic
from accord.semantics.layout import Layout
from accord.semantics.model import Model

# x and y step together to MAX and back to 0. `same` holds (and is 1-inductive);
# `below_three` fails in the 4th state: init (0), inc (1), inc (2), inc (3).
COUNTER = """
protocol Counter
const MAX = 4
var x: 0..MAX = 0
var y: 0..MAX = 0
action inc when x < MAX { x := x + 1  y := y + 1 }
action reset when x == MAX { x := 0  y := 0 }
invariant same: x == y
invariant below_three: x < 3
"""

# A lock that is tested but never taken: both processes can be critical. Shortest run:
# init, P[0] request, P[1] request, P[0] enter, P[1] enter -> 5 states.
MUTEX_BUG = """
protocol Mutex
const N = 2
enum State { idle, waiting, critical }
var lock: bool = false
role P[N] {
  var state: State = idle
  action request when state == idle { state := waiting }
  action enter when state == waiting and not lock { state := critical }
  action leave when state == critical { state := idle  lock := false }
}
invariant mutual_exclusion: forall a, b in P: a != b => not (a.state == critical and b.state == critical)
check deadlock
"""

# The fixed mutex: `enter` takes the lock. Mutual exclusion holds but is not inductive on its
# own (a state with P[0] critical and the lock free lets P[1] in); `lock_held` makes it so.
MUTEX = MUTEX_BUG.replace("{ state := critical }", "{ state := critical  lock := true }")
MUTEX_STRONG = MUTEX + "invariant lock_held: (exists p in P: p.state == critical) => lock\n"

# Two-phase commit over grow-only `set` channels with 2 RMs and a shared counter. The bug: the
# TM commits once *some* RM is prepared. Shortest run to `consistent` failing (6 states): init,
# RM[0] prepare, TM receives Prepared(RM[0]), TM commit, RM[1] choose_to_abort, RM[0] on Commit.
# `all_committed` has a witness of 6 states: init, RM[0] prepare, TM receives Prepared(RM[0]),
# TM commit, RM[0] and RM[1] receive Commit (the receive steps do not look at the RM's state).
TWO_PC = """
protocol TwoPhase
const RMS = 2
enum RMState { working, prepared, committed, aborted }
enum TMState { tm_init, tm_committed, tm_aborted }
message Prepared(rm: RM)
message Commit
message Abort
channel RM -> TM set inbox
channel TM -> RM set
var decisions: 0..2 = 0
role TM {
  var tm_state: TMState = tm_init
  var tm_prepared: set of RM = {}
  on Prepared(r) when tm_state == tm_init { tm_prepared := tm_prepared + {r} }
  action commit when tm_state == tm_init and tm_prepared != {} {
    tm_state := tm_committed
    decisions := decisions + 1
    broadcast Commit to RM
  }
  action abort when tm_state == tm_init {
    tm_state := tm_aborted
    decisions := decisions + 1
    broadcast Abort to RM
  }
}
role RM[RMS] {
  var rm_state: RMState = working
  action prepare when rm_state == working { rm_state := prepared  send Prepared(self) to TM }
  action choose_to_abort when rm_state == working { rm_state := aborted }
  on Commit { rm_state := committed }
  on Abort { rm_state := aborted }
}
invariant consistent: forall a, b in RM: not (a.rm_state == aborted and b.rm_state == committed)
invariant one_decision: decisions <= 1
reachable all_committed: forall r in RM: r.rm_state == committed
"""

# Channels, topologies, full modes, faults, choose, assert and timeouts in one small spec, for
# the one-step agreement test: C sends requests over a capacity-2 fifo, S answers over a bag that
# drops when full; faults crash, restart, lose, duplicate, corrupt and time out.
CHANNELS = """
protocol Channels
type V = 0..1
enum Kind { a, b }
message Req(v: V, k: Kind)
message Ack(v: V)
channel C -> S fifo capacity 2
channel S -> C bag capacity 2 drops
role C[2] {
  var sent: 0..2 = 0
  var got: set of V = {}
  action req(v in V) when sent < 2 {
    choose k in Kind { send Req(v, k) to S }
    sent := sent + 1
  }
  on Ack(v) { got := got + {v} }
  on timeout when sent == 2 { sent := 0 }
}
role S {
  var seen: map V -> bool = [x -> false]
  on Req(v, a) from c { seen[v] := true  reply Ack(v) }
  on Req(v, b) from c { assert v != 1  reply Ack(v) }
}
faults { crash C at most 1  restart C at most 1  lose C -> S at most 1  duplicate at most 1
         corrupt Req.v at most 1  timeout C at most 1 }
invariant small: size(C[0].got) <= 1
check deadlock
"""


def lengths(res):  # type: ignore[no-untyped-def]
    """property -> (verdict, trace length or None)."""
    return {r.name: (r.verdict.value, r.trace.length if r.trace is not None else None) for r in res.results}


def smt(text: str, depth: int, **kw):  # type: ignore[no-untyped-def]
    res = bmc(load(text), depth, **kw)
    assert not isinstance(res, Diagnostic), res.render()
    return res


# ---------------------------------------------------------------------- bounded model checking


@pytest.mark.parametrize("text, want", ids=["counter", "mutex_bug", "two_pc"], argvalues=[
    (COUNTER, {"same": ("unknown", None), "below_three": ("violated", 4)}),
    (MUTEX_BUG, {"mutual_exclusion": ("violated", 5), "deadlock": ("unknown", None)}),
    (TWO_PC, {"consistent": ("violated", 6), "one_decision": ("unknown", None), "all_committed": ("holds", 6)}),
])
def test_bmc_finds_shortest_counterexamples_like_bfs(text: str, want: dict) -> None:
    got = lengths(smt(text, 10, stop_at_first=False))
    assert got == want
    explicit = lengths(check(load(text), Config(stop_at_first=False)))
    for name, (verdict, n) in want.items():
        if verdict == "unknown":
            assert explicit[name] == ("holds", None)
        else:
            assert explicit[name] == (verdict, n)


def test_bmc_nothing_found_is_unknown_never_holds() -> None:
    res = smt(MUTEX, 9)  # the fixed mutex: 8 reachable states (lock free and both idle/waiting: 4,
    # or one critical with the lock held and the other idle/waiting: 4), no violation
    assert lengths(res) == {"mutual_exclusion": ("unknown", None), "deadlock": ("unknown", None)}
    assert all(r.message == "no violation up to depth 9" for r in res.results)
    assert res.verdict is Verdict.UNKNOWN and not res.complete and res.exit_code() == 3
    assert res.stats.engine == "smt-bmc" and res.stats.depth == 9


def test_bmc_counterexample_is_a_replayed_explicit_trace() -> None:
    res = smt(MUTEX_BUG, 8)
    r = res.first_violation
    assert r is not None and r.name == "mutual_exclusion" and res.exit_code() == 12
    labels = [s.transition.label if s.transition else "init" for s in r.trace.steps]
    assert sorted(labels) == sorted(["init", "P.request", "P.request", "P.enter", "P.enter"])
    model = Model(load(MUTEX_BUG))
    assert r.trace.steps[0].state in model.initial_states()
    for a, b in zip(r.trace.steps, r.trace.steps[1:]):
        assert b.state in {n for _, n in model.successors(a.state, errors=[])}


def test_bmc_step_violations_are_named_as_explicit_names_them() -> None:
    text = """
protocol Errors
var x: 0..3 = 0
var y: 0..2 in {0, 2}
var m: map 0..2 -> 0..1 = [k -> 0]
action inc(d in {1, 2}) { x := x + d }
action div { choose z in {0, 1, 2} { if z > 0 { y := 4 / z } else { assert x != 1 } } }
action idx { m[x] := 1 }
invariant inv: x + y <= 5
"""
    # (the text starts with an empty line.) Line 7, choose z = 0 runs first: the assert fails when
    # x == 1 (2 states: init, inc d=1); otherwise z = 1 sets y to 4, out of 0..2 (from the initial
    # state: 1 state); x + 2 overflows 0..3 from x = 2 (line 6: 2 states); m[3] is outside the
    # map (line 8: 3 states, x = 3 after two incs)
    want = {"inv": ("unknown", None), "runtime error at line 7": ("violated", 1),
            "assert at line 7": ("violated", 2), "runtime error at line 6": ("violated", 2),
            "runtime error at line 8": ("violated", 3)}
    assert lengths(smt(text, 6, stop_at_first=False)) == want
    explicit = lengths(check(load(text), Config(stop_at_first=False)))
    assert {k: v for k, v in explicit.items() if k != "inv"} == {k: v for k, v in want.items() if k != "inv"}


def test_bmc_message_field_outside_its_type_is_a_runtime_error() -> None:
    text = """
protocol Field
message M(v: 0..1)
channel A -> B bag
role A { var x: 0..2 = 0  action go when x < 2 { x := x + 1  send M(x) to B } }
role B { var got: 0..1 = 0  on M(v) { got := v } }
"""
    # init, go (sends M(1)); the second go would send M(2): raised from the 2nd state
    want = {"runtime error at line 5": ("violated", 2)}
    assert lengths(smt(text, 5)) == want == lengths(check(load(text)))


def test_bmc_state_constraint_as_explicit() -> None:
    text = """
protocol Cons
var x: 0..9 in {0, 5}
var y: 0..3 = 0
action inc when x < 9 { x := x + 1 }
action bump when y < 3 { y := y + 1 }
action boom when y == 2 { assert x != 3 }
constraint small: x <= 3
invariant inv: x != 4
reachable seven: x == 7
"""
    # States outside the constraint are checked, not expanded (x = 5 initially: never expanded).
    # x = 4 is reached from x = 3 (5 states); the assert needs x = 3 and y = 2 (6 states);
    # x = 7 is never reached: explicit search says so, BMC cannot.
    want = {"inv": ("violated", 5), "assert at line 7": ("violated", 6), "seven": ("unknown", None)}
    assert lengths(smt(text, 10, stop_at_first=False)) == want
    explicit = lengths(check(load(text), Config(stop_at_first=False)))
    assert explicit == {**want, "seven": ("violated", None)}


def test_bmc_stops_at_first_violation_by_default() -> None:
    res = smt(TWO_PC, 10)
    assert lengths(res)["consistent"] == ("violated", 6)
    one = next(r for r in res.results if r.name == "one_decision")
    assert one.verdict is Verdict.UNKNOWN and "stopped at the first violation" in one.message


def test_bmc_deadlock_and_final() -> None:
    text = """
protocol Pass
message Token
channel A -> B fifo capacity 1
role A { var sent: bool = false  action give when not sent { sent := true  send Token to B }  final always }
role B { var got: 0..2 = 0  on Token { got := got + 1 }  final when got == 2 }
check deadlock
"""
    # init, A gives, B receives: nothing more can happen and B is not final -> 3 states
    assert lengths(smt(text, 6)) == {"deadlock": ("violated", 3)}
    assert lengths(check(load(text))) == {"deadlock": ("violated", 3)}


def test_bmc_unbounded_channel_past_its_bound_is_unknown() -> None:
    text = """
protocol Flood
message M
channel A -> B fifo
role A { var n: 0..9 = 0  action put when n < 9 { n := n + 1  send M to B } }
role B { on M { skip } }
invariant few: A.n < 9
"""
    # explicit: `few` fails after 9 puts (10 states). With room for 2 messages, the third put (from
    # the 3rd state) cannot be encoded: the run ends there, unknown.
    assert lengths(check(load(text), Config(stop_at_first=False)))["few"] == ("violated", 10)
    res = smt(text, 12, channel_bound=2)
    assert lengths(res) == {"few": ("unknown", None)}
    assert res.results[0].message.startswith("no violation up to depth 3; a step from depth 3 sends a message")
    assert lengths(smt(text, 12, channel_bound=9)) == {"few": ("violated", 10)}


def test_bmc_refuses_constructs_outside_the_fragment() -> None:
    text = "protocol Q\nvar q: seq of 0..1 max 2 = <<>>\naction a { skip }\n"
    d = bmc(load(text), 3)
    assert isinstance(d, Diagnostic) and d.code == "ACC410"
    assert "sequence types" in d.message and (d.span.line, d.span.column) == (2, 1)
    text = "protocol S\nmessage M\nchannel A -> B sync\nrole A { action a { send M to B } }\nrole B { on M { skip } }\n"
    d = encode(load(text))
    assert isinstance(d, Diagnostic) and d.code == "ACC410" and "`sync` channels" in d.message
    assert (d.span.line, d.span.column) == (3, 1)
    text = "protocol R\nvar x: 0..1 = 0\naction a { x := 1 }\nschedule rounds\n"
    d = encode(load(text))
    assert isinstance(d, Diagnostic) and d.code == "ACC410" and "`schedule rounds`" in d.message
    assert (d.span.line, d.span.column) == (4, 1)
    text = "protocol F\nmessage M\nchannel A -> B fifo capacity 2\nrole A { action a { send M to B } }\n" \
        "role B { on M { skip } }\nfaults { reorder at most 1 }\n"
    d = encode(load(text))
    assert isinstance(d, Diagnostic) and d.code == "ACC410" and "`reorder` faults" in d.message
    assert (d.span.line, d.span.column) == (6, 10)


def test_bmc_raises_when_a_counterexample_does_not_replay(monkeypatch: pytest.MonkeyPatch) -> None:
    real = Encoding.decode

    def wrong(self: Encoding, st: list, m: object) -> tuple:  # a broken encoding: every state is shifted
        s = real(self, st, m)
        return (not s[0],) + s[1:]

    monkeypatch.setattr(Encoding, "decode", wrong)
    with pytest.raises(ReplayError):
        bmc(load(MUTEX_BUG), 6)


# ---------------------------------------------------------------------- one step, against the semantics


def reachable_states(text: str, limit: int = 10_000) -> list[tuple]:
    """The first ``limit`` reachable states in BFS order (a raising step has no successor)."""
    model = Model(load(text))
    seen = dict.fromkeys(model.initial_states())
    todo = list(seen)
    for state in todo:
        if len(todo) >= limit:
            break
        for _, nxt in model.successors(state, errors=[]):
            if nxt not in seen:
                seen[nxt] = None
                todo.append(nxt)
    return todo[:limit]


@pytest.mark.parametrize("text, n_states", [(TWO_PC, 76), (CHANNELS, 60), (MUTEX, 8)],
                         ids=["two_pc", "channels_faults", "mutex"])
def test_encoding_agrees_with_explicit_successors_step_by_step(text: str, n_states: int) -> None:
    """On reachable states: the same successors, the same step violations, enabledness and deadlock."""
    proto = load(text)
    enc = encode(proto)
    assert isinstance(enc, Encoding)
    model = Model(proto)
    states = reachable_states(text, n_states)
    assert len(states) == n_states
    for s in states:
        errs: list = []
        assert smt_successors(enc, s) == {n for _, n in model.successors(s, errors=errs)}
        facts = smt_facts(enc, s)
        names = {_name(e.violation) for e in errs}
        assert facts["errors"] == names
        proto_succ = model.protocol_successors(s, errors=[])
        assert facts["enabled"] == bool(proto_succ)
        dead = not proto_succ and not names and (not model.has_final or not model.is_final(s))
        assert facts["deadlock"] == (dead and any(p.kind.value == "deadlock" for p in proto.properties))


def _name(v: object) -> str:
    from accord.checker.smt.bmc import _error_name

    return _error_name(v)


# ---------------------------------------------------------------------- k-induction


def test_kinduction_proves_an_inductive_invariant() -> None:
    text = COUNTER.replace("invariant below_three: x < 3\n", "")
    found = prove(load(text))
    assert not isinstance(found, Diagnostic)
    assert found.k == 1 and found.cti is None
    assert [(r.name, r.verdict.value) for r in found.result.results] == [("same", "holds")]
    assert found.result.verdict is Verdict.HOLDS and found.result.exit_code() == 0


def test_kinduction_reports_a_counterexample_to_induction() -> None:
    proto = load(MUTEX)
    found = prove(proto, 1)
    assert not isinstance(found, Diagnostic)
    assert found.k is None and found.cti is not None
    cti = found.cti
    assert cti.k == 1 and cti.broken == ["mutual_exclusion"] and len(cti.states) == 2
    model = Model(proto)
    me = model.compile_property_expr(proto.properties[0].expr)
    assert me(cti.states[0]) and not me(cti.states[1])
    assert cti.states[0] not in set(reachable_states(MUTEX))  # true but not inductive: the CTI is unreachable
    assert cti.transitions[0].label == "P.enter"
    text = cti.render(Layout.build(proto))
    assert text.startswith("counterexample to induction (k=1)") and "P[" in text and "enter" in text
    r = found.result.results[0]
    assert r.verdict is Verdict.UNKNOWN and "not 1-inductive" in r.message


def test_kinduction_proves_the_strengthened_invariant() -> None:
    found = prove(load(MUTEX_STRONG), 1)
    assert not isinstance(found, Diagnostic) and found.k == 1
    assert [(r.name, r.verdict.value) for r in found.result.results] == [
        ("mutual_exclusion", "holds"), ("lock_held", "holds")]


def test_kinduction_larger_k_proves_more() -> None:
    text = """
protocol Evens
var x: 0..10 = 0
action step when x < 4 { x := x + 2 }
invariant not_five: x != 5
"""
    # x takes 0, 2, 4. x = 5 is unreachable, but 3 -> 5 and 1 -> 3 -> 5 are steps from states with
    # x != 5, so k = 1 and k = 2 fail; no run of 4 distinct states satisfies x < 4 throughout.
    proto = load(text)
    for k in (1, 2):
        found = prove(proto, k)
        assert not isinstance(found, Diagnostic) and found.k is None and found.cti.k == k
    found = prove(proto, 3)
    assert not isinstance(found, Diagnostic) and found.k == 3


def test_kinduction_finds_real_violations() -> None:
    # the base case at k = 5 is bounded model checking to 5 states: the shortest counterexample
    assert prove(load(MUTEX_BUG), 4).k is None
    found = prove(load(MUTEX_BUG), 5)
    assert not isinstance(found, Diagnostic)
    assert lengths(found.result)["mutual_exclusion"] == ("violated", 5)


# ---------------------------------------------------------------------- command line


def test_cli_check_engine_smt(tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "mutex.accord"
    spec.write_text(MUTEX_BUG)
    out = CliRunner().invoke(cli, ["check", str(spec), "--engine", "smt", "--depth", "6"])
    assert out.exit_code == 12, out.output
    assert "counterexample for `mutual_exclusion`" in out.output and "trace of 5 states" in out.output
    spec.write_text(MUTEX)
    out = CliRunner().invoke(cli, ["check", str(spec), "--engine", "smt", "--depth", "4"])
    assert out.exit_code == 3 and "no violation up to depth 4" in out.output


def test_cli_prove(tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "mutex.accord"
    spec.write_text(MUTEX)
    out = CliRunner().invoke(cli, ["prove", str(spec)])
    assert out.exit_code == 3 and "counterexample to induction (k=1)" in out.output
    spec.write_text(MUTEX_STRONG)
    out = CliRunner().invoke(cli, ["prove", str(spec)])
    assert out.exit_code == 0 and "verdict: holds" in out.output
    spec.write_text("protocol Q\nvar q: seq of 0..1 max 2 = <<>>\naction a { skip }\n")
    out = CliRunner().invoke(cli, ["prove", str(spec)])
    assert out.exit_code == 2 and "ACC410" in out.output


# ---------------------------------------------------------------------- differential: random protocols


@st.composite
def protocols(draw: st.DrawFn) -> str:
    """A small protocol over shared ints and bools: guarded actions with random updates."""
    n_int = draw(st.integers(1, 3))
    n_bool = draw(st.integers(0, 2))
    ints = [(f"v{i}", draw(st.integers(1, 3))) for i in range(n_int)]
    bools = [f"b{i}" for i in range(n_bool)]
    low = min(hi for _, hi in ints)  # a literal fits every variable (out-of-range literals are ACC238)
    lines = ["protocol Random"]
    for name, hi in ints:
        init = draw(st.sampled_from(["= 0", f"= {hi}", "in any"]))
        lines.append(f"var {name}: 0..{hi} {init}")
    for name in bools:
        lines.append(f"var {name}: bool {draw(st.sampled_from(['= false', '= true', 'in any']))}")

    def int_expr(depth: int = 0) -> str:
        name, hi = draw(st.sampled_from(ints))
        forms = [name, str(draw(st.integers(0, low))), f"({name} + {draw(st.integers(1, 2))}) % {hi + 1}",
                 f"{name} + 1"]
        if depth < 1:
            forms.append(f"(if {bool_expr(depth + 1)} then {int_expr(depth + 1)} else {int_expr(depth + 1)})")
        return draw(st.sampled_from(forms))

    def bool_expr(depth: int = 0) -> str:
        op = draw(st.sampled_from(["<", "<=", "==", "!="]))
        forms = [f"{int_expr(depth + 1)} {op} {draw(st.integers(0, 3))}"]
        forms.extend(bools)
        if depth < 1:
            forms.append(f"not ({bool_expr(depth + 1)})")
            forms.append(f"({bool_expr(depth + 1)} {draw(st.sampled_from(['and', 'or', '=>']))} "
                         f"{bool_expr(depth + 1)})")
        return draw(st.sampled_from(forms))

    def assign() -> str:
        if bools and draw(st.booleans()):
            return f"{draw(st.sampled_from(bools))} := {bool_expr()}"
        name, _ = draw(st.sampled_from(ints))
        return f"{name} := {int_expr()}"

    for a in range(draw(st.integers(1, 4))):
        guard = f" when {bool_expr()}" if draw(st.booleans()) else ""
        body = [assign() for _ in range(draw(st.integers(1, 2)))]
        if draw(st.integers(0, 3)) == 0:
            body = [f"if {bool_expr()} {{ {' '.join(body)} }} else {{ {assign()} }}"]
        if draw(st.integers(0, 4)) == 0:
            name, hi = draw(st.sampled_from(ints))
            body.append(f"choose c in {{0, {hi}}} {{ {name} := c }}")
        lines.append(f"action a{a}{guard} {{ {'  '.join(body)} }}")
    for i in range(draw(st.integers(1, 2))):
        lines.append(f"invariant inv{i}: {bool_expr()}")
    if draw(st.booleans()):
        lines.append("check deadlock")
    return "\n".join(lines) + "\n"


@settings(max_examples=120, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(protocols())
def test_bmc_agrees_with_explicit_search_on_random_protocols(text: str) -> None:
    """Every property the explicit BFS judges, BMC judges alike, with traces of the same length."""
    proto = load(text)
    explicit = check(proto, Config(stop_at_first=False, symmetry=False))
    assert explicit.complete
    depth = explicit.stats.depth + 1  # every reachable state, and one more step
    ours = lengths(smt(text, depth, stop_at_first=False))
    theirs = lengths(explicit)
    for name, (verdict, n) in theirs.items():
        if verdict == "violated":
            assert ours.get(name) == ("violated", n), (name, text)
        else:
            assert ours.get(name, ("unknown", None)) == ("unknown", None), (name, text)
    assert {n for n, (v, _) in ours.items() if v == "violated"} <= {n for n, (v, _) in theirs.items()
                                                                    if v == "violated"}


# ---------------------------------------------------------------------- docs/engines.md


def test_engines_doc_worked_example() -> None:
    """The two specs of docs/engines.md: the CTI printed there, then the proof."""
    import re

    page = (Path(__file__).resolve().parent.parent / "docs" / "engines.md").read_text(encoding="utf-8")
    weak, strong = re.findall(r"^```accord\n(.*?)^```", page, re.DOTALL | re.MULTILINE)
    proto = load(weak)
    assert lengths(check(proto)) == {"mutual_exclusion": ("holds", None)}
    found = prove(proto)
    assert not isinstance(found, Diagnostic) and found.cti is not None
    shown = found.cti.render(Layout.build(proto))
    assert "\n".join("    " + ln for ln in shown.splitlines()) in page
    assert f"    unknown  mutual_exclusion  invariant - {found.result.results[0].message}" in page
    found = prove(load(strong))
    assert not isinstance(found, Diagnostic) and found.k == 1
    assert [r.verdict.value for r in found.result.results] == ["holds", "holds"]


# ---------------------------------------------------------------------- the protocol library (slow)

LIBRARY = sorted(p for p in (Path(__file__).resolve().parent.parent / "protocols").glob("*.accord")
                 if "garbled" not in p.name)


def _library(path: Path):  # type: ignore[no-untyped-def]
    from accord.dsl import load_file

    proto, diags = load_file(path)
    assert proto is not None, [d.render() for d in diags]
    return proto


@pytest.mark.slow
@pytest.mark.parametrize("path", LIBRARY, ids=[p.stem for p in LIBRARY])
def test_library_bmc_agrees_with_explicit_to_depth_8(path: Path) -> None:
    """Every verdict within 8 states is the explicit one, with the same trace length."""
    proto = _library(path)
    theirs = lengths(check(proto, Config(stop_at_first=False, liveness=False)))
    found = bmc(proto, 8, stop_at_first=False)
    assert not isinstance(found, Diagnostic), found.render()
    ours = lengths(found)
    for name, (verdict, n) in theirs.items():
        if name in ("termination",) or verdict == "holds" and n is None:
            assert ours.get(name, ("unknown", None))[0] == "unknown"
        elif n is not None and n <= 8:
            assert ours[name] == (verdict, n), name
        else:
            assert ours.get(name, ("unknown", None)) == ("unknown", None), name


@pytest.mark.slow
@pytest.mark.parametrize("path", LIBRARY, ids=[p.stem for p in LIBRARY])
def test_library_encoding_agrees_step_by_step(path: Path) -> None:
    """The first 40 reachable states of every library protocol: the same successors and violations."""
    proto = _library(path)
    enc = encode(proto)
    assert isinstance(enc, Encoding)
    model = Model(proto)
    states = reachable_states(path.read_text(encoding="utf-8"), 40)
    for s in states:
        errs: list = []
        succ = {n for _, n in model.successors(s, errors=errs)}
        facts = smt_facts(enc, s)
        if facts["escape"]:
            continue
        assert smt_successors(enc, s) == succ
        assert facts["errors"] == {_name(e.violation) for e in errs}
