"""accord.runtime: agents executing the spec, decide, outboxes, the seeded team, transports, Ray."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from accord import ir
from accord.ir.types import Inst
from accord.runtime import Broadcast, Decide, GenericMessage, ProtocolViolation, Send, SetTimer, Spec, Team
from accord.runtime.agent import GenericAgent, StepContext
from accord.runtime.compat import transport_warnings
from accord.runtime.monitor import Monitor
from accord.runtime.replay import random_run
from accord.runtime.step import StepRun, candidates, view_of
from accord.runtime.values import FrozenMap, from_json, from_py, json_schema, to_json, to_py

ROOT = Path(__file__).resolve().parent.parent
PROTOCOLS = ROOT / "protocols"


def spec_of(name: str) -> Spec:
    return Spec.from_file(PROTOCOLS / f"{name}.accord")


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# ---------------------------------------------------------------- values


def test_json_and_python_forms_round_trip():
    t = ir.MapType(ir.IntType(0, 1), ir.OptionType(ir.RoleType("Worker", 2)))
    v = (Inst("Worker", 1), None)
    assert to_json(t, v) == {"0": "Worker[1]", "1": None}
    assert from_json(t, {"0": "Worker[1]", "1": None}) == v
    py = to_py(t, v)
    assert py == {0: Inst("Worker", 1), 1: None} and isinstance(py, FrozenMap)
    assert from_py(t, {0: Inst("Worker", 1), 1: None}) == v
    rec = ir.RecordType((("b", ir.IntType(0, 3)), ("v", ir.BoolType())))
    s = to_py(ir.SetType(rec), frozenset({(1, True), (2, False)}))
    assert {r["b"] for r in s} == {1, 2}  # records are hashable mappings, so sets of them work
    with pytest.raises(ValueError, match="is not a value of 0..1"):
        from_json(ir.IntType(0, 1), 2)
    with pytest.raises(ValueError, match="not an instance of Worker"):
        from_json(ir.RoleType("Worker", 2), "Leader")
    assert json_schema(ir.EnumType("Outcome", ("ok", "failed"))) == {"type": "string", "enum": ["ok", "failed"]}


# ---------------------------------------------------------------- one step and decide


def _assign_step(spec: Spec) -> tuple[Any, Any]:
    """Leader assigns task 0 to Worker[0]; returns (view for Worker[0], its Assign candidate)."""
    team = Team(spec)
    run(team.start())
    lead = next(c for c in candidates(spec.model, team.world(), Inst("Leader", 0))
                if c.bindings == (("t", "0"), ("w", "Worker[0]")))
    run(team.perform(lead))
    w0 = Inst("Worker", 0)
    view = view_of(spec.model, team.world(), w0)
    (cand,) = candidates(spec.model, view, w0)
    return view, cand


def test_decide_gets_exactly_the_options_and_a_schema():
    spec = spec_of("leader_follower")
    view, cand = _assign_step(spec)
    assert cand.label == "Worker.on_Assign" and cand.delivery is not None
    assert cand.delivery.channel == "Leader->Worker[0]"
    sr = StepRun(spec.model, view, cand)
    q = sr.question()
    assert q is not None
    point, options, schema = q
    assert point == "Worker.on_Assign.o"
    assert options == ["failed", "ok"]
    assert schema["enum"] == ["failed", "ok"] and schema["type"] == "string"
    assert schema["x-accord-context"] == {"agent": "Worker[0]", "step": "Worker.on_Assign",
                                          "bindings": {"t": "0", "l": "Leader"},
                                          "message": {"message": "Assign", "fields": {"task": 0}}}
    with pytest.raises(ProtocolViolation, match=r"answered 'maybe', which is not one of the options") as exc:
        sr.answer("maybe")
    assert exc.value.kind == "decide"
    sr.answer("ok")
    assert sr.question() is None
    tr, _ = sr.result()
    assert [e[0] for e in tr.events] == ["choose", "send"]


def test_outbox_commands_ids_and_async_decide():
    spec = spec_of("leader_follower")
    view, cand = _assign_step(spec)

    async def slow_llm(point: str, options: list[Any], schema: dict[str, Any]) -> Any:
        await asyncio.sleep(0)
        return "failed"

    agent = GenericAgent(spec, 0, slow_llm, role="Worker")
    out = run(agent.handle(StepContext(spec, view, cand, slow_llm, 7, "Leader#1")))
    assert out.commands[0] == Decide("Worker.on_Assign.o", ("failed", "ok"), "failed")
    send = out.commands[1]
    assert isinstance(send, Send) and send.to == Inst("Leader", 0) and send.channel == "Worker[0]->Leader"
    assert isinstance(send.message, GenericMessage)
    assert send.message.fields == {"task": 0, "outcome": "failed"}
    assert send.message.correlation_id == "Leader#1"
    assert send.message.idempotency_key == "Worker[0]:Worker.on_Assign:7:0"  # a step with `choose`
    assert len(out.commands) == 2


def test_set_timer_when_the_timeout_guard_holds():
    spec = spec_of("leader_follower")
    team = Team(spec)
    run(team.start())
    lead = candidates(spec.model, team.world(), Inst("Leader", 0))[0]
    out = run(team.perform(lead))
    assert out.commands[-1] == SetTimer("Leader.timeout")  # a task is out: the leader may time out


def test_broadcast_is_one_command():
    spec = spec_of("two_phase_commit")
    team = Team(spec)
    run(team.start())
    coord = next(c for c in run(team.enabled()) if c.inst.role == "Coordinator")
    out = run(team.perform(coord))
    (b,) = [c for c in out.commands if isinstance(c, Broadcast)]
    assert b.role == "Writer" and b.message.message_name == "Prepare"
    assert b.to == tuple(Inst("Writer", i) for i in range(len(b.to))) and len(b.to) >= 2


# ---------------------------------------------------------------- the team


def test_seeded_team_is_deterministic():
    spec = spec_of("leader_follower")

    def events(seed: int) -> list[dict[str, Any]]:
        return run(Team(spec, seed=seed, fault_rate=0.2).run()).events

    assert events(4) == events(4)
    assert events(4) != events(5)
    r = run(Team(spec, seed=4, fault_rate=0.2, sinks=[Monitor(spec)]).run())
    assert (r.status, r.steps, r.faults, r.violation) == ("final", 14, 1, None)


LIBRARY = sorted(p.stem for p in PROTOCOLS.glob("*.accord")
                 if "garbled" not in p.stem and p.stem != "hierarchical_supervisor_broken")


@pytest.mark.parametrize("name", LIBRARY)
def test_random_runs_follow_the_protocol(name):
    """Every run, with random answers and the spec's faults, passes the monitor step by step."""
    spec = spec_of(name)
    if spec.proto.schedule is ir.Schedule.ROUNDS or any(c.kind is ir.ChanKind.SYNC for c in spec.proto.channels) \
            or any(r.implicit for r in spec.proto.roles):
        pytest.skip("not exportable (rounds, sync channels or top-level actions)")
    for seed in range(2):
        r = run(random_run(spec, seed=seed, fault_rate=0.2, max_steps=300))
        if r.violation is not None:  # only the spec's own violations, in broken protocols
            assert "broken" in name and r.violation.kind in ("invariant", "agreement", "assert", "runtime",
                                                              "overflow", "budget"), str(r.violation)
        else:
            assert r.status in ("final", "stuck", "quiescent", "max-steps")
            assert r.status != "stuck" or "broken" in name


