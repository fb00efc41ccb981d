"""Specs and checked results shared by the report tests (SARIF, JUnit, ITF, Markdown, JSON schema).

Each spec is checked once per test session with ``--continue``; the figures the tests
pin are stated next to each spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from accord.checker.explicit import Config, check
from accord.checker.result import CheckResult, PropertyResult
from accord.dsl import load_text
from accord.semantics.layout import Layout

ROOT = Path(__file__).resolve().parent.parent

# x = 0, 1, 2, 3: `small` fails in the 4th state; `top` holds with a 4-state witness. 4 states.
COUNTER = """protocol Counter
const MAX = 3
var x: 0..MAX = 0
action inc when x < MAX { x := x + 1 }
invariant small: x <= 2
reachable top: x == MAX
"""

# the assert of line 5 fails on the step from x = 1: a trace of 2 states, then the failing step
BOOM = """protocol Boom
var x: 0..3 = 0
action inc when x < 3 {
  x := x + 1
  assert x < 2
}
"""

# flip, flip, ... forever under weak fairness: a lasso of 3 states whose cycle starts at the first
PINGPONG = """protocol PingPong
var x: 0..1 = 0
var done: bool = false
role A {
  action flip when not done { x := 1 - x }
  action stop when x == 1 and not done { done := true }
  final when done
}
check termination under weak fairness
"""

# every kind of value: seq, set, map, option, record, enum, role instances, fifo and bag channels,
# an inbox channel, a fault budget and crash flags. 71 states; `not_both` fails in 5 states.
KINDS = """protocol Kinds
const N = 2
enum Phase { idle, busy }
type Rec = record { phase: Phase, count: 0..2 }
message Ping(n: 0..1)
message Note
channel Hub -> Node fifo capacity 2
channel Node -> Hub bag inbox
var log: seq of 0..1 max 2 = <<>>
var seen: set of 0..1 = {}
var table: map 0..1 -> bool = [k -> false]
var last: option Node = none
var rec: Rec = {phase: idle, count: 0}
role Hub {
  var sent: 0..2 = 0
  action ping(w in Node) when sent < 2 {
    send Ping(sent % 2) to w
    sent := sent + 1
  }
  on Note from w {
    last := w
    rec := {phase: busy, count: rec.count + 1}
  }
  final always
}
role Node[N] symmetric {
  var got: 0..1 = 0
  on Ping(n) from h {
    got := n
    log := append(log, n)
    seen := seen + {n}
    table[n] := true
    send Note to h
  }
  final always
}
faults { crash Node at most 1 }
invariant bounded: size(seen) <= 2
invariant not_both: not (table[0] and table[1])
reachable all_seen: size(seen) == 2
reachable noted: last != none and rec.phase == busy and (exists n in Node: n.got == 1)
"""

# the first leader/worker example: a crashed worker strands its tasks. 440 states (orbits), depth 14;
# `deadlock` fails in 4 states; `termination` fails with a lasso of 4 states that stays in its last one.
HANDOFF = """# A leader hands tasks to workers; a worker's LLM call may fail and is retried once.
protocol Handoff

const WORKERS = 3
const TASKS = 2
const RETRIES = 1

type Task = 0..TASKS-1
enum Outcome { ok, failed }

message Assign(task: Task)
message Result(task: Task, outcome: Outcome)

channel Leader -> Worker fifo capacity 2
channel Worker -> Leader bag

role Leader {
  var todo: set of Task = all Task
  var done: set of Task = {}
  var tries: map Task -> 0..RETRIES = [t -> 0]

  action assign(t in todo, w in Worker) {
    send Assign(t) to w
    todo := todo - {t}
  }
  on Result(t, ok) { done := done + {t} }
  on Result(t, failed) when tries[t] < RETRIES {
    tries[t] := tries[t] + 1
    todo := todo + {t}
  }
  final when done == all Task
}

role Worker[WORKERS] symmetric {
  on Assign(t) from l {
    choose o in Outcome {             # what the LLM answers is not ours to decide
      send Result(t, o) to l
    }
  }
  final always
}

faults { crash Worker at most 1 }

invariant only_real_tasks: Leader.done <= all Task
reachable some_work_done: Leader.done != {}
check deadlock
check termination under weak fairness
"""

SPECS = {"handoff": HANDOFF, "counter": COUNTER, "boom": BOOM, "pingpong": PINGPONG, "kinds": KINDS}


@dataclass(frozen=True)
class Checked:
    result: CheckResult
    lay: Layout
    spec: str  # the path the reports name

    def prop(self, name: str) -> PropertyResult:
        return next(r for r in self.result.results if r.name == name)


@cache
def checked(name: str, stop_at_first: bool = False) -> Checked:
    """``name`` is a key of SPECS, checked as ``specs/<name>.accord``."""
    spec = f"specs/{name}.accord"
    proto, diags = load_text(SPECS[name], spec)
    assert proto is not None and not [d for d in diags if d.is_error]
    cfg = Config(stop_at_first=stop_at_first, parameters={c.name: c.value for c in proto.consts if not c.declared})
    return Checked(check(proto, cfg), Layout.build(proto), spec)
