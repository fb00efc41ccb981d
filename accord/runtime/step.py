"""One agent's steps, executed by the reference interpreter (:mod:`accord.semantics`).

An agent never holds the global state. It is handed a *view*: the state tuple
of the model with every other agent's variables masked (their initial values
stand in; a step cannot read them anyway — the language forbids it), and with
the shared variables, channel contents, fault budgets and crash flags the
runtime knows. Over that view:

* :func:`candidates` lists the agent's enabled steps (each binding of an
  action's parameters, each deliverable message a handler accepts, the timeout);
* :class:`StepRun` executes one of them: it computes every outcome the spec
  allows, and narrows them with the answers of ``decide`` at each ``choose``, in
  program order. An answer outside the options raises
  :class:`~accord.runtime.errors.ProtocolViolation` (kind ``decide``); a step
  whose every outcome raises the spec's own violation (assert, range, overflow)
  raises it with that kind.

Determinism: candidates come in the model's order (steps in declaration order,
bindings in canonical order), so a seeded scheduler is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord import ir
from accord.ir.types import Inst, render_value, to_json
from accord.runtime.errors import NotEnabled, ProtocolViolation
from accord.runtime.values import from_json, options_schema
from accord.semantics.evaluate import Env
from accord.semantics.exec import StepEnv
from accord.semantics.model import CompiledStep, Model, State, StepError, Transition


@dataclass(frozen=True)
class Delivery:
    """The message a handler takes: where it is, and who sent it."""

    channel: str  # channel instance label, e.g. "Leader->Worker[0]"
    slot: int
    pos: int  # position in the channel (-1 for a `set` channel: receiving does not remove)
    item: Any  # the channel item: the message (links) or (sender index, message)
    message: ir.Message
    sender: Inst
    out_of_order: bool = False  # taken past the head of a fifo (consumes a `reorder` budget)


@dataclass(frozen=True)
class Candidate:
    """An enabled step of one agent. ``early``: a timeout firing within a ``timeout`` fault budget."""

    label: str
    inst: Inst
    bindings: tuple[tuple[str, str], ...]
    values: tuple[tuple[str, Any], ...]  # the parameters' runtime values (actions)
    delivery: Delivery | None = None
    early: bool = False
    error: str | None = None  # every outcome of this step raises this violation

    def key(self) -> tuple[Any, ...]:
        d = self.delivery
        return (self.label, self.inst, self.bindings,
                (d.channel, d.pos, d.message, d.out_of_order) if d is not None else None)


def view_of(model: Model, st: State, inst: Inst) -> State:
    """``st`` as ``inst`` may see it: every other agent's variables replaced by their initial values."""
    lay = model.layout
    out = list(st)
    me = lay.inst_slot(inst)
    for r in model.proto.roles:
        for i in range(r.count):
            slot = lay.role_base[r.name] + i
            if slot != me:
                out[slot] = model._init_locals[r.name][i][0]
    return tuple(out)


def step_of(model: Model, label: str) -> CompiledStep:
    for cs in model.steps:
        if cs.label == label:
            return cs
    raise NotEnabled(f"the protocol has no step {label}")


def candidates(model: Model, view: State, inst: Inst, timeouts: str = "no") -> list[Candidate]:
    """The steps ``inst`` can take in ``view``.

    ``timeouts``: ``"no"`` (normal steps only), ``"waiting"`` (only the timeout
    steps, as when nothing else can happen) or ``"early"`` (only the timeout
    steps, each marked as consuming a ``timeout`` fault budget).
    """
    if model.layout.is_crashed(view, inst):
        return []
    steps = model.timeout_steps if timeouts != "no" else model.normal_steps
    out: dict[tuple[Any, ...], Candidate] = {}
    for cs in steps:
        if cs.role != inst.role:
            continue
        errs: list[StepError] = []
        for tr, env in cs.outcomes(view, inst, True, errs):
            c = _candidate(model, view, cs, inst, tr, env, timeouts == "early")
            out.setdefault(c.key(), c)
        for e in errs:
            c = _candidate(model, view, cs, inst, e.transition, None, timeouts == "early", str(e.violation))
            out.setdefault(c.key(), c)
    return list(out.values())


