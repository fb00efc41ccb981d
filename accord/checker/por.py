"""Partial-order reduction for the explicit search (``--por``): stubborn sets over step instances.

The transitions are *units*: one step of one role instance (``Model.units``),
plus one pseudo-unit per fault declaration. Each unit has a static *footprint*
computed from the IR: the resources it reads, writes, and appends to. Resources
are a role instance's variable, a shared variable, a channel instance, a fault
budget, a role's crash flags, and ``K`` (the state constraint, read by every
unit and written by any unit that writes what a constraint reads).

Two units are *dependent* when one writes what the other reads or writes;
appends to the same ``set`` or ``bag`` channel without a capacity commute and
are not a conflict. In each state every unit is fired (so errors, deadlock and
coverage are judged on the full set of enabled steps), and the successors of a
*stubborn set* T are explored, built from a seed enabled protocol unit by closure:

* an enabled unit in T brings every unit dependent on it (D1: steps outside T
  never disable or change what T's steps do, and commute with them);
* a disabled unit in T brings every unit writing what it reads (D2: nothing
  outside T can enable it).

The seed giving the fewest enabled units wins (decisions are cached per set of
enabled units). T falls back to every enabled transition when

* T holds an enabled *visible* unit: one that writes what an invariant,
  agreement or reachable property reads;
* the cycle proviso fails: some successor through T is already stored at a level
  no deeper than the state being expanded. Reduced edges then strictly deepen,
  so every cycle of the reduced graph has a fully expanded state (in BFS and DFS).

What is preserved: every reachable state with no enabled protocol step (so the
deadlock verdict), the violation of any invariant, agreement, assert or runtime
check, and reachable witnesses. The counts (distinct, depth, generated,
terminal) are those of the reduced graph: reports say "reduced", never the
full count. Liveness is not preserved: a spec with liveness properties runs
unreduced (see ``explicit.check``). Refused with a reason (:func:`por_problems`):
``schedule rounds``, ``on timeout`` steps (enabled when nothing else is), and
``sync`` channels (a send runs the receiver's handler inside the sender's step).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from accord import ir
from accord.ir.types import Inst, MapType, domain, size
from accord.semantics.evaluate import Env, compile_expr
from accord.semantics.layout import RoleView
from accord.semantics.model import Model, State, StepError

if TYPE_CHECKING:
    from accord.checker.explicit import _Search

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
    return any(_free_bound(getattr(e, f.name), bound) for f in dataclasses.fields(e)
               if f.name not in ("type", "span"))


class _Opaque(Exception):
    """A construct whose footprint is not known: the reduction refuses the spec."""


def por_problems(proto: ir.Protocol) -> list[str]:
    """Why partial-order reduction cannot run on ``proto`` (empty: it can)."""
    why = []
    if proto.schedule is ir.Schedule.ROUNDS:
        why.append("`schedule rounds` steps every agent at once")
    if any(s.kind is ir.StepKind.TIMEOUT for s in proto.steps):
        why.append("`on timeout` steps depend on every other step being disabled")
    if any(c.kind is ir.ChanKind.SYNC for c in proto.channels):
        why.append("`sync` channels run the receiver's step inside the sender's")
    if not why:
        try:
            _Footprints(Model(proto), [])
        except _Opaque as exc:
            why.append(str(exc))
    return why


class _Footprints:
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
            raise _Opaque(f"a local variable `{name}` is read outside a role")
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
            raise _Opaque(f"partial-order reduction does not know the expression {type(e).__name__}")
        for f in dataclasses.fields(e):
            if f.name not in ("type", "span"):
                self._walk(getattr(e, f.name), role, idx, out)

    # ------------------------------------------------------------------ statements
    def _stmts(self, body: tuple[ir.Stmt, ...], role: str, idx: int, acc: list[set[Any]]) -> None:
        for s in body:
            self._stmt(s, role, idx, acc)

    def _stmt(self, s: ir.Stmt, role: str, idx: int, acc: list[set[Any]]) -> None:
        reads, writes, appends = acc
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
                raise _Opaque(f"an assignment to the bound name `{t.name}`")
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
            raise _Opaque(f"partial-order reduction does not know the statement {type(s).__name__}")

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


class Reducer:
    """Chooses, in each state, the successors a stubborn set allows (see the module docstring)."""

    def __init__(self, model: Model, constraint_exprs: list[ir.Expr]):
        self.model = model
        fp = _Footprints(model, constraint_exprs)
        self.fault_units = fp.fault_units
        units = fp.units
        n = len(units)
        writers: dict[int, int] = {}  # resource bit -> units writing or appending to it

        def writing(mask: int) -> int:
            out = 0
            while mask:
                low = mask & -mask
                mask ^= low
                found = writers.get(low)
                if found is None:
                    found = writers[low] = sum(1 << v for v, (_, w, a) in enumerate(units) if (w | a) & low)
                out |= found
            return out

        self.conf = [0] * n  # units dependent on u (u enabled)
        for u, (ru, wu, au) in enumerate(units):
            for v, (rv, wv, av) in enumerate(units):
                if v != u and ((wu & (rv | wv | av)) or (au & (rv | wv)) or (ru & (wv | av))):
                    self.conf[u] |= 1 << v
        self.nes = [writing(r) & ~(1 << u) for u, (r, _, _) in enumerate(units)]  # may enable u (disabled)
        # sharper reasons a disabled protocol unit stays disabled (see successors)
        lay = model.layout
        self.me = [lay.inst_slot(inst) for _, inst in model.units]
        self.crash_nes = [writing(fp._bit(("X", inst.role))) if inst.role in lay.crash_slot else 0
                          for _, inst in model.units]
        self.guards = [[(test, writing(reads)) for test, reads in conj] for conj, _, _ in fp.why_off]
        self.inboxes = [(slots, writing(chans)) for _, slots, chans in fp.why_off]
        self.visible = 0
        for u, (_, w, a) in enumerate(units):
            if (w | a) & fp.prop_reads:
                self.visible |= 1 << u
        self.proto_mask = (1 << fp.n_protocol) - 1
        self.expanded = 0
        self.reduced = 0

    def summary(self) -> str:
        return (f"partial-order reduction: {self.reduced:,} of {self.expanded:,} expanded states took a reduced "
                "set of steps; the counts are of the reduced state graph")

    def _enablers(self, u: int, st: State, crashed: int) -> int:
        """Units one of which must fire before the disabled unit ``u`` can be enabled in ``st``."""
        if u >= len(self.me):
            return self.nes[u]
        if crashed >> u & 1:
            return self.crash_nes[u]
        slots, chan_nes = self.inboxes[u]
        if slots and not any(st[sl] for sl in slots):
            return chan_nes
        best = self.nes[u]
        if self.guards[u]:
            env = Env(st, self.me[u], {}, self.model.layout)
            for test, nes in self.guards[u]:
                try:
                    off = not test(env)
                except Exception:
                    continue
                if off and nes.bit_count() < best.bit_count():
                    best = nes
        return best

    def _closure(self, seed: int, enabled: int, best: int, enablers: Any) -> int:
        """The enabled units of the stubborn set grown from ``seed`` (0: no better than ``best``)."""
        t = 1 << seed
        work = [seed]
        while work:
            u = work.pop()
            add = (self.conf[u] if enabled >> u & 1 else enablers(u)) & ~t
            if add:
                t |= add
                if t & enabled & self.visible or (t & enabled).bit_count() >= best:
                    return 0
                while add:
                    low = add & -add
                    work.append(low.bit_length() - 1)
                    add ^= low
        return t & enabled

    def choose(self, enabled: int, st: State, crashed: int) -> int:
        """The enabled units to explore (``enabled`` itself when no proper stubborn set exists)."""
        memo: dict[int, int] = {}

        def enablers(u: int) -> int:
            found = memo.get(u)
            if found is None:
                found = memo[u] = self._enablers(u, st, crashed)
            return found

        best, best_n = enabled, enabled.bit_count()
        seeds = enabled & self.proto_mask & ~self.visible
        while seeds and best_n > 1:
            low = seeds & -seeds
            seeds ^= low
            t = self._closure(low.bit_length() - 1, enabled, best_n, enablers)
            if t:
                best, best_n = t, t.bit_count()
        return best

    def successors(self, search: "_Search", st: State, depth: int
                   ) -> tuple[bool, list[StepError], list[Any], set[int]]:
        """As ``_Search.successors``: (a protocol step is enabled, errors, successors, units taken)."""
        model = self.model
        lay = model.layout
        roles = model.proto.role_map
        errors: list[StepError] = []
        groups: list[tuple[int, list[Any]]] = []
        enabled = crashed = 0
        for cs in model.normal_steps:
            r = roles[cs.role]
            for i in range(r.count):
                inst = Inst(r.name, i)
                if lay.is_crashed(st, inst):
                    crashed |= 1 << model.unit_of[(cs.label, inst)]
                    continue
                n_err = len(errors)
                outs = list(cs.fire(st, inst, False, errors))
                if outs or len(errors) > n_err:
                    u = model.unit_of[(cs.label, inst)]
                    enabled |= 1 << u
                    if outs:
                        groups.append((u, outs))
        faults = model.fault_successors(st)
        for tr, nxt in faults:
            enabled |= 1 << self._fault_unit(st, nxt)
        taken = {u for u, _ in groups}
        proto_any = bool(enabled & self.proto_mask)
        self.expanded += 1
        pick = self.choose(enabled, st, crashed) if proto_any else enabled
        if pick != enabled:
            succ = [x for u, outs in groups if pick >> u & 1 for x in outs]
            succ += [(tr, nxt) for tr, nxt in faults if pick >> self._fault_unit(st, nxt) & 1]
            if self._proviso(search, succ, depth):
                self.reduced += 1
                return proto_any, errors, succ, taken
        succ = [x for _, outs in groups for x in outs]
        return proto_any, errors, succ + faults, taken

    def _fault_unit(self, st: State, nxt: State) -> int:
        for slot, u in self.fault_units:
            if nxt[slot] != st[slot]:
                return u
        raise AssertionError("a fault step that spends no budget")

    @staticmethod
    def _proviso(search: "_Search", succ: list[Any], depth: int) -> bool:
        """Every successor through the stubborn set is new or one level deeper (cycle proviso)."""
        store, level = search.store, search.level
        for _, nxt in succ:
            c = search.canon(nxt)
            if search.constraints and not all(f(c) for f in search.constraints):
                continue  # never stored: it closes no cycle
            j = store.find(c)
            if j >= 0 and level[j] <= depth:
                return False
        return True


__all__ = ["Reducer", "por_problems"]
