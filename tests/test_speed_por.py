"""Partial-order reduction (``--por``): reduced counts, same verdicts, replayed traces.

The models below have state spaces small enough to count by hand. N independent
counters 0..MAX have (MAX+1)^N states; explored one counter at a time (every
step of a counter is independent of the others' and invisible), the reduced
graph is a single path of N*MAX + 1 states.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from semkit import load, run

from accord import ir
from accord.checker.explicit import Config, check
from accord.checker.por import Reducer, por_problems
from accord.cli.main import cli
from accord.dsl import load_file
from accord.semantics.model import Model

ROOT = Path(__file__).parent.parent
COUNTERS = """
protocol Counters
const N = 3
const MAX = 3
role C[N] {
  var x: 0..MAX = 0
  action inc when x < MAX { x := x + 1 }
  final when x == MAX
}
check deadlock
"""

# C[0] stops at 1 while final wants 3: a deadlock once every counter is stuck.
# Full: C[0] in {0,1} x C[1], C[2] in 0..3 = 32 states; the deadlock (1,3,3) is 7 steps away.
STUCK = """
protocol Stuck
const N = 3
role C[N] {
  var x: 0..3 = 0
  action inc when x < 3 and (self != C[0] or x < 1) { x := x + 1 }
  final when x == 3
}
check deadlock
"""

# The invariant reads C[0] only: C[1] and C[2] are invisible and reduced away.
WATCHED = """
protocol Watched
const N = 3
role C[N] {
  var x: 0..3 = 0
  action inc when x < 3 { x := x + 1 }
  final always
}
invariant first_small: C[0].x < 3
"""

# A ticks forever, independently of B; B's single (visible) step breaks the invariant.
# A reduction that always prefers A's invisible step would go round A's cycle and never
# take B's: the cycle proviso forces a full expansion where the cycle closes.
SPIN = """
protocol Spin
role A { var x: 0..2 = 0  action tick { x := (x + 1) % 3 } }
role B { var y: bool = false  action flip when not y { y := true } }
invariant b_unflipped: not B.y
"""

ASSERTS = """
protocol Asserts
const N = 3
role C[N] {
  var x: 0..3 = 0
  action inc when x < 3 { x := x + 1  assert self != C[2] or x < 3 }
  final always
}
"""


def _last(res, name):
    r = next(r for r in res.results if r.name == name)
    assert r.trace is not None
    return r, r.trace.steps[-1].state


@pytest.mark.parametrize("n,mx", [(3, 3), (4, 4), (2, 5)])
def test_independent_counters_full_is_the_product_reduced_is_a_path(n, mx):
    full = run(COUNTERS, {"N": n, "MAX": mx})
    red = run(COUNTERS, {"N": n, "MAX": mx}, por=True)
    assert (full.stats.distinct, full.stats.reduced) == ((mx + 1) ** n, None)
    assert (red.stats.distinct, red.stats.depth, red.stats.reduced) == (n * mx + 1, n * mx + 1, "por")
    assert full.verdict.value == red.verdict.value == "holds"
    assert any("counts are of the reduced state graph" in note for note in red.notes)


def test_deadlock_is_found_under_por_and_its_trace_replays():
    full = run(STUCK)
    red = run(STUCK, por=True)
    assert (full.stats.distinct, red.stats.distinct) == (32, 8)
    r_full, _ = _last(full, "deadlock")
    r_red, last = _last(red, "deadlock")
    assert r_full.verdict.value == r_red.verdict.value == "violated"
    assert (r_full.trace.length, r_red.trace.length) == (8, 8)
    model = Model(load(STUCK))
    assert model.protocol_successors(last) == [] and not model.is_final(last)
    assert [v for v in last[:3]] == [(1,), (3,), (3,)]


def test_an_invariant_reading_one_agent_leaves_the_others_reduced():
    full = run(WATCHED)
    red = run(WATCHED, por=True)
    assert (full.stats.distinct, red.stats.distinct) == (64, 10)
    r, last = _last(red, "first_small")
    assert r.verdict.value == "violated" and r.trace.length == 10
    proto = load(WATCHED)
    inv = Model(proto).compile_property_expr(proto.properties[0].expr)
    assert not inv(last)  # the replayed trace really ends in a violating state
    assert all(inv(s.state) for s in r.trace.steps[:-1])


def test_the_cycle_proviso_keeps_a_step_from_being_ignored(monkeypatch):
    red = run(SPIN, por=True)
    r, _ = _last(red, "b_unflipped")
    assert (r.verdict.value, r.trace.length, red.stats.distinct) == ("violated", 4, 6)
    # without the proviso the reduction goes round A's cycle forever: the violation is missed
    monkeypatch.setattr(Reducer, "_proviso", staticmethod(lambda search, succ, depth: True))
    blind = run(SPIN, por=True)
    assert (blind.verdict.value, blind.stats.distinct) == ("holds", 3)


def test_assert_violations_survive_the_reduction():
    full = run(ASSERTS)
    red = run(ASSERTS, por=True)
    assert (full.stats.distinct, red.stats.distinct) == (48, 9)
    for res, length in ((full, 3), (red, 9)):
        r = res.results[0]
        assert (r.name, r.verdict.value, r.trace.length) == ("assert at line 6", "violated", length)
        assert r.trace.steps[-1].state is None and r.trace.steps[-1].transition.actor.idx == 2


def test_liveness_runs_unreduced_with_a_note():
    spec = COUNTERS.replace("check deadlock", "check termination")
    res = run(spec, por=True)
    assert res.stats.reduced is None and res.stats.distinct == 64
    assert any(n.startswith("partial-order reduction is off: the spec has liveness properties") for n in res.notes)
    assert res.verdict.value == "holds"


def test_what_the_reduction_refuses():
    timeout = load("""
