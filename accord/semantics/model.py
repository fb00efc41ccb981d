"""The transition system of a protocol: initial states and the successor function.

This module is the one semantics every engine follows. A :class:`Model` is
built once from the IR; ``successors(state)`` yields ``(Transition, state')``
for every protocol step and every fault step enabled in ``state``.

Interleaving semantics: one step of one agent at a time, each step atomic.
Timeouts (``on timeout``) fire when no other protocol step is enabled (the
system is waiting), or earlier while a ``timeout`` fault budget lasts.
Under ``schedule rounds`` a protocol step is a synchronous round of every agent
instead (:mod:`accord.semantics.rounds`); faults interleave between rounds.

A step that raises (assert, runtime error, overflow, concurrent write) has no
successor; it is a violation, and with an ``errors`` list the other steps of
the state are still explored.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from accord import ir
from accord.ir.types import Inst, domain, render_value
from accord.semantics.evaluate import Env, EvalError, compile_expr
from accord.semantics.exec import Compiler, StepEnv, Violation, sorted_domain
from accord.semantics.layout import ChanInst, Layout, RoleView

State = tuple[Any, ...]


@dataclass(frozen=True)
class Transition:
    """What happened in one step, for traces, coverage and fairness."""

    kind: str  # "step" | "fault"
    label: str  # unique step label ("Leader.assign") or fault name ("crash")
    actor: Inst | None
    bindings: tuple[tuple[str, str], ...] = ()
    message: str | None = None  # the received message, rendered
    channel: str | None = None
    detail: str | None = None  # faults: what was crashed, lost, …
    unit: int = -1  # fairness unit id (protocol steps only)
    events: tuple[Any, ...] = ()  # recorded sends and choices (only when replaying)
    joined: tuple[int, ...] = ()  # units of the sync handlers that ran inside this step (coverage)
    parts: tuple["Transition", ...] = ()  # a round (kind "round"): the step of each agent, in agent order

    def render(self, lay: Layout) -> str:
        if self.kind == "round":
            return "round: " + "; ".join(p.render(lay) for p in self.parts)
        who = _inst(lay, self.actor) if self.actor is not None else "env"
        if self.kind == "fault":
            return f"FAULT {self.label}: {self.detail}"
        args = ", ".join(f"{k}={v}" for k, v in self.bindings)
        text = f"{who}: {self.label.split('.', 1)[-1]}"
        if self.message:
            text += f" receives {self.message}"
        if args:
            text += f" ({args})"
        if self.detail:
            text += f" [{self.detail}]"
        return text


def _inst(lay: Layout, inst: Inst) -> str:
    r = lay.proto.role_map[inst.role]
    return f"{inst.role}[{inst.idx}]" if r.indexed else inst.role


class StepError(Exception):
    """A violation raised by a step, with the transition that raised it."""

    def __init__(self, violation: Violation | EvalError, transition: Transition):
        super().__init__(str(violation))
        self.violation = violation
        self.transition = transition


class CompiledStep:
    def __init__(self, model: "Model", step: ir.Step, label: str, comp: Compiler):
        self.model = model
        self.step = step
        self.label = label
        self.role = step.role
        self.body = comp.block(step.body)
        self.guard = compile_expr(step.guard, comp.lay) if step.guard is not None else None
        self.params = [(n, compile_expr(d, comp.lay)) for n, d in step.params]
        self.param_types = [d.type for _, d in step.params]
        self.patterns = [(p.kind, p.name, compile_expr(p.value, comp.lay) if p.value is not None else None)
                         for p in step.patterns]
        decl = model.proto.messages.get(step.name) if step.kind is ir.StepKind.HANDLER else None
        self.field_types = [t for _, t in decl.fields] if decl else []
        self.channels = [model.proto.channel_map[c] for c in step.channels]
        self.costs = [(n, compile_expr(e, comp.lay)) for n, e in step.cost]

    # ------------------------------------------------------------------ bindings
    def _bind_params(self, env: StepEnv, i: int) -> Iterator[None]:
        if i == len(self.params):
            yield None
            return
        name, dom = self.params[i]
        for x in sorted_domain(dom(env)):
            env.b[name] = x
            yield from self._bind_params(env, i + 1)
        env.b.pop(name, None)

    def _safe_bindings(self, env: StepEnv, inst: Inst, unit: int, errors: list[StepError] | None
                       ) -> Iterator[dict[str, Any]]:
        """Each parameter binding (a copy); an error while computing a parameter's domain is a
        violation of this step, raised or collected like an error in its body."""
        it = self._bind_params(env, 0)
        while True:
            try:
                next(it)
            except StopIteration:
                return
            except (Violation, EvalError) as exc:
                tr = Transition("step", self.label, inst, self._bindings(env), unit=unit)
                if errors is None:
                    raise StepError(exc, tr) from None
                errors.append(StepError(exc, tr))
                return
            yield dict(env.b)

    def _match(self, env: StepEnv, m: ir.Message) -> bool:
        if m.name != self.step.name:
            return False
        if not self.patterns:
            return True
        for (kind, name, lit), arg in zip(self.patterns, m.args):
            if kind == "bind":
                env.b[name] = arg
            elif kind == "lit" and lit is not None and lit(env) != arg:
                return False
        return True

    def _run(self, env: StepEnv) -> list[StepEnv]:
        if self.guard is not None and not self.guard(env):
            return []
        return self.body(env)

    def _bindings(self, env: StepEnv) -> tuple[tuple[str, str], ...]:
        out = []
        for (n, _), t in zip(self.params, self.param_types):
            if n in env.b:
                elem = t.elem if isinstance(t, (ir.SetType, ir.SeqType)) else t
                out.append((n, render_value(elem, env.b[n])))
        return tuple(out)

    # ------------------------------------------------------------------ firing
    def fire(self, st: State, inst: Inst, record: bool, errors: list[StepError] | None = None
             ) -> Iterator[tuple[Transition, State]]:
        """Every outcome of this step at ``inst`` in ``st``.

        A binding whose body raises a violation yields nothing; the violation is
        raised as :class:`StepError`, or appended to ``errors`` when a list is given
        (then the other bindings are still fired).
        """
        for tr, e in self.outcomes(st, inst, record, errors):
            yield tr, tuple(e.st)

    def outcomes(self, st: State, inst: Inst, record: bool, errors: list[StepError] | None = None,
                 rounds: bool = False) -> Iterator[tuple[Transition, StepEnv]]:
        """As :meth:`fire`, yielding each outcome's working environment.

        ``rounds``: sends are collected in ``env.outbox`` instead of entering their
        channels, and shared-variable writes are listed in ``env.writes``.
        """
        model = self.model
        lay = model.layout
        me = lay.inst_slot(inst)
        unit = model.unit_of[(self.label, inst)]
        kind = self.step.kind
        if kind is ir.StepKind.HANDLER:
            yield from self._fire_handler(st, inst, me, unit, record, errors, rounds)
            return
        env = StepEnv(list(st), me, {}, lay, None, [] if record else None)
        for snapshot in self._safe_bindings(env, inst, unit, errors):
            trial = StepEnv(list(st), me, snapshot, lay, None, [] if record else None)
            if rounds:
                trial.outbox, trial.writes = [], set()
            tr = Transition("step", self.label, inst, self._bindings(trial), unit=unit)
            try:
                outs = self._run(trial)
            except (Violation, EvalError) as exc:
                if errors is None:
                    raise StepError(exc, tr) from None
                errors.append(StepError(exc, tr))
                continue
            for e in outs:
                yield _finish(tr, e, record, self.costs), e

    def _fire_handler(self, st: State, inst: Inst, me: int, unit: int, record: bool,
                      errors: list[StepError] | None, rounds: bool) -> Iterator[tuple[Transition, StepEnv]]:
        lay = self.model.layout
        for ch in self.channels:
            links = ch.topology is ir.Topology.LINKS
            for ci in lay.incoming(ch, inst.idx):
                items = st[ci.slot]
                if not items:
                    continue
                for pos, item, cost in self.model.deliverable(ci, items, st):
                    m = item if links else item[1]
                    sender_idx = ci.src_idx if links else item[0]
                    sender = Inst(ch.src, sender_idx)
                    env = StepEnv(list(st), me, {}, lay, sender, [] if record else None)
                    if not self._match(env, m):
                        continue
                    if self.step.sender:
                        env.b[self.step.sender] = sender
                    if rounds:
                        env.outbox, env.writes = [], set()
                    if ch.kind is not ir.ChanKind.SET:
                        env.st[ci.slot] = items[:pos] + items[pos + 1:]
                        env.took = (ci.slot, pos, item)
                    if cost is not None:
                        env.st[cost] -= 1
                    tr = Transition("step", self.label, inst, self._handler_bindings(env),
                                    lay.render_msg(m), ci.label, unit=unit,
                                    detail="out of order" if cost is not None else None)
                    try:
                        outs = self._run(env)
                    except (Violation, EvalError) as exc:
                        if errors is None:
                            raise StepError(exc, tr) from None
                        errors.append(StepError(exc, tr))
                        continue
                    for e in outs:
                        yield _finish(tr, e, record, self.costs), e

    def _handler_bindings(self, env: StepEnv) -> tuple[tuple[str, str], ...]:
        out = []
        for (kind, name, _), t in zip(self.patterns, self.field_types):
            if kind == "bind" and name in env.b:
                out.append((name, render_value(t, env.b[name])))
        if self.step.sender and env.sender is not None:
            out.append((self.step.sender, _inst(self.model.layout, env.sender)))
        return tuple(out)

    def rendezvous(self, env: StepEnv, m: ir.Message, sender: Inst, dest: Inst) -> list[StepEnv]:
        """Run this handler at ``dest`` for a synchronously sent ``m`` (inside the sender's step)."""
        lay = self.model.layout
        me_saved, b_saved, sender_saved = env.me, env.b, env.sender
        trial = env.fork()
        trial.me = lay.inst_slot(dest)
        trial.b = {}
        trial.sender = sender
        trial.joined = trial.joined + (self.model.unit_of[(self.label, dest)],)
        if not self._match(trial, m):
            return []
        if self.step.sender:
            trial.b[self.step.sender] = sender
        if trial.log is not None:
            trial.log.append(("send", f"{sender.role}->{dest.role} (sync)", sender, dest, m))
        outs = self._run(trial)
        for e in outs:
            e.me, e.b, e.sender = me_saved, dict(b_saved), sender_saved
        return outs


def _finish(tr: Transition, env: StepEnv, record: bool, costs: list[tuple[str, Any]]) -> Transition:
    """The transition of one outcome: with its events when recording, with the sync handlers it ran."""
    if record:
        tr = _with_events(tr, env, costs)
    if env.joined:
        tr = dataclasses.replace(tr, joined=env.joined)
    return tr


def _with_events(tr: Transition, env: StepEnv, costs: list[tuple[str, Any]] = ()) -> Transition:  # type: ignore[assignment]
    """The transition with what its step did: sends, choices, and ("cost", name, amount) for each cost."""
    events = list(env.log or ())
    for name, f in costs:
        events.append(("cost", name, f(env)))
    return Transition(tr.kind, tr.label, tr.actor, tr.bindings, tr.message, tr.channel, tr.detail, tr.unit,
                      tuple(events))


class Model:
    """A protocol compiled for exploration."""

    def __init__(self, proto: ir.Protocol):
        self.proto = proto
        self.layout = lay = Layout.build(proto)
        self.sync_receivers: dict[tuple[str, str], list[Any]] = {}
        self.steps: list[CompiledStep] = []
        self.labels: list[str] = []
        counts: dict[str, int] = {}
        for r in proto.roles:
            view = RoleView(lay, r.name)
            comp = Compiler(view, r.name, self.sync_receivers)
            for s in r.steps:
                base = s.label
                counts[base] = counts.get(base, 0) + 1
                label = base if counts[base] == 1 else f"{base}#{counts[base]}"
                self.labels.append(label)
        self.unit_of: dict[tuple[str, Inst], int] = {}
        self.units: list[tuple[str, Inst]] = []
        idx = 0
        for r in proto.roles:
            view = RoleView(lay, r.name)
            comp = Compiler(view, r.name, self.sync_receivers)
            for s in r.steps:
                label = self.labels[idx]
                idx += 1
                cs = CompiledStep(self, s, label, comp)
                self.steps.append(cs)
                for i in range(r.count):
                    self.unit_of[(label, Inst(r.name, i))] = len(self.units)
                    self.units.append((label, Inst(r.name, i)))
                if s.kind is ir.StepKind.HANDLER:
                    for c in cs.channels:
                        if c.kind is ir.ChanKind.SYNC:
                            self.sync_receivers.setdefault((r.name, c.name), []).append(cs)
        self.roles = [r for r in proto.roles]
        self.normal_steps = [s for s in self.steps if s.step.kind is not ir.StepKind.TIMEOUT]
        self.timeout_steps = [s for s in self.steps if s.step.kind is ir.StepKind.TIMEOUT]
        self.has_final = proto.has_final()
        self._finals = {r.name: (compile_expr(r.final, RoleView(lay, r.name)) if r.final is not None else None)
                        for r in proto.roles}
        self.faults = list(zip(proto.faults, lay.fault_slot))
        self.reorder_budget: dict[str, list[int]] = {}
        for f, slot in self.faults:
            if f.kind is ir.FaultKind.REORDER:
                for c in proto.channels:
                    if (f.target is None or f.target == c.name) and c.kind is ir.ChanKind.FIFO:
                        self.reorder_budget.setdefault(c.name, []).append(slot)
        self._init_locals = {r.name: self._local_inits(r) for r in proto.roles}

    # ------------------------------------------------------------------ initial states
    def _var_inits(self, v: ir.VarDecl, view: Any, me: int) -> list[Any]:
        env = Env((), me, {}, self.layout)
        if v.init_kind is ir.InitKind.ANY:
            return list(domain(v.type))
        assert v.init is not None
        f = compile_expr(v.init, view)
        if v.init_kind is ir.InitKind.VALUE:
            return [f(env)]
        return sorted_domain(f(env))

    def _local_inits(self, r: ir.Role) -> list[list[tuple[Any, ...]]]:
        view = RoleView(self.layout, r.name)
        out = []
        for i in range(r.count):
            me = self.layout.role_base[r.name] + i
            choices = [self._var_inits(v, view, me) for v in r.vars]
            out.append([tuple(c) for c in itertools.product(*choices)])
        return out

    def initial_states(self) -> list[State]:
        lay = self.layout
        proto = self.proto
        shared_choices = [self._var_inits(v, lay, -1) for v in proto.shared]
        inst_choices = [opts for r in proto.roles for opts in self._init_locals[r.name]]
        chans = [frozenset() if ci.channel.kind is ir.ChanKind.SET else () for ci in lay.chan_insts]
        budgets = [f.budget for f in proto.faults]
        crash = [tuple(False for _ in range(proto.role_map[r].count)) for r in lay.crash_slot]
        seen: dict[State, None] = {}
        for shared in itertools.product(*shared_choices):
            for locals_ in itertools.product(*inst_choices):
                st = (*shared, *locals_, *chans, *budgets, *crash)
                seen.setdefault(st, None)
        return list(seen)

    # ------------------------------------------------------------------ predicates
    def alive(self, st: State, inst: Inst) -> bool:
        return not self.layout.is_crashed(st, inst)

    def is_final(self, st: State) -> bool:
        """Every live instance of every role satisfies its role's final condition."""
        lay = self.layout
        for r in self.roles:
            if r.implicit or r.final_always:
                continue
            f = self._finals[r.name]
            for i in range(r.count):
                inst = Inst(r.name, i)
                if lay.is_crashed(st, inst):
                    continue
                if f is None:
                    return False
                if not f(Env(st, lay.role_base[r.name] + i, {}, lay)):
                    return False
        return True

    def deliverable(self, ci: ChanInst, items: Any, st: State) -> Iterator[tuple[int, Any, int | None]]:
        """``(position, item, reorder budget slot or None)`` for each item a receiver may take."""
        kind = ci.channel.kind
        if kind is ir.ChanKind.FIFO:
            yield 0, items[0], None
            slots = self.reorder_budget.get(ci.channel.name)
            if slots:
                slot = next((s for s in slots if st[s] > 0), None)
                if slot is not None:
                    seen = {items[0]}
                    for pos in range(1, len(items)):
                        if items[pos] not in seen:
                            seen.add(items[pos])
                            yield pos, items[pos], slot
        elif kind is ir.ChanKind.BAG:
            prev = object()
            for pos, it in enumerate(items):
                if it != prev:
                    yield pos, it, None
                prev = it
        else:
            for it in sorted_domain(items):
                yield 0, it, None

    # ------------------------------------------------------------------ successors
    def successors(self, st: State, record: bool = False, errors: list[StepError] | None = None
                   ) -> list[tuple[Transition, State]]:
        """All (transition, next state) pairs: protocol steps first, then faults.

        ``errors``: see :meth:`protocol_successors`.
        """
        out = self.protocol_successors(st, record, errors)
        out.extend(self.fault_successors(st))
        return out

    def protocol_successors(self, st: State, record: bool = False, errors: list[StepError] | None = None
                            ) -> list[tuple[Transition, State]]:
        """The protocol steps enabled in ``st`` (no faults).

        A step that raises a violation (assert, runtime error, overflow) produces no
        successor. Without ``errors`` the first such violation is raised as
        :class:`StepError`; with a list, every violation is appended to it and the
        other steps are still explored (a raising step counts as enabled: it is not
        a deadlock, and it keeps a global timeout from firing).
        """
        if self.proto.schedule is ir.Schedule.ROUNDS:
            from accord.semantics.rounds import round_successors

            return round_successors(self, st, record, errors)
        out: list[tuple[Transition, State]] = []
        n_errors = len(errors) if errors is not None else 0
        roles = self.proto.role_map
        for cs in self.normal_steps:
            r = roles[cs.role]
            for i in range(r.count):
                inst = Inst(r.name, i)
                if self.layout.is_crashed(st, inst):
                    continue
                out.extend(cs.fire(st, inst, record, errors))
        if self.timeout_steps:
            stuck = not out and (errors is None or len(errors) == n_errors)
            out.extend(self._timeouts(st, record, stuck, errors))
        return out

    def _timeouts(self, st: State, record: bool, waiting: bool, errors: list[StepError] | None = None
                  ) -> list[tuple[Transition, State]]:
        out: list[tuple[Transition, State]] = []
        for cs in self.timeout_steps:
            r = self.proto.role_map[cs.role]
            budget_slot = None
            if not waiting:
                budget_slot = next((slot for f, slot in self.faults if f.kind is ir.FaultKind.TIMEOUT
                                    and f.target in (None, r.name) and st[slot] > 0), None)
                if budget_slot is None:
                    continue
            for i in range(r.count):
                inst = Inst(r.name, i)
                if self.layout.is_crashed(st, inst):
                    continue
                for tr, nxt in cs.fire(st, inst, record, errors):
                    if budget_slot is not None:
                        nxt = nxt[:budget_slot] + (nxt[budget_slot] - 1,) + nxt[budget_slot + 1:]
                        tr = dataclasses.replace(tr, detail="early (timeout fault)")
                    out.append((tr, nxt))
        return out

    def fault_successors(self, st: State) -> list[tuple[Transition, State]]:
        from accord.semantics.faults import fault_successors

        return fault_successors(self, st)

    # ------------------------------------------------------------------ property compilation
    def compile_property_expr(self, e: ir.Expr) -> Callable[[State], bool]:
        f = compile_expr(e, self.layout)
        lay = self.layout
        return lambda st: bool(f(Env(st, -1, {}, lay)))


__all__ = ["Model", "Transition", "State", "StepError"]
