"""The monitor: conforming logs pass; each kind of divergence is reported at its line."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from accord.cli.main import cli
from accord.ir.types import Inst
from accord.runtime import GenericAgent, Outbox, Send, Spec, StepContext, Team
from accord.runtime.events import JsonlWriter
from accord.runtime.monitor import Monitor, validate_log

ROOT = Path(__file__).resolve().parent.parent
LF = ROOT / "protocols" / "leader_follower.accord"

_attempts: dict[str, int] = {}


def flaky(point: str, options: list[Any], schema: dict[str, Any]) -> Any:
    """Task 1 fails on its first attempt; everything else succeeds."""
    task = schema["x-accord-context"]["bindings"]["t"]
    _attempts[task] = _attempts.get(task, 0) + 1
    return "failed" if task == "1" and _attempts[task] == 1 else "ok"


@pytest.fixture(scope="module")
def spec() -> Spec:
    return Spec.from_file(LF)


@pytest.fixture(scope="module")
def lines(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """A conforming run of leader_follower: 26 events (start, 9 steps, end)."""
    _attempts.clear()
    path = tmp_path_factory.mktemp("log") / "events.jsonl"
    agents = {i: GenericAgent(spec, i.idx, flaky, role=i.role) for i in spec.instances()}
    with path.open("w") as f:
        r = asyncio.run(Team(spec, agents, seed=1, sinks=[JsonlWriter(f), Monitor(spec)]).run())
    assert (r.status, r.steps, r.violation) == ("final", 9, None)
    return [json.loads(x) for x in path.read_text().splitlines()]


def write(tmp_path: Path, events: list[Any], name: str = "events.jsonl") -> Path:
    p = tmp_path / name
    p.write_text("".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in events))
    return p


def check(spec: Spec, tmp_path: Path, events: list[Any], budget: Any = "auto") -> tuple[str, int | None, str]:
    rep = validate_log(spec, write(tmp_path, events), budget)
    assert rep.divergence is not None, "expected a divergence"
    return rep.divergence.kind, rep.divergence.line, rep.divergence.message


def test_the_log_is_what_we_think(lines):
    assert [e["event"] for e in lines[:7]] == ["start", "send", "step", "receive", "decide", "send", "step"]
    assert lines[4] == {"event": "decide", "agent": "Worker[1]", "step": "Worker.on_Assign", "seq": 5,
                        "point": "Worker.on_Assign.o", "options": ["failed", "ok"], "value": "ok"}
    assert lines[-1] == {"event": "end", "status": "final", "seq": 26}


def test_conforming_log(spec, lines, tmp_path):
    rep = validate_log(spec, write(tmp_path, lines))
    assert (rep.ok, rep.events, rep.steps) == (True, 26, 9)


def test_allowed_fault_conforms(spec, lines, tmp_path):
    crash = {"event": "fault", "fault": "crash", "agent": "Worker[0]"}
    rep = validate_log(spec, write(tmp_path, lines[:-1] + [crash] + lines[-1:]))
    assert rep.ok, rep.divergence


def mutate(lines: list[dict[str, Any]], i: int, **changes: Any) -> list[dict[str, Any]]:
    out = [dict(e) for e in lines]
    out[i].update(changes)
    return out


def test_decide_outside_the_options(spec, lines, tmp_path):
    assert check(spec, tmp_path, mutate(lines, 4, value="maybe")) == (
        "decide", 5, "Worker[1] answered 'maybe' at 'Worker.on_Assign.o'; the protocol allows only ['failed', 'ok']")


def test_decide_offered_other_options(spec, lines, tmp_path):
    kind, line, msg = check(spec, tmp_path, mutate(lines, 4, options=["ok"]))
    assert (kind, line) == ("decide", 5)
    assert msg == "Worker[1] offered the options ['ok'] at 'Worker.on_Assign.o'; the protocol allows ['failed', 'ok']"


def test_wrong_send(spec, lines, tmp_path):
    bad = mutate(lines, 5, message={"message": "Result", "fields": {"task": 1, "outcome": "ok"}})
    assert check(spec, tmp_path, bad) == (
        "send", 6, "Worker[1] sent Result(1, ok) on Worker[1]->Leader in Worker.on_Assign; "
        "the protocol sends Result(0, ok) on Worker[1]->Leader")


def test_missing_send(spec, lines, tmp_path):
    assert check(spec, tmp_path, lines[:5] + lines[6:]) == (
        "send", 6, "Worker[1] sent nothing more in Worker.on_Assign; the protocol sends Result(0, ok) on "
        "Worker[1]->Leader")


def test_wrong_state_after_a_step(spec, lines, tmp_path):
    state = dict(lines[2]["state"], todo=[0])
    kind, line, msg = check(spec, tmp_path, mutate(lines, 2, state=state))
    assert (kind, line) == ("state", 3)
    assert msg == "after Leader.assign, Leader: todo is [0], the protocol says [1]"


def test_receive_of_a_message_not_in_transit(spec, lines, tmp_path):
    bad = mutate(lines, 3, message={"message": "Assign", "fields": {"task": 1}})
    assert check(spec, tmp_path, bad) == (
        "not-enabled", 4, "Worker[1] received Assign(1) on Leader->Worker[1], which Worker[1]'s Worker.on_Assign "
        "cannot take here (in transit there: <<Assign(0)>>)")


def test_step_with_bindings_not_enabled(spec, lines, tmp_path):
    kind, line, msg = check(spec, tmp_path, mutate(lines, 2, bindings={"t": "0", "w": "Worker[5]"}))
    assert (kind, line) == ("not-enabled", 3)
    assert msg.startswith("Leader took Leader.assign with t=0, w=Worker[5], which is not enabled here; enabled: ")


def test_fault_the_spec_does_not_allow(spec, lines, tmp_path):
    lose = {"event": "fault", "fault": "lose", "channel": "Leader->Worker[1]",
            "message": {"message": "Assign", "fields": {"task": 0}}}
    kind, line, msg = check(spec, tmp_path, lines[:3] + [lose] + lines[3:])
    assert (kind, line) == ("fault", 4)
    assert "the protocol does not allow this fault here" in msg


def test_budget_exceeded(spec, lines, tmp_path):
    assert check(spec, tmp_path, lines, budget=5) == (
        "budget", 17, "protocol budget exceeded: 6 steps, the protocol needs at most 5")


def test_unreadable_lines_and_interleaving(spec, lines, tmp_path):
    assert check(spec, tmp_path, lines[:3] + ["{not json"] + lines[3:])[:2] == ("log", 4)
    assert check(spec, tmp_path, lines[:4] + [lines[1]] + lines[4:]) == (
        "log", 5, "events of Leader interleave with an unfinished step of Worker[1]")
    kind, line, msg = check(spec, tmp_path, lines[:5])
    assert (kind, msg) == ("log", "the log ends inside a step of Worker[1]")


def test_claimed_final_too_early(spec, lines, tmp_path):
    assert check(spec, tmp_path, lines[:3] + [{"event": "end", "status": "final"}]) == (
        "final", 4, "the team says it is done, but not every role is final")


INV = """protocol Inv
role A { var x: 0..3 = 0
  action inc when x < 3 { x := x + 1 }
  final when x == 3 }
