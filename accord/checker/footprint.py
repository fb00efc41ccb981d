"""Static footprints of step instances for partial-order reduction (:mod:`accord.checker.por`).

A *unit* is one step of one role instance, or one fault declaration. Its footprint
is three sets of resources, as bitmasks: what it reads, writes, and appends to.
Resources: ``("L", role, index, var[, key])`` a role instance's variable (one per
entry of a small map, when the key is ``self`` or a literal), ``("S", var[, key])``
a shared variable, ``("C", slot)`` a channel instance, ``("F", slot)`` a fault
budget, ``("X", role)`` a role's crash flags, ``("K",)`` the state constraint.
A construct this module does not know raises :class:`Opaque`: the reduction then
refuses the spec rather than guess.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from accord import ir
from accord.ir.types import Inst, MapType, domain, size
from accord.semantics.evaluate import compile_expr
from accord.semantics.layout import RoleView
from accord.semantics.model import Model

_PURE = (ir.Lit, ir.ConstRef, ir.SelfRef, ir.Field, ir.Index, ir.Unary, ir.Binary, ir.SetLit, ir.SetComp,
         ir.RecordLit, ir.MapLit, ir.SeqLit, ir.AllOf, ir.Quant, ir.IfExpr, ir.Call, ir.MsgCons)


def _free_bound(e: Any, bound: set[str]) -> bool:
    """Whether ``e`` reads a bound name (parameter, message field, let) it does not bind itself."""
    if isinstance(e, tuple):
        return any(_free_bound(x, bound) for x in e)
    if not isinstance(e, ir.Expr):
        return False
    if isinstance(e, ir.VarRef):
        return e.scope is ir.Scope.BOUND and e.name not in bound
    if isinstance(e, ir.Quant):
        inner = set(bound)
        for name, dom in e.binders:
            if _free_bound(dom, inner):
                return True
            inner.add(name)
        return _free_bound(e.body, inner)
    if isinstance(e, (ir.SetComp, ir.MapLit)):
        inner = bound | {e.var}
        parts = [e.elem, e.cond] if isinstance(e, ir.SetComp) else [e.body]
        if isinstance(e, ir.SetComp) and _free_bound(e.domain, bound):
            return True
        return any(_free_bound(x, inner) for x in parts if x is not None)
    return any(_free_bound(getattr(e, f.name), bound) for f in dataclasses.fields(e)  # type: ignore[arg-type]
               if f.name not in ("type", "span"))


class Opaque(Exception):
    """A construct whose footprint is not known: the reduction refuses the spec."""


class Footprints:
    """Static read/write/append sets of every unit, as bitmasks over resources."""

    def __init__(self, model: Model, constraint_exprs: list[ir.Expr]):
        self.model = model
        self.lay = model.layout
        self.proto = model.proto
        self.bits: dict[Any, int] = {}
        by_label = {cs.label: cs for cs in model.steps}
        self.units: list[tuple[int, int, int]] = []  # (reads, writes, appends) per unit
        #: per protocol unit: (guard conjuncts as (test, reads), incoming channel slots, channel reads)
        self.why_off: list[tuple[list[tuple[Any, int]], list[int], int]] = []
        for label, inst in model.units:
            cs = by_label[label]
            self.units.append(self._step(cs, inst))
            self.why_off.append(self._disabling(cs, inst))
        self.fault_units: list[tuple[int, int]] = []  # (budget slot, unit id)
        for f, slot in model.faults:
            fp = self._fault(f, slot)
            if fp is not None:
                self.fault_units.append((slot, len(self.units)))
                self.units.append(fp)
        self.n_protocol = len(model.units)
        if constraint_exprs:
            k = self._bit(("K",))
            cread = 0
            for e in constraint_exprs:
                cread |= self._mask(self._expr(e, None, None))
            self.units = [(r | k, (w | k) if (w | a) & cread else w, a) for r, w, a in self.units]
        self.prop_reads = 0
        for p in self.proto.properties:
            if p.kind in (ir.PropKind.INVARIANT, ir.PropKind.AGREEMENT, ir.PropKind.REACHABLE) \
                    and p.expr is not None:
                self.prop_reads |= self._mask(self._expr(p.expr, None, None))

    # ------------------------------------------------------------------ resources
    def _bit(self, res: Any) -> int:
        b = self.bits.get(res)
        if b is None:
            b = self.bits[res] = 1 << len(self.bits)
        return b

    def _mask(self, resources: set[Any]) -> int:
        m = 0
        for r in resources:
            m |= self._bit(r)
        return m

    def _var(self, scope: ir.Scope, name: str, role: str | None, idx: int | None) -> tuple[Any, ...]:
        if scope is ir.Scope.SHARED:
            return ("S", name)
        if role is None:
            raise Opaque(f"a local variable `{name}` is read outside a role")
        return ("L", role, idx, name)

    @staticmethod
    def _cells(res: tuple[Any, ...], typ: Any) -> list[tuple[Any, ...]]:
        """The resources of a whole variable: one per entry of a (small) map, else the variable."""
        if isinstance(typ, MapType) and size(typ.key) <= 256:
            return [res + (k,) for k in domain(typ.key)]
        return [res]

    @staticmethod
    def _const_key(e: Any, role: str | None, idx: int | None) -> Any:
        """The value of a map key that is the same in every firing of the unit (None: not one)."""
        if isinstance(e, ir.SelfRef) and role is not None and idx is not None:
            return Inst(role, idx)
        if isinstance(e, (ir.Lit, ir.ConstRef)) and e.value is not None:
            return e.value
        return None

    @staticmethod
    def _const_inst(e: Any) -> int | None:
        """The index of an instance written ``Role[k]`` with a literal or constant k (None: not one)."""
        if isinstance(e, ir.Call) and e.fn == "instance" and isinstance(e.args[0], (ir.Lit, ir.ConstRef)):
            return e.args[0].value if isinstance(e.args[0].value, int) else None
        if isinstance(e, ir.Lit) and isinstance(e.value, Inst):
            return e.value.idx
        return None

    def _crash_all(self) -> set[Any]:
        return {("X", r) for r in self.lay.crash_slot}

    # ------------------------------------------------------------------ expressions
    def _expr(self, e: Any, role: str | None, idx: int | None) -> set[Any]:
        out: set[Any] = set()
        self._walk(e, role, idx, out)
        return out

    def _walk(self, e: Any, role: str | None, idx: int | None, out: set[Any]) -> None:
        if isinstance(e, tuple):
            for x in e:
                self._walk(x, role, idx, out)
            return
        if not isinstance(e, ir.Expr):
            return  # names, types, literal payloads
        if isinstance(e, ir.VarRef):
            if e.scope is not ir.Scope.BOUND:
                out.update(self._cells(self._var(e.scope, e.name, role, idx), e.type))
            return
        if isinstance(e, ir.Index) and isinstance(e.base, ir.VarRef) and e.base.scope is not ir.Scope.BOUND:
            key = self._const_key(e.key, role, idx)
            if key is not None and isinstance(e.base.type, MapType):
                out.add(self._var(e.base.scope, e.base.name, role, idx) + (key,))
                return
        if isinstance(e, ir.RoleVar):
            which = self._const_inst(e.inst)
            for j in range(self.proto.role_map[e.role].count) if which is None else (which,):
                out.update(self._cells(("L", e.role, j, e.var), e.type))
        elif isinstance(e, ir.Call) and e.fn in ("crashed", "alive"):
            out.update(self._crash_all())
        elif not isinstance(e, _PURE):
            raise Opaque(f"partial-order reduction does not know the expression {type(e).__name__}")
        for f in dataclasses.fields(e):
            if f.name not in ("type", "span"):
                self._walk(getattr(e, f.name), role, idx, out)

    # ------------------------------------------------------------------ statements
    def _stmts(self, body: tuple[ir.Stmt, ...], role: str, idx: int, acc: list[set[Any]]) -> None:
        for s in body:
            self._stmt(s, role, idx, acc)

    def _stmt(self, s: ir.Stmt, role: str, idx: int, acc: list[set[Any]]) -> None:
        reads, writes, _appends = acc
        if isinstance(s, ir.Skip):
            return
        if isinstance(s, ir.Let):
            reads |= self._expr(s.value, role, idx)
        elif isinstance(s, ir.Assert):
            reads |= self._expr(s.cond, role, idx)
        elif isinstance(s, ir.If):
            reads |= self._expr(s.cond, role, idx)
            self._stmts(s.then, role, idx, acc)
            self._stmts(s.other or (), role, idx, acc)
        elif isinstance(s, (ir.Choose, ir.For)):
            reads |= self._expr(s.domain, role, idx)
            self._stmts(s.body, role, idx, acc)
        elif isinstance(s, ir.Assign):
            t = s.target
            if t.scope is ir.Scope.BOUND:
                raise Opaque(f"an assignment to the bound name `{t.name}`")
            base = self._var(t.scope, t.name, role, idx)
            key = self._const_key(t.path[0], role, idx) if t.path and not isinstance(t.path[0], str) else None
            cells = [base + (key,)] if key is not None and isinstance(t.root_type, MapType) \
                else self._cells(base, t.root_type)
            writes.update(cells)
            if t.path:  # a partial update keeps the rest of what it writes
                reads.update(cells)
                for k in t.path:
                    if not isinstance(k, str):
                        reads |= self._expr(k, role, idx)
            reads |= self._expr(s.value, role, idx)
        elif isinstance(s, (ir.Send, ir.Broadcast, ir.Reply)):
            reads |= self._expr(s.msg, role, idx)
            if isinstance(s, ir.Send):
                reads |= self._expr(s.dest, role, idx)
            self._send(s.channel, idx, acc)
        else:
            raise Opaque(f"partial-order reduction does not know the statement {type(s).__name__}")

    def _send(self, channel: str, idx: int, acc: list[set[Any]]) -> None:
        ch = self.proto.channel_map[channel]
        commutes = ch.kind in (ir.ChanKind.SET, ir.ChanKind.BAG) and ch.capacity is None
        for ci in self.lay.chan_insts:
            if ci.channel.name == channel and ci.src_idx in (None, idx):
                res = ("C", ci.slot)
                if commutes:
                    acc[2].add(res)
                else:  # order, capacity or a full channel: the send reads what it writes
                    acc[0].add(res)
                    acc[1].add(res)

    def _step(self, cs: Any, inst: Inst) -> tuple[int, int, int]:
        step: ir.Step = cs.step
        role, idx = inst.role, inst.idx
        acc: list[set[Any]] = [set(), set(), set()]
        reads = acc[0]
        if role in self.lay.crash_slot:
            reads.add(("X", role))
        if step.guard is not None:
            reads |= self._expr(step.guard, role, idx)
        for _, dom in step.params:
            reads |= self._expr(dom, role, idx)
        for p in step.patterns:
            if p.value is not None:
                reads |= self._expr(p.value, role, idx)
        if step.kind is ir.StepKind.HANDLER:
            for ch in cs.channels:
                for ci in self.lay.incoming(ch, idx):
                    reads.add(("C", ci.slot))
                    if ch.kind is not ir.ChanKind.SET:  # a set channel is a pool: receiving takes nothing
                        acc[1].add(("C", ci.slot))
                for slot in self.model.reorder_budget.get(ch.name, []):
                    reads.add(("F", slot))
                    acc[1].add(("F", slot))
        self._stmts(step.body, role, idx, acc)
        return self._mask(acc[0]), self._mask(acc[1]), self._mask(acc[2])

    def _disabling(self, cs: Any, inst: Inst) -> tuple[list[tuple[Any, int]], list[int], int]:
        """What can keep a unit disabled: each guard conjunct that mentions no parameter or message
        field (a compiled test and its reads), and, for a handler, its incoming channel slots."""
        view = RoleView(self.lay, inst.role)
        conjuncts: list[tuple[Any, int]] = []
        todo = [cs.step.guard] if cs.step.guard is not None else []
        while todo:
            e = todo.pop(0)
            if isinstance(e, ir.Binary) and e.op == "and":
                todo[:0] = [e.left, e.right]
                continue
            if _free_bound(e, set()):
                continue
            conjuncts.append((compile_expr(e, view), self._mask(self._expr(e, inst.role, inst.idx))))
        slots: list[int] = []
        if cs.step.kind is ir.StepKind.HANDLER:
            slots = [ci.slot for ch in cs.channels for ci in self.lay.incoming(ch, inst.idx)]
        return conjuncts, slots, self._mask({("C", sl) for sl in slots})

    def _fault(self, f: ir.Fault, slot: int) -> tuple[int, int, int] | None:
        res: set[Any] = {("F", slot)}
        kind = f.kind
        if kind in (ir.FaultKind.CRASH, ir.FaultKind.RESTART):
            for r in self.proto.roles:
                if r.implicit or f.target not in (None, r.name) or r.name not in self.lay.crash_slot:
                    continue
                res.add(("X", r.name))
                if kind is ir.FaultKind.RESTART:
                    for i in range(r.count):
                        for v in r.vars:
                            res.update(self._cells(("L", r.name, i, v.name), v.type))
        elif kind in (ir.FaultKind.LOSE, ir.FaultKind.DUPLICATE, ir.FaultKind.CORRUPT):
            for ci in self.lay.chan_insts:
                ch = ci.channel
                if kind is ir.FaultKind.CORRUPT or (ch.kind is not ir.ChanKind.SET and f.target in (None, ch.name)):
                    res.add(("C", ci.slot))
        else:
            return None  # reorder and timeout act through delivery and timeout steps: no transitions
        m = self._mask(res)
        return m, m, 0
