"""Search mechanics: symmetry orbits, BFS and DFS agreement, and limits that never claim `holds`."""

from __future__ import annotations

import pytest
from semkit import figures, result, run, verdicts

FLAGS = """
protocol Flags
role R[3] symmetric { var lit: bool = false  action flip when not lit { lit := true } }
"""


def test_symmetry_orbits_of_flags() -> None:
    # 2^3 = 8 states; permuting the 3 instances leaves only "how many are on": 4 orbits.
    # Depth 4 either way.  generated: unreduced 1 + 12 (each false flag, 3 x 4 states);
    # reduced 1 + (3 + 2 + 1 + 0) = 7.
    plain = run(FLAGS, symmetry=False)
    assert figures(plain) == (8, 4, 1) and plain.stats.generated == 13 and not plain.stats.symmetry
    orbits = run(FLAGS)
    assert figures(orbits) == (4, 4, 1) and orbits.stats.generated == 7 and orbits.stats.symmetry


PICK = """
protocol Pick
role R[2] symmetric {
  var peer: option R = none
  action pick(t in R) when peer == none { peer := t }
}
"""


def test_symmetry_orbits_with_instance_values() -> None:
    # Each R holds none, R[0] or R[1]: 9 states.  Swapping the instances maps (p0, p1) to
    # (swap(p1), swap(p0)); its fixed points are (none, none), (R[0], R[1]) and (R[1], R[0]),
    # so by Burnside there are (9 + 3) / 2 = 6 orbits.  Depth 3.
    assert figures(run(PICK, symmetry=False)) == (9, 3, 1)
    assert figures(run(PICK)) == (6, 3, 1)


def test_symmetry_is_refused_when_the_spec_names_an_instance() -> None:
    # R[0] in a guard tells instances apart: symmetry is switched off with a note.
    res = run(PICK.replace("when peer == none", "when peer == none and self != R[0]"))
    assert not res.stats.symmetry
    assert any("symmetry reduction is off" in n for n in res.notes)
    # only R[1] picks: 3 states
    assert figures(res) == (3, 2, 1)


COUNT = """
protocol Count
var x: 0..9 = 0
action inc when x < 9 { x := x + 1 }
action dbl when x < 5 { x := x * 2 }
invariant ok: x < 9
reachable seven: x == 7
"""


def test_bfs_counts_and_shortest_trace() -> None:
    # All of 0..9 is reachable: 10 states.  BFS levels (shortest paths, dbl from 0 is a self-loop):
    # 0:1 1:2 2:3 3:4 4:4 5:5 6:5 7:6 8:5 9:6 -> depth 6.  generated = 1 + 9 incs + 5 dbls = 15.
    # Shortest run to x = 9: 0, 1, 2, 4, 8, 9 (6 states).
    res = run(COUNT)
    assert figures(res) == (10, 6, 1)
    assert res.stats.generated == 15
    assert result(res, "ok").trace.length == 6


def test_dfs_agrees_with_bfs() -> None:
    # Same states, same verdicts; depth and trace lengths follow the DFS tree, so they may be longer.
    bfs, dfs = run(COUNT), run(COUNT, strategy="dfs")
    assert dfs.stats.distinct == bfs.stats.distinct == 10
    assert dfs.stats.generated == bfs.stats.generated == 15
    assert verdicts(dfs) == verdicts(bfs) == {"ok": "violated", "seven": "holds"}
    assert result(dfs, "ok").trace.length >= result(bfs, "ok").trace.length


@pytest.mark.parametrize("symmetry", [True, False])
def test_dfs_agrees_with_bfs_under_symmetry(symmetry: bool) -> None:
    a, b = run(PICK, symmetry=symmetry), run(PICK, symmetry=symmetry, strategy="dfs")
    assert a.stats.distinct == b.stats.distinct == (6 if symmetry else 9)


@pytest.mark.parametrize("limit", [{"max_states": 3}, {"max_depth": 3}, {"max_seconds": 0}])
def test_limits_give_unknown_and_exit_3(limit: dict[str, float]) -> None:
    # Cut short before x = 9 or x = 7 is met: nothing is decided, never `holds`.
    text = COUNT + "check deadlock\nproperty p: x == 1 leads_to x == 9\n"
    res = run(text, **limit)
    assert not res.complete and res.limit is not None
    assert set(verdicts(res).values()) == {"unknown"}
    assert res.verdict.value == "unknown" and res.exit_code() == 3


def test_limits_still_report_violations() -> None:
    # A violation found before the limit is certain: x = 9 is at level 6, within 7 levels.
    res = run(COUNT, max_depth=7)
    assert result(res, "ok").verdict.value == "violated"
    assert res.exit_code() == 12


def test_state_limit_figures() -> None:
    # max_states 3: BFS stores x = 0, 1, 2 (x = 2 comes once from inc and once from dbl of 1)
    # and stops before expanding more.
    res = run(COUNT, max_states=3)
    assert res.stats.distinct == 3 and res.limit == "states"


def test_step_violation_trace_under_symmetry_names_the_right_instance() -> None:
    # Orbits: (0,0), {(1,0), (0,1)}, (1,1): 3, depth 3.  The stored representative of {(1,0), (0,1)}
    # is (0,1), where R[1] fails its assert; the replayed trace is R[0].inc to (1,0), so the failing
    # step shown must be R[0]'s, the instance that actually has x = 1 there.
    text = """
    protocol SymAssert
    role R[2] symmetric { var x: 0..2 = 0  action inc when x < 2 { assert x < 1  x := x + 1 } }
    """
    res = run(text)
    assert figures(res) == (3, 3, 1)
    steps = res.results[0].trace.steps
    assert steps[1].transition.actor == steps[2].transition.actor == ("R", 0)
    assert steps[1].state == ((1,), (0,)) and steps[2].state is None
