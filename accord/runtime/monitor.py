"""The monitor: every event of a running team checked against the protocol.

Built from the same IR as the checker (:class:`accord.semantics.model.Model`),
the monitor keeps the global state the protocol says the team is in — a set of
states, since the log does not say which initial state the team started from
until its agents act — and for each event asks:

* ``step``: is this step of this agent enabled (its guard, its message in
  transit)? do its ``decide`` answers lie within the options the spec allows,
  and were the options offered exactly those? are its sends the spec's sends,
  in order? is the agent's state afterwards the spec's?
* ``fault``: does the spec allow this fault here (a budget left, a message to
  lose)?
* after each: do the invariants and agreement properties hold? is the run
  still within the protocol's step budget (:attr:`Spec.budget`: the worst case
  to termination) — past it the team is stopped with "protocol budget exceeded";
* ``end`` with status ``final``: is every role final?

Modes: ``enforce`` raises the first :class:`ProtocolViolation`; ``warn`` logs
it, adopts what the agent reported, and goes on — except past the budget,
which always raises :class:`BudgetExceeded` (a team that cannot stop is stopped). :func:`validate_log` runs a
monitor over a recorded JSONL log and reports the first divergence with its
line number.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accord import ir
from accord.ir.types import Inst, to_json
from accord.runtime.errors import BudgetExceeded, ProtocolViolation
from accord.runtime.events import Event, message_from_json, read_jsonl
from accord.runtime.spec import Spec
from accord.runtime.step import choose_types
from accord.runtime.values import from_json
from accord.semantics.model import State, StepError, Transition

log = logging.getLogger("accord.monitor")


@dataclass
class _Group:
    agent: str
    events: list[tuple[Event, int | None]] = field(default_factory=list)


class Monitor:
    """Checks a stream of events (see :mod:`accord.runtime.events`). Call :meth:`feed` per event.

    ``budget``: ``"auto"`` (the spec's worst case to termination), a number, or None (no budget).
    """

    def __init__(self, spec: Spec, mode: str = "enforce", budget: int | str | None = "auto"):
        if mode not in ("enforce", "warn"):
            raise ValueError("mode is 'enforce' or 'warn'")
        self.spec = spec
        self.model = spec.model
        self.lay = spec.model.layout
        self.mode = mode
        self.budget: int | None = spec.budget if budget == "auto" else budget  # type: ignore[assignment]
        self.states: list[State] = list(self.model.initial_states())
        self.steps = 0
        self.divergences: list[ProtocolViolation] = []
        self._group: _Group | None = None
        props = [p for p in spec.proto.properties if p.kind in (ir.PropKind.INVARIANT, ir.PropKind.AGREEMENT)]
        self._props: list[tuple[ir.Property, Callable[[State], bool]]] = [
            (p, self.model.compile_property_expr(p.expr)) for p in props if p.expr is not None]

    def __call__(self, event: Event) -> None:
        self.feed(event)

    # ------------------------------------------------------------------ intake
    def feed(self, event: Event, line: int | None = None) -> None:
        kind = event.get("event")
        try:
            if kind in ("receive", "decide", "send"):
                self._add(event, line)
            elif kind == "step":
                self._add(event, line)
                group, self._group = self._group, None
                assert group is not None
                self._step(group)
            elif kind == "fault":
                self._no_open_group(line)
                self._fault(event, line)
            elif kind == "start":
                self._start(event, line)
            elif kind == "end":
                self._no_open_group(line)
                if event.get("status") == "final" and not any(self.model.is_final(s) for s in self.states):
                    raise ProtocolViolation("final", "the team says it is done, but not every role is final", line)
            else:
                raise ProtocolViolation("log", f"unknown event {kind!r}", line)
        except ProtocolViolation as exc:
            self._diverged(exc)

    def _diverged(self, exc: ProtocolViolation) -> None:
        self.divergences.append(exc)
        if self.mode == "enforce" or isinstance(exc, BudgetExceeded):
            raise exc
        log.warning("protocol divergence: %s", exc)

    def _add(self, event: Event, line: int | None) -> None:
        agent = event.get("agent")
        if not isinstance(agent, str):
            raise ProtocolViolation("log", f"a {event.get('event')} event without its agent", line)
        if self._group is not None and self._group.agent != agent:
            raise ProtocolViolation("log", f"events of {agent} interleave with an unfinished step of "
                                    f"{self._group.agent}", line)
        if self._group is None:
            self._group = _Group(agent)
        self._group.events.append((event, line))

    def _no_open_group(self, line: int | None) -> None:
        if self._group is not None:
            raise ProtocolViolation("log", f"a step of {self._group.agent} has no closing step event", line)

    def _inst(self, name: Any, line: int | None) -> Inst:
        try:
            return self.spec.parse_inst(str(name))
        except ValueError as exc:
            raise ProtocolViolation("log", str(exc), line) from None

    # ------------------------------------------------------------------ start
    def _start(self, event: Event, line: int | None) -> None:
        agents = event.get("agents", {})
        keep = []
        for st in self.states:
            ok = True
            for name, loc in agents.items():
                inst = self._inst(name, line)
                if self.spec.local_dict(inst, st[self.lay.inst_slot(inst)]) != loc:
                    ok = False
            if ok:
                keep.append(st)
        if not keep:
            raise ProtocolViolation("state", "the team starts in a state that is not an initial state of the protocol",
                                    line)
        self.states = keep

    # ------------------------------------------------------------------ steps
    def _step(self, group: _Group) -> None:
        step_ev, line = group.events[-1]
        inst = self._inst(group.agent, line)
        label = step_ev.get("step")
        survivors: list[State] = []
        first_error: ProtocolViolation | None = None
        stuttered = True
        for st in self.states:
            try:
                found = self._match(st, inst, label, group)
            except ProtocolViolation as exc:
                first_error = first_error or exc
                continue
            for nxt in found:
                if nxt not in survivors:
                    survivors.append(nxt)
                    stuttered = stuttered and nxt == st
        if not survivors:
            assert first_error is not None
            if self.mode == "warn":
                self.states = [self._resync(self.states[0], inst, group)]
            raise first_error
        self.states = survivors
        self._check_props(line)
        if not stuttered:
            self.steps += 1
            if self.budget is not None and self.steps > self.budget:
                raise BudgetExceeded(self.steps, self.budget, line)

    def _match(self, st: State, inst: Inst, label: Any, group: _Group) -> list[State]:
        lay = self.lay
        step_ev, line = group.events[-1]
        name = group.agent
        errs: list[StepError] = []
        succ = [(tr, nxt) for tr, nxt in self.model.protocol_successors(st, True, errs)
                if tr.kind == "step" and tr.label == label and tr.actor == inst]
        recv = [(e, n) for e, n in group.events if e["event"] == "receive"]
        if recv:
            ev, n = recv[0]
            try:
                m = message_from_json(self.spec.proto, ev.get("message"))
            except ValueError as exc:
                raise ProtocolViolation("log", str(exc), n) from None
            text = lay.render_msg(m)
            chan = ev.get("channel")
            succ = [(tr, nxt) for tr, nxt in succ if tr.message == text and tr.channel == chan]
            if not succ:
                raise ProtocolViolation("not-enabled", f"{name} received {text} on {chan}, which {name}'s "
                                        f"{label} cannot take here ({self._transit(chan)})", n)
        if not succ:
            for e in errs:
                t = e.transition
                if t.label == label and t.actor == inst:
                    raise ProtocolViolation(getattr(e.violation, "kind", "runtime"), f"{name}: {label} raises: "
                                            f"{e.violation}", line)
            raise ProtocolViolation("not-enabled", f"{name} took {label}, which is not enabled here", line)
        bindings = step_ev.get("bindings", {})
        by_bind = [(tr, nxt) for tr, nxt in succ if dict(tr.bindings) == bindings]
        if not by_bind:
            allowed = sorted({", ".join(f"{k}={v}" for k, v in tr.bindings) for tr, _ in succ})
            raise ProtocolViolation("not-enabled", f"{name} took {label} with {_fmt(bindings)}, which is not enabled "
                                    f"here; enabled: {'; '.join(allowed)}", line)
        return self._match_body(st, inst, by_bind, group)

    def _match_body(self, st: State, inst: Inst, succ: list[tuple[Transition, State]], group: _Group) -> list[State]:
        step_ev, line = group.events[-1]
        name = group.agent
        label = step_ev["step"]
        cs = next(c for c in self.model.steps if c.label == label)
        types = choose_types(cs.step)
        decides = [(e, n) for e, n in group.events if e["event"] == "decide"]
        for k, (ev, n) in enumerate(decides):
            var = str(ev.get("point", "")).rsplit(".", 1)[-1]
            t = types.get(var)
            opts: list[Any] = []
            for tr, _ in succ:
                ch = [(e[1], e[2]) for e in tr.events if e[0] == "choose"]
                j = (to_json(t, ch[k][1]) if t is not None else ch[k][1]) if k < len(ch) else None
                if k < len(ch) and j not in opts:
                    opts.append(j)
            if not opts:
                raise ProtocolViolation("decide", f"{name} made a decision at {ev.get('point')!r} where {label} has "
                                        "no `choose`", n)
            value = ev.get("value")
            if value not in opts:
                raise ProtocolViolation("decide", f"{name} answered {value!r} at {ev.get('point')!r}; the protocol "
                                        f"allows only {opts}", n)
            if "options" in ev and sorted(map(repr, ev["options"])) != sorted(map(repr, opts)):
                raise ProtocolViolation("decide", f"{name} offered the options {ev['options']} at "
                                        f"{ev.get('point')!r}; the protocol allows {opts}", n)
            succ = [(tr, nxt) for tr, nxt in succ
                    if _nth_choice(tr, k, t) == value]
        succ = [(tr, nxt) for tr, nxt in succ if _nth_choice(tr, len(decides), None) is None]
        if not succ:
            raise ProtocolViolation("decide", f"{name}'s {label} needs a decision it did not log", line)
        sends = [(e, n) for e, n in group.events if e["event"] == "send"]
        logged = []
        for e, n in sends:
            try:
                logged.append((e.get("channel"), self.lay.render_msg(message_from_json(self.spec.proto,
                                                                                     e.get("message")))))
            except ValueError as exc:
                raise ProtocolViolation("send", f"{name} sent something that is not a message: {exc}", n) from None
        by_send = [(tr, nxt) for tr, nxt in succ if _sends(self.lay, tr) == logged]
        if not by_send:
            want = _sends(self.lay, succ[0][0])
            for i in range(max(len(want), len(logged))):
                a = logged[i] if i < len(logged) else None
                b = want[i] if i < len(want) else None
                if a != b:
                    where = sends[i][1] if i < len(sends) else line
                    got = f"sent {a[1]} on {a[0]}" if a else "sent nothing more"
                    exp = f"{b[1]} on {b[0]}" if b else "nothing more"
                    raise ProtocolViolation("send", f"{name} {got} in {label}; the protocol sends {exp}", where)
        slot = self.lay.inst_slot(inst)
        role = self.spec.proto.role_map[inst.role]
        state = step_ev.get("state", {})
        shared = step_ev.get("shared")
        out = []
        for tr, nxt in by_send:
            if self.spec.local_dict(inst, nxt[slot]) != state:
                continue
            if shared is not None and {v.name: to_json(v.type, nxt[self.lay.shared_slot[v.name]])
                                       for v in self.spec.proto.shared} != shared:
                continue
            out.append(nxt)
        if not out:
            spec_state = self.spec.local_dict(inst, by_send[0][1][slot])
            diffs = [f"{v.name} is {_show(state.get(v.name))}, the protocol says {_show(spec_state[v.name])}"
                     for v in role.vars if state.get(v.name) != spec_state[v.name]]
            if shared is not None and not diffs:
                diffs = ["the shared variables differ from the protocol's"]
            raise ProtocolViolation("state", f"after {label}, {name}: " + "; ".join(diffs or ["state differs"]), line)
        return out

    def _transit(self, chan: Any) -> str:
        ci = next((c for c in self.lay.chan_insts if c.label == chan), None)
        if ci is None:
            return "there is no such channel"
        return f"in transit there: {self.lay.render_items(ci, self.states[0][ci.slot])}"

    # ------------------------------------------------------------------ faults
    def _fault(self, ev: Event, line: int | None) -> None:
        kind = ev.get("fault")
        actor = self._inst(ev["agent"], line) if "agent" in ev else None
        msg = into = None
        try:
            if "message" in ev:
                msg = self.lay.render_msg(message_from_json(self.spec.proto, ev["message"]))
            if "into" in ev:
                into = message_from_json(self.spec.proto, ev["into"])
        except ValueError as exc:
            raise ProtocolViolation("log", str(exc), line) from None
        out: list[State] = []
        for st in self.states:
            for tr, nxt in self.model.fault_successors(st):
                if tr.label != kind or tr.actor != actor:
                    continue
                if msg is not None and (tr.message != msg or tr.channel != ev.get("channel")):
                    continue
                if into is not None and not any(e[0] == "corrupt" and e[3] == into for e in tr.events):
                    continue
                if "state" in ev and actor is not None and \
                        self.spec.local_dict(actor, nxt[self.lay.inst_slot(actor)]) != ev["state"]:
                    continue
                if nxt not in out:
                    out.append(nxt)
        if not out:
            what = f"{kind} of {ev.get('agent') or msg}"
            raise ProtocolViolation("fault", f"{what}: the protocol does not allow this fault here (no `{kind}` "
                                    "fault declared, its budget is spent, or nothing to apply it to)", line)
        self.states = out
        self._check_props(line)

    # ------------------------------------------------------------------ properties
    def _check_props(self, line: int | None) -> None:
        for p, f in self._props:
            if not any(f(s) for s in self.states):
                raise ProtocolViolation(p.kind.value, f"{p.kind.value} {p.name} is violated", line)

    def _resync(self, st: State, inst: Inst, group: _Group) -> State:
        """Warn mode: the state as the agent reported it (its variables; the message it took; its sends)."""
        lay = self.lay
        out = list(st)
        ev = group.events[-1][0]
        role = self.spec.proto.role_map[inst.role]
        try:
            out[lay.inst_slot(inst)] = tuple(from_json(v.type, ev["state"][v.name]) for v in role.vars)
            for e, _ in group.events:
                ci = next((c for c in lay.chan_insts if c.label == e.get("channel")), None)
                if ci is None or ci.channel.kind is ir.ChanKind.SET:
                    continue
                m = message_from_json(self.spec.proto, e["message"])
                items = out[ci.slot]
                links = ci.channel.topology is ir.Topology.LINKS
                if e["event"] == "receive":
                    item = m if links else (self._inst(e["from"], None).idx, m)
                    if item in items:
                        i = items.index(item)
                        out[ci.slot] = items[:i] + items[i + 1:]
                elif e["event"] == "send":
                    out[ci.slot] = items + ((m if links else (inst.idx, m)),)
        except (KeyError, ValueError, ProtocolViolation):
            return st
        return tuple(out)


def _nth_choice(tr: Transition, k: int, t: ir.Type | None) -> Any:
    ch = [e[2] for e in tr.events if e[0] == "choose"]
    if k >= len(ch):
        return None
    return to_json(t, ch[k]) if t is not None else ch[k]


def _sends(lay: Any, tr: Transition) -> list[tuple[str, str]]:
    return [(e[1], lay.render_msg(e[4])) for e in tr.events if e[0] == "send"]


def _fmt(b: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in b.items()) or "no arguments"


def _show(v: Any) -> str:
    import json

    return json.dumps(v, sort_keys=True)


@dataclass
class LogReport:
    """What :func:`validate_log` found: the events read, protocol steps counted, and the first divergence."""

    events: int
    steps: int
    divergence: ProtocolViolation | None

    @property
    def ok(self) -> bool:
        return self.divergence is None


def validate_log(spec: Spec, path: str | Path, budget: int | str | None = "auto") -> LogReport:
    """Check a recorded JSONL event log against ``spec``; stop at the first divergence."""
    mon = Monitor(spec, "enforce", budget)
    n = 0
    for line, ev in read_jsonl(path):
        n += 1
        try:
            if isinstance(ev, str):
                raise ProtocolViolation("log", ev, line)
            mon.feed(ev, line)
        except ProtocolViolation as exc:
            if exc.line is None:
                exc = ProtocolViolation(exc.kind, exc.message, line)
            return LogReport(n, mon.steps, exc)
    if mon._group is not None:
        return LogReport(n, mon.steps, ProtocolViolation("log", f"the log ends inside a step of {mon._group.agent}"))
    return LogReport(n, mon.steps, None)


__all__ = ["LogReport", "Monitor", "validate_log"]
