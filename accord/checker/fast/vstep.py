"""Protocol steps unrolled into step instances and run over batches of states.

A :class:`StepInst` is one (role instance, step, constant parameter binding or
received message): the unit the vector engine fires over a whole frontier. Step
instances are listed in the generic engine's successor order (steps in role order,
instances, parameter values in ``sort_key`` order, handler channels and messages in
delivery order), so ``rank`` orders the successors of one state exactly as the
generic engine does.

:class:`Runner` executes a statement list over a :class:`Frame`. Branching
(``choose``) yields several outcomes, each with a *key* (the tuple of choice
positions) that orders the outcomes of one state; ``if`` splits rows and merges them
back. Rows whose step raises are removed and reported with the statement (site)
that raised; rows that block (empty ``choose``, full ``blocks`` channel) vanish.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from accord import ir
from accord.checker.fast.channels import item_number
from accord.checker.fast.codec import NONE, Codec, Leaf, Unsupported, to_eval
from accord.checker.fast.vexpr import Ev, Frame, NotStatic, candidates
from accord.checker.fast.vops import eq, is_arr, land, lnot, lor, take, where
from accord.ir.types import Inst, domain
from accord.semantics.evaluate import const_value
from accord.semantics.exec import within
from accord.semantics.layout import Layout

U64 = np.uint64


@dataclass
class StepInst:
    rank: int
    label: str
    step: ir.Step
    inst: Inst
    bound: dict[str, Any] = field(default_factory=dict)
    sender: Inst | None = None
    chan: tuple[int, int] | None = None  # handlers: the channel slot and the item's number
    member: list[tuple[str, ir.Expr]] = field(default_factory=list)  # params whose domain reads the state
    conds: list[ir.Expr] = field(default_factory=list)  # the guard's conjuncts
    at: int = 0  # handlers on a fifo: the position taken from (> 0: out of order, under a reorder budget)
    budgets: list[Leaf] = field(default_factory=list)  # reorder (or early timeout) budgets, first positive used

    @property
    def timeout(self) -> bool:
        return self.step.kind is ir.StepKind.TIMEOUT


def conjuncts(e: ir.Expr | None) -> list[ir.Expr]:
    if e is None:
        return []
    if isinstance(e, ir.Binary) and e.op == "and":
        return conjuncts(e.left) + conjuncts(e.right)
    return [e]


def step_instances(proto: ir.Protocol, lay: Layout, codec: Codec, labels: list[str]) -> list[StepInst]:
    """Every step instance, normal steps then timeouts, in the generic successor order."""
    out: list[StepInst] = []
    steps = [(s, lab) for s, lab in zip(proto.steps, labels)]
    normal = [(s, lab) for s, lab in steps if s.kind is not ir.StepKind.TIMEOUT]
    timeouts = [(s, lab) for s, lab in steps if s.kind is ir.StepKind.TIMEOUT]
    for s, lab in normal + timeouts:
        r = proto.role_map[s.role]
        for i in range(r.count):
            inst = Inst(r.name, i)
            if s.kind is ir.StepKind.HANDLER:
                out.extend(_handler_insts(proto, lay, codec, s, lab, inst))
            else:
                for bound, member in _bindings(codec, s, inst, 0, {}, []):
                    out.append(StepInst(0, lab, s, inst, bound, None, None, member, conjuncts(s.guard)))
    for k, si in enumerate(out):
        si.rank = k
    return out


def _bindings(codec: Codec, s: ir.Step, inst: Inst, i: int, bound: dict[str, Any],
              member: list[tuple[str, ir.Expr]]) -> list[tuple[dict[str, Any], list[tuple[str, ir.Expr]]]]:
    if i == len(s.params):
        return [(dict(bound), list(member))]
    name, dom = s.params[i]
    static = Ev(Frame(codec, None, None, inst, bound))
    try:
        cands = [(x, False) for _, x, _ in static.iterate(dom)]
        if static.err is not False:  # raises whatever the state: let the search report it
            raise NotStatic(name)
    except NotStatic:
        if not isinstance(dom.type, ir.SetType):
            raise Unsupported("a parameter over a sequence") from None
        cands = [(x, True) for _, x, _ in candidates(dom.type.elem)]
    out = []
    for x, dyn in cands:
        bound[name] = x
        out.extend(_bindings(codec, s, inst, i + 1, bound, member + ([(name, dom)] if dyn else [])))
    bound.pop(name, None)
    return out


def _handler_insts(proto: ir.Protocol, lay: Layout, codec: Codec, s: ir.Step, lab: str,
                   inst: Inst) -> list[StepInst]:
    """Per incoming channel instance: one instance per deliverable item (the head, for a fifo),
    then, on a fifo with a ``reorder`` budget, one per later position and item."""
    out = []
    for cname in s.channels:
        ch = proto.channel_map[cname]
        reorder = [leaf for f, leaf in zip(proto.faults, codec.budget) if f.kind is ir.FaultKind.REORDER
                   and f.target in (None, ch.name) and ch.kind is ir.ChanKind.FIFO]
        for ci in lay.incoming(ch, inst.idx):
            cc = codec.chans[ci.slot]
            out.extend(_deliveries(proto, cc, s, lab, inst, ch, 0, []))
            if reorder:
                for p in range(1, cc.bound):
                    out.extend(_deliveries(proto, cc, s, lab, inst, ch, p, reorder))
    return out


def _deliveries(proto: ir.Protocol, cc: Any, s: ir.Step, lab: str, inst: Inst, ch: ir.Channel, at: int,
                budgets: list[Leaf]) -> list[StepInst]:
    decl = proto.messages[s.name]
    links = ch.topology is ir.Topology.LINKS
    out = []
    ci = cc.ci
    for k, item in enumerate(cc.items):
        m = item if links else item[1]
        if m.name != s.name:
            continue
        bound: dict[str, Any] = {}
        ok = True
        for p, arg, (_, ft) in zip(s.patterns, m.args, decl.fields):
            if p.kind == "bind" and p.name is not None:
                bound[p.name] = to_eval(ft, arg)
            elif p.kind == "lit" and p.value is not None and const_value(p.value) != arg:
                ok = False
        if not ok:
            continue
        sender = Inst(ch.src, ci.src_idx if links else item[0])
        if s.sender:
            bound[s.sender] = sender.idx
        out.append(StepInst(0, lab, s, inst, bound, sender, (ci.slot, k), [], conjuncts(s.guard), at, budgets))
    return out


# ---------------------------------------------------------------------- running
Outcome = tuple[Frame, tuple[int, ...]]


class Runner:
    """Runs statements over frames; collects ``errors`` as (frontier rows, site) pairs."""

    def __init__(self, codec: Codec, lay: Layout):
        self.codec = codec
        self.lay = lay
        self.proto = codec.proto
        self.errors: list[tuple[np.ndarray, Any]] = []

    # ------------------------------------------------------------------ plumbing
    def drop_errors(self, f: Frame, err: Any, site: Any) -> Frame | None:
        """Report the rows of ``f`` where ``err`` holds; the frame of the other rows (None: no row left)."""
        if not is_arr(err):
            if not err:
                return f
            self.errors.append((f.rows, site))
            return None
        if err.any():
            self.errors.append((f.rows[err], site))
            if err.all():
                return None
            return f.subset(~err)
        return f

    def filter(self, f: Frame, keep: Any) -> Frame | None:
        if not is_arr(keep):
            return f if keep else None
        if keep.all():
            return f
        if not keep.any():
            return None
        return f.subset(keep)

    def cond(self, f: Frame, e: ir.Expr, site: Any) -> Frame | None:
        """Rows of ``f`` where ``e`` holds (rows where it raises are reported)."""
        ev = Ev(f)
        v = ev.ev(e)
        g = self.drop_errors(f, ev.err, site)
        if g is None:
            return None
        if g is not f:
            v = take(v, ~ev.err)
        return self.filter(g, v)

    def block(self, stmts: tuple[ir.Stmt, ...], outs: list[Outcome]) -> list[Outcome]:
        for s in stmts:
            nxt: list[Outcome] = []
            for f, key in outs:
                nxt.extend(self.stmt(s, f, key))
            outs = merge(nxt)
            if not outs:
                break
        return outs

    def stmt(self, s: ir.Stmt, f: Frame, key: tuple[int, ...]) -> list[Outcome]:
        fn = getattr(self, "s_" + type(s).__name__, None)
        if fn is None:
            raise Unsupported(f"statement {type(s).__name__}")
        return fn(s, f, key)

    # ------------------------------------------------------------------ statements
    def s_Skip(self, s: ir.Skip, f: Frame, key: tuple[int, ...]) -> list[Outcome]:
        return [(f, key)]

    def s_Let(self, s: ir.Let, f: Frame, key: tuple[int, ...]) -> list[Outcome]:
        ev = Ev(f)
        v = ev.ev(s.value)
        g = self.drop_errors(f, ev.err, s)
        if g is None:
            return []
        if g is not f:
            v = take(v, ~ev.err)
        g = g.fork() if g is f else g
        g.bound[s.var] = v
        return [(g, key)]

    def s_Assert(self, s: ir.Assert, f: Frame, key: tuple[int, ...]) -> list[Outcome]:
        ev = Ev(f)
        v = ev.ev(s.cond)
        return self._keep(f, lor(ev.err, lnot(v)), s, key)

    def _keep(self, f: Frame, bad: Any, site: Any, key: tuple[int, ...]) -> list[Outcome]:
        g = self.drop_errors(f, bad, site)
        return [] if g is None else [(g, key)]

    def s_If(self, s: ir.If, f: Frame, key: tuple[int, ...]) -> list[Outcome]:
        ev = Ev(f)
        c = ev.ev(s.cond)
        g = self.drop_errors(f, ev.err, s)
        if g is None:
            return []
        if g is not f:
            c = take(c, ~ev.err)
        if not is_arr(c):
            body = s.then if c else s.other
            return self.block(body, [(g, key)]) if body is not None else [(g, key)]
        outs: list[Outcome] = []
        if c.any():
            outs.extend(self.block(s.then, [(g.subset(c), key)]))
        if not c.all():
            rest = g.subset(~c)
            outs.extend(self.block(s.other, [(rest, key)]) if s.other is not None else [(rest, key)])
        return merge(outs)

    def s_Choose(self, s: ir.Choose, f: Frame, key: tuple[int, ...]) -> list[Outcome]:
        ev = Ev(f)
        cands = ev.iterate(s.domain)
        g = self.drop_errors(f, ev.err, s)
        if g is None:
            return []
        outs: list[Outcome] = []
        for k, (_, x, inside) in enumerate(cands):
            if g is not f and is_arr(inside):
                inside = inside[~ev.err]
            h = self.filter(g, inside)
            if h is None:
                continue
            h = h.fork() if h is g else h
            h.bound[s.var] = x
            outs.extend(self.block(s.body, [(h, key + (k,))]))
        return outs

    def s_For(self, s: ir.For, f: Frame, key: tuple[int, ...]) -> list[Outcome]:
        ev = Ev(f)
        cands = ev.iterate(s.domain)
        g = self.drop_errors(f, ev.err, s)
        if g is None:
            return []
        # the domain is evaluated once, before the loop: keep the memberships as a bound column
        tag = f"__for{id(s)}"
        g = g.fork() if g is f else g
        for k, (_, _, inside) in enumerate(cands):
            if g is not f and is_arr(inside) and len(inside) != g.n:
                inside = inside[~ev.err]
            g.bound[f"{tag}_{k}"] = inside
        outs: list[Outcome] = [(g, key)]
        for k, (_, x, _) in enumerate(cands):
            nxt: list[Outcome] = []
            for h, hk in outs:
                inside = h.bound[f"{tag}_{k}"]
                if not is_arr(inside):
                    if inside:
                        h = h.fork()
                        h.bound[s.var] = x
                        nxt.extend(self.block(s.body, [(h, hk)]))
                    else:
                        nxt.append((h, hk))
                    continue
                if inside.any():
                    a = h.subset(inside)
                    a.bound[s.var] = x
                    nxt.extend(self.block(s.body, [(a, hk)]))
                if not inside.all():
                    nxt.append((h.subset(~inside), hk))
            outs = merge(nxt)
        for h, _ in outs:
            for k in range(len(cands)):
                h.bound.pop(f"{tag}_{k}", None)
            h.bound.pop(s.var, None)
        return outs

    # ------------------------------------------------------------------ assignment
    def s_Assign(self, s: ir.Assign, f: Frame, key: tuple[int, ...]) -> list[Outcome]:
        t = s.target
        ev = Ev(f)
        val = ev.ev(s.value)
        bad: Any = ev.err
        if not within(s.value.type, t.type):
            bad = lor(bad, lnot(in_type(t.type, val)))
        if t.scope is ir.Scope.SHARED:
            root = self.codec.shared[t.name]
        else:
            assert f.me is not None
            root = self.codec.locals[(f.me.role, f.me.idx)][t.name]
        path: list[Any] = []
        cur = t.root_type
        for p in t.path:
            if isinstance(p, str):
                assert isinstance(cur, ir.RecordType)
                path.append(cur.field_index(p))
                cur = cur.field_type(p)
            elif isinstance(cur, ir.MapType):
                ev.care = lnot(bad) if is_arr(bad) else (not bad)
                path.append(("key", ev.key_pos(cur.key, p), len(domain(cur.key))))
                cur = cur.value
            else:
                raise Unsupported("assignment into a sequence")
        bad = lor(bad, ev.err)
        g = self.drop_errors(f, bad, s)
        if g is None:
            return []
        if g is not f:
            ok = ~bad
            val = take(val, ok)
            path = [(p[0], take(p[1], ok), p[2]) if isinstance(p, tuple) else p for p in path]
        g = g.fork() if g is f else g
        _assign(g, root, path, val, True)
        return [(g, key)]

    # ------------------------------------------------------------------ messages
    def s_Send(self, s: ir.Send, f: Frame, key: tuple[int, ...]) -> list[Outcome]:
        ch = self.proto.channel_map[s.channel]
        ev = Ev(f)
        args = [ev.ev(a) for a in s.msg.args]
        dest = ev.ev(s.dest) if ch.topology is not ir.Topology.SHARED else None
        g = self.drop_errors(f, ev.err, s)
        if g is None:
            return []
        if g is not f:
            args = [take(a, ~ev.err) for a in args]
            dest = take(dest, ~ev.err)
        g = g.fork() if g is f else g
        h, _ = self.deliver(g, ch, s.msg.msg, args, dest, s)
        return [] if h is None else [(h, key)]

    def s_Reply(self, s: ir.Reply, f: Frame, key: tuple[int, ...]) -> list[Outcome]:
        ch = self.proto.channel_map[s.channel]
        ev = Ev(f)
        args = [ev.ev(a) for a in s.msg.args]
        g = self.drop_errors(f, ev.err, s)
        if g is None:
            return []
        if g is not f:
            args = [take(a, ~ev.err) for a in args]
        if f.sender is None:
            raise Unsupported("`reply` outside a handler")
        g = g.fork() if g is f else g
        h, _ = self.deliver(g, ch, s.msg.msg, args, f.sender.idx, s)
        return [] if h is None else [(h, key)]

    def s_Broadcast(self, s: ir.Broadcast, f: Frame, key: tuple[int, ...]) -> list[Outcome]:
        ch = self.proto.channel_map[s.channel]
        ev = Ev(f)
        args = [ev.ev(a) for a in s.msg.args]
        g = self.drop_errors(f, ev.err, s)
        if g is None:
            return []
        if g is not f:
            args = [take(a, ~ev.err) for a in args]
        g = g.fork() if g is f else g
        count = self.proto.role_map[s.role].count
        for j in range(count):
            if f.me is not None and Inst(s.role, j) == f.me:
                continue
            g, keep = self.deliver(g, ch, s.msg.msg, args, j, s)
            if g is None:
                return []
            if is_arr(keep):
                args = [take(a, keep) for a in args]
        return [(g, key)]

    def deliver(self, f: Frame, ch: ir.Channel, msg: str, args: list[Any], dest: Any, site: Any
                ) -> tuple[Frame | None, Any]:
        """Put ``msg(args)`` on ``ch`` towards ``dest`` (an index, an index array, or None: shared).

        Writes ``f`` in place; returns the frame of the rows that go on (blocked and failing
        rows removed, the latter reported) and the mask of those rows over ``f``.
        """
        assert f.me is not None
        me = f.me.idx
        links = ch.topology is ir.Topology.LINKS
        targets: list[tuple[Any, Any]] = [(dest, True)]
        if is_arr(dest):
            targets = [(d, dest == d) for d in range(self.proto.role_map[ch.dst].count)]
        fields = [t for _, t in self.proto.messages[msg].fields]
        block: Any = False
        fail: Any = False
        for d, sel in targets:
            if (is_arr(sel) and not sel.any()) or (not is_arr(sel) and not sel):
                continue
            ci = self.lay.channel_for(ch, me, d)
            cc = self.codec.chans[ci.slot]
            q, matched = item_number(cc, msg, args, None if links else me, fields, to_eval, eq)
            miss = land(sel, lnot(matched))
            if (is_arr(miss) and miss.any()) or (not is_arr(miss) and miss):
                raise Unsupported(f"a message sent on {ci.label} outside its computed universe")
            full, _ = cc.put(f, q, sel)
            if ch.full is ir.FullMode.BLOCKS:
                block = lor(block, full)
            elif ch.full is ir.FullMode.FAILS:
                fail = lor(fail, full)
        if is_arr(fail) and fail.any():
            self.errors.append((f.rows[fail], site))
        elif not is_arr(fail) and fail:
            self.errors.append((f.rows, site))
        keep = lnot(lor(fail, block))
        return self.filter(f, keep), keep


def _assign(f: Frame, tree: Any, path: list[Any], val: Any, cond: Any) -> None:
    """Write ``val`` at ``path`` under ``tree`` where ``cond`` holds."""
    if path:
        p, rest = path[0], path[1:]
        if isinstance(p, int):
            _assign(f, tree[p], rest, val, cond)
            return
        _, pos, n = p
        if not is_arr(pos):
            _assign(f, tree[int(pos)], rest, val, cond)
            return
        for k in range(n):
            c = land(cond, pos == k)
            if is_arr(c) and not c.any():
                continue
            _assign(f, tree[k], rest, val, c)
        return
    if isinstance(tree, Leaf):
        f.over[tree.id] = val if (not is_arr(cond) and cond) else where(cond, val, f.read(tree))
        return
    for sub, v in zip(tree, val):
        _assign(f, sub, [], v, cond)


def in_type(t: ir.Type, v: Any) -> Any:
    """Whether eval values lie in ``t`` (ranges of ints, elements of sets)."""
    if isinstance(t, ir.IntType):
        return land(v >= t.lo, v <= t.hi)
    if isinstance(t, ir.OptionType):
        return lor(v == NONE, in_type(t.inner, v))
    if isinstance(t, ir.SetType) and isinstance(t.elem, ir.IntType):
        allowed = 0
        for x in range(t.elem.lo, t.elem.hi + 1):
            allowed |= 1 << x
        r = (v & U64((~allowed) & ((1 << 64) - 1))) == 0 if is_arr(v) else (int(v) & ~allowed) == 0
        return r if is_arr(r) else bool(r)
    if isinstance(t, ir.MapType):
        out: Any = True
        for x in v:
            out = land(out, in_type(t.value, x))
        return out
    if isinstance(t, ir.RecordType):
        out = True
        for (_, ft), x in zip(t.fields, v):
            out = land(out, in_type(ft, x))
        return out
    return True


def merge(outs: list[Outcome]) -> list[Outcome]:
    """Outcomes with equal keys merged into one frame, keys in order."""
    if len(outs) <= 1:
        return outs
    by: dict[tuple[int, ...], list[Frame]] = {}
    for f, k in outs:
        by.setdefault(k, []).append(f)
    return [(Frame.concat(fs), k) for k, fs in sorted(by.items())]


__all__ = ["Runner", "StepInst", "conjuncts", "in_type", "merge", "step_instances"]
