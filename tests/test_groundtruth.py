"""Ground truth: published TLA+ models re-expressed in accord must give TLC's exact figures.

Every row of /work/shared/groundtruth/README.md is a spec under tests/corpus/groundtruth/ (named by
its ID, with the figures in its header). The figures below are TLC's (one worker, breadth-first),
re-confirmed by an independent brute-force search; a mismatch is a bug in accord or in the model,
never a figure to adjust. Conventions: distinct states include the initial ones; depth counts BFS
levels with the initial states at level 1; traces are counted in states; E!= is the number of
distinct (s, t) transitions with s != t in the reachable graph; terminal states have no successor.

Distinct counts are the full graph (TLC's count with the violation ignored), so every row runs with
``stop_at_first=False``. Only the verdict of a liveness property is ground truth, not its lasso.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from accord import ir
from accord.checker.explicit import Config, check
from accord.checker.result import CheckResult, Verdict
from accord.cli.main import cli
from accord.dsl import load_file, load_text
from accord.semantics.layout import Layout

CORPUS = Path(__file__).parent / "corpus" / "groundtruth"


@dataclass(frozen=True)
class Row:
    id: str
    violated: frozenset[str]  # the properties that must be violated (empty: everything holds)
    distinct: int
    depth: int
    trace: int | None = None  # shortest counterexample / deadlock trace, in states (safety rows)
    terminal: int | None = None
    transitions: int | None = None  # E!=
    initial: int | None = None
    orbits: bool = False  # the counts are orbits under symmetry
    unreduced: int | None = None  # symmetric rows: the count without symmetry
    consts: dict[str, int] = field(default_factory=dict)
    slow: bool = False  # every run of the row is behind --runslow (none is: the largest takes ~3.5 s of CPU)
    heavy: bool = False  # the second opinions (DFS, unreduced count) of the largest rows run with --runslow


def _v(*names: str) -> frozenset[str]:
    return frozenset(names)


# E!= marked (notes) is not in the README table but was computed by the reference brute force
# (/work/scratch/gt/NOTES.md) with the same definition.
ROWS = [
    Row("T1", _v(), 34, 7, terminal=2, transitions=93, initial=1),
    Row("T1-DL", _v("deadlock"), 34, 7, trace=4, terminal=2, transitions=93),
    Row("T2", _v(), 288, 11, terminal=0, transitions=653, initial=1),
    Row("T2-5", _v(), 8_832, 17, terminal=0, transitions=30_865, heavy=True),  # E!= (notes)
    Row("T2-S", _v(), 80, 11, orbits=True, unreduced=288, transitions=138),  # orbit-graph E!= (notes)
    Row("T2-S5", _v(), 314, 17, orbits=True, unreduced=8_832, transitions=671, heavy=True),  # (notes)
    Row("T9", _v(), 67, 29, terminal=0, transitions=121, initial=1),
    Row("T11", _v(), 302, 9, terminal=1, transitions=1_200, initial=192),
    Row("T11-DL", _v("deadlock"), 302, 9, trace=4, terminal=1, transitions=1_200, initial=192),
    Row("T11-LV", _v("false_liveness"), 302, 9, terminal=1, transitions=1_200, initial=192),
    Row("T13", _v(), 137, 10, terminal=8, transitions=219, initial=8),
    Row("T13-DL", _v("deadlock"), 137, 10, trace=4, terminal=8, transitions=219, initial=8),
    Row("T15", _v(), 4_284, 19, terminal=772, transitions=9_932, initial=4),
    Row("T15-DL", _v("deadlock"), 4_284, 19, trace=4, terminal=772, transitions=9_932, initial=4),
    Row("T15-INV", _v("abort_implies_no_vote"), 4_284, 19, trace=3, terminal=772, transitions=9_932),
    Row("T15-LV", _v("all_commit_0", "all_commit_1", "decision_reached_no_fault"), 4_284, 19,
        terminal=772, transitions=9_932),
    Row("T17", _v("ac1"), 13_756, 17, trace=13, terminal=2_672, transitions=32_836, initial=4, heavy=True),
    Row("T19", _v(), 240, 10, terminal=0, transitions=788, initial=8),  # E!= among kept states (notes)
    Row("T25", _v("not_solved"), 16, 8, trace=7, terminal=0, transitions=58, initial=1),
    Row("T26", _v("solution"), 64, 13, trace=12, terminal=0, transitions=252, initial=1),
]


def _params(rows: list[Row], second_opinion: bool = False) -> list[object]:
    def slow(r: Row) -> bool:
        return r.slow or (second_opinion and r.heavy)

    return [pytest.param(r, id=r.id, marks=[pytest.mark.slow] if slow(r) else []) for r in rows]


def load(row: Row) -> ir.Protocol:
    path = CORPUS / f"{row.id}.accord"
    proto, diags = load_file(path, row.consts or None)
    errors = [d.render() for d in diags if d.is_error]
    assert proto is not None and not errors, "\n".join(errors)
    return proto


def violated(result: CheckResult) -> frozenset[str]:
    return frozenset(r.name for r in result.results if r.verdict is Verdict.VIOLATED)


def test_every_row_has_a_spec_with_a_header() -> None:
    files = {p.stem for p in CORPUS.glob("*.accord")}
    assert {r.id for r in ROWS} <= files
    for r in ROWS:
        head = (CORPUS / f"{r.id}.accord").read_text(encoding="utf-8").splitlines()[0]
        assert head.startswith(f"# {r.id} "), head


@pytest.mark.parametrize("row", _params(ROWS))
def test_bfs_reproduces_tlc(row: Row) -> None:
    res = check(load(row), Config(stop_at_first=False, keep_graph=True))
    s = res.stats
    assert res.complete
    assert violated(res) == row.violated
    assert all(r.verdict is Verdict.HOLDS for r in res.results if r.name not in row.violated)
    assert res.verdict is (Verdict.VIOLATED if row.violated else Verdict.HOLDS)
    assert (s.distinct, s.depth) == (row.distinct, row.depth)
    assert s.symmetry is row.orbits
    if row.trace is not None:
        (name,) = row.violated
        first = next(r for r in res.results if r.name == name)
        assert first.trace is not None and first.trace.length == row.trace
    if row.terminal is not None:
        assert s.terminal == row.terminal
    if row.transitions is not None:
        assert s.transitions == row.transitions
    if row.initial is not None:
        assert s.initial == row.initial


@pytest.mark.parametrize("row", _params(ROWS, second_opinion=True))
def test_dfs_agrees_with_bfs(row: Row) -> None:
    res = check(load(row), Config(strategy="dfs", stop_at_first=False))
    assert res.complete
    assert res.stats.distinct == row.distinct
    assert violated(res) == row.violated
    assert res.verdict is (Verdict.VIOLATED if row.violated else Verdict.HOLDS)


@pytest.mark.parametrize("row", _params([r for r in ROWS if r.unreduced is not None], second_opinion=True))
def test_symmetric_rows_unreduced(row: Row) -> None:
    res = check(load(row), Config(symmetry=False))
    assert res.verdict is Verdict.HOLDS
    assert not res.stats.symmetry
    assert res.stats.distinct == row.unreduced


def test_first_violation_stops_with_the_shortest_trace() -> None:
    """TLC's default: stop at the first violation. The count at that moment is not ground truth."""
    for rid, name, length in [("T26", "solution", 12), ("T15-INV", "abort_implies_no_vote", 3),
                              ("T13-DL", "deadlock", 4), ("T1-DL", "deadlock", 4)]:
        res = check(load(next(r for r in ROWS if r.id == rid)), Config())
        assert res.first_violation is not None
        assert (res.first_violation.name, res.first_violation.trace.length) == (name, length), rid


