"""Replaying checker traces against agents, and seeded random runs under the monitor.

Used by the tests that ``accord export python`` generates into a package:

* :func:`replay` drives a :class:`~accord.runtime.team.Team` of the generated
  agent classes through a trace the checker found (a witness of a ``reachable``
  property, or a counterexample), answering each ``decide`` as the trace did,
  and compares the team's global state with the trace's after every step. It
  returns how the run ended — ``"ok"``, ``"stuck"`` (no step enabled: a
  deadlock) or ``"violation"`` (a step raised, or the monitor stopped the team)
  — which the test compares with what the checker said (``expect``);
* :func:`random_run` runs the team with random answers and the spec's faults,
  a monitor enforcing the protocol, invariants and budget.

Traces are plain JSON (see :func:`accord.export.traces.trace_json`): steps by
label, agent, bindings, channel and message as the checker renders them.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from accord.ir.types import Inst
from accord.runtime.agent import Agent
from accord.runtime.errors import ProtocolViolation
from accord.runtime.monitor import Monitor
from accord.runtime.spec import Spec
from accord.runtime.step import Candidate, candidates, view_of
from accord.runtime.team import LocalHost, RunResult, Team


class ReplayMismatch(AssertionError):
    """The agents did not follow the trace (a step is missing, or the state differs)."""


def make_agents(spec: Spec, roles: Mapping[str, type[Agent[Any]]] | None = None) -> dict[Inst, Agent[Any]]:
    """One agent per instance: the generated class of its role, or a generic agent."""
    from accord.runtime.agent import GenericAgent

    out: dict[Inst, Agent[Any]] = {}
    for inst in spec.instances():
        cls = (roles or {}).get(inst.role)
        out[inst] = cls(spec, inst.idx) if cls is not None else GenericAgent(spec, inst.idx, role=inst.role)
    return out


async def replay(spec: Spec, trace: dict[str, Any], roles: Mapping[str, type[Agent[Any]]] | None = None) -> str:
    """Replay ``trace``; ``"ok"``, ``"stuck"`` or ``"violation"``. ReplayMismatch if the agents stray from it."""
    model = spec.model
    lay = model.layout
    agents = make_agents(spec, roles)
    mon = Monitor(spec, "enforce", budget=None)
    team = Team(spec, agents, sinks=[mon])
    inits = model.initial_states()
    idx = next((i for i, s in enumerate(inits) if lay.describe(s) == trace["initial"]), None)
    if idx is None:
        raise ReplayMismatch("the trace's initial state is not an initial state of the spec")
    try:
        await team.start(idx)
        for n, step in enumerate(trace["steps"], 1):
            if step["kind"] == "fault":
                await _fault(team, step, n)
            else:
                cand = _find(spec, team, step, n)
                answers = list(step.get("choices", []))

                def scripted(point: str, options: list[Any], schema: dict[str, Any], q: list[Any] = answers,
                             n: int = n) -> Any:
                    if not q:
                        raise ReplayMismatch(f"step {n}: decide({point!r}) asked more often than the trace chose")
                    return q.pop(0)

                host = team.hosts[cand.inst]
                if isinstance(host, LocalHost):
                    host.agent.decide = scripted
                await team.perform(cand)
            if step.get("state") is not None and lay.describe(team.world()) != step["state"]:
                got = lay.describe(team.world())
                diff = {k: (got.get(k), v) for k, v in step["state"].items() if got.get(k) != v}
                raise ReplayMismatch(f"step {n} ({step['label']}): state differs (got, trace): {diff}")
    except ProtocolViolation:
        return "violation"
    if not await team.enabled() and not (model.has_final and model.is_final(team.world())):
        return "stuck"
    return "ok"


def _find(spec: Spec, team: Team, step: dict[str, Any], n: int) -> Candidate:
    inst = spec.parse_inst(step["agent"])
    view = view_of(spec.model, team.world(), inst)
    mode = "no"
    if step["label"].endswith(".timeout"):
        mode = "early" if step.get("early") else "waiting"
    for c in candidates(spec.model, view, inst, mode):
        if c.label != step["label"] or dict(c.bindings) != step.get("bindings", {}):
            continue
        d = c.delivery
        if d is not None and (d.channel != step.get("channel") or
                              spec.model.layout.render_msg(d.message) != step.get("message")):
            continue
        return c
    raise ReplayMismatch(f"step {n}: {step['agent']} cannot take {step['label']} {step.get('bindings')} here")


async def _fault(team: Team, step: dict[str, Any], n: int) -> None:
    spec = team.spec
    actor = spec.parse_inst(step["agent"]) if step.get("agent") else None
    for tr, nxt in spec.model.fault_successors(team.world()):
        if tr.label == step["label"] and tr.actor == actor and tr.detail == step.get("detail") and \
                (step.get("state") is None or spec.model.layout.describe(nxt) == step["state"]):
            await team.inject(tr, nxt)
            return
    raise ReplayMismatch(f"step {n}: the fault {step['label']} ({step.get('detail')}) is not possible here")


async def random_run(spec: Spec, roles: Mapping[str, type[Agent[Any]]] | None = None, seed: int = 0,
                     fault_rate: float = 0.0, max_steps: int = 2_000) -> RunResult:
    """One run with seeded random ``decide`` answers and faults, under an enforcing monitor."""
    agents = make_agents(spec, roles)
    rng = random.Random(seed)

    def pick(point: str, options: list[Any], schema: dict[str, Any]) -> Any:
        return options[rng.randrange(len(options))]

    for a in agents.values():
        a.decide = pick
    mon = Monitor(spec, "enforce")
    team = Team(spec, agents, seed=seed, fault_rate=fault_rate, sinks=[mon], max_steps=max_steps)
    n_init = len(spec.model.initial_states())
    return await team.run(initial=rng.randrange(n_init))


__all__ = ["ReplayMismatch", "make_agents", "random_run", "replay"]