def _candidate(model: Model, view: State, cs: CompiledStep, inst: Inst, tr: Transition, env: StepEnv | None,
               early: bool, error: str | None = None) -> Candidate:
    values: tuple[tuple[str, Any], ...] = ()
    if env is not None:
        values = tuple((n, env.b[n]) for n, _ in cs.params if n in env.b)
    delivery = _delivery(model, view, tr, env) if cs.step.kind is ir.StepKind.HANDLER else None
    return Candidate(cs.label, inst, tr.bindings, values, delivery, early, error)


def _delivery(model: Model, view: State, tr: Transition, env: StepEnv | None) -> Delivery:
    lay = model.layout
    ci = next(c for c in lay.chan_insts if c.label == tr.channel)
    links = ci.channel.topology is ir.Topology.LINKS
    ooo = tr.detail == "out of order"
    if env is not None and env.took is not None:
        _, pos, item = env.took
    else:  # a set channel, or a raising step: find the item by its rendering (and, for fifo, at the head)
        items = view[ci.slot]
        seq = sorted(items, key=lambda x: str(x)) if isinstance(items, frozenset) else list(items)
        pos, item = next((p, it) for p, it in enumerate(seq)
                         if lay.render_msg(it if links else it[1]) == tr.message)
        if isinstance(items, frozenset):
            pos = -1
    m = item if links else item[1]
    sender_idx = ci.src_idx if links else item[0]
    assert sender_idx is not None
    sender = Inst(ci.channel.src, sender_idx)
    return Delivery(ci.label, ci.slot, pos, item, m, sender, ooo)


def _matches(cand: Candidate, tr: Transition, env: StepEnv) -> bool:
    if tr.bindings != cand.bindings:
        return False
    d = cand.delivery
    if d is None:
        return True
    if tr.channel != d.channel or (tr.detail == "out of order") != d.out_of_order:
        return False
    if env.sender != d.sender:
        return False
    if env.took is not None:
        return env.took[1] == d.pos and env.took[2] == d.item
    return tr.message == model_render(env, d.message)


def model_render(env: StepEnv, m: ir.Message) -> str:
    return str(env.layout.render_msg(m))


def choose_types(step: ir.Step) -> dict[str, ir.Type]:
    """The element type of each ``choose`` variable of a step (first declaration wins)."""
    out: dict[str, ir.Type] = {}

    def walk(stmts: tuple[ir.Stmt, ...]) -> None:
        for s in stmts:
            if isinstance(s, ir.Choose):
                t = s.domain.type
                out.setdefault(s.var, t.elem if isinstance(t, ir.SetType) else t)
                walk(s.body)
            elif isinstance(s, (ir.For,)):
                walk(s.body)
            elif isinstance(s, ir.If):
                walk(s.then)
                walk(s.other or ())

    walk(step.body)
    return out


def _chooses(tr: Transition) -> list[tuple[str, Any]]:
    return [(e[1], e[2]) for e in tr.events if e[0] == "choose"]


