"""Value codes shared by the packed layout and the vectorised evaluator.

A typed value is a *tree*: a scalar, ``option`` or ``set`` value is one :class:`Leaf`
(a bit field); a map is a list of trees (one per key, in ``domain(key)`` order) and a
record a list of trees (one per field). The vectorised evaluator works on *eval
values* of leaves:

=========  =====================================  ==========================
type       eval value                             stored code
=========  =====================================  ==========================
bool       bool                                   0 / 1
lo..hi     the integer itself (int64)             value - lo
enum       member index                           same
role       instance index                         same
option T   ``NONE`` or the eval value of T        0 / 1 + code of T
set of T   uint64 mask, bit = eval value of elem  mask >> lo (ints), mask
=========  =====================================  ==========================

Sets hold booleans, numbers in 0..63, enum members or role instances (at most 64
values); anything else is outside the fragment (see :mod:`.fragment`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from accord import ir
from accord.ir.types import Inst, domain, key_index

U64 = np.uint64
WORD = 64
NONE = -(1 << 40)  # the eval value of `none` (an option's absent value); never a value of a scalar type


class Unsupported(Exception):
    """The spec (or a value met during the search) is outside the vector engine's fragment."""


@dataclass
class Leaf:
    """One bit field. ``kind``: bool | int | enum | role | opt | set | chan | budget | crash."""

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
    if isinstance(t, (ir.RecordType, ir.OptionType)) and type_problem(t) is None:
        return None if ir.types.size(t) <= WORD else f"a set over more than {WORD} values"
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
        return None if scalar(t.inner) else "an option of non-scalar values"
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


def bit_of(t: ir.Type, v: Any) -> int:
    """The bit of a runtime value in a ``set of t`` mask: a scalar's eval value, else its index in ``domain(t)``."""
    return pos_of(t, v) if scalar(t) else key_index(t)[v]


def value_of_bit(t: ir.Type, p: int) -> Any:
    return from_pos(t, p) if scalar(t) else domain(t)[p]


def to_eval(t: ir.Type, v: Any) -> Any:
    """A runtime value as a (constant) eval tree."""
    if isinstance(t, ir.SetType):
        m = 0
        for x in v:
            p = bit_of(t.elem, x)
            if not 0 <= p < WORD:
                raise Unsupported(f"set element {x!r} has no bit")
            m |= 1 << p
        return m
    if isinstance(t, ir.MapType):
        return [to_eval(t.value, x) for x in v]
    if isinstance(t, ir.RecordType):
        return [to_eval(ft, x) for (_, ft), x in zip(t.fields, v)]
    if isinstance(t, ir.OptionType):
        return NONE if v is None else to_eval(t.inner, v)
    if scalar(t):
        return pos_of(t, v)
    if v == frozenset() or v is None:
        return 0
    raise Unsupported(f"no eval value for {t!r}")


def from_eval(t: ir.Type, v: Any) -> Any:
    """An eval tree of Python scalars back as a runtime value."""
    if isinstance(t, ir.SetType):
        m = int(v)
        return frozenset(value_of_bit(t.elem, p) for p in range(WORD) if m >> p & 1)
    if isinstance(t, ir.MapType):
        return tuple(from_eval(t.value, x) for x in v)
    if isinstance(t, ir.RecordType):
        return tuple(from_eval(ft, x) for (_, ft), x in zip(t.fields, v))
    if isinstance(t, ir.OptionType):
        return None if int(v) == NONE else from_pos(t.inner, int(v))
    return from_pos(t, int(v))


def bits_for(n_values: int) -> int:
    return max(0, (n_values - 1).bit_length())


def leaf_eval(leaf: Leaf, c: np.ndarray) -> np.ndarray:
    """Stored codes -> eval values."""
    if leaf.kind in ("bool", "crash"):
        return c.astype(bool)
    if leaf.kind == "int":
        return c.astype(np.int64) + leaf.lo
    if leaf.kind in ("enum", "role", "budget", "count"):
        return c.astype(np.int64)
    if leaf.kind == "set" and leaf.lo:
        return c << U64(leaf.lo)
    if leaf.kind == "opt":
        v = c.astype(np.int64)
        return np.where(v == 0, NONE, v - 1 + leaf.lo)
    return c


def eval_code(leaf: Leaf, v: Any) -> Any:
    """Eval values -> stored codes (uint64), array or scalar."""
    if leaf.kind == "opt":
        if isinstance(v, np.ndarray):
            return np.where(v == NONE, 0, v - leaf.lo + 1).astype(U64)
        return U64(0 if int(v) == NONE else int(v) - leaf.lo + 1)
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


__all__ = [
    "NONE",
    "WORD",
    "Leaf",
    "Unsupported",
    "bit_of",
    "bits_for",
    "eval_code",
    "from_eval",
    "from_pos",
    "leaf_eval",
    "pos_of",
    "scalar",
    "set_elem_ok",
    "to_eval",
    "type_problem",
    "value_of_bit",
]
