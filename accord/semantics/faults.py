"""Fault steps: each consumes one unit of its budget and appears in traces.

* ``crash R``: a live instance of R stops for good (unless restarted);
* ``restart R``: a crashed instance comes back with its non-``persistent``
  variables reset to their initial values;
* ``lose A -> B``: one message in transit disappears;
* ``duplicate A -> B``: one message in transit is delivered twice (the copy
  stands right behind the original);
* ``corrupt M.f``: a field of one message in transit takes another value of
  its type (an agent that answers off-script);
* ``reorder`` and ``timeout`` act through delivery and ``on timeout`` steps
  (see :mod:`accord.semantics.model`).

Message faults carry structured ``events`` for reports: ``("lose", channel
label, message)``, ``("duplicate", channel label, message)`` and
``("corrupt", channel label, old message, new message)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accord import ir
from accord.ir.types import Inst, domain
from accord.semantics.exec import bag_insert, sorted_domain

if TYPE_CHECKING:
    from accord.semantics.model import Model, State, Transition


def _replace(st: "State", updates: dict[int, Any]) -> "State":
    lst = list(st)
    for k, v in updates.items():
        lst[k] = v
    return tuple(lst)


def fault_successors(model: "Model", st: "State") -> list[tuple["Transition", "State"]]:
    from accord.semantics.model import Transition

    out: list[tuple[Transition, State]] = []
    lay = model.layout
    proto = model.proto
    for f, slot in model.faults:
        if st[slot] <= 0:
            continue
        left = st[slot] - 1
        kind = f.kind
        if kind in (ir.FaultKind.CRASH, ir.FaultKind.RESTART):
            for r in proto.roles:
                if r.implicit or f.target not in (None, r.name):
                    continue
                cslot = lay.crash_slot[r.name]
                flags = st[cslot]
                for i in range(r.count):
                    inst = Inst(r.name, i)
                    who = f"{r.name}[{i}]" if r.indexed else r.name
                    if kind is ir.FaultKind.CRASH and not flags[i]:
                        nf = flags[:i] + (True,) + flags[i + 1:]
                        out.append((Transition("fault", "crash", inst, detail=f"{who} crashes"),
                                    _replace(st, {slot: left, cslot: nf})))
                    elif kind is ir.FaultKind.RESTART and flags[i]:
                        nf = flags[:i] + (False,) + flags[i + 1:]
                        islot = lay.inst_slot(inst)
                        seen = set()
                        for init in model._init_locals[r.name][i]:
                            fresh = tuple(old if v.persistent else new
                                          for v, old, new in zip(r.vars, st[islot], init))
                            if fresh in seen:
                                continue
                            seen.add(fresh)
                            out.append((Transition("fault", "restart", inst, detail=f"{who} restarts"),
                                        _replace(st, {slot: left, cslot: nf, islot: fresh})))
            continue
        if kind in (ir.FaultKind.LOSE, ir.FaultKind.DUPLICATE, ir.FaultKind.CORRUPT):
            for ci in lay.chan_insts:
                ch = ci.channel
                items = st[ci.slot]
                if not items or ch.kind is ir.ChanKind.SET and kind is not ir.FaultKind.CORRUPT:
                    continue
                if kind is not ir.FaultKind.CORRUPT and f.target not in (None, ch.name):
                    continue
                links = ch.topology is ir.Topology.LINKS
                seen_items: set[Any] = set()
                for pos, item in enumerate(sorted_domain(items) if isinstance(items, frozenset) else items):
                    if item in seen_items:
                        continue
                    seen_items.add(item)
                    m = item if links else item[1]
                    text = lay.render_msg(m)
                    if kind is ir.FaultKind.LOSE:
                        new = items[:pos] + items[pos + 1:]
                        out.append((Transition("fault", "lose", None, message=text, channel=ci.label,
                                               detail=f"{text} is lost on {ci.label}",
                                               events=(("lose", ci.label, m),)),
                                    _replace(st, {slot: left, ci.slot: new})))
                    elif kind is ir.FaultKind.DUPLICATE:
                        if ch.capacity is not None and len(items) >= ch.capacity:
                            continue
                        new = (items[:pos + 1] + (item,) + items[pos + 1:] if ch.kind is ir.ChanKind.FIFO
                               else bag_insert(items, item))
                        out.append((Transition("fault", "duplicate", None, message=text, channel=ci.label,
                                               detail=f"{text} is duplicated on {ci.label}",
                                               events=(("duplicate", ci.label, m),)),
                                    _replace(st, {slot: left, ci.slot: new})))
                    else:
                        out.extend(_corruptions(model, f, slot, left, st, ci, pos, item, m, links))
    return out


def _corruptions(model: "Model", f: ir.Fault, slot: int, left: int, st: "State", ci: Any, pos: int,
                 item: Any, m: ir.Message, links: bool) -> list[tuple["Transition", "State"]]:
    from accord.semantics.model import Transition

    lay = model.layout
    decl = model.proto.messages[m.name]
    target_msg, _, target_field = (f.target or "").partition(".")
    if f.target is not None and target_msg != m.name:
        return []
    out = []
    items = st[ci.slot]
    for k, (fname, ftype) in enumerate(decl.fields):
        if target_field and fname != target_field:
            continue
        for v in domain(ftype):
            if v == m.args[k]:
                continue
            bad = ir.Message(m.name, m.args[:k] + (v,) + m.args[k + 1:])
            new_item = bad if links else (item[0], bad)
            if isinstance(items, frozenset):
                new = (items - {item}) | {new_item}
            elif ci.channel.kind is ir.ChanKind.BAG:
                new = bag_insert(items[:pos] + items[pos + 1:], new_item)
            else:
                new = items[:pos] + (new_item,) + items[pos + 1:]
            out.append((Transition("fault", "corrupt", None, message=lay.render_msg(m), channel=ci.label,
                                   detail=f"{lay.render_msg(m)} becomes {lay.render_msg(bad)} on {ci.label}",
                                   events=(("corrupt", ci.label, m, bad),)),
                        _replace(st, {slot: left, ci.slot: new})))
    return out
