"""Packed states: every slot of a generic state as bit fields of a row of uint64 words.

Contract: :meth:`Codec.pack` and :meth:`Codec.unpack` are inverse on the states of
the supported fragment (``unpack(pack(s)) == s``), and two states pack to the same
words exactly when they are equal, so packed rows can be deduplicated as numbers.

A typed value is a *tree*: a scalar or ``set`` value is one :class:`Leaf` (a bit
field); a map is a list of trees (one per key, in ``domain(key)`` order) and a
record a list of trees (one per field). The vectorised evaluator works on *eval
values* of leaves (see :func:`to_eval` and :func:`leaf_eval`):

=========  =====================================  ==========================
type       eval value                             stored code
=========  =====================================  ==========================
bool       bool                                   0 / 1
lo..hi     the integer itself (int64)             value - lo
enum       member index                           same
role       instance index                         same
set of T   uint64 mask, bit = eval value of elem  mask >> lo (ints), mask
channel    uint64 mask over the channel universe  same
=========  =====================================  ==========================

Sets hold booleans, numbers in 0..63, enum members or role instances (at most 64
values); anything else is outside the fragment (see :mod:`.fragment`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from accord import ir
from accord.ir.types import Inst, domain, sort_key
from accord.semantics.layout import ChanInst, Layout

U64 = np.uint64
WORD = 64


class Unsupported(Exception):
    """The spec (or a value met during the search) is outside the vector engine's fragment."""


@dataclass
class Leaf:
    """One bit field. ``kind``: bool | int | enum | role | set | chan | budget | crash."""

    id: int
    kind: str
    bits: int
    lo: int = 0  # int: the type's lower bound; set of ints: the lowest storable element
    type: Any = None
    word: int = 0
    shift: int = 0

    @property
    def mask(self) -> int:
        return (1 << self.bits) - 1


def scalar(t: ir.Type) -> bool:
    return isinstance(t, (ir.BoolType, ir.IntType, ir.EnumType, ir.RoleType))


def set_elem_ok(t: ir.Type) -> str | None:
    """Why a ``set of t`` cannot be a bit mask (None: it can)."""
    if isinstance(t, ir.IntType):
        return None if 0 <= t.lo and t.hi < WORD else f"a set of numbers outside 0..{WORD - 1}"
    if isinstance(t, (ir.BoolType, ir.EnumType, ir.RoleType)):
        return None if len(domain(t)) <= WORD else f"a set over more than {WORD} values"
    return "a set of non-scalar values"


def type_problem(t: ir.Type) -> str | None:
    """Why values of ``t`` cannot be packed (None: they can)."""
    if scalar(t):
        return None
    if isinstance(t, ir.SetType):
        return set_elem_ok(t.elem)
    if isinstance(t, ir.MapType):
        if not scalar(t.key):
            return "a map with non-scalar keys"
        return type_problem(t.value)
    if isinstance(t, ir.RecordType):
        for _, ft in t.fields:
            why = type_problem(ft)
            if why:
                return why
        return None
    if isinstance(t, ir.OptionType):
        return "an option type"
    if isinstance(t, ir.SeqType):
        return "a sequence type"
    return f"values of type {type(t).__name__}"


def pos_of(t: ir.Type, v: Any) -> int:
    """Eval value (a small int) of a scalar runtime value."""
    if isinstance(t, ir.BoolType):
        return int(v)
    if isinstance(t, ir.IntType):
        return int(v)
    if isinstance(t, ir.EnumType):
        return t.members.index(v)
    if isinstance(t, ir.RoleType):
        return v.idx
    raise Unsupported(f"no scalar code for {t!r}")


def from_pos(t: ir.Type, p: int) -> Any:
    """The runtime value of a scalar eval value."""
    if isinstance(t, ir.BoolType):
        return bool(p)
    if isinstance(t, ir.IntType):
        return int(p)
    if isinstance(t, ir.EnumType):
        return t.members[p]
    if isinstance(t, ir.RoleType):
        return Inst(t.role, int(p))
    raise Unsupported(f"no scalar value for {t!r}")


def to_eval(t: ir.Type, v: Any) -> Any:
    """A runtime value as a (constant) eval tree."""
    if isinstance(t, ir.SetType):
        m = 0
        for x in v:
            p = pos_of(t.elem, x)
            if not 0 <= p < WORD:
                raise Unsupported(f"set element {x!r} has no bit")
            m |= 1 << p
        return m
    if isinstance(t, ir.MapType):
        return [to_eval(t.value, x) for x in v]
    if isinstance(t, ir.RecordType):
        return [to_eval(ft, x) for (_, ft), x in zip(t.fields, v)]
    if scalar(t):
        return pos_of(t, v)
    if v == frozenset() or v is None:
        return 0
    raise Unsupported(f"no eval value for {t!r}")


