"""`accord analyze`: path metrics pinned on models small enough to compute by hand."""

from __future__ import annotations

import json

import pytest

from click.testing import CliRunner

from accord.analysis import analyze
from accord.analysis.sweep import parse_range
from accord.cli.main import cli
from accord.dsl import load_file, load_text

PIPELINE = """protocol Pipeline
const N = 3
var stage: 0..N = 0
role Worker {
  action work when stage < N cost(tokens = 100) { stage := stage + 1 }
  final when stage == N
}
"""

# A leader hands TASKS tasks to workers; each LLM call answers ok or failed, and a failed
# task is retried at most RETRIES times.
LEADER = """protocol LF
const WORKERS = 2
const TASKS = 2
const RETRIES = 1
type Task = 0..TASKS-1
enum Outcome { ok, failed }
message Assign(task: Task)
message Result(task: Task, outcome: Outcome)
channel Leader -> Worker fifo
channel Worker -> Leader bag
role Leader {
  var todo: set of Task = all Task
  var done: set of Task = {}
  var tries: map Task -> 0..RETRIES = [t -> 0]
  action assign(t in todo, w in Worker) { send Assign(t) to w
    todo := todo - {t} }
  on Result(t, ok) { done := done + {t} }
  on Result(t, failed) when tries[t] < RETRIES { tries[t] := tries[t] + 1
    todo := todo + {t} }
  final when done == all Task
}
role Worker[WORKERS] {
  on Assign(t) from l { choose o in Outcome { send Result(t, o) to l } }
  final always
}
"""

LOOP = """protocol Loop
var drafts: 0..2 = 0
var approved: bool = false
role Writer {
  action revise when not approved { drafts := (drafts + 1) % 2 }
  action approve when not approved { approved := true }
  final when approved
}
"""


def load(text: str, **consts: int):
    proto, diags = load_text(text, overrides=consts)
    assert proto is not None, [d.render() for d in diags]
    return proto


def test_pipeline_three_steps_three_hundred_tokens():
    a = analyze(load(PIPELINE))
    assert (a.steps.low, a.steps.high, a.bounded, a.budget) == (3, 3, True, 3)
    assert (a.costs["tokens"].low, a.costs["tokens"].high) == (300, 300)
    assert a.best_path == [(("Worker",), "Worker.work")] * 3


def test_leader_follower_best_and_worst_by_hand():
    # best: 2 assigns, 2 workers answer ok, leader takes 2 results = 6 steps, 2 Assign + 2 Result = 4 messages
    # worst: each task fails once and is retried: 6 steps and 4 messages per task = 12 and 8
    a = analyze(load(LEADER))
    assert (a.steps.low, a.steps.high) == (6, 12)
    assert (a.messages.low, a.messages.high) == (4, 8)
    # a task that fails twice has no retry left: those runs never terminate
    assert a.stuck_states > 0 and not a.always_terminates


def test_unbounded_loop_is_reported_with_its_cycle():
    a = analyze(load(LOOP))
    assert a.bounded is False and a.budget is None
    assert a.steps.low == 1
    assert a.cycle and all("revise" in c for c in a.cycle)