protocol T
role A { var x: bool = false  action a when not x { x := true }  on timeout { x := false } }
""")
    assert por_problems(timeout) == ["`on timeout` steps depend on every other step being disabled"]
    res = check(timeout, Config(por=True))
    assert res.stats.reduced is None
    assert res.notes == [("partial-order reduction is off: `on timeout` steps depend on every other step being "
                         "disabled")]
    assert por_problems(load(COUNTERS)) == []


def test_cli_reports_reduced_counts(tmp_path):
    spec = tmp_path / "c.accord"
    spec.write_text(COUNTERS, encoding="utf-8")
    r = CliRunner().invoke(cli, ["check", str(spec), "--por", "--format", "json"])
    doc = json.loads(r.stdout)
    assert (r.exit_code, doc["reduced"], doc["states"]["distinct"], doc["verdict"]) == (0, "por", 10, "holds")
    r = CliRunner().invoke(cli, ["check", str(spec), "--por"])
    assert "10 distinct states (reduced by partial-order reduction, not the full count)" in r.stdout


_CORPUS = sorted((ROOT / "tests" / "corpus" / "groundtruth").glob("*.accord")) + sorted(
    (ROOT / "protocols").glob("*.accord"))
_HEAVY = {"T17", "T2-S5", "T2-5", "T15", "T15-DL", "T15-LV", "T15-INV"}  # ~1-3 s of CPU each, twice


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem, marks=[pytest.mark.slow] if p.stem in _HEAVY else [])
                                  for p in _CORPUS])
def test_por_keeps_every_verdict_of_the_corpus(path):
    proto, _diags = load_file(path)
    assert proto is not None
    if por_problems(proto):  # refused: the run is the unreduced one, with a note saying why
        res = check(proto, Config(liveness=False, por=True, max_states=1))
        assert res.stats.reduced is None and res.notes[-1].startswith("partial-order reduction is off: ")
        return
    full = check(proto, Config(stop_at_first=False, liveness=False))
    red = check(proto, Config(stop_at_first=False, liveness=False, por=True))
    assert {r.name: r.verdict.value for r in red.results} == {r.name: r.verdict.value for r in full.results}
    assert red.stats.distinct <= full.stats.distinct
    if red.stats.reduced == "por":
        assert red.stats.terminal <= full.stats.terminal or not any(
            p.kind is ir.PropKind.DEADLOCK for p in proto.properties)
