"""Where each part of a state lives.

A state is a flat tuple of slots, in this order:

1. one slot per shared variable;
2. one slot per role instance, holding the tuple of that instance's variables;
3. one slot per channel instance (none for ``sync`` channels): a tuple (fifo),
   a sorted tuple (bag) or a frozenset (set) of items;
4. one slot per fault, holding its remaining budget;
5. one slot per role that can crash, holding a tuple of crash flags.

Nothing else: no program counters, no history. Items of ``links`` channels
are messages; items of ``inbox`` and ``shared`` channels are ``(sender index,
message)`` pairs, because the receiver must know who sent them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from accord import ir
from accord.ir.types import Inst, render_value, sort_key, to_json


@dataclass(frozen=True)
class ChanInst:
    """One channel instance: ``channel`` between ``src_idx`` and ``dst_idx`` (None: any)."""

    channel: ir.Channel
    src_idx: int | None
    dst_idx: int | None
    slot: int

    src_indexed: bool = True
    dst_indexed: bool = True

    @property
    def label(self) -> str:
        c = self.channel
        s = f"{c.src}[{self.src_idx}]" if self.src_idx is not None and self.src_indexed else c.src
        d = f"{c.dst}[{self.dst_idx}]" if self.dst_idx is not None and self.dst_indexed else c.dst
        return f"{s}->{d}"


@dataclass
class Layout:
    proto: ir.Protocol
    shared_slot: dict[str, int] = field(default_factory=dict)
    role_base: dict[str, int] = field(default_factory=dict)
    local_index: dict[str, dict[str, int]] = field(default_factory=dict)
    inst_of_slot: dict[int, Inst] = field(default_factory=dict)
    chan_insts: list[ChanInst] = field(default_factory=list)
    chan_lookup: dict[tuple[str, int | None, int | None], ChanInst] = field(default_factory=dict)
    fault_slot: list[int] = field(default_factory=list)
    crash_slot: dict[str, int] = field(default_factory=dict)
    size: int = 0
    local_pos: dict[str, int] = field(default_factory=dict)  # set per role by RoleView

    @classmethod
    def build(cls, proto: ir.Protocol) -> "Layout":
        lay = cls(proto)
        n = 0
        for v in proto.shared:
            lay.shared_slot[v.name] = n
            n += 1
        for r in proto.roles:
            lay.role_base[r.name] = n
            lay.local_index[r.name] = {v.name: i for i, v in enumerate(r.vars)}
            for i in range(r.count):
                lay.inst_of_slot[n] = Inst(r.name, i)
                n += 1
        for c in proto.channels:
            if c.kind is ir.ChanKind.SYNC:
                continue
            src_n = proto.role_map[c.src].count
            dst_n = proto.role_map[c.dst].count
            if c.topology is ir.Topology.LINKS:
                pairs: list[tuple[int | None, int | None]] = list(itertools.product(range(src_n), range(dst_n)))
            elif c.topology is ir.Topology.INBOX:
                pairs = [(None, j) for j in range(dst_n)]
            else:
                pairs = [(None, None)]
            for s, d in pairs:
                ci = ChanInst(c, s, d, n, proto.role_map[c.src].indexed, proto.role_map[c.dst].indexed)
                lay.chan_insts.append(ci)
                lay.chan_lookup[(c.name, s, d)] = ci
                n += 1
        for _ in proto.faults:
            lay.fault_slot.append(n)
            n += 1
        crashable = {f.target for f in proto.faults if f.kind in (ir.FaultKind.CRASH, ir.FaultKind.RESTART)}
        for r in proto.roles:
            if r.implicit:
                continue
            if r.name in crashable or None in crashable:
                lay.crash_slot[r.name] = n
                n += 1
        lay.size = n
        return lay

    # ------------------------------------------------------------------ queries
    def is_crashed(self, st: Any, inst: Inst) -> bool:
        slot = self.crash_slot.get(inst.role)
        return slot is not None and st[slot][inst.idx]

    def inst_slot(self, inst: Inst) -> int:
        return self.role_base[inst.role] + inst.idx

    def channel_for(self, ch: ir.Channel, src_idx: int, dst_idx: int | None) -> ChanInst:
        if ch.topology is ir.Topology.LINKS:
            return self.chan_lookup[(ch.name, src_idx, dst_idx)]
        if ch.topology is ir.Topology.INBOX:
            return self.chan_lookup[(ch.name, None, dst_idx)]
        return self.chan_lookup[(ch.name, None, None)]

    def incoming(self, ch: ir.Channel, dst_idx: int) -> list[ChanInst]:
        """The channel instances an instance of ``ch.dst`` may receive from."""
        cache = self.__dict__.setdefault("_incoming", {})
        key = (ch.name, dst_idx)
        found = cache.get(key)
        if found is None:
            found = cache[key] = [ci for ci in self.chan_insts
                                  if ci.channel.name == ch.name and ci.dst_idx in (None, dst_idx)]
        return found

    # ------------------------------------------------------------------ rendering
    def describe(self, st: tuple[Any, ...]) -> dict[str, str]:
        """Every part of a state as ``name -> value`` text (for traces and diffs)."""
        out: dict[str, str] = {}
        for v in self.proto.shared:
            out[v.name] = render_value(v.type, st[self.shared_slot[v.name]])
        for r in self.proto.roles:
            for i in range(r.count):
                locals_ = st[self.role_base[r.name] + i]
                who = f"{r.name}[{i}]" if r.indexed else r.name
                for v, x in zip(r.vars, locals_):
                    out[f"{who}.{v.name}"] = render_value(v.type, x)
        for ci in self.chan_insts:
            out[f"chan {ci.label}"] = self.render_items(ci, st[ci.slot])
        for f, slot in zip(self.proto.faults, self.fault_slot):
            out[f"budget {f.kind.value}{' ' + f.target if f.target else ''}"] = str(st[slot])
        for role, slot in self.crash_slot.items():
            r = self.proto.role_map[role]
            crashed = [f"{role}[{i}]" if r.indexed else role for i, c in enumerate(st[slot]) if c]
            out[f"crashed {role}"] = "{" + ", ".join(crashed) + "}"
        return out

    def render_any(self, v: Any) -> str:
        """A value whose type is not at hand (e.g. a `choose` in a trace event), as a spec writes it."""
        if isinstance(v, bool):
            return "true" if v else "false"
        if v is None:
            return "none"
        if isinstance(v, Inst):
            return f"{v.role}[{v.idx}]" if self.proto.role_map[v.role].indexed else v.role
        if isinstance(v, frozenset):
            return "{" + ", ".join(self.render_any(x) for x in sorted(v, key=sort_key)) + "}"
        if isinstance(v, ir.Message):
            return self.render_msg(v)
        if isinstance(v, tuple):
            return "<<" + ", ".join(self.render_any(x) for x in v) + ">>"
        return str(v)

    def render_msg(self, m: ir.Message) -> str:
        decl = self.proto.messages[m.name]
        if not decl.fields:
            return m.name
        args = ", ".join(render_value(t, a) for (_, t), a in zip(decl.fields, m.args))
        return f"{m.name}({args})"

    def msg_json(self, m: ir.Message) -> dict[str, Any]:
        decl = self.proto.messages[m.name]
        return {"message": m.name, "fields": {n: to_json(t, a) for (n, t), a in zip(decl.fields, m.args)}}

    def render_items(self, ci: ChanInst, items: Any) -> str:
        seq = sorted(items, key=sort_key) if isinstance(items, frozenset) else list(items)
        parts = []
        src = self.proto.role_map[ci.channel.src]
        for it in seq:
            if ci.channel.topology is ir.Topology.LINKS:
                parts.append(self.render_msg(it))
            else:
                sender = f"{src.name}[{it[0]}]" if src.indexed else src.name
                parts.append(f"{self.render_msg(it[1])} from {sender}")
        open_, close = ("{", "}") if ci.channel.kind is not ir.ChanKind.FIFO else ("<<", ">>")
        return open_ + ", ".join(parts) + close


class RoleView:
    """The layout as seen by one role's compiled steps (its own variables by name)."""

    def __init__(self, lay: Layout, role: str):
        self._lay = lay
        self.local_pos = lay.local_index.get(role, {})
        self.shared_slot = lay.shared_slot
        self.role_base = lay.role_base
        self.local_index = lay.local_index

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lay, name)