def test_sweep_cli_table_and_json(tmp_path):
    f = tmp_path / "lf.accord"
    f.write_text(LEADER)
    r = CliRunner().invoke(cli, ["analyze", str(f), "--sweep", "TASKS=1..2", "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert [row["steps"] for row in data["rows"]] == [{"fewest": 3, "most": 6}, {"fewest": 6, "most": 12}]
    assert abs(data["exponents"]["messages"] - 1.0) < 1e-9  # messages double when tasks double: 4 -> 8
    r = CliRunner().invoke(cli, ["analyze", str(f), "--sweep", "TASKS=1..2", "--plot", str(tmp_path / "p")])
    assert r.exit_code == 0
    assert (tmp_path / "p.svg").read_text().startswith("<svg")


def test_parse_range():
    assert parse_range("WORKERS=1..4") == ("WORKERS", [1, 2, 3, 4])
    assert parse_range("N=1,2,8") == ("N", [1, 2, 8])


GRAPH = """protocol G
const TASKS = 12
type Task = 0..TASKS-1
# one 4-task chain (0 -> 1 -> 2 -> 3) and 8 independent tasks
const DEPS: set of seq of Task max 2 = {<<0, 1>>, <<1, 2>>, <<2, 3>>}
var x: bool = false
"""


def test_task_graph_bounds_by_hand():
    from accord.analysis.taskgraph import task_graph

    g = task_graph(load(GRAPH), "DEPS")
    assert g.critical_path == [0, 1, 2, 3]
    assert g.parallel_fraction == 8 / 12
    # Amdahl: 1 / ((1 - p) + p / n) with p = 2/3
    assert [round(g.amdahl(n), 6) for n in (1, 2, 3, 4)] == [1.0, 1.5, 1.8, 2.0]
    # ideal: 12 / max(4, ceil(12 / n))
    assert [g.ideal(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 3.0, 3.0]


def test_task_graph_cycle_is_named(tmp_path):
    f = tmp_path / "g.accord"
    f.write_text(GRAPH.replace("{<<0, 1>>, <<1, 2>>, <<2, 3>>}", "{<<0, 1>>, <<1, 2>>, <<2, 0>>}"))
    r = CliRunner().invoke(cli, ["analyze", str(f), "--taskgraph", "DEPS"])
    assert r.exit_code == 2
    assert "has a cycle: 0 -> 1 -> 2 -> 0" in r.stderr


def test_preassigned_task_graph_makespan_by_hand():
    """The issue's example: makespans 12, 8, 6, 6 rounds for 1..4 agents, beside the bounds."""
    from pathlib import Path

    from accord.analysis.sweep import sweep
    from accord.analysis.taskgraph import task_graph

    path = str(Path(__file__).parent / "corpus" / "analysis" / "preassigned_12.accord")
    sw, diags = sweep(path, "AGENTS", [1, 2, 3, 4], {}, 200_000)
    assert sw is not None, diags
    assert [(a.steps.low, a.steps.high) for a in sw.rows] == [(12, 12), (8, 8), (6, 6), (6, 6)]
    assert all(a.unit == "rounds" for a in sw.rows)
    assert [sw.speedup(i) for i in range(4)] == [1.0, 1.5, 2.0, 2.0]
    # with 2 agents, both are busy for the first 4 rounds, then only agent 0 (the chain's owner)
    assert sw.rows[1].busy_per_step == [2, 2, 2, 2, 1, 1, 1, 1]
    assert sw.rows[1].idle == {"Agent[0]": 0, "Agent[1]": 4}
    proto, _ = load_file(path)
    assert proto is not None
    g = task_graph(proto, "DEPS")
    assert [g.ideal(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 3.0, 3.0]


def _sweep(name: str, values: list[int]):
    from pathlib import Path

    from accord.analysis.sweep import sweep

    path = str(Path(__file__).parent / "corpus" / "analysis" / name)
    sw, diags = sweep(path, "AGENTS", values, {}, 200_000)
    assert sw is not None, diags
    return sw


def test_docs_preassigned_sweep():
    sw = _sweep("preassigned_6.accord", [1, 2, 3])
    assert [(a.states, a.steps.low, a.steps.high) for a in sw.rows] == [(48, 6, 6), (15, 4, 4), (8, 3, 3)]
    assert [sum(a.idle.values()) for a in sw.rows] == [0, 2, 3]


def test_docs_selfclaim_sweep():
    sw = _sweep("selfclaim_6.accord", [1, 2])
    assert [(a.states, a.steps.low, a.steps.high) for a in sw.rows] == [(176, 12, 12), (3969, 6, 12)]


@pytest.mark.slow
def test_docs_selfclaim_sweep_three_agents():
    sw = _sweep("selfclaim_6.accord", [3])
    assert (sw.rows[0].states, sw.rows[0].steps.low, sw.rows[0].steps.high) == (47200, 4, 12)