def test_budget_stops_a_team():
    spec = spec_of("leader_follower")
    assert spec.budget == 15  # 12 without faults (accord analyze), 15 when a worker may crash
    r = run(Team(spec, seed=1, sinks=[Monitor(spec, budget=3)]).run())
    assert r.status == "violation" and r.violation is not None and r.violation.kind == "budget"
    assert str(r.violation) == "protocol budget exceeded: 4 steps, the protocol needs at most 3"


# ---------------------------------------------------------------- transports


ORACLE = """protocol Oracle
message Ping
channel A -> B fifo
role A { var sent: bool = false
  action ping when not sent { send Ping to B  sent := true }
  final when sent }
role B { var got: bool = false
  on Ping { got := true }
  on timeout when crashed(A) and not got { got := true }
  final when got }
faults { crash A at most 1 }
"""


def test_transport_warnings():
    lf = spec_of("leader_follower").proto
    assert transport_warnings(lf, "asyncio") == []
    assert transport_warnings(lf, "ray") == []
    assert [(d.code, d.span.line) for d in transport_warnings(lf, "at-least-once")] == [
        ("ACC510", 30), ("ACC512", 30), ("ACC512", 31)]
    assert [d.code for d in transport_warnings(lf, "datagram")] == ["ACC510", "ACC511", "ACC512", "ACC511", "ACC512"]
    cc = spec_of("competing_consumers").proto  # declares `duplicate Producer -> Consumer`
    assert "ACC512" not in [d.code for d in transport_warnings(cc, "at-least-once")
                            if d.message.startswith("the spec assumes no message on Producer->Consumer")]
    oracle = Spec.from_text(ORACLE).proto
    (w,) = transport_warnings(oracle, "ray")
    assert (w.code, w.severity, w.span.line) == ("ACC513", "warning", 9)
    assert "perfect failure detector" in w.message and "only eventually" in w.message
    assert transport_warnings(oracle, "asyncio") == []


def test_check_cli_warns_for_the_transport(tmp_path):
    from click.testing import CliRunner

    from accord.cli.main import cli

    f = tmp_path / "o.accord"
    f.write_text(ORACLE)
    r = CliRunner().invoke(cli, ["check", str(f), "--transport", "ray"])
    assert r.exit_code == 0
    assert "warning[ACC513]: B.timeout reads crashed(…)/alive(…)" in r.stderr
    r = CliRunner().invoke(cli, ["check", str(f)])
    assert "ACC513" not in r.stderr


@pytest.mark.slow
def test_ray_team_follows_the_protocol():
    """Every agent a Ray actor (about 15 s to start Ray)."""
    from accord.runtime.ray_team import ray_available, ray_team

    why = ray_available()
    if why is not None:
        pytest.skip(why)
    import ray

    text = (PROTOCOLS / "leader_follower.accord").read_text()
    spec = Spec.from_text(text)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        r = run(ray_team(text, seed=4, fault_rate=0.2, sinks=[Monitor(spec)], spec=spec).run())
    finally:
        ray.shutdown()
    assert (r.status, r.steps, r.faults, r.violation) == ("final", 14, 1, None)
