"""Statements executed symbolically, following :mod:`accord.semantics.exec`.

A step body runs over a list of *paths* (:class:`~accord.checker.smt.exprs.Cx`):
``choose`` forks one path per concrete option (in the explicit order), ``if``
runs both sides and merges them back when each side ends in a single path, and
a statement that blocks (a send to a full ``blocks`` channel, an empty
``choose``) narrows the path condition. Errors become events (see
:mod:`accord.checker.smt.exprs`).

A send past the encoding's bound on a channel without a capacity cannot be
stored in the SMT encoding although the explicit semantics performs it; such a
send is recorded in ``Cx.escapes`` and the path stops there, so an engine can
say it cannot follow the run rather than answer wrongly. (So is, defensively, a
message that matches no item of its channel.)
"""

from __future__ import annotations

from typing import Any

import z3

from accord import ir
from accord.checker.smt.exprs import Cx, Evaluator
from accord.checker.smt.values import (
    FALSE,
    Unsupported,
    coerce,
    contains,
    eq,
    ite,
    keys_of,
    lift,
    mk_and,
    mk_not,
    mk_or,
)
from accord.ir.types import within
from accord.semantics.layout import ChanInst, Layout


class Executor:
    """Runs statement blocks over paths. ``items[slot]`` lists what each channel instance can hold;
    ``bound`` is the encoding's limit for channels without a capacity."""

    def __init__(self, lay: Layout, items: dict[int, tuple[Any, ...]], bound: int):
        self.lay = lay
        self.bound = bound
        self.proto = lay.proto
        self.items = items
        self.ev = Evaluator(lay)

    # ------------------------------------------------------------------ blocks
    def block(self, stmts: tuple[ir.Stmt, ...], paths: list[Cx]) -> list[Cx]:
        for s in stmts:
            nxt: list[Cx] = []
            for p in paths:
                if z3.is_false(p.pc):
                    continue
                nxt.extend(self.stmt(s, p))
            paths = [p for p in nxt if not z3.is_false(p.pc)]
            if not paths:
                break
        return paths

    def stmt(self, s: ir.Stmt, cx: Cx) -> list[Cx]:
        fn = getattr(self, "s_" + type(s).__name__, None)
        if fn is None:
            raise Unsupported(f"the statement `{type(s).__name__}`", getattr(s, "span", None))
        return fn(s, cx)

    def s_Skip(self, s: ir.Skip, cx: Cx) -> list[Cx]:
        return [cx]

    def s_Let(self, s: ir.Let, cx: Cx) -> list[Cx]:
        cx.b[s.var] = self.ev.ev(s.value, cx)
        return [cx]

    def s_Assert(self, s: ir.Assert, cx: Cx) -> list[Cx]:
        c = self.ev.ev(s.cond, cx)
        cx.error("assert", s.span, mk_not(c))
        return [cx]

    # ------------------------------------------------------------------ control
    def branch(self, c: Any, then: tuple[ir.Stmt, ...], other: tuple[ir.Stmt, ...] | None, cx: Cx) -> list[Cx]:
        """``if c { then } else { other }`` on one path."""
        t_cx = cx.fork()
        t_cx.pc = mk_and(cx.pc, c)
        e_cx = cx.fork()
        e_cx.pc = mk_and(cx.pc, mk_not(c))
        t = self.block(then, [t_cx]) if not z3.is_false(t_cx.pc) else []
        e = [] if z3.is_false(e_cx.pc) else (self.block(other, [e_cx]) if other is not None else [e_cx])
        if len(t) == 1 and len(e) == 1:
            a, b = t[0], e[0]
            merged = cx.fork()
            merged.pc = mk_or(a.pc, b.pc)
            merged.st = [x if x is y else ite(c, x, y) for x, y in zip(a.st, b.st)]
            return [merged]
        return t + e

    def s_If(self, s: ir.If, cx: Cx) -> list[Cx]:
        c = self.ev.ev(s.cond, cx)
        return self.branch(c, s.then, s.other, cx)

    def s_Choose(self, s: ir.Choose, cx: Cx) -> list[Cx]:
        dom = self.ev._domain(s.domain, cx)
        out: list[Cx] = []
        for i, k in enumerate(dom.keys_sorted()):
            p = cx.fork(key=cx.key + (i,))
            p.pc = mk_and(cx.pc, dom.get(k))
            if z3.is_false(p.pc):
                continue
            p.b[s.var] = lift(dom.elem, k)
            out.extend(self.block(s.body, [p]))
        return out

    def s_For(self, s: ir.For, cx: Cx) -> list[Cx]:
        dom = self.ev._domain(s.domain, cx)
        paths = [cx]
        for k in dom.keys_sorted():
            nxt: list[Cx] = []
            for p in paths:
                p.b[s.var] = lift(dom.elem, k)
                nxt.extend(self.branch(dom.get(k), s.body, None, p))
            paths = nxt
        for p in paths:
            p.b.pop(s.var, None)
        return paths

    # ------------------------------------------------------------------ assignment
    def s_Assign(self, s: ir.Assign, cx: Cx) -> list[Cx]:
        t = s.target
        v = self.ev.ev(s.value, cx)
        if not within(s.value.type, t.type):
            cx.error("runtime", s.span, mk_not(contains(t.type, v)))
        v = coerce(t.type, v)
        if t.scope is ir.Scope.SHARED:
            slot = self.lay.shared_slot[t.name]
            cx.st[slot] = self._update(cx, s, cx.st[slot], t.root_type, 0, v)
        else:
            assert cx.me is not None
            slot = self.lay.inst_slot(cx.me)
            k = self.lay.local_index[cx.me.role][t.name]
            mine = cx.st[slot]
            cx.st[slot] = mine[:k] + (self._update(cx, s, mine[k], t.root_type, 0, v),) + mine[k + 1:]
        return [cx]

    def _update(self, cx: Cx, s: ir.Assign, old: Any, cur: ir.Type, i: int, new: Any) -> Any:
        path = s.target.path
        if i == len(path):
            return new
        step = path[i]
        if isinstance(step, str):
            assert isinstance(cur, ir.RecordType)
            pos = cur.field_index(step)
            return old[:pos] + (self._update(cx, s, old[pos], cur.field_type(step), i + 1, new),) + old[pos + 1:]
        if not isinstance(cur, ir.MapType):
            raise Unsupported("assigning into a sequence", s.span)
        key = self.ev.ev(step, cx)
        keys = keys_of(cur.key, s.span)
        hits = [eq(key, lift(cur.key, k)) for k in keys]
        cx.error("runtime", s.span, mk_not(mk_or(*hits)))
        return tuple(x if z3.is_false(h) else ite(h, self._update(cx, s, x, cur.value, i + 1, new), x)
                     for x, h in zip(old, hits))

    # ------------------------------------------------------------------ messages
    def s_Send(self, s: ir.Send, cx: Cx) -> list[Cx]:
        ch = self.proto.channel_map[s.channel]
        msg = self.ev.ev(s.msg, cx)
        dest = None if ch.topology is ir.Topology.SHARED else self.ev.ev(s.dest, cx)
        self.deliver(cx, ch, msg, dest, s)
        return [cx]

    def s_Broadcast(self, s: ir.Broadcast, cx: Cx) -> list[Cx]:
        ch = self.proto.channel_map[s.channel]
        msg = self.ev.ev(s.msg, cx)
        for j in range(self.proto.role_map[s.role].count):
            if cx.me is not None and (cx.me.role, cx.me.idx) == (s.role, j):
                continue
            self.deliver(cx, ch, msg, z3.IntVal(j), s)
        return [cx]

    def s_Reply(self, s: ir.Reply, cx: Cx) -> list[Cx]:
        ch = self.proto.channel_map[s.channel]
        msg = self.ev.ev(s.msg, cx)
        assert cx.sender is not None
        self.deliver(cx, ch, msg, z3.IntVal(cx.sender.idx), s)
        return [cx]

    def deliver(self, cx: Cx, ch: ir.Channel, msg: tuple[str, tuple[Any, ...]], dest: Any, s: ir.Stmt) -> None:
        """Put ``msg`` on ``ch`` towards instance ``dest`` (None: the shared queue), as ``exec._deliver``."""
        if ch.kind is ir.ChanKind.SYNC:
            raise Unsupported("`sync` channels", ch.span)
        assert cx.me is not None
        me_idx = cx.me.idx
        if dest is None:
            targets = [(mk_and(), self.lay.channel_for(ch, me_idx, None))]
        else:
            n = self.proto.role_map[ch.dst].count
            targets = [(eq(dest, z3.IntVal(j)), self.lay.channel_for(ch, me_idx, j)) for j in range(n)]
        for cond, ci in targets:
            if z3.is_false(cond) or z3.is_false(cx.pc):
                continue
            cands = self.candidates(ci, msg, me_idx)
            escape = mk_and(cond, mk_not(mk_or(*(m for _, m in cands))))
            if not z3.is_false(escape):
                cx.escapes.append(mk_and(cx.pc, escape))
                cx.pc = mk_and(cx.pc, mk_not(escape))
            old = cx.st[ci.slot]
            if ch.capacity is None:  # past the encoding's bound for an unbounded channel: cannot follow
                over = mk_and(cond, old.over(cands, self.bound))
                if not z3.is_false(over):
                    cx.escapes.append(mk_and(cx.pc, over))
                    cx.pc = mk_and(cx.pc, mk_not(over))
            new, full = old.put(cands, ch.capacity)
            cx.st[ci.slot] = ite(cond, new, old)
            full = mk_and(cond, full)
            if ch.full is ir.FullMode.BLOCKS:
                cx.pc = mk_and(cx.pc, mk_not(full))
            elif ch.full is ir.FullMode.FAILS:
                cx.error("overflow", ch.span, full)

    def candidates(self, ci: ChanInst, msg: tuple[str, tuple[Any, ...]], sender: int) -> list[tuple[Any, Any]]:
        """The items of ``ci`` the symbolic message could be, with the condition that it is each."""
        name, args = msg
        fields = self.proto.messages[name].fields
        links = ci.channel.topology is ir.Topology.LINKS
        out = []
        for it in self.items[ci.slot]:
            m = it if links else it[1]
            if m.name != name or (not links and it[0] != sender):
                continue
            cond = mk_and(*(eq(a, lift(ft, x)) for a, (_, ft), x in zip(args, fields, m.args)))
            if not z3.is_false(cond):
                out.append((it, cond))
        return out


__all__ = ["FALSE", "Executor"]
