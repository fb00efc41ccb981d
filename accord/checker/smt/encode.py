"""A protocol's transition system for one team size, as Z3 formulas.

``encode(proto) -> Encoding | Diagnostic`` builds, once, over a *template*
state (one Z3 constant per leaf of every slot of :mod:`accord.semantics.layout`):

* ``init``: the initial-state predicate;
* ``branches``: one per step instance × parameter binding × received message ×
  ``choose`` option (and one per fault transition), each with its enabling
  condition ``ok`` and its post-state; ``trans(pre, post, sel)`` is the
  transition relation, where ``sel`` picks the branch and every leaf a branch
  does not write keeps its value (the frame condition);
* ``errors``: per violation name ("assert at line 9"), when some step raises it
  first — as the explicit checker reports it; a binding that raises has no
  successor;
* ``enabled``, ``final``, ``deadlock``, ``invariants`` (violation conditions),
  ``reachables``, ``constraint``, and ``escape`` (a step the encoding cannot
  follow: a send past the bound of a channel without a capacity).

Formulas over another copy of the state come from ``at(formula, state)``.
Anything outside the fragment is refused with an ACC410 diagnostic.

The fragment: bool, integer ranges, enums, role instances, records, options,
and sets and maps over finite domains; shared and local variables; ``set``,
``bag`` and ``fifo`` channels in every topology and full mode (a channel
without a capacity holds at most ``channel_bound`` messages here, and a run
past that is an escape); actions, handlers, ``on timeout``; every statement;
faults crash, restart, lose, duplicate, corrupt and timeout. Not supported:
sequences, ``sync`` channels, ``reorder`` faults, ``schedule rounds``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import z3

from accord import ir
from accord.checker.smt.channels import Chan, empty_chan, fresh_chan
from accord.checker.smt.exprs import Cx, Event
from accord.checker.smt.faults import Sink, fault_branches
from accord.checker.smt.fragment import channel_items, matches, refuse_outside
from accord.checker.smt.stmts import Executor
from accord.checker.smt.values import (
    FALSE,
    TRUE,
    Unsupported,
    decode,
    eq,
    fresh,
    keys_of,
    leaves,
    lift,
    mk_and,
    mk_not,
    mk_or,
)
from accord.diagnostics import Diagnostic
from accord.ir.types import Inst
from accord.semantics.evaluate import Env, compile_expr
from accord.semantics.exec import sorted_domain
from accord.semantics.layout import Layout, RoleView


@dataclass
class Branch:
    label: str
    ok: Any
    post: list[Any]


@dataclass
class Encoding:
    proto: ir.Protocol
    layout: Layout
    items: dict[int, tuple[Any, ...]]
    bound: int  # messages per unbounded channel (fifo) or per item (bag) the encoding can hold
    cur: list[Any] = field(default_factory=list)  # the template state (structured)
    leaves: list[Any] = field(default_factory=list)
    wellformed: Any = TRUE
    init: Any = TRUE
    branches: list[Branch] = field(default_factory=list)
    errors: dict[str, tuple[str, Any]] = field(default_factory=dict)  # name -> (kind, condition)
    any_error: Any = FALSE
    escape: Any = FALSE
    enabled: Any = FALSE
    final: Any = TRUE
    deadlock: Any = FALSE
    constraint: Any = TRUE
    invariants: dict[str, Any] = field(default_factory=dict)  # name -> violated
    reachables: dict[str, Any] = field(default_factory=dict)
    _next: list[Any] = field(default_factory=list)

    # ------------------------------------------------------------------ copies of the state
    def state(self, tag: str) -> tuple[list[Any], list[Any], Any]:
        """A fresh copy of the state named ``tag``: (structured, leaves, well-formedness)."""
        cons: list[Any] = []
        st = _fresh_state(self, tag, cons)
        return st, list(itertools.chain.from_iterable(leaves(x) for x in st)), z3.And(*cons) if cons else TRUE

    def at(self, f: Any, state_leaves: list[Any]) -> Any:
        """The template formula ``f`` over another copy of the state."""
        return z3.substitute(f, *zip(self.leaves, state_leaves))

    def trans(self, pre: list[Any], post: list[Any], sel: Any) -> Any:
        """T(pre, post): some branch (chosen by the Int ``sel``) is enabled in ``pre`` and leads to ``post``."""
        body = self.__dict__.get("_trans")
        if body is None:
            n = len(self.branches)
            pick = mk_or(*(mk_and(_SEL == i, b.ok) for i, b in enumerate(self.branches)))
            frame = [p == nx for p, nx in zip(_template_post(self), self._next)]
            body = self.__dict__["_trans"] = z3.And(_SEL >= 0, _SEL < max(n, 1), pick, *frame)
        subst = list(zip(self.leaves, pre)) + list(zip(_template_post(self), post)) + [(_SEL, sel)]
        return z3.substitute(body, *subst)

    def equals(self, st: list[Any], concrete: tuple[Any, ...]) -> Any:
        """The condition that the structured state ``st`` is the explicit state ``concrete``."""
        lay = self.layout
        parts = []
        for v in self.proto.shared:
            slot = lay.shared_slot[v.name]
            parts.append(eq(st[slot], lift(v.type, concrete[slot])))
        for r in self.proto.roles:
            for i in range(r.count):
                slot = lay.role_base[r.name] + i
                parts.extend(eq(x, lift(v.type, c)) for v, x, c in zip(r.vars, st[slot], concrete[slot]))
        for ci in lay.chan_insts:
            parts.append(st[ci.slot].holds(concrete[ci.slot]))
        for slot in lay.fault_slot:
            parts.append(st[slot] == concrete[slot])
        for slot in lay.crash_slot.values():
            parts.extend(b == c for b, c in zip(st[slot], concrete[slot]))
        return mk_and(*parts)

    def decode(self, st: list[Any], m: z3.ModelRef) -> tuple[Any, ...]:
        """The explicit state (a tuple of slots) that the model gives the structured state ``st``."""
        lay = self.layout
        out: list[Any] = []
        for v in self.proto.shared:
            out.append(decode(v.type, st[lay.shared_slot[v.name]], m))
        for r in self.proto.roles:
            for i in range(r.count):
                mine = st[lay.role_base[r.name] + i]
                out.append(tuple(decode(v.type, x, m) for v, x in zip(r.vars, mine)))
        for ci in lay.chan_insts:
            out.append(st[ci.slot].decode(m))
        for slot in lay.fault_slot:
            out.append(m.eval(st[slot], model_completion=True).as_long())
        for slot in lay.crash_slot.values():
            out.append(tuple(z3.is_true(m.eval(b, model_completion=True)) for b in st[slot]))
        return tuple(out)


_SEL = z3.Int("sel")


def _template_post(enc: Encoding) -> list[Any]:
    cache = enc.__dict__.setdefault("_post_leaves", None)
    if cache is None:
        _, cache, _ = enc.state("next")
        enc.__dict__["_post_leaves"] = cache
    return cache


def _fresh_state(enc: Encoding, tag: str, cons: list[Any]) -> list[Any]:
    proto, lay = enc.proto, enc.layout
    st: list[Any] = [None] * lay.size
    for v in proto.shared:
        st[lay.shared_slot[v.name]] = fresh(v.type, f"{tag}.{v.name}", cons)
    for r in proto.roles:
        for i in range(r.count):
            st[lay.role_base[r.name] + i] = tuple(fresh(v.type, f"{tag}.{r.name}[{i}].{v.name}", cons)
                                                  for v in r.vars)
    for ci in lay.chan_insts:
        st[ci.slot] = fresh_chan(ci.channel, enc.items[ci.slot], f"{tag}.chan {ci.label}", cons, enc.bound)
    for f, slot in zip(proto.faults, lay.fault_slot):
        b = z3.Int(f"{tag}.budget{slot}")
        cons.extend([b >= 0, b <= f.budget])
        st[slot] = b
    for role, slot in lay.crash_slot.items():
        st[slot] = tuple(z3.Bool(f"{tag}.crashed {role}[{i}]") for i in range(proto.role_map[role].count))
    return st


# ---------------------------------------------------------------------- building


#: Default stand-in capacity of channels declared without one (see :mod:`accord.checker.smt.channels`).
CHANNEL_BOUND = 4


def encode(proto: ir.Protocol, deadlock: bool | None = None, channel_bound: int = CHANNEL_BOUND
           ) -> Encoding | Diagnostic:
    """The Z3 encoding of ``proto`` at its current constants, or the ACC410 diagnostic refusing it.

    ``deadlock`` overrides the spec's ``check deadlock``; ``channel_bound`` is how many messages the
    encoding holds on a channel declared without a capacity (past it, a run is an escape)."""
    try:
        return _Builder(proto, deadlock, channel_bound).build()
    except Unsupported as exc:
        return exc.diagnostic


class _Builder:
    def __init__(self, proto: ir.Protocol, deadlock: bool | None, bound: int):
        refuse_outside(proto)
        self.proto = proto
        self.lay = Layout.build(proto)
        self.enc = Encoding(proto, self.lay, channel_items(proto, self.lay), bound)
        self.ex = Executor(self.lay, self.enc.items, bound)
        self.want_deadlock = deadlock if deadlock is not None else any(
            p.kind is ir.PropKind.DEADLOCK for p in proto.properties)
        self.first: dict[str, list[Any]] = {}
        self.kinds: dict[str, str] = {}
        self.raises: list[Any] = []
        self.escapes: list[Any] = []

    def build(self) -> Encoding:
        enc, lay, proto = self.enc, self.lay, self.proto
        enc.cur, enc.leaves, enc.wellformed = enc.state("s")
        enc.init = self._init()
        normal = [s for r in proto.roles for s in r.steps if s.kind is not ir.StepKind.TIMEOUT]
        timeouts = [s for r in proto.roles for s in r.steps if s.kind is ir.StepKind.TIMEOUT]
        for step in normal:
            self._step(step, None)
        en_normal = mk_or(*(b.ok for b in enc.branches))
        waiting = mk_and(mk_not(en_normal), mk_not(mk_or(*self.raises)))
        for step in timeouts:
            self._step(step, waiting)
        enc.enabled = mk_or(*(b.ok for b in enc.branches))
        enc.any_error = mk_or(*self.raises)
        enc.errors = {n: (self.kinds[n], mk_or(*cs)) for n, cs in self.first.items()}
        sink = Sink(self._add_fault, enc.bound)
        fault_branches(proto, lay, enc.cur, enc.items, self._init_locals, sink)
        enc.escape = mk_or(*self.escapes, *sink.escapes)
        enc.final = self._final()
        stuck = mk_and(mk_not(enc.enabled), mk_not(enc.any_error))
        enc.deadlock = mk_and(stuck, mk_not(enc.final)) if proto.has_final() else stuck
        if not self.want_deadlock:
            enc.deadlock = FALSE
        enc.constraint = mk_and(*(self._prop(c.expr)[0] for c in proto.constraints))
        for p in proto.properties:
            if p.kind in (ir.PropKind.INVARIANT, ir.PropKind.AGREEMENT) and p.expr is not None:
                v, err = self._prop(p.expr)
                enc.invariants[p.name] = mk_or(mk_not(v), err)
            elif p.kind is ir.PropKind.REACHABLE and p.expr is not None:
                v, err = self._prop(p.expr)
                enc.reachables[p.name] = mk_and(v, mk_not(err))
        enc._next = self._next_leaves()
        return enc

    # ------------------------------------------------------------------ initial states
    def _init_options(self, v: ir.VarDecl, view: Any, me: int) -> list[Any] | None:
        if v.init_kind is ir.InitKind.ANY:
            return None
        assert v.init is not None
        val = compile_expr(v.init, view)(Env((), me, {}, self.lay))
        return [val] if v.init_kind is ir.InitKind.VALUE else sorted_domain(val)

    def _init_locals(self, inst: Inst) -> list[tuple[Any, ...]]:
        r = self.proto.role_map[inst.role]
        view = RoleView(self.lay, r.name)
        me = self.lay.inst_slot(inst)
        opts = [self._init_options(v, view, me) for v in r.vars]
        full = [o if o is not None else list(keys_of(v.type, v.span)) for v, o in zip(r.vars, opts)]
        return [tuple(c) for c in itertools.product(*full)]

    def _init(self) -> Any:
        lay, cur = self.lay, self.enc.cur
        parts = []

        def one(v: ir.VarDecl, sym: Any, opts: list[Any] | None) -> None:
            if opts is not None:
                parts.append(mk_or(*(eq(sym, lift(v.type, o)) for o in opts)))

        for v in self.proto.shared:
            one(v, cur[lay.shared_slot[v.name]], self._init_options(v, lay, -1))
        for r in self.proto.roles:
            view = RoleView(lay, r.name)
            for i in range(r.count):
                slot = lay.role_base[r.name] + i
                for v, sym in zip(r.vars, cur[slot]):
                    one(v, sym, self._init_options(v, view, slot))
        parts.extend(empty_chan(cur[ci.slot]) for ci in lay.chan_insts)
        parts.extend(cur[slot] == f.budget for f, slot in zip(self.proto.faults, lay.fault_slot))
        parts.extend(mk_not(b) for slot in lay.crash_slot.values() for b in cur[slot])
        return mk_and(*parts)

    # ------------------------------------------------------------------ steps
    def _alive(self, inst: Inst) -> Any:
        slot = self.lay.crash_slot.get(inst.role)
        return TRUE if slot is None else mk_not(self.enc.cur[slot][inst.idx])

    def _step(self, step: ir.Step, waiting: Any | None) -> None:
        r = self.proto.role_map[step.role]
        for i in range(r.count):
            inst = Inst(r.name, i)
            base = Cx(list(self.enc.cur), inst, {}, self._alive(inst))
            if step.kind is ir.StepKind.HANDLER:
                bindings = self._messages(step, base)
            else:
                bindings = self._params(step, base, 0)
            fire: Any = TRUE
            budget_post: dict[int, Any] = {}
            if waiting is not None:
                fire, budget_post = self._timeout_budget(r.name, waiting)
            for cx in bindings:
                cx.pc = mk_and(cx.pc, fire)
                self._binding(step, inst, cx, budget_post)

    def _params(self, step: ir.Step, cx: Cx, i: int) -> list[Cx]:
        if i == len(step.params):
            return [cx]
        name, dom_e = step.params[i]
        dom = self.ex.ev._domain(dom_e, cx)
        out = []
        for k in dom.keys_sorted():
            sub = cx.fork()
            sub.events = []
            sub.pc = mk_and(cx.pc, dom.get(k))
            sub.b[name] = lift(dom.elem, k)
            if not z3.is_false(sub.pc):
                out.extend(self._params(step, sub, i + 1))
        return out

    def _messages(self, step: ir.Step, base: Cx) -> list[Cx]:
        assert base.me is not None
        decl = self.proto.messages[step.name]
        out = []
        for cname in step.channels:
            ch = self.proto.channel_map[cname]
            if ch.kind is ir.ChanKind.SYNC:
                raise Unsupported(f"`sync` channels (channel {ch.name})", ch.span)
            links = ch.topology is ir.Topology.LINKS
            for ci in self.lay.incoming(ch, base.me.idx):
                chan = base.st[ci.slot]
                for it in self.enc.items[ci.slot]:
                    m = it if links else it[1]
                    if m.name != step.name or not matches(step, m):
                        continue
                    cx = base.fork()
                    cx.events = []
                    cx.pc = mk_and(base.pc, chan.has(it))
                    cx.st[ci.slot] = chan.take(it)
                    sender = Inst(ch.src, ci.src_idx if links and ci.src_idx is not None else it[0])
                    cx.sender = sender
                    for p, (_, ft), a in zip(step.patterns, decl.fields, m.args):
                        if p.kind == "bind" and p.name is not None:
                            cx.b[p.name] = lift(ft, a)
                    if step.sender:
                        cx.b[step.sender] = z3.IntVal(sender.idx)
                    out.append(cx)
        return out

    def _timeout_budget(self, role: str, waiting: Any) -> tuple[Any, dict[int, Any]]:
        """When an ``on timeout`` of ``role`` may fire, and the budget it spends when it fires early."""
        slots = [slot for f, slot in zip(self.proto.faults, self.lay.fault_slot)
                 if f.kind is ir.FaultKind.TIMEOUT and f.target in (None, role)]
        cur = self.enc.cur
        post: dict[int, Any] = {}
        earlier_empty = TRUE
        for slot in slots:
            use = mk_and(mk_not(waiting), earlier_empty, cur[slot] > 0)
            post[slot] = z3.If(use, cur[slot] - 1, cur[slot])
            earlier_empty = mk_and(earlier_empty, cur[slot] <= 0)
        return mk_or(waiting, *(cur[s] > 0 for s in slots)), post

    def _binding(self, step: ir.Step, inst: Inst, cx: Cx, budget_post: dict[int, Any]) -> None:
        """One binding of one step: its paths become branches; it has none if it raises."""
        events: list[Event] = []
        cx.events = events
        cx.escapes = self.escapes
        cx.key = ()
        if step.guard is not None:
            g = self.ex.ev.ev(step.guard, cx)
            cx.pc = mk_and(cx.pc, g)
        paths = self.ex.block(step.body, [cx]) if not z3.is_false(cx.pc) else []
        raises = mk_or(*(e.cond for e in events))
        if events:
            self.raises.append(raises)
            for e in events:
                earlier = [x.cond for x in events if _before(x.key, e.key)]
                self.first.setdefault(e.name, []).append(mk_and(e.cond, *(mk_not(c) for c in earlier)))
                self.kinds[e.name] = e.kind
        label = f"{inst.role}[{inst.idx}].{step.label.split('.', 1)[-1]}"
        for p in paths:
            post = p.st
            for slot, v in budget_post.items():
                post = list(post)
                post[slot] = v
            self.enc.branches.append(Branch(label, mk_and(p.pc, mk_not(raises)), post))

    def _add_fault(self, label: str, ok: Any, changes: dict[int, Any]) -> None:
        if z3.is_false(ok):
            return
        post = list(self.enc.cur)
        for slot, v in changes.items():
            post[slot] = v
        self.enc.branches.append(Branch(label, ok, post))

    # ------------------------------------------------------------------ state predicates
    def _prop(self, e: ir.Expr, me: Inst | None = None) -> tuple[Any, Any]:
        """(value, the condition that evaluating it raises) of a state predicate."""
        cx = Cx(self.enc.cur, me, {})
        v = self.ex.ev.ev(e, cx)
        return v, mk_or(*(x.cond for x in cx.events))

    def _final(self) -> Any:
        parts = []
        for r in self.proto.roles:
            if r.implicit or r.final_always:
                continue
            for i in range(r.count):
                inst = Inst(r.name, i)
                ok = FALSE if r.final is None else self._prop(r.final, inst)[0]
                parts.append(mk_or(mk_not(self._alive(inst)), ok))
        return mk_and(*parts)

    def _next_leaves(self) -> list[Any]:
        """For each leaf, its next value: the written value of the chosen branch, else unchanged."""
        enc = self.enc
        n_leaves = len(enc.leaves)
        per_branch = []
        for b in enc.branches:
            lv = list(itertools.chain.from_iterable(leaves(x) for x in b.post))
            if len(lv) != n_leaves:
                raise AssertionError(f"branch {b.label} has {len(lv)} leaves, the state {n_leaves}")
            per_branch.append(lv)
        out = []
        for j, cur in enumerate(enc.leaves):
            nxt = cur
            for i in range(len(per_branch) - 1, -1, -1):
                v = per_branch[i][j]
                if not v.eq(cur):
                    nxt = z3.If(_SEL == i, v, nxt)
            out.append(nxt)
        return out


def _before(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """Whether the path ``a`` runs before the path ``b`` (choose options in order; not a prefix)."""
    n = min(len(a), len(b))
    return a[:n] != b[:n] and a < b


__all__ = ["Branch", "Chan", "Encoding", "encode"]
