"""Fault steps as transition branches, following :mod:`accord.semantics.faults`.

Each fault consumes one unit of its budget: ``crash`` and ``restart`` of one
instance, and ``lose``, ``duplicate`` and ``corrupt`` of one message in
transit (on a fifo, only the first occurrence of each distinct message, as the
explicit semantics enumerates them). ``timeout`` budgets are spent by ``on
timeout`` steps (see :mod:`accord.checker.smt.encode`); ``reorder`` is refused
before encoding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from accord import ir
from accord.checker.smt.channels import BagChan, FifoChan, SetChan
from accord.checker.smt.values import coerce, lift, mk_and, mk_not
from accord.ir.types import Inst, domain

Add = Callable[[str, Any, dict[int, Any]], None]  # (label, ok, {slot: new value})


class Sink:
    """Where fault transitions go: ``add`` one branch; ``escape`` a transition past a channel bound."""

    def __init__(self, add: Add, bound: int):
        self.add = add
        self.bound = bound
        self.escapes: list[Any] = []


def fault_branches(proto: ir.Protocol, lay: Any, cur: list[Any], items: dict[int, tuple[Any, ...]],
                   init_locals: Callable[[Inst], list[tuple[Any, ...]]], sink: Sink) -> None:
    """Add one branch to ``sink`` per fault transition enabled from the symbolic state ``cur``."""
    add = sink.add
    for f, slot in zip(proto.faults, lay.fault_slot):
        budget = cur[slot]
        avail = budget > 0
        left = budget - 1
        kind = f.kind
        if kind in (ir.FaultKind.CRASH, ir.FaultKind.RESTART):
            for r in proto.roles:
                if r.implicit or f.target not in (None, r.name):
                    continue
                cslot = lay.crash_slot[r.name]
                flags = cur[cslot]
                for i in range(r.count):
                    inst = Inst(r.name, i)
                    if kind is ir.FaultKind.CRASH:
                        nf = flags[:i] + (lift(ir.BoolType(), True),) + flags[i + 1:]
                        add(f"crash {r.name}[{i}]", mk_and(avail, mk_not(flags[i])), {slot: left, cslot: nf})
                        continue
                    nf = flags[:i] + (lift(ir.BoolType(), False),) + flags[i + 1:]
                    islot = lay.inst_slot(inst)
                    seen: set[tuple[Any, ...]] = set()
                    for init in init_locals(inst):
                        fresh_part = tuple(None if v.persistent else x for v, x in zip(r.vars, init))
                        if fresh_part in seen:
                            continue
                        seen.add(fresh_part)
                        locals_ = tuple(old if v.persistent else coerce(v.type, lift(v.type, x))
                                        for v, old, x in zip(r.vars, cur[islot], init))
                        add(f"restart {r.name}[{i}]", mk_and(avail, flags[i]),
                            {slot: left, cslot: nf, islot: locals_})
            continue
        if kind not in (ir.FaultKind.LOSE, ir.FaultKind.DUPLICATE, ir.FaultKind.CORRUPT):
            continue
        for ci in lay.chan_insts:
            ch = ci.channel
            chan = cur[ci.slot]
            if kind is not ir.FaultKind.CORRUPT:
                if ch.kind is ir.ChanKind.SET or f.target not in (None, ch.name):
                    continue
                _lose_dup(kind, ci, chan, items[ci.slot], avail, left, slot, sink)
            else:
                _corrupt(proto, f, ci, chan, items[ci.slot], avail, left, slot, sink)


def _lose_dup(kind: ir.FaultKind, ci: Any, chan: Any, items: tuple[Any, ...], avail: Any, left: Any, slot: int,
              sink: Sink) -> None:
    cap = ci.channel.capacity
    lose = kind is ir.FaultKind.LOSE
    if isinstance(chan, BagChan):
        for it in items:
            ok = mk_and(avail, chan.has(it))
            if lose:
                sink.add(f"lose on {ci.label}", ok, {slot: left, ci.slot: chan.take(it)})
            elif cap is not None:
                sink.add(f"duplicate on {ci.label}", mk_and(ok, chan.size() < cap), {slot: left, ci.slot: chan.add(it)})
            else:
                sink.add(f"duplicate on {ci.label}", _within(sink, ok, chan.counts[it] >= sink.bound),
                         {slot: left, ci.slot: chan.add(it)})
        return
    assert isinstance(chan, FifoChan)
    for pos in range(len(chan.slots)):
        ok = mk_and(avail, chan.first_at(pos))
        if lose:
            sink.add(f"lose on {ci.label}", ok, {slot: left, ci.slot: chan.remove_at(pos)})
        else:
            full = chan.length >= len(chan.slots)
            ok = mk_and(ok, mk_not(full)) if cap is not None else _within(sink, ok, full)
            sink.add(f"duplicate on {ci.label}", ok, {slot: left, ci.slot: chan.duplicate_at(pos)})


def _within(sink: Sink, ok: Any, over: Any) -> Any:
    """``ok`` restricted to staying within the encoding's bound; going past it is an escape."""
    sink.escapes.append(mk_and(ok, over))
    return mk_and(ok, mk_not(over))


def _corrupt(proto: ir.Protocol, f: ir.Fault, ci: Any, chan: Any, items: tuple[Any, ...], avail: Any, left: Any,
             slot: int, sink: Sink) -> None:
    add = sink.add
    links = ci.channel.topology is ir.Topology.LINKS
    target_msg, _, target_field = (f.target or "").partition(".")
    for it in items:
        m = it if links else it[1]
        if f.target is not None and target_msg != m.name:
            continue
        decl = proto.messages[m.name]
        for k, (fname, ftype) in enumerate(decl.fields):
            if target_field and fname != target_field:
                continue
            for v in domain(ftype):
                if v == m.args[k]:
                    continue
                bad = ir.Message(m.name, m.args[:k] + (v,) + m.args[k + 1:])
                new_it = bad if links else (it[0], bad)
                label = f"corrupt on {ci.label}"
                if isinstance(chan, SetChan):
                    bits = dict(chan.bits)
                    bits[it] = lift(ir.BoolType(), False)
                    bits[new_it] = lift(ir.BoolType(), True)
                    add(label, mk_and(avail, chan.has(it)), {slot: left, ci.slot: SetChan(bits)})
                elif isinstance(chan, BagChan):
                    ok = mk_and(avail, chan.has(it))
                    if ci.channel.capacity is None:
                        ok = _within(sink, ok, chan.counts[new_it] >= sink.bound)
                    add(label, ok, {slot: left, ci.slot: chan.take(it).add(new_it)})
                else:
                    assert isinstance(chan, FifoChan)
                    for pos in range(len(chan.slots)):
                        ok = mk_and(avail, chan.first_at(pos), chan.slots[pos] == chan.index[it])
                        add(label, ok, {slot: left, ci.slot: chan.replace_at(pos, new_it)})