class StepRun:
    """One step being executed: its outcomes, narrowed by each ``decide`` answer in turn.

    Use: ``while (q := run.question()) is not None: run.answer(decide(*q))``, then
    :meth:`result`.
    """

    def __init__(self, model: Model, view: State, cand: Candidate):
        self.model = model
        self.cand = cand
        self.cs = step_of(model, cand.label)
        if self.cs.role != cand.inst.role:
            raise NotEnabled(f"{cand.label} is not a step of {cand.inst.role}")
        errs: list[StepError] = []
        self.outs = [(tr, env) for tr, env in self.cs.outcomes(view, cand.inst, True, errs)
                     if _matches(cand, tr, env)]
        if not self.outs:
            for e in errs:
                if e.transition.bindings == cand.bindings and (
                        cand.delivery is None or e.transition.message == model.layout.render_msg(cand.delivery.message)):
                    kind = getattr(e.violation, "kind", "runtime")
                    raise ProtocolViolation(kind, f"{cand.label}: {e.violation}")
            raise NotEnabled(f"{cand.label} ({_args(cand)}) is not enabled at {cand.inst.role}[{cand.inst.idx}]")
        self.types = choose_types(self.cs.step)
        self.k = 0
        self.decisions: list[tuple[str, list[Any], Any]] = []  # (point, options JSON, answer JSON)
        self._pending: tuple[str, list[Any], list[Any]] | None = None

    def question(self) -> tuple[str, list[Any], dict[str, Any]] | None:
        """The next ``decide(point, options, schema)`` to ask, or None when the outcome is settled."""
        nth = [_nth(tr, self.k) for tr, _ in self.outs]
        if all(x is None for x in nth):
            return None
        var = next(x[0] for x in nth if x is not None)
        values: list[Any] = []
        for x in nth:
            if x is not None and x[1] not in values:
                values.append(x[1])
        t = self.types.get(var)
        point = f"{self.cand.label}.{var}"
        options = [to_json(t, v) if t is not None else v for v in values]
        self._pending = (point, options, values)
        schema = options_schema(point, t, options)
        schema["x-accord-context"] = self.context()
        return point, options, schema

    def context(self) -> dict[str, Any]:
        """What an LLM needs to know about the step: who takes it, with which arguments, on which message."""
        c = self.cand
        lay = self.model.layout
        role = self.model.proto.role_map[c.inst.role]
        ctx: dict[str, Any] = {"agent": f"{role.name}[{c.inst.idx}]" if role.indexed else role.name,
                               "step": c.label, "bindings": dict(c.bindings)}
        if c.delivery is not None:
            ctx["message"] = lay.msg_json(c.delivery.message)
        return ctx

    def answer(self, answer: Any) -> None:
        """Narrow the outcomes to ``answer``; ProtocolViolation (kind ``decide``) if it is not an option."""
        assert self._pending is not None, "answer() without question()"
        point, options, values = self._pending
        var = point.rsplit(".", 1)[1]
        t = self.types.get(var)
        chosen = None
        for opt, v in zip(options, values):
            if opt == answer:
                chosen = v
                break
        if chosen is None and t is not None:
            try:
                val = from_json(t, answer)
            except (ValueError, TypeError):
                val = None
            if val is not None and val in values:
                chosen = val
        if chosen is None:
            raise ProtocolViolation("decide", f"decide({point!r}) answered {answer!r}, which is not one of the "
                                    f"options the protocol allows there: {options}")
        self.decisions.append((point, options, to_json(t, chosen) if t is not None else chosen))
        self.outs = [(tr, env) for tr, env in self.outs if (_nth(tr, self.k) or ("", None))[1] == chosen]
        self.k += 1
        self._pending = None

    def result(self) -> tuple[Transition, StepEnv]:
        return self.outs[0]


def _nth(tr: Transition, k: int) -> tuple[str, Any] | None:
    ch = _chooses(tr)
    return ch[k] if k < len(ch) else None


def _args(c: Candidate) -> str:
    parts = [f"{k}={v}" for k, v in c.bindings]
    if c.delivery is not None:
        parts.insert(0, f"receives {c.delivery.channel}")
    return ", ".join(parts)


def timer_armed(model: Model, st: State, inst: Inst) -> list[str]:
    """Labels of ``inst``'s timeout steps whose guard holds in ``st``."""
    out = []
    lay = model.layout
    for cs in model.timeout_steps:
        if cs.role != inst.role:
            continue
        if cs.guard is None or cs.guard(Env(st, lay.inst_slot(inst), {}, lay)):
            out.append(cs.label)
    return out


def render_bindings(cs: CompiledStep, values: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Bindings as traces render them, from runtime values."""
    return tuple((n, render_value(t.elem if isinstance(t, (ir.SetType, ir.SeqType)) else t, values[n]))
                 for (n, _), t in zip(cs.params, cs.param_types) if n in values)


__all__ = ["Candidate", "Delivery", "StepRun", "candidates", "choose_types", "step_of", "timer_armed", "view_of"]
