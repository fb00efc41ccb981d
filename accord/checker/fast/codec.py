"""Packed states: every slot of a generic state as bit fields of a row of uint64 words.

Contract: :meth:`Codec.pack` and :meth:`Codec.unpack` are inverse on the states of
the supported fragment (``unpack(pack(s)) == s``), and two states pack to the same
words exactly when they are equal, so packed rows can be deduplicated as numbers.
Value codes are described in :mod:`.codec_base`, channel forms in :mod:`.channels`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from accord import ir
from accord.checker.fast.channels import ChanCodec
from accord.checker.fast.codec_base import (
    NONE,
    WORD,
    Leaf,
    Unsupported,
    bits_for,
    eval_code,
    from_eval,
    from_pos,
    leaf_eval,
    pos_of,
    scalar,
    set_elem_ok,
    to_eval,
    type_problem,
)
from accord.ir.types import domain, sort_key
from accord.semantics.layout import Layout

U64 = np.uint64


class Codec:
    """Bit layout of the states of one protocol (see the module docstring)."""

    def __init__(self, proto: ir.Protocol, lay: Layout, universes: dict[int, Any], bounds: dict[int, int] | None = None,
                 default_bound: int = 2):
        """``universes``: the items each channel instance may hold; ``bounds``: packing bounds of
        channels without capacity (default ``default_bound``)."""
        self.proto = proto
        self.lay = lay
        self.leaves: list[Leaf] = []
        self.shared: dict[str, Any] = {}  # var name -> tree
        self.locals: dict[tuple[str, int], dict[str, Any]] = {}  # (role, idx) -> var -> tree
        self.chans: dict[int, ChanCodec] = {}  # channel slot -> its packed form
        self.universe: dict[int, list[Any]] = {}  # channel slot -> items, in delivery (sort_key) order
        self.budget: list[Leaf] = []
        self.crash: dict[str, list[Leaf]] = {}
        for v in proto.shared:
            self.shared[v.name] = self._tree(v.type)
        for r in proto.roles:
            for i in range(r.count):
                self.locals[(r.name, i)] = {v.name: self._tree(v.type) for v in r.vars}
        for ci in lay.chan_insts:
            items = sorted(universes.get(ci.slot, ()), key=sort_key)
            self.universe[ci.slot] = items
            bound = (bounds or {}).get(ci.slot, default_bound)
            self.chans[ci.slot] = ChanCodec(ci, items, bound, self._leaf)
        for f in proto.faults:
            self.budget.append(self._leaf("budget", bits_for(f.budget + 1)))
        for role in lay.crash_slot:
            n = proto.role_map[role].count
            self.crash[role] = [self._leaf("crash", 1) for _ in range(n)]
        self.words = self._place()

    # ------------------------------------------------------------------ layout
    def _leaf(self, kind: str, bits: int, lo: int = 0, type: Any = None) -> Leaf:
        leaf = Leaf(len(self.leaves), kind, bits, lo, type)
        self.leaves.append(leaf)
        return leaf

    def _tree(self, t: ir.Type) -> Any:
        why = type_problem(t)
        if why:
            raise Unsupported(why)
        if isinstance(t, ir.BoolType):
            return self._leaf("bool", 1, type=t)
        if isinstance(t, ir.IntType):
            return self._leaf("int", bits_for(t.hi - t.lo + 1), t.lo, t)
        if isinstance(t, ir.EnumType):
            return self._leaf("enum", bits_for(len(t.members)), type=t)
        if isinstance(t, ir.RoleType):
            return self._leaf("role", bits_for(t.count), type=t)
        if isinstance(t, ir.SetType):
            if isinstance(t.elem, ir.IntType):
                return self._leaf("set", t.elem.hi - t.elem.lo + 1, t.elem.lo, t)
            return self._leaf("set", len(domain(t.elem)), type=t)
        if isinstance(t, ir.OptionType):
            lo = t.inner.lo if isinstance(t.inner, ir.IntType) else 0
            return self._leaf("opt", bits_for(1 + len(domain(t.inner))), lo, t)
        if isinstance(t, ir.MapType):
            return [self._tree(t.value) for _ in domain(t.key)]
        assert isinstance(t, ir.RecordType)
        return [self._tree(ft) for _, ft in t.fields]

    def _place(self) -> int:
        """First-fit decreasing into 64-bit words; returns the number of words (at least 1)."""
        free: list[int] = []
        for leaf in sorted(self.leaves, key=lambda lf: (-lf.bits, lf.id)):
            if leaf.bits == 0:
                continue
            for w, room in enumerate(free):
                if room >= leaf.bits:
                    leaf.word, leaf.shift = w, WORD - room
                    free[w] -= leaf.bits
                    break
            else:
                leaf.word, leaf.shift = len(free), 0
                free.append(WORD - leaf.bits)
        return max(1, len(free))

    @property
    def bits(self) -> int:
        return sum(lf.bits for lf in self.leaves)

    # ------------------------------------------------------------------ codes
    def code(self, leaf: Leaf, v: Any) -> int:
        """The stored code of a runtime value of one leaf."""
        if leaf.kind == "bool" or leaf.kind == "crash":
            return int(bool(v))
        if leaf.kind == "int":
            return v - leaf.lo
        if leaf.kind in ("budget", "count"):
            return int(v)
        if leaf.kind == "set":
            return to_eval(leaf.type, v) >> leaf.lo
        if leaf.kind == "opt":
            return 0 if v is None else 1 + pos_of(leaf.type.inner, v) - leaf.lo
        return pos_of(leaf.type, v)

    def value(self, leaf: Leaf, c: int) -> Any:
        if leaf.kind == "bool" or leaf.kind == "crash":
            return bool(c)
        if leaf.kind == "int":
            return c + leaf.lo
        if leaf.kind in ("budget", "count"):
            return c
        if leaf.kind == "set":
            return from_eval(leaf.type, c << leaf.lo)
        if leaf.kind == "opt":
            return None if c == 0 else from_pos(leaf.type.inner, c - 1 + leaf.lo)
        return from_pos(leaf.type, c)

    def _put(self, out: list[int], leaf: Leaf, c: int) -> None:
        if not 0 <= c <= leaf.mask:
            raise Unsupported(f"value code {c} does not fit {leaf.bits} bits")
        if leaf.bits:
            out[leaf.word] |= c << leaf.shift

    def _get(self, row: Any, leaf: Leaf) -> int:
        return (int(row[leaf.word]) >> leaf.shift) & leaf.mask if leaf.bits else 0

    def _put_tree(self, out: list[int], tree: Any, t: ir.Type, v: Any) -> None:
        if isinstance(tree, Leaf):
            self._put(out, tree, self.code(tree, v))
        elif isinstance(t, ir.MapType):
            for sub, x in zip(tree, v):
                self._put_tree(out, sub, t.value, x)
        else:
            assert isinstance(t, ir.RecordType)
            for sub, (_, ft), x in zip(tree, t.fields, v):
                self._put_tree(out, sub, ft, x)

    def _get_tree(self, row: Any, tree: Any, t: ir.Type) -> Any:
        if isinstance(tree, Leaf):
            return self.value(tree, self._get(row, tree))
        if isinstance(t, ir.MapType):
            return tuple(self._get_tree(row, sub, t.value) for sub in tree)
        assert isinstance(t, ir.RecordType)
        return tuple(self._get_tree(row, sub, ft) for sub, (_, ft) in zip(tree, t.fields))

    # ------------------------------------------------------------------ states
    def pack(self, st: tuple[Any, ...]) -> np.ndarray:
        """A generic state as one row of ``self.words`` uint64 words."""
        lay, proto = self.lay, self.proto
        out = [0] * self.words
        for v in proto.shared:
            self._put_tree(out, self.shared[v.name], v.type, st[lay.shared_slot[v.name]])
        for r in proto.roles:
            for i in range(r.count):
                trees = self.locals[(r.name, i)]
                for v, x in zip(r.vars, st[lay.role_base[r.name] + i]):
                    self._put_tree(out, trees[v.name], v.type, x)
        for ci in lay.chan_insts:
            for leaf, c in self.chans[ci.slot].codes(st[ci.slot]):
                self._put(out, leaf, c)
        for leaf, slot in zip(self.budget, lay.fault_slot):
            self._put(out, leaf, st[slot])
        for role, slot in lay.crash_slot.items():
            for leaf, flag in zip(self.crash[role], st[slot]):
                self._put(out, leaf, int(flag))
        return np.array(out, dtype=U64)

    def unpack(self, row: Any) -> tuple[Any, ...]:
        """The generic state of one packed row."""
        lay, proto = self.lay, self.proto
        st: list[Any] = [None] * lay.size
        for v in proto.shared:
            st[lay.shared_slot[v.name]] = self._get_tree(row, self.shared[v.name], v.type)
        for r in proto.roles:
            for i in range(r.count):
                trees = self.locals[(r.name, i)]
                st[lay.role_base[r.name] + i] = tuple(self._get_tree(row, trees[v.name], v.type) for v in r.vars)
        for ci in lay.chan_insts:
            st[ci.slot] = self.chans[ci.slot].value(lambda leaf: self._get(row, leaf))
        for leaf, slot in zip(self.budget, lay.fault_slot):
            st[slot] = self._get(row, leaf)
        for role, slot in lay.crash_slot.items():
            st[slot] = tuple(bool(self._get(row, leaf)) for leaf in self.crash[role])
        return tuple(st)

    # ------------------------------------------------------------------ vectorised access
    def read(self, words: np.ndarray, leaf: Leaf) -> np.ndarray:
        """The eval values of one leaf over rows of packed words."""
        if leaf.bits == 0:
            c = np.zeros(len(words), dtype=U64)
        else:
            c = (words[:, leaf.word] >> U64(leaf.shift)) & U64(leaf.mask)
        return leaf_eval(leaf, c)

    def write(self, words: np.ndarray, leaf: Leaf, value: Any) -> None:
        """Store eval values (array or scalar) of one leaf into ``words`` in place."""
        if leaf.bits == 0:
            return
        c = eval_code(leaf, value)
        col = words[:, leaf.word]
        col &= U64(~(leaf.mask << leaf.shift) & ((1 << WORD) - 1))
        col |= c << U64(leaf.shift)
        words[:, leaf.word] = col


__all__ = [
    "NONE",
    "WORD",
    "Codec",
    "Leaf",
    "Unsupported",
    "eval_code",
    "from_eval",
    "from_pos",
    "leaf_eval",
    "pos_of",
    "scalar",
    "set_elem_ok",
    "to_eval",
    "type_problem",
]
