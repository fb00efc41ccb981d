"""Fault steps over batches of packed states (crash, restart, lose, duplicate, corrupt).

Fault instances are listed in the order of :func:`accord.semantics.faults.fault_successors`
(faults in declaration order; roles and instances; channel instances; fifo positions
holding an item no earlier position holds, or bag/set items in delivery order; fields
and values for ``corrupt``), after every step instance, so that their rank orders the
successors of a state as the generic engine does. ``reorder`` and ``timeout`` budgets
act inside steps (see :mod:`.expand`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from accord import ir
from accord.checker.fast.channels import ChanCodec
from accord.checker.fast.codec import Codec, Leaf, to_eval
from accord.checker.fast.vops import is_arr, land, lnot
from accord.ir.types import Inst, domain
from accord.semantics.layout import Layout

MESSAGE_FAULTS = (ir.FaultKind.LOSE, ir.FaultKind.DUPLICATE, ir.FaultKind.CORRUPT)


@dataclass
class FaultInst:
    rank: int
    kind: ir.FaultKind
    budget: Leaf
    inst: Inst | None = None  # crash, restart
    init: dict[str, Any] | None = None  # restart: eval trees of the non-persistent variables
    cc: ChanCodec | None = None  # message faults
    at: int = 0  # fifo: position; bag and set: item number
    item: int | None = None  # corrupt on a fifo: the item number at ``at`` (a condition)
    new: int | None = None  # corrupt: the item number of the corrupted message
    order: tuple[int, int] = (0, 0)  # corrupt: (field, value position), the generic order at one place


def fault_instances(proto: ir.Protocol, lay: Layout, codec: Codec, init_locals: dict[str, Any],
                    first_rank: int) -> list[FaultInst]:
    out: list[FaultInst] = []
    for f, budget in zip(proto.faults, codec.budget):
        if f.kind in (ir.FaultKind.CRASH, ir.FaultKind.RESTART):
            for r in proto.roles:
                if r.implicit or f.target not in (None, r.name):
                    continue
                for i in range(r.count):
                    inst = Inst(r.name, i)
                    if f.kind is ir.FaultKind.CRASH:
                        out.append(FaultInst(0, f.kind, budget, inst))
                        continue
                    seen = set()
                    for init in init_locals[r.name][i]:
                        fresh = tuple(x for v, x in zip(r.vars, init) if not v.persistent)
                        if fresh in seen:
                            continue
                        seen.add(fresh)
                        trees = {v.name: to_eval(v.type, x) for v, x in zip(r.vars, init) if not v.persistent}
                        out.append(FaultInst(0, f.kind, budget, inst, trees))
        elif f.kind in MESSAGE_FAULTS:
            for ci in lay.chan_insts:
                ch = ci.channel
                if ch.kind is ir.ChanKind.SET and f.kind is not ir.FaultKind.CORRUPT:
                    continue
                if f.kind is not ir.FaultKind.CORRUPT and f.target not in (None, ch.name):
                    continue
                out.extend(_message_insts(proto, f, budget, codec.chans[ci.slot]))
    for k, fi in enumerate(out):
        fi.rank = first_rank + k
    return out


def _message_insts(proto: ir.Protocol, f: ir.Fault, budget: Leaf, cc: ChanCodec) -> list[FaultInst]:
    links = cc.ci.channel.topology is ir.Topology.LINKS
    fifo = cc.len is not None
    places = range(cc.bound) if fifo else range(len(cc.items))
    out = []
    for at in places:
        if f.kind is not ir.FaultKind.CORRUPT:
            out.append(FaultInst(0, f.kind, budget, cc=cc, at=at))
            continue
        # corrupt: per field and value (domain order); on a fifo the item at `at` is a condition
        for u in (range(len(cc.items)) if fifo else [at]):
            item = cc.items[u]
            m = item if links else item[1]
            out.extend(_corruptions(proto, f, budget, cc, at, u, item, m, links, fifo))
    if fifo and f.kind is ir.FaultKind.CORRUPT:
        # order by position, then field and value; the item is a condition (one per row and position)
        out.sort(key=lambda fi: (fi.at, fi.order))
    return out


def _corruptions(proto: ir.Protocol, f: ir.Fault, budget: Leaf, cc: ChanCodec, at: int, u: int, item: Any,
                 m: ir.Message, links: bool, fifo: bool) -> list[FaultInst]:
    target_msg, _, target_field = (f.target or "").partition(".")
    if f.target is not None and target_msg != m.name:
        return []
    decl = proto.messages[m.name]
    out = []
    for k, (fname, ftype) in enumerate(decl.fields):
        if target_field and fname != target_field:
            continue
        for vi, v in enumerate(domain(ftype)):
            if v == m.args[k]:
                continue
            bad = ir.Message(m.name, m.args[:k] + (v,) + m.args[k + 1:])
            new_item = bad if links else (item[0], bad)
            out.append(FaultInst(0, f.kind, budget, cc=cc, at=at, item=u if fifo else None, new=cc.pos[new_item],
                                 order=(k, vi)))
    return out


def fire_fault(fi: FaultInst, f: Any, crash: dict[str, list[Leaf]], locals_: Any) -> Any:
    """Rows of frame ``f`` where the fault applies, with its effect written (None: no row)."""
    ok: Any = f.read(fi.budget) > 0
    cc = fi.cc
    kind = fi.kind
    if kind in (ir.FaultKind.CRASH, ir.FaultKind.RESTART):
        assert fi.inst is not None
        flag = crash[fi.inst.role][fi.inst.idx]
        down = f.read(flag)
        ok = land(ok, lnot(down) if kind is ir.FaultKind.CRASH else down)
    elif cc is not None and cc.len is not None:
        ok = land(ok, cc.first_at(f, fi.at))
        if fi.item is not None:
            ok = land(ok, f.read(cc.slots[fi.at]) == fi.item)
        if kind is ir.FaultKind.DUPLICATE and cc.cap is not None:
            ok = land(ok, f.read(cc.len) < cc.cap)
    elif cc is not None:
        ok = land(ok, cc.holds(f, fi.at))
        if kind is ir.FaultKind.DUPLICATE and cc.cap is not None:
            ok = land(ok, cc.size(f) < cc.cap)
    g = _rows(f, ok)
    if g is None:
        return None
    g.over[fi.budget.id] = g.read(fi.budget) - 1
    if kind is ir.FaultKind.CRASH or kind is ir.FaultKind.RESTART:
        assert fi.inst is not None
        g.over[crash[fi.inst.role][fi.inst.idx].id] = kind is ir.FaultKind.CRASH
        if kind is ir.FaultKind.RESTART and fi.init:
            trees = locals_[(fi.inst.role, fi.inst.idx)]
            for name, value in fi.init.items():
                _write(g, trees[name], value)
        return g
    assert cc is not None
    if cc.len is not None:
        if kind is ir.FaultKind.LOSE:
            cc.remove_at(g, fi.at)
        elif kind is ir.FaultKind.DUPLICATE:
            cc.insert_at(g, fi.at + 1, g.read(cc.slots[fi.at]))
        else:
            g.over[cc.slots[fi.at].id] = fi.new
        return g
    if cc.mask is not None:  # corrupt on a set: the item is replaced
        assert fi.new is not None
        m = g.read(cc.mask)
        g.over[cc.mask.id] = (m & ~_u64(1 << fi.at)) | _u64(1 << fi.new)
        return g
    if kind is ir.FaultKind.LOSE:
        cc.take(g, fi.at)
    elif kind is ir.FaultKind.DUPLICATE:
        cc.put(g, fi.at, True)
    else:
        cc.take(g, fi.at)
        assert fi.new is not None
        c = g.read(cc.counts[fi.new])
        cc._check(c >= cc.bound)
        g.over[cc.counts[fi.new].id] = c + 1
    return g


def _u64(x: int) -> Any:
    return np.uint64(x)


def _rows(f: Any, ok: Any) -> Any:
    if not is_arr(ok):
        return f.fork() if ok else None
    if ok.all():
        return f.fork()
    if not ok.any():
        return None
    return f.subset(ok)


def _write(f: Any, tree: Any, value: Any) -> None:
    if isinstance(tree, Leaf):
        f.over[tree.id] = value
        return
    for sub, v in zip(tree, value):
        _write(f, sub, v)


__all__ = ["FaultInst", "fault_instances", "fire_fault"]
