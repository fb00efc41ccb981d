"""A team: agents, a transport, a seeded scheduler, and the events of a run.

The team is the environment of the agents. At each turn it asks every live
agent for its enabled steps (each agent computes them over its own view), and
when none has any, for its timeouts — the spec's rule that ``on timeout``
fires when nothing else can happen. It picks one step with its seeded random
generator (or, with ``fault_rate`` > 0, one of the faults the spec allows),
hands it to the agent, and commits what the agent returns: the agent's new
state, shared-variable writes, and the sends, which go to the transport.
Steps are committed one at a time, which is the spec's interleaving semantics;
``decide`` may be asynchronous (an LLM call) and is awaited inside the step.

Every receive, decide, send, step and fault becomes an event (see
:mod:`accord.runtime.events`), fed to the sinks — a :class:`~accord.runtime.monitor.Monitor`
in ``enforce`` mode stops the run at the first divergence.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from typing import Protocol as TypingProtocol

from accord import ir
from accord.ir.types import Inst, to_json
from accord.runtime.agent import Agent, GenericAgent, StepContext, state_to_raw
from accord.runtime.commands import Outbox
from accord.runtime.errors import ProtocolViolation
from accord.runtime.events import Event, Sink
from accord.runtime.spec import Spec
from accord.runtime.step import Candidate, candidates, view_of
from accord.runtime.transport import InProcessTransport, Transport
from accord.runtime.values import from_py
from accord.semantics.model import State, Transition


class Host(TypingProtocol):
    """Where an agent runs: in this process (:class:`LocalHost`) or elsewhere (a Ray actor)."""

    inst: Inst

    @property
    def locals(self) -> tuple[Any, ...]: ...

    async def candidates(self, view: State, timeouts: str) -> list[Candidate]: ...

    async def handle(self, view: State, cand: Candidate, step_no: int, correlation_id: str) -> Outbox[Any]: ...

    async def set_locals(self, locals_: tuple[Any, ...]) -> None: ...


class LocalHost:
    """An :class:`~accord.runtime.agent.Agent` in this process."""

    def __init__(self, agent: Agent[Any]):
        self.agent = agent
        self.inst = agent.inst

    @property
    def locals(self) -> tuple[Any, ...]:
        return self.agent.locals

    async def candidates(self, view: State, timeouts: str) -> list[Candidate]:
        return candidates(self.agent.spec.model, view, self.inst, timeouts)

    async def handle(self, view: State, cand: Candidate, step_no: int, correlation_id: str) -> Outbox[Any]:
        ctx = StepContext(self.agent.spec, view, cand, self.agent.decide, step_no, correlation_id)
        return await self.agent.handle(ctx)

    async def set_locals(self, locals_: tuple[Any, ...]) -> None:
        self.agent.locals = locals_


@dataclass
class RunResult:
    status: str  # "final" | "stuck" | "quiescent" (no `final` in the spec) | "max-steps" | "violation"
    steps: int
    faults: int
    violation: ProtocolViolation | None = None
    events: list[Event] = field(default_factory=list)


class Team:
    """Run ``spec`` with ``agents`` (default: a GenericAgent per instance, taking the first option)."""

    def __init__(self, spec: Spec, agents: Mapping[Inst, Agent[Any]] | Sequence[Host] | None = None, *,
                 transport: Transport | None = None, seed: int = 0, fault_rate: float = 0.0,
                 sinks: Sequence[Sink] = (), max_steps: int = 10_000, keep_events: bool = True):
        self.spec = spec
        self.model = model = spec.model
        self.lay = model.layout
        if agents is None:
            agents = {i: GenericAgent(spec, i.idx, role=i.role) for i in spec.instances()}
        hosts: list[Host] = ([LocalHost(a) for a in agents.values()] if isinstance(agents, Mapping)
                             else list(agents))
        self.hosts: dict[Inst, Host] = {h.inst: h for h in hosts}
        missing = [spec.inst_name(i) for i in spec.instances() if i not in self.hosts]
        if missing:
            raise ValueError(f"no agent for {', '.join(missing)}")
        self.transport = transport or InProcessTransport()
        self.rng = random.Random(seed)
        self.fault_rate = fault_rate
        self.sinks = list(sinks)
        self.max_steps = max_steps
        self.keep_events = keep_events
        self.events: list[Event] = []
        self.steps = 0
        self.faults = 0
        self.step_no: dict[Inst, int] = {i: 0 for i in self.hosts}
        self._corr: dict[tuple[int, Any], list[str]] = {}  # (channel slot, item) -> correlation ids in order
        self._started = False

    # ------------------------------------------------------------------ state
    async def start(self, initial: int = 0) -> None:
        """Take initial state number ``initial`` (of ``Model.initial_states()``)."""
        st = self.model.initial_states()[initial]
        for inst, h in self.hosts.items():
            await h.set_locals(st[self.lay.inst_slot(inst)])
        self.shared = {v.name: st[self.lay.shared_slot[v.name]] for v in self.spec.proto.shared}
        self.transport.attach(self.lay, {ci.slot: st[ci.slot] for ci in self.lay.chan_insts})
        self.budgets = [st[s] for s in self.lay.fault_slot]
        self.crashed = {r: list(st[s]) for r, s in self.lay.crash_slot.items()}
        self._started = True
        ev: Event = {"event": "start", "agents": {self.spec.inst_name(i): self.spec.local_dict(i, h.locals)
                                                  for i, h in self.hosts.items()}}
        self._emit(ev)

    def world(self) -> State:
        """The global state, in the model's layout, assembled from the agents, transport and environment."""
        lay = self.lay
        out: list[Any] = [None] * lay.size
        for name, slot in lay.shared_slot.items():
            out[slot] = self.shared[name]
        for inst, h in self.hosts.items():
            out[lay.inst_slot(inst)] = h.locals
        for ci in lay.chan_insts:
            out[ci.slot] = self.transport.contents(ci)
        for slot, b in zip(lay.fault_slot, self.budgets):
            out[slot] = b
        for role, slot in lay.crash_slot.items():
            out[slot] = tuple(self.crashed[role])
        return tuple(out)

    def _emit(self, ev: Event) -> None:
        ev["seq"] = len(self.events) + 1 if self.keep_events else self.steps + self.faults
        if self.keep_events:
            self.events.append(ev)
        for s in self.sinks:
            s(ev)

    # ------------------------------------------------------------------ choosing
    async def enabled(self) -> list[Candidate]:
        """Every agent's enabled steps; the timeouts when there are none (``early`` ones within budgets)."""
        w = self.world()
        live = [i for i in self.hosts if not self.lay.is_crashed(w, i)]
        out: list[Candidate] = []
        for inst in live:
            out.extend(await self.hosts[inst].candidates(view_of(self.model, w, inst), "no"))
        if not self.model.timeout_steps:
            return out
        if not out:
            for inst in live:
                out.extend(await self.hosts[inst].candidates(view_of(self.model, w, inst), "waiting"))
        elif self.fault_rate > 0 and self._timeout_budget(None) is not None:
            for inst in live:
                if self._timeout_budget(inst.role) is not None:
                    out.extend(await self.hosts[inst].candidates(view_of(self.model, w, inst), "early"))
        return out

    def _timeout_budget(self, role: str | None) -> int | None:
        for (f, _), i in zip(self.model.faults, range(len(self.budgets))):
            if f.kind is ir.FaultKind.TIMEOUT and self.budgets[i] > 0 and (role is None or f.target in (None, role)):
                return i
        return None

    async def step(self) -> bool:
        """Take one step or inject one fault; False when nothing can happen (or the team is final)."""
        if not self._started:
            await self.start()
        w = self.world()
        if self.model.has_final and self.model.is_final(w):
            return False
        cands = await self.enabled()
        faults = self.model.fault_successors(w) if self.fault_rate > 0 else []
        normal = [c for c in cands if not c.early]
        if faults and (not normal or self.rng.random() < self.fault_rate):
            tr, nxt = faults[self.rng.randrange(len(faults))]
            await self.inject(tr, nxt)
            return True
        if not normal:
            cands = [c for c in cands if c.early]
        elif cands != normal and self.rng.random() >= self.fault_rate:
            cands = normal
        if not cands:
            return False
        await self.perform(cands[self.rng.randrange(len(cands))])
        return True

    async def run(self, initial: int = 0) -> RunResult:
        """Step until final, stuck, ``max_steps``, or a violation (raised by an agent or an enforcing monitor)."""
        status = "stuck"
        violation = None
        try:
            if not self._started:
                await self.start(initial)
            while True:
                if self.steps + self.faults >= self.max_steps:
                    status = "max-steps"
                    break
                if not await self.step():
                    w = self.world()
                    if not self.model.has_final:
                        status = "quiescent"  # no `final` in the spec: a run ends when nothing can happen
                    else:
                        status = "final" if self.model.is_final(w) else "stuck"
                    break
            self._emit({"event": "end", "status": status})
        except ProtocolViolation as exc:
            status, violation = "violation", exc
        return RunResult(status, self.steps, self.faults, violation, self.events)

    # ------------------------------------------------------------------ committing
    async def perform(self, cand: Candidate) -> Outbox[Any]:
        """Have ``cand.inst`` take ``cand``; commit and log what it returns."""
        lay = self.lay
        inst = cand.inst
        host = self.hosts[inst]
        w = self.world()
        self.step_no[inst] += 1
        n = self.step_no[inst]
        name = self.spec.inst_name(inst)
        d = cand.delivery
        corr = f"{name}#{n}"
        if d is not None and d.pos >= 0:
            ids = self._corr.get((d.slot, d.item))
            corr = ids[0] if ids else corr
        elif d is not None:
            corr = (self._corr.get((d.slot, d.item)) or [corr])[0]
        outbox = await host.handle(view_of(self.model, w, inst), cand, n, corr)
        group: list[Event] = []
        base = {"agent": name, "step": cand.label}
        if d is not None:
            ci = next(c for c in lay.chan_insts if c.label == d.channel)
            if d.pos >= 0:
                self.transport.take(ci, d.pos, d.item)
                ids = self._corr.get((d.slot, d.item))
                if ids:
                    ids.pop(0)
            if d.out_of_order:
                slots = self.model.reorder_budget.get(ci.channel.name, [])
                slot = next(s for s in slots if self.budgets[lay.fault_slot.index(s)] > 0)
                self.budgets[lay.fault_slot.index(slot)] -= 1
            group.append({"event": "receive", **base, "channel": d.channel, "from": self.spec.inst_name(d.sender),
                          "message": lay.msg_json(d.message), "correlation_id": corr})
        if cand.early:
            i = self._timeout_budget(inst.role)
            assert i is not None
            self.budgets[i] -= 1
        role = self.spec.proto.role_map[inst.role]
        new_locals = state_to_raw(role, outbox.state)
        await host.set_locals(new_locals)
        for var, value in outbox.shared.items():
            decl = next((v for v in self.spec.proto.shared if v.name == var), None)
            if decl is None:
                raise ProtocolViolation("state", f"{name} wrote {var!r}, which is not a shared variable")
            try:
                self.shared[var] = from_py(decl.type, value)
            except ValueError as exc:
                raise ProtocolViolation("state", f"{name} wrote {var}: {exc}") from None
        for dec in outbox.decisions():
            group.append({"event": "decide", **base, "point": dec.point, "options": list(dec.options),
                          "value": dec.value})
        for s in outbox.sends():
            m = self.spec.codec.encode(s.message)
            out_ci = next((c for c in lay.chan_insts if c.label == s.channel), None)
            if out_ci is None:
                raise ProtocolViolation("send", f"{name} sent on {s.channel!r}, which is not a channel")
            item = m if out_ci.channel.topology is ir.Topology.LINKS else (inst.idx, m)
            self.transport.put(out_ci, item)
            self._corr.setdefault((out_ci.slot, item), []).append(s.message.correlation_id)
            ev = {"event": "send", **base, "channel": s.channel,
                  "to": self.spec.inst_name(s.to) if s.to is not None else None, "message": lay.msg_json(m),
                  "correlation_id": s.message.correlation_id}
            key = getattr(s.message, "idempotency_key", "")
            if key:
                ev["idempotency_key"] = key
            group.append(ev)
        step: Event = {"event": "step", **base, "bindings": dict(cand.bindings),
                       "state": self.spec.local_dict(inst, new_locals)}
        if outbox.shared:
            step["shared"] = {v.name: to_json(v.type, self.shared[v.name]) for v in self.spec.proto.shared}
        if cand.early:
            step["early"] = True
        group.append(step)
        self.steps += 1
        for ev in group:
            self._emit(ev)
        return outbox

    async def inject(self, tr: Transition, nxt: State) -> None:
        """Apply one fault step of the model (crash, restart, loss, duplication, corruption)."""
        lay = self.lay
        ev: Event = {"event": "fault", "fault": tr.label}
        if tr.actor is not None:
            ev["agent"] = self.spec.inst_name(tr.actor)
        for ci in lay.chan_insts:
            if nxt[ci.slot] != self.transport.contents(ci):
                self.transport.replace(ci, nxt[ci.slot])
        for e in tr.events:
            if e[0] in ("lose", "duplicate", "corrupt"):
                ev["channel"] = e[1]
                ev["message"] = lay.msg_json(e[2])
                if e[0] == "corrupt":
                    ev["into"] = lay.msg_json(e[3])
        self.budgets = [nxt[s] for s in lay.fault_slot]
        self.crashed = {r: list(nxt[s]) for r, s in lay.crash_slot.items()}
        host = self.hosts.get(tr.actor) if tr.actor is not None else None
        if tr.label == "crash" and host is not None and hasattr(host, "crash"):
            await host.crash()  # a host that can really stop its agent does (a Ray actor is killed)
        if tr.label == "restart" and tr.actor is not None and host is not None:
            locals_ = nxt[lay.inst_slot(tr.actor)]
            if hasattr(host, "restart"):
                await host.restart(locals_)
            else:
                await host.set_locals(locals_)
            ev["state"] = self.spec.local_dict(tr.actor, locals_)
        self.faults += 1
        self._emit(ev)


__all__ = ["Host", "LocalHost", "RunResult", "Team"]
