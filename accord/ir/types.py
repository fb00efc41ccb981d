"""Value types of the IR and the runtime representation of their values.

Every type is finite; :func:`domain` enumerates its values in a canonical order.

Runtime values (what states hold):

=============  ==========================================================
bool           ``bool``
``lo..hi``     ``int``
enum           ``str`` (the member name)
role           :class:`Inst` ``(role, index)``
record         ``tuple`` aligned with the record's fields
set            ``frozenset``
map            ``tuple`` aligned with ``domain(key)``
seq            ``tuple`` (length at most ``max``)
option         ``None`` or a value of the inner type
=============  ==========================================================
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

#: Above this many values a domain is refused rather than enumerated.
DOMAIN_LIMIT = 1 << 20


class Inst(NamedTuple):
    """A role instance as a value: ``Worker[2]`` is ``Inst("Worker", 2)``."""

    role: str
    idx: int


class Type:
    """Base of all value types. ``alias`` (out of equality) is the declared name, for printing."""

    alias: str | None


@dataclass(frozen=True)
class BoolType(Type):
    alias: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class IntType(Type):
    lo: int
    hi: int
    alias: str | None = field(default=None, compare=False)
    src: Any = field(default=None, compare=False, repr=False)  # (lo_expr, hi_expr) for printing


@dataclass(frozen=True)
class EnumType(Type):
    name: str
    members: tuple[str, ...]
    alias: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RoleType(Type):
    role: str
    count: int
    indexed: bool = True  # declared as ``role R[N]``: instances print as ``R[i]``
    alias: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RecordType(Type):
    fields: tuple[tuple[str, Type], ...]
    alias: str | None = field(default=None, compare=False)

    def field_index(self, name: str) -> int:
        for i, (fname, _) in enumerate(self.fields):
            if fname == name:
                return i
        raise KeyError(name)

    def field_type(self, name: str) -> Type:
        return self.fields[self.field_index(name)][1]


@dataclass(frozen=True)
class SetType(Type):
    elem: Type
    alias: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class MapType(Type):
    key: Type
    value: Type
    alias: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class SeqType(Type):
    elem: Type
    max: int
    alias: str | None = field(default=None, compare=False)
    src: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class OptionType(Type):
    inner: Type
    alias: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class MessageType(Type):
    """The type of a message value (only in sends and channel contents)."""

    name: str
    alias: str | None = field(default=None, compare=False)


class Message(NamedTuple):
    name: str
    args: tuple[Any, ...]


def strip(t: Type) -> Type:
    """The same type without its alias (aliases never change meaning)."""
    return t


def size(t: Type) -> int:
    """Number of values of ``t`` (may be huge; never enumerates)."""
    if isinstance(t, BoolType):
        return 2
    if isinstance(t, IntType):
        return max(0, t.hi - t.lo + 1)
    if isinstance(t, EnumType):
        return len(t.members)
    if isinstance(t, RoleType):
        return t.count
    if isinstance(t, RecordType):
        n = 1
        for _, ft in t.fields:
            n *= size(ft)
        return n
    if isinstance(t, SetType):
        return 2 ** min(size(t.elem), 4096)
    if isinstance(t, MapType):
        return size(t.value) ** min(size(t.key), 4096)
    if isinstance(t, SeqType):
        e = size(t.elem)
        return sum(e**k for k in range(t.max + 1))
    if isinstance(t, OptionType):
        return 1 + size(t.inner)
    raise TypeError(f"no finite domain for {t!r}")


@lru_cache(maxsize=4096)
def domain(t: Type) -> tuple[Any, ...]:
    """All values of ``t`` in canonical order. Raises ``ValueError`` past DOMAIN_LIMIT."""
    if size(t) > DOMAIN_LIMIT:
        raise ValueError(f"type {render_type(t)} has {size(t)} values, too many to enumerate")
    if isinstance(t, BoolType):
        return (False, True)
    if isinstance(t, IntType):
        return tuple(range(t.lo, t.hi + 1))
    if isinstance(t, EnumType):
        return t.members
    if isinstance(t, RoleType):
        return tuple(Inst(t.role, i) for i in range(t.count))
    if isinstance(t, RecordType):
        return tuple(itertools.product(*(domain(ft) for _, ft in t.fields)))
    if isinstance(t, SetType):
        elems = domain(t.elem)
        return tuple(
            frozenset(c) for k in range(len(elems) + 1) for c in itertools.combinations(elems, k)
        )
    if isinstance(t, MapType):
        return tuple(itertools.product(domain(t.value), repeat=len(domain(t.key))))
    if isinstance(t, SeqType):
        elems = domain(t.elem)
        return tuple(s for k in range(t.max + 1) for s in itertools.product(elems, repeat=k))
    if isinstance(t, OptionType):
        return (None, *domain(t.inner))
    raise TypeError(f"no finite domain for {t!r}")


@lru_cache(maxsize=4096)
def key_index(t: Type) -> dict[Any, int]:
    """Position of each key value in ``domain(t)``: how maps are indexed."""
    return {v: i for i, v in enumerate(domain(t))}


def contains(t: Type, v: Any) -> bool:
    """Whether ``v`` is a value of ``t`` (range checks for assignments)."""
    if isinstance(t, BoolType):
        return isinstance(v, bool)
    if isinstance(t, IntType):
        return isinstance(v, int) and not isinstance(v, bool) and t.lo <= v <= t.hi
    if isinstance(t, EnumType):
        return v in t.members
    if isinstance(t, RoleType):
        return isinstance(v, Inst) and v.role == t.role and 0 <= v.idx < t.count
    if isinstance(t, RecordType):
        return (
            isinstance(v, tuple)
            and len(v) == len(t.fields)
            and all(contains(ft, x) for (_, ft), x in zip(t.fields, v))
        )
    if isinstance(t, SetType):
        return isinstance(v, frozenset) and all(contains(t.elem, x) for x in v)
    if isinstance(t, MapType):
        return (
            isinstance(v, tuple)
            and len(v) == size(t.key)
            and all(contains(t.value, x) for x in v)
        )
    if isinstance(t, SeqType):
        return isinstance(v, tuple) and len(v) <= t.max and all(contains(t.elem, x) for x in v)
    if isinstance(t, OptionType):
        return v is None or contains(t.inner, v)
    return True


def render_type(t: Type, use_alias: bool = True) -> str:
    """Source text of a type (its alias if it has one)."""
    if use_alias and t.alias:
        return t.alias
    if isinstance(t, BoolType):
        return "bool"
    if isinstance(t, IntType):
        return f"{t.lo}..{t.hi}"
    if isinstance(t, EnumType):
        return t.name
    if isinstance(t, RoleType):
        return t.role
    if isinstance(t, RecordType):
        inner = ", ".join(f"{n}: {render_type(ft)}" for n, ft in t.fields)
        return f"record {{ {inner} }}"
    if isinstance(t, SetType):
        return f"set of {render_type(t.elem)}"
    if isinstance(t, MapType):
        return f"map {render_type(t.key)} -> {render_type(t.value)}"
    if isinstance(t, SeqType):
        return f"seq of {render_type(t.elem)} max {t.max}"
    if isinstance(t, OptionType):
        return f"option {render_type(t.inner)}"
    if isinstance(t, MessageType):
        return f"message {t.name}"
    return repr(t)


def render_value(t: Type, v: Any) -> str:
    """A value as the user would write it in a spec."""
    if isinstance(t, BoolType):
        return "true" if v else "false"
    if isinstance(t, (IntType, EnumType)):
        return str(v)
    if isinstance(t, RoleType):
        return f"{t.role}[{v.idx}]" if t.indexed else t.role
    if isinstance(t, RecordType):
        inner = ", ".join(f"{n}: {render_value(ft, x)}" for (n, ft), x in zip(t.fields, v))
        return "{" + inner + "}"
    if isinstance(t, SetType):
        elems = sorted(v, key=sort_key)
        return "{" + ", ".join(render_value(t.elem, x) for x in elems) + "}"
    if isinstance(t, MapType):
        keys = domain(t.key)
        if len(set(v)) == 1 and keys:
            return f"[_ -> {render_value(t.value, v[0])}]"
        inner = ", ".join(f"{render_value(t.key, k)}: {render_value(t.value, x)}" for k, x in zip(keys, v))
        return "[" + inner + "]"
    if isinstance(t, SeqType):
        return "<<" + ", ".join(render_value(t.elem, x) for x in v) + ">>"
    if isinstance(t, OptionType):
        return "none" if v is None else render_value(t.inner, v)
    return repr(v)


@lru_cache(maxsize=1 << 16)
def sort_key(v: Any) -> Any:
    """A total order over runtime values of one type (for canonical printing and bags).

    Cached: values are immutable and a model has few distinct ones.
    """
    if v is None:
        return (0,)
    if isinstance(v, bool):
        return (1, int(v))
    if isinstance(v, int):
        return (1, v)
    if isinstance(v, str):
        return (2, v)
    if isinstance(v, Inst):
        return (3, v.role, v.idx)
    if isinstance(v, frozenset):
        return (5, tuple(sorted((sort_key(x) for x in v))))
    if isinstance(v, tuple):
        return (4, tuple(sort_key(x) for x in v))
    return (9, repr(v))


def to_json(t: Type, v: Any) -> Any:
    """A JSON-ready rendering of a value (used by reports and traces)."""
    if isinstance(t, (BoolType, IntType, EnumType)):
        return v
    if isinstance(t, RoleType):
        return render_value(t, v)
    if isinstance(t, RecordType):
        return {n: to_json(ft, x) for (n, ft), x in zip(t.fields, v)}
    if isinstance(t, SetType):
        return [to_json(t.elem, x) for x in sorted(v, key=sort_key)]
    if isinstance(t, MapType):
        return {render_value(t.key, k): to_json(t.value, x) for k, x in zip(domain(t.key), v)}
    if isinstance(t, SeqType):
        return [to_json(t.elem, x) for x in v]
    if isinstance(t, OptionType):
        return None if v is None else to_json(t.inner, v)
    return repr(v)


def within(value_t: Type, target_t: Type) -> bool:
    """Whether every value of ``value_t`` is a value of ``target_t`` (so no range check is needed)."""
    if isinstance(value_t, IntType) and isinstance(target_t, IntType):
        return target_t.lo <= value_t.lo and value_t.hi <= target_t.hi
    if isinstance(value_t, SetType) and isinstance(target_t, SetType):
        return within(value_t.elem, target_t.elem)
    if isinstance(value_t, SeqType) and isinstance(target_t, SeqType):
        return value_t.max <= target_t.max and within(value_t.elem, target_t.elem)
    if isinstance(value_t, MapType) and isinstance(target_t, MapType):
        return within(value_t.value, target_t.value)
    if isinstance(value_t, OptionType) and isinstance(target_t, OptionType):
        return within(value_t.inner, target_t.inner)
    if isinstance(value_t, RecordType) and isinstance(target_t, RecordType):
        return all(within(a, b) for (_, a), (_, b) in zip(value_t.fields, target_t.fields))
    if isinstance(target_t, OptionType):
        return within(value_t, target_t.inner)
    return value_t == target_t or type(value_t).__name__ == "Unknown"