def test_false_liveness_is_a_real_fair_cycle() -> None:
    """T11-LV: the lasso has a genuine cycle (not stuttering), and the cycle shown is itself fair:
    it takes a System (Token) step, and deactivates every node that is active somewhere on it."""
    proto = load(next(r for r in ROWS if r.id == "T11-LV"))
    res = check(proto, Config())
    (lv,) = [r for r in res.results if r.name == "false_liveness"]
    trace = lv.trace
    assert trace is not None and trace.loop_start is not None and not trace.stutter
    cycle = trace.steps[trace.loop_start + 1:]
    assert len(cycle) >= 2
    taken = {(st.transition.label, st.transition.actor.idx) for st in cycle}
    assert any(label.startswith("Token.") for label, _ in taken)
    active = Layout.build(proto).shared_slot["active"]
    for i in range(3):
        if any(st.state[active][i] for st in trace.steps[trace.loop_start:]):
            assert ("Node.deactivate", i) in taken


def test_two_phase_const_override() -> None:
    """`--const RMS=3` turns T2-5.accord back into row T2."""
    res = check(load(Row("T2-5", _v(), 0, 0, consts={"RMS": 3})), Config())
    assert (res.verdict, res.stats.distinct, res.stats.depth) == (Verdict.HOLDS, 288, 11)


def test_deadlock_without_any_final_is_a_state_without_successor() -> None:
    """TLC's deadlock: with no `final` declared, a state with no successor at all, even when every
    step is a top-level (environment) action. A self-loop is a successor, so it is no deadlock."""
    spec = "protocol D\nvar x: 0..2 = 0\naction inc when x < 2 { x := x + 1 }\n"
    proto, _ = load_text(spec + "check deadlock\n")
    assert proto is not None
    res = check(proto, Config())
    dl = res.first_violation
    assert dl is not None and dl.name == "deadlock" and dl.trace is not None and dl.trace.length == 3
    proto, _ = load_text(spec + "action stay when x == 2 { skip }\ncheck deadlock\n")
    assert proto is not None
    assert check(proto, Config()).verdict is Verdict.HOLDS


def _cli(args: list[str]) -> tuple[int, dict]:  # type: ignore[type-arg]
    r = CliRunner().invoke(cli, args)
    return r.exit_code, json.loads(r.stdout)


def test_cli_json_on_diehard() -> None:
    spec = str(CORPUS / "T25.accord")
    code, data = _cli(["check", spec, "--format", "json"])
    assert code == 12  # safety violation
    assert (data["verdict"], data["property"], data["trace_length"]) == ("violated", "not_solved", 7)
    code, data = _cli(["check", spec, "--format", "json", "--continue"])
    assert code == 12
    assert (data["verdict"], data["property"], data["trace_length"]) == ("violated", "not_solved", 7)
    assert (data["states"]["distinct"], data["depth"]) == (16, 8)
