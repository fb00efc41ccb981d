"""Symmetry reduction: states identified up to permuting the instances of ``symmetric`` roles.

The representative of an orbit is the least state, by :func:`state_key`, among
the images of a state under every permutation of every symmetric role. That
representative is canonical (it depends only on the orbit), so the number of
distinct representatives is exactly the number of orbits, the figure TLC
reports under ``SYMMETRY``.

Soundness rests on the spec not telling instances of a symmetric role apart;
:func:`symmetry_problems` finds the ways it could (``R[0]`` and friends).
"""

from __future__ import annotations

import itertools
from typing import Any, Callable

from accord import ir
from accord.ir.types import Inst, domain, sort_key
from accord.semantics.layout import Layout

Perm = dict[str, tuple[int, ...]]  # role -> new index of each old index
Mapper = Callable[[Any, Perm], Any]


def value_mapper(t: ir.Type, roles: frozenset[str]) -> Mapper | None:
    """A function renaming instances inside values of type ``t`` (None: ``t`` holds none)."""
    if isinstance(t, ir.RoleType):
        if t.role not in roles:
            return None
        role = t.role
        return lambda v, p: Inst(role, p[role][v.idx])
    if isinstance(t, ir.SetType):
        f = value_mapper(t.elem, roles)
        if f is None:
            return None
        return lambda v, p: frozenset(f(x, p) for x in v)
    if isinstance(t, (ir.SeqType,)):
        f = value_mapper(t.elem, roles)
        if f is None:
            return None
        return lambda v, p: tuple(f(x, p) for x in v)
    if isinstance(t, ir.OptionType):
        f = value_mapper(t.inner, roles)
        if f is None:
            return None
        return lambda v, p: None if v is None else f(v, p)
    if isinstance(t, ir.RecordType):
        fs = [value_mapper(ft, roles) for _, ft in t.fields]
        if all(f is None for f in fs):
            return None
        return lambda v, p: tuple(x if f is None else f(x, p) for f, x in zip(fs, v))
    if isinstance(t, ir.MapType):
        fk = value_mapper(t.key, roles)
        fv = value_mapper(t.value, roles)
        if fk is None and fv is None:
            return None
        keys = domain(t.key)
        pos = {k: i for i, k in enumerate(keys)}

        def map_mapper(v: Any, p: Perm) -> Any:
            vals = [x if fv is None else fv(x, p) for x in v]
            if fk is None:
                return tuple(vals)
            out = [None] * len(vals)
            for k, x in zip(keys, vals):
                out[pos[fk(k, p)]] = x
            return tuple(out)

        return map_mapper
    return None