def from_eval(t: ir.Type, v: Any) -> Any:
    """An eval tree of Python scalars back as a runtime value."""
    if isinstance(t, ir.SetType):
        m = int(v)
        return frozenset(from_pos(t.elem, p) for p in range(WORD) if m >> p & 1)
    if isinstance(t, ir.MapType):
        return tuple(from_eval(t.value, x) for x in v)
    if isinstance(t, ir.RecordType):
        return tuple(from_eval(ft, x) for (_, ft), x in zip(t.fields, v))
    return from_pos(t, int(v))


def _bits(n_values: int) -> int:
    return max(0, (n_values - 1).bit_length())


class Codec:
    """Bit layout of the states of one protocol (see the module docstring)."""

    def __init__(self, proto: ir.Protocol, lay: Layout, universes: dict[int, list[Any]]):
        self.proto = proto
        self.lay = lay
        self.leaves: list[Leaf] = []
        self.shared: dict[str, Any] = {}  # var name -> tree
        self.locals: dict[tuple[str, int], dict[str, Any]] = {}  # (role, idx) -> var -> tree
        self.chan: dict[int, Leaf] = {}  # channel slot -> leaf
        self.universe: dict[int, list[Any]] = {}  # channel slot -> items, in delivery (sort_key) order
        self.item_pos: dict[int, dict[Any, int]] = {}
        self.budget: list[Leaf] = []
        self.crash: dict[str, list[Leaf]] = {}
        for v in proto.shared:
            self.shared[v.name] = self._tree(v.type)
        for r in proto.roles:
            for i in range(r.count):
                self.locals[(r.name, i)] = {v.name: self._tree(v.type) for v in r.vars}
        for ci in lay.chan_insts:
            items = sorted(universes.get(ci.slot, ()), key=sort_key)
            if len(items) > WORD:
                raise Unsupported(f"channel {ci.label} may hold {len(items)} distinct messages (at most {WORD})")
            self.universe[ci.slot] = items
            self.item_pos[ci.slot] = {it: k for k, it in enumerate(items)}
            self.chan[ci.slot] = self._leaf("chan", len(items), type=ci)
        for f in proto.faults:
            self.budget.append(self._leaf("budget", _bits(f.budget + 1)))
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
            return self._leaf("int", _bits(t.hi - t.lo + 1), t.lo, t)
        if isinstance(t, ir.EnumType):
            return self._leaf("enum", _bits(len(t.members)), type=t)
        if isinstance(t, ir.RoleType):
            return self._leaf("role", _bits(t.count), type=t)
        if isinstance(t, ir.SetType):
            if isinstance(t.elem, ir.IntType):
                return self._leaf("set", t.elem.hi - t.elem.lo + 1, t.elem.lo, t)
            return self._leaf("set", len(domain(t.elem)), type=t)
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
        if leaf.kind == "budget":
            return int(v)
        if leaf.kind == "set":
            return to_eval(leaf.type, v) >> leaf.lo
        return pos_of(leaf.type, v)

    def value(self, leaf: Leaf, c: int) -> Any:
        if leaf.kind == "bool" or leaf.kind == "crash":
            return bool(c)
        if leaf.kind == "int":
            return c + leaf.lo
        if leaf.kind == "budget":
            return c
        if leaf.kind == "set":
            return from_eval(leaf.type, c << leaf.lo)
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
            pos = self.item_pos[ci.slot]
            m = 0
            for it in st[ci.slot]:
                if it not in pos:
                    raise Unsupported(f"message {it!r} is outside the universe of {ci.label}")
                m |= 1 << pos[it]
            self._put(out, self.chan[ci.slot], m)
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
            m = self._get(row, self.chan[ci.slot])
            items = self.universe[ci.slot]
            st[ci.slot] = frozenset(items[k] for k in range(len(items)) if m >> k & 1)
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


def leaf_eval(leaf: Leaf, c: np.ndarray) -> np.ndarray:
    """Stored codes -> eval values."""
    if leaf.kind in ("bool", "crash"):
        return c.astype(bool)
    if leaf.kind == "int":
        return c.astype(np.int64) + leaf.lo
    if leaf.kind in ("enum", "role", "budget"):
        return c.astype(np.int64)
    if leaf.kind == "set" and leaf.lo:
        return c << U64(leaf.lo)
    return c


def eval_code(leaf: Leaf, v: Any) -> Any:
    """Eval values -> stored codes (uint64), array or scalar."""
    if isinstance(v, np.ndarray):
        if leaf.kind == "int":
            return (v - leaf.lo).astype(U64)
        if leaf.kind == "set" and leaf.lo:
            return v.astype(U64) >> U64(leaf.lo)
        return v.astype(U64)
    if leaf.kind == "int":
        return U64(int(v) - leaf.lo)
    if leaf.kind == "set" and leaf.lo:
        return U64(int(v) >> leaf.lo)
    return U64(int(v))


__all__ = ["Codec", "Leaf", "Unsupported", "to_eval", "from_eval", "pos_of", "from_pos", "type_problem",
           "set_elem_ok", "scalar", "leaf_eval", "eval_code", "ChanInst"]
