"""Agents: one object per role instance, holding its state and handling its steps.

A generated role class subclasses :class:`Agent` and declares one typed method
per step (``on_Assign(msg, sender, ctx)``, ``assign(ctx, t=…, w=…)``,
``on_timeout(ctx)``). Each method returns an :class:`~accord.runtime.commands.Outbox`
and has no effect of its own; by default it calls :meth:`Agent.run`, the
reference behaviour computed by the interpreter, which asks ``decide`` at every
``choose``. A user may override a method (and call ``super()``); whatever it
returns is committed by the team and checked by the monitor.

The ``decide`` contract: ``decide(point, options, schema)`` is called with the
point ``"Role.step.var"``, the JSON values the protocol allows there (never
empty) and a JSON Schema of them; it returns one of ``options`` (or an
awaitable of one). Anything else raises ProtocolViolation(kind ``decide``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from accord import ir
from accord.ir.types import Inst
from accord.runtime.commands import Broadcast, Command, Decide, Outbox, Send, SetTimer
from accord.runtime.errors import ProtocolViolation
from accord.runtime.spec import Spec
from accord.runtime.step import Candidate, StepRun, timer_armed
from accord.runtime.values import from_py, to_py
from accord.semantics.model import State

S = TypeVar("S")
Decider = Callable[[str, list[Any], dict[str, Any]], Any]


def first_option(point: str, options: list[Any], schema: dict[str, Any]) -> Any:
    """A ``decide`` that always takes the first option (deterministic default)."""
    return options[0]


@dataclass
class StepContext:
    """What the runtime hands an agent for one step."""

    spec: Spec
    view: State  # the model state as this agent may see it (other agents' variables masked)
    candidate: Candidate
    decide: Decider
    step_no: int  # this agent's step counter, for correlation ids and idempotency keys
    correlation_id: str  # of the message handled; a fresh id for actions and timeouts


def state_from_raw(cls: Any, role: ir.Role, raw: tuple[Any, ...]) -> Any:
    """The typed state (``cls`` with ``SPEC_FIELDS``), or a dict by spec name when ``cls`` is None."""
    values = {v.name: to_py(v.type, x) for v, x in zip(role.vars, raw)}
    if cls is None:
        return values
    return cls(**{py: values[spec] for spec, py in cls.SPEC_FIELDS})


def state_to_raw(role: ir.Role, state: Any) -> tuple[Any, ...]:
    """The interpreter's locals tuple of a typed state; ProtocolViolation if a field is outside its type."""
    if isinstance(state, dict):
        values = state
    else:
        values = {spec: getattr(state, py) for spec, py in type(state).SPEC_FIELDS}
    try:
        return tuple(from_py(v.type, values[v.name]) for v in role.vars)
    except (KeyError, ValueError) as exc:
        raise ProtocolViolation("state", f"{role.name}: the state is not one the protocol allows: {exc}") from None