invariant small: A.x < 2
"""

AGREE = """protocol Agree
enum D { undecided, yes, no }
role N[2] { var d: D = undecided
  action pick(v in {yes, no}) when d == undecided { d := v }
  final when d != undecided }
agreement same: N.d ignoring undecided
"""


def test_invariant_and_agreement(tmp_path):
    inv = Spec.from_text(INV)
    steps = [{"event": "step", "agent": "A", "step": "A.inc", "bindings": {}, "state": {"x": x}} for x in (1, 2)]
    assert check(inv, tmp_path, steps) == ("invariant", 2, "invariant small is violated")
    agree = Spec.from_text(AGREE)
    picks = [{"event": "step", "agent": f"N[{i}]", "step": "N.pick", "bindings": {"v": v}, "state": {"d": v}}
             for i, v in ((0, "yes"), (1, "no"))]
    assert check(agree, tmp_path, picks) == ("agreement", 2, "agreement same is violated")


def test_monitor_cli(spec, lines, tmp_path):
    good = write(tmp_path, lines)
    r = CliRunner().invoke(cli, ["monitor", str(LF), str(good)])
    assert r.exit_code == 0
    assert r.stdout == f"{good}: 26 events, 9 protocol steps: conforms to LeaderFollower\n"
    bad = write(tmp_path, mutate(lines, 4, value="maybe"), "bad.jsonl")
    r = CliRunner().invoke(cli, ["monitor", str(LF), str(bad)])
    assert r.exit_code == 12
    assert r.stdout.startswith(f"{bad}:5: divergence [decide]: Worker[1] answered 'maybe'")
    r = CliRunner().invoke(cli, ["monitor", str(LF), str(good), "--budget", "5"])
    assert (r.exit_code, r.stdout.split(": ", 1)[0]) == (12, f"{good}:17")


class Sloppy(GenericAgent):
    """Reports the other task than the one it was given."""

    async def run(self, ctx: StepContext) -> Outbox[dict[str, Any]]:
        out = await super().run(ctx)
        cmds = []
        for c in out.commands:
            if isinstance(c, Send) and c.message.message_name == "Result":
                f = dict(c.message.spec_fields(), task=1 - c.message.spec_fields()["task"])
                c = dataclasses.replace(c, message=dataclasses.replace(c.message, fields=f))
            cmds.append(c)
        return dataclasses.replace(out, commands=tuple(cmds))


def test_online_enforce_and_warn(spec):
    def team(mode: str) -> tuple[Any, Monitor]:
        _attempts.clear()
        agents = {i: GenericAgent(spec, i.idx, flaky, role=i.role) for i in spec.instances()}
        agents[Inst("Worker", 1)] = Sloppy(spec, 1, flaky, role="Worker")
        mon = Monitor(spec, mode)
        return asyncio.run(Team(spec, agents, seed=1, sinks=[mon], max_steps=50).run()), mon

    r, _ = team("enforce")
    assert (r.status, r.steps, r.violation.kind) == ("violation", 2, "send")
    r, mon = team("warn")  # logs, adopts what the agent said, and goes on
    assert r.violation is None and r.status != "violation"
    assert [d.kind for d in mon.divergences][:1] == ["send"]
