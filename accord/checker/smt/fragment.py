"""What the SMT encoding covers, and the finite pieces it is built from.

:func:`refuse_outside` raises :class:`~accord.checker.smt.values.Unsupported`
(ACC410, with the construct's span) for what the engine does not encode:
``schedule rounds``, ``sync`` channels, ``reorder`` faults and sequence types.
:func:`channel_items` lists, per channel instance, every item it can hold, as
the explicit layout stores items.
"""

from __future__ import annotations

import itertools
from typing import Any

from accord import ir
from accord.checker.smt.values import KEY_LIMIT, Unsupported, check_type, keys_of
from accord.ir.types import sort_key
from accord.semantics.layout import Layout


def refuse_outside(proto: ir.Protocol) -> None:
    if proto.schedule is not ir.Schedule.INTERLEAVING:
        raise Unsupported("`schedule rounds`", getattr(proto, "schedule_span", None))
    for ch in proto.channels:
        if ch.kind is ir.ChanKind.SYNC:
            raise Unsupported(f"`sync` channels (channel {ch.name})", ch.span)
    for f in proto.faults:
        if f.kind is ir.FaultKind.REORDER:
            raise Unsupported("`reorder` faults", f.span)
    for v in proto.shared:
        check_type(v.type, v.span)
    for r in proto.roles:
        for v in r.vars:
            check_type(v.type, v.span)
    for m in proto.messages.values():
        for _, t in m.fields:
            check_type(t, m.span)


def sent_names(proto: ir.Protocol) -> dict[str, list[str]]:
    """channel name -> the messages some statement sends on it (in first-seen order)."""
    out: dict[str, list[str]] = {}

    def walk(stmts: tuple[ir.Stmt, ...]) -> None:
        for s in stmts:
            if isinstance(s, (ir.Send, ir.Broadcast, ir.Reply)):
                names = out.setdefault(s.channel, [])
                if s.msg.msg not in names:
                    names.append(s.msg.msg)
            for sub in ("then", "other", "body"):
                inner = getattr(s, sub, None)
                if inner:
                    walk(inner)

    for step in proto.steps:
        walk(step.body)
    return out


def channel_items(proto: ir.Protocol, lay: Layout) -> dict[int, tuple[Any, ...]]:
    sent = sent_names(proto)
    out: dict[int, tuple[Any, ...]] = {}
    for ci in lay.chan_insts:
        ch = ci.channel
        msgs: list[ir.Message] = []
        for name in sent.get(ch.name, []):
            decl = proto.messages[name]
            doms = [keys_of(t, decl.span) for _, t in decl.fields]
            msgs.extend(ir.Message(name, tuple(args)) for args in itertools.product(*doms))
        if ch.topology is ir.Topology.LINKS:
            items: list[Any] = msgs
        else:
            items = [(i, m) for i in range(proto.role_map[ch.src].count) for m in msgs]
        if len(items) > KEY_LIMIT:
            raise Unsupported(f"channel {ch.name}, which can hold {len(items)} distinct messages (limit {KEY_LIMIT})",
                              ch.span)
        out[ci.slot] = tuple(sorted(items, key=sort_key))
    return out


def matches(step: ir.Step, m: ir.Message) -> bool:
    for p, arg in zip(step.patterns, m.args):
        if p.kind == "lit" and p.value is not None:
            lit = p.value.value if isinstance(p.value, (ir.Lit, ir.ConstRef)) else None
            if lit is None:
                raise Unsupported("a computed pattern in a handler", p.span)
            if lit != arg:
                return False
    return True