class Agent(Generic[S]):
    """One role instance. Subclasses set ROLE, STATE (typed state class) and HANDLERS.

    ``HANDLERS`` maps each step label to ``(method name, ((param, python name), …))``.
    """

    ROLE: ClassVar[str] = ""
    STATE: ClassVar[Any] = None
    HANDLERS: ClassVar[Mapping[str, tuple[str, tuple[tuple[str, str], ...]]]] = {}

    def __init__(self, spec: Spec, index: int = 0, decide: Decider | None = None, role: str | None = None):
        self.spec = spec
        name = role or self.ROLE
        if name not in spec.proto.role_map:
            raise ValueError(f"the protocol has no role {name!r}")
        self.role = spec.proto.role_map[name]
        if not 0 <= index < self.role.count:
            raise ValueError(f"{name} has instances 0..{self.role.count - 1}")
        self.inst = Inst(name, index)
        self.decide: Decider = decide or first_option
        self.locals: tuple[Any, ...] = spec.model._init_locals[name][index][0]
        self.steps = 0

    @property
    def name(self) -> str:
        return self.spec.inst_name(self.inst)

    @property
    def state(self) -> S:
        """The agent's variables, typed."""
        return state_from_raw(self.STATE, self.role, self.locals)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ stepping
    async def handle(self, ctx: StepContext) -> Outbox[S]:
        """Dispatch to the typed method of the candidate's step (or :meth:`run` when there is none)."""
        c = ctx.candidate
        entry = self.HANDLERS.get(c.label)
        if entry is None:
            return await self.run(ctx)
        meth = getattr(self, entry[0])
        step = ctx.spec.model.steps[[cs.label for cs in ctx.spec.model.steps].index(c.label)].step
        if step.kind is ir.StepKind.HANDLER:
            assert c.delivery is not None
            msg = ctx.spec.codec.decode(c.delivery.message, ctx.correlation_id)
            result = await meth(msg, c.delivery.sender, ctx)
        elif step.kind is ir.StepKind.ACTION:
            values = dict(c.values)
            types = {n: d.type for n, d in step.params}
            kwargs = {py: to_py(_elem(types[spec]), values[spec]) for spec, py in entry[1] if spec in values}
            result = await meth(ctx, **kwargs)
        else:
            result = await meth(ctx)
        return result  # type: ignore[no-any-return]

    async def run(self, ctx: StepContext) -> Outbox[S]:
        """The reference behaviour: the spec's step, with ``ctx.decide`` answering each ``choose``."""
        spec = ctx.spec
        run = StepRun(spec.model, ctx.view, ctx.candidate)
        while (q := run.question()) is not None:
            answer = ctx.decide(*q)
            if inspect.isawaitable(answer):
                answer = await answer
            run.answer(answer)
        tr, env = run.result()
        lay = spec.model.layout
        new_locals = env.st[lay.inst_slot(self.inst)]
        shared = {v.name: to_py(v.type, env.st[lay.shared_slot[v.name]]) for v in spec.proto.shared
                  if env.st[lay.shared_slot[v.name]] != ctx.view[lay.shared_slot[v.name]]}
        commands = self._commands(ctx, tr.events, run.decisions)
        commands.extend(SetTimer(label) for label in timer_armed(spec.model, tuple(env.st), self.inst))
        return Outbox(state_from_raw(self.STATE, self.role, new_locals), tuple(commands), shared)

    def _commands(self, ctx: StepContext, events: tuple[Any, ...], decisions: list[tuple[str, list[Any], Any]]
                  ) -> list[Command]:
        spec = ctx.spec
        label = ctx.candidate.label
        idem = label in spec.side_effect_steps
        out: list[Command] = []
        k = 0
        d = 0
        for e in events:
            if e[0] == "choose" and d < len(decisions):
                point, options, value = decisions[d]
                out.append(Decide(point, tuple(options), value))
                d += 1
            elif e[0] == "send":
                _, chan, _src, dest, m = e
                key = f"{self.name}:{label}:{ctx.step_no}:{k}" if idem else ""
                out.append(Send(dest, spec.codec.decode(m, ctx.correlation_id, key), chan))
                k += 1
        return _fold_broadcasts(spec, ctx.candidate, self.inst, out)


def _elem(t: ir.Type) -> ir.Type:
    return t.elem if isinstance(t, (ir.SetType, ir.SeqType)) else t


def _fold_broadcasts(spec: Spec, cand: Candidate, me: Inst, cmds: list[Command]) -> list[Command]:
    """Runs of sends that one ``broadcast`` statement made, shown as one :class:`Broadcast`."""
    step = next(cs.step for cs in spec.model.steps if cs.label == cand.label)
    targets = _broadcasts(step.body)
    if not targets:
        return cmds
    out: list[Command] = []
    i = 0
    while i < len(cmds):
        c = cmds[i]
        if isinstance(c, Send) and c.to is not None and (c.message.message_name, c.to.role) in targets:
            role = spec.proto.role_map[c.to.role]
            want = [Inst(role.name, j) for j in range(role.count) if Inst(role.name, j) != me]
            run = cmds[i:i + len(want)]
            if len(run) == len(want) and all(isinstance(x, Send) and x.to == w and _same(x, c)
                                              for x, w in zip(run, want)):
                out.append(Broadcast(role.name, c.message, tuple(want),
                                     tuple(x.channel for x in run if isinstance(x, Send))))
                i += len(want)
                continue
        out.append(c)
        i += 1
    return out


def _same(a: Send, b: Send) -> bool:
    return a.message.message_name == b.message.message_name and a.message.spec_fields() == b.message.spec_fields()


def _broadcasts(stmts: tuple[ir.Stmt, ...]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for s in stmts:
        if isinstance(s, ir.Broadcast):
            out.add((s.msg.msg, s.role))
        elif isinstance(s, (ir.Choose, ir.For)):
            out |= _broadcasts(s.body)
        elif isinstance(s, ir.If):
            out |= _broadcasts(s.then) | _broadcasts(s.other or ())
    return out


class GenericAgent(Agent[dict[str, Any]]):
    """An agent of any role, without generated classes: its state is a dict by spec variable name."""


__all__ = ["Agent", "Decider", "GenericAgent", "StepContext", "first_option", "state_from_raw", "state_to_raw"]