class Symmetry:
    """Canonicalisation of states for a model's symmetric roles."""

    def __init__(self, lay: Layout, roles: list[str]):
        self.lay = lay
        proto = lay.proto
        self.roles = frozenset(roles)
        self.perms: list[Perm] = []
        per_role = [[(r, p) for p in itertools.permutations(range(proto.role_map[r].count))] for r in roles]
        for combo in itertools.product(*per_role):
            self.perms.append(dict(combo))
        self._slot_fns = self._build(proto)

    def _build(self, proto: ir.Protocol) -> list[Callable[[tuple[Any, ...], list[Any], Perm], None]]:
        lay = self.lay
        fns: list[Callable[[tuple[Any, ...], list[Any], Perm], None]] = []
        roles = self.roles
        for v in proto.shared:
            f = value_mapper(v.type, roles)
            if f is not None:
                slot = lay.shared_slot[v.name]
                fns.append(lambda st, out, p, f=f, slot=slot: out.__setitem__(slot, f(st[slot], p)))
        for r in proto.roles:
            base = lay.role_base[r.name]
            fs = [value_mapper(v.type, roles) for v in r.vars]
            sym = r.name in roles
            count = r.count

            def move(st: tuple[Any, ...], out: list[Any], p: Perm, base: int = base, fs: list[Any] = fs,
                     sym: bool = sym, count: int = count, role: str = r.name, rename: bool = any(fs)) -> None:
                for i in range(count):
                    loc = st[base + i]
                    if rename:
                        loc = tuple(x if f is None else f(x, p) for f, x in zip(fs, loc))
                    j = p[role][i] if sym else i
                    out[base + j] = loc

            fns.append(move)
        msg_fns = {name: [value_mapper(t, roles) for _, t in m.fields] for name, m in proto.messages.items()}

        def map_msg(m: ir.Message, p: Perm) -> ir.Message:
            fs = msg_fns[m.name]
            if not any(fs):
                return m
            return ir.Message(m.name, tuple(x if f is None else f(x, p) for f, x in zip(fs, m.args)))

        for ci in lay.chan_insts:
            ch = ci.channel
            links = ch.topology is ir.Topology.LINKS
            src_sym = ch.src in roles
            dst_sym = ch.dst in roles

            def chan(st: tuple[Any, ...], out: list[Any], p: Perm, ci: Any = ci, links: bool = links,
                     src_sym: bool = src_sym, dst_sym: bool = dst_sym, ch: ir.Channel = ch) -> None:
                items = st[ci.slot]
                if not items:  # empty: nothing to rename, only the place may move
                    s_idx = ci.src_idx if ci.src_idx is None or not src_sym else p[ch.src][ci.src_idx]
                    d_idx = ci.dst_idx if ci.dst_idx is None or not dst_sym else p[ch.dst][ci.dst_idx]
                    out[lay.chan_lookup[(ch.name, s_idx, d_idx)].slot] = items
                    return
                if links:
                    mapped = [map_msg(m, p) for m in items]
                else:
                    mapped = [((p[ch.src][s] if src_sym else s), map_msg(m, p)) for s, m in items]
                if ch.kind is ir.ChanKind.SET:
                    new: Any = frozenset(mapped)
                elif ch.kind is ir.ChanKind.BAG:
                    new = tuple(sorted(mapped, key=sort_key))
                else:
                    new = tuple(mapped)
                s_idx = ci.src_idx if ci.src_idx is None or not src_sym else p[ch.src][ci.src_idx]
                d_idx = ci.dst_idx if ci.dst_idx is None or not dst_sym else p[ch.dst][ci.dst_idx]
                target = lay.chan_lookup[(ch.name, s_idx, d_idx)].slot
                out[target] = new

            fns.append(chan)
        for role, slot in lay.crash_slot.items():
            if role in roles:
                def crash(st: tuple[Any, ...], out: list[Any], p: Perm, slot: int = slot, role: str = role) -> None:
                    flags = st[slot]
                    new = [False] * len(flags)
                    for i, c in enumerate(flags):
                        new[p[role][i]] = c
                    out[slot] = tuple(new)

                fns.append(crash)
        return fns

    def apply(self, st: tuple[Any, ...], p: Perm) -> tuple[Any, ...]:
        out = list(st)
        for f in self._slot_fns:
            f(st, out, p)
        return tuple(out)

    def canonical(self, st: tuple[Any, ...]) -> tuple[Any, ...]:
        best = st
        best_key = state_key(st)
        for p in self.perms[1:]:
            img = self.apply(st, p)
            k = state_key(img)
            if k < best_key:
                best, best_key = img, k
        return best


def state_key(st: tuple[Any, ...]) -> Any:
    return tuple(sort_key(x) for x in st)


def symmetry_problems(proto: ir.Protocol) -> list[str]:
    """Reasons symmetry reduction would be unsound for this spec (empty: it is sound)."""
    sym = {r.name for r in proto.roles if r.symmetric}
    problems: list[str] = []

    def walk(x: Any, where: str) -> None:
        if isinstance(x, ir.Call) and x.fn == "instance" and isinstance(x.type, ir.RoleType) and x.type.role in sym:
            problems.append(f"{where}: `{x.type.role}[…]` names one instance of symmetric role `{x.type.role}`")
        if isinstance(x, ir.Call) and x.fn == "index" and isinstance(x.args[0].type, ir.RoleType) \
                and x.args[0].type.role in sym:
            problems.append(f"{where}: `index(…)` tells instances of symmetric role `{x.args[0].type.role}` apart")
        if isinstance(x, ir.Lit) and isinstance(x.value, Inst) and x.value.role in sym:
            problems.append(f"{where}: a literal instance of symmetric role `{x.value.role}`")
        if isinstance(x, (list, tuple)):
            for y in x:
                walk(y, where)
        elif hasattr(x, "__dataclass_fields__"):
            for name in x.__dataclass_fields__:
                if name in ("span", "type", "source"):
                    continue
                walk(getattr(x, name), where)

    for d in proto.decls:
        where = f"line {d.span.line}" if getattr(d, "span", None) is not None else type(d).__name__
        walk(d, where)
    return problems
