"""Symbolic values: the runtime values of :mod:`accord.ir.types` as Z3 terms.

=============  ==========================================================
bool           ``z3.BoolRef``
``lo..hi``     ``z3.ArithRef`` (Int; state variables carry ``lo <= x <= hi``)
enum           Int: the member's position in the declaration
role           Int: the instance index
record         ``tuple`` aligned with the record's fields
set            :class:`SSet`: one Bool per *concrete* element (a dict)
map            ``tuple`` aligned with ``domain(key)``
option         :class:`SOpt`: a Bool "is some" and the inner value (a fixed
               default when none, so equal options have equal leaves)
=============  ==========================================================

Sets are keyed by concrete runtime values, so sets of different declared
element types (``0..3`` and ``1..4``) combine without conversion, and a
quantifier or a ``choose`` over a set runs its body once per concrete element.
A set stored in a state variable is *coerced* to the keys of its declared type,
in ``domain()`` order, so every state has the same leaves.

The language converts between ``T`` and ``option T`` implicitly (no IR node):
:func:`eq`, :func:`ite`, :func:`contains` and :func:`coerce` accept either
form. Sequences are outside the fragment (:class:`Unsupported`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import z3

from accord import ir
from accord.diagnostics import Diagnostic, Span
from accord.ir.types import domain, render_type, size, sort_key

#: Above this many concrete elements a set (or channel) is refused rather than unrolled.
KEY_LIMIT = 4096

TRUE = z3.BoolVal(True)
FALSE = z3.BoolVal(False)


class Unsupported(Exception):
    """A construct outside the SMT fragment; carries the ACC410 diagnostic to show."""

    def __init__(self, what: str, span: Span | None = None, hint: str | None = None):
        super().__init__(what)
        self.diagnostic = Diagnostic(
            "ACC410", f"the SMT engine does not support {what}", span,
            hint=hint or "check this spec with the explicit engine (`--engine explicit`)")


# ---------------------------------------------------------------- boolean helpers (constant folding)


def mk_and(*xs: Any) -> Any:
    out = []
    for x in xs:
        if z3.is_false(x):
            return FALSE
        if not z3.is_true(x):
            out.append(x)
    if not out:
        return TRUE
    return out[0] if len(out) == 1 else z3.And(*out)


def mk_or(*xs: Any) -> Any:
    out = []
    for x in xs:
        if z3.is_true(x):
            return TRUE
        if not z3.is_false(x):
            out.append(x)
    if not out:
        return FALSE
    return out[0] if len(out) == 1 else z3.Or(*out)


def mk_not(x: Any) -> Any:
    if z3.is_true(x):
        return FALSE
    if z3.is_false(x):
        return TRUE
    return z3.Not(x)


def is_const(x: Any) -> bool:
    return z3.is_true(x) or z3.is_false(x) or z3.is_int_value(x)


def const_of(x: Any) -> Any:
    """The Python value of a constant term, or None."""
    if z3.is_true(x):
        return True
    if z3.is_false(x):
        return False
    if z3.is_int_value(x):
        return x.as_long()
    return None


# ---------------------------------------------------------------- sets


@dataclass(eq=False)
class SSet:
    """A finite set: ``bits[v]`` says whether the concrete value ``v`` is a member."""

    elem: ir.Type  # how a key is lifted to a symbolic value
    bits: dict[Any, Any]

    def member(self, x: Any) -> Any:
        """Whether the symbolic value ``x`` is in the set."""
        return mk_or(*(mk_and(b, eq(x, lift(self.elem, k))) for k, b in self.bits.items()))

    def get(self, k: Any) -> Any:
        return self.bits.get(k, FALSE)

    def keys_sorted(self) -> list[Any]:
        return sorted(self.bits, key=sort_key)

    def card(self) -> Any:
        terms = [z3.If(b, 1, 0) for b in self.bits.values() if not z3.is_false(b)]
        return z3.IntVal(0) if not terms else z3.simplify(z3.Sum(*terms)) if len(terms) > 1 else terms[0]


@dataclass(eq=False)
class SOpt:
    """An option value: ``some`` says whether it holds ``val`` (``val`` is None for an untyped ``none``)."""

    some: Any
    val: Any


def to_opt(v: Any) -> SOpt:
    return v if isinstance(v, SOpt) else SOpt(TRUE, v)


def default(t: ir.Type) -> Any:
    """The value an absent option holds in a stored state."""
    if type(t).__name__ == "Unknown":
        return None
    return lift(t, domain(t)[0])


# ---------------------------------------------------------------- lifting concrete values


def check_type(t: ir.Type, span: Span | None = None) -> None:
    """Refuse types outside the fragment (options, sequences, huge sets)."""
    if isinstance(t, ir.OptionType):
        if type(t.inner).__name__ != "Unknown":
            check_type(t.inner, span)
        return
    if isinstance(t, ir.SeqType):
        raise Unsupported(f"sequence types (`{render_type(t)}`)", span)
    if isinstance(t, ir.SetType):
        if type(t.elem).__name__ != "Unknown":
            check_type(t.elem, span)
            if size(t.elem) > KEY_LIMIT:
                raise Unsupported(f"a set over {size(t.elem)} values (`{render_type(t)}`; limit {KEY_LIMIT})", span)
    elif isinstance(t, ir.MapType):
        check_type(t.key, span)
        check_type(t.value, span)
        if size(t.key) > KEY_LIMIT:
            raise Unsupported(f"a map over {size(t.key)} keys (`{render_type(t)}`)", span)
    elif isinstance(t, ir.RecordType):
        for _, ft in t.fields:
            check_type(ft, span)


@lru_cache(maxsize=1 << 14)
def lift(t: ir.Type, v: Any) -> Any:
    """The symbolic constant for the concrete value ``v`` of type ``t``."""
    if isinstance(t, ir.BoolType):
        return z3.BoolVal(bool(v))
    if isinstance(t, ir.IntType):
        return z3.IntVal(v)
    if isinstance(t, ir.EnumType):
        return z3.IntVal(t.members.index(v))
    if isinstance(t, ir.RoleType):
        return z3.IntVal(v.idx)
    if isinstance(t, ir.RecordType):
        return tuple(lift(ft, x) for (_, ft), x in zip(t.fields, v))
    if isinstance(t, ir.SetType):
        return SSet(t.elem, {x: TRUE for x in sorted(v, key=sort_key)})
    if isinstance(t, ir.MapType):
        return tuple(lift(t.value, x) for x in v)
    if isinstance(t, ir.OptionType):
        if v is None:
            return SOpt(FALSE, default(t.inner))
        return SOpt(TRUE, lift(t.inner, v))
    if isinstance(v, bool):
        return z3.BoolVal(v)
    if isinstance(v, int):
        return z3.IntVal(v)
    raise Unsupported(f"values of type `{render_type(t)}`")


def keys_of(t: ir.Type, span: Span | None = None) -> tuple[Any, ...]:
    """Every concrete value of ``t`` (for unrolling), refused past KEY_LIMIT."""
    if type(t).__name__ == "Unknown":
        return ()
    check_type(t, span)
    if size(t) > KEY_LIMIT:
        raise Unsupported(f"enumerating {size(t)} values of `{render_type(t)}` (limit {KEY_LIMIT})", span)
    return domain(t)


# ---------------------------------------------------------------- structural equality and if-then-else


def eq(a: Any, b: Any) -> Any:
    """Semantic equality of two symbolic values of the same type."""
    if isinstance(a, SOpt) or isinstance(b, SOpt):
        a, b = to_opt(a), to_opt(b)
        if z3.is_false(a.some):
            return mk_not(b.some)
        if z3.is_false(b.some):
            return mk_not(a.some)
        return mk_and(_beq(a.some, b.some), mk_or(mk_not(a.some), eq(a.val, b.val)))
    if isinstance(a, SSet):
        keys = list(a.bits) + [k for k in b.bits if k not in a.bits]
        return mk_and(*(_beq(a.get(k), b.get(k)) for k in keys))
    if isinstance(a, tuple):
        return mk_and(*(eq(x, y) for x, y in zip(a, b)))
    if isinstance(a, Chan):
        return a.eq(b)
    if a is b or a.eq(b):
        return TRUE
    ca, cb = const_of(a), const_of(b)
    if ca is not None and cb is not None:
        return z3.BoolVal(ca == cb)
    return a == b


def _beq(x: Any, y: Any) -> Any:
    if z3.is_false(x):
        return mk_not(y)
    if z3.is_false(y):
        return mk_not(x)
    if x.eq(y):
        return TRUE
    return x == y


def ite(c: Any, a: Any, b: Any) -> Any:
    """``if c then a else b`` over symbolic values of one type."""
    if a is b:
        return a
    if z3.is_true(c):
        return a
    if z3.is_false(c):
        return b
    if isinstance(a, SOpt) or isinstance(b, SOpt):
        a, b = to_opt(a), to_opt(b)
        val = b.val if a.val is None else a.val if b.val is None else ite(c, a.val, b.val)
        return SOpt(ite(c, a.some, b.some), val)
    if isinstance(a, SSet):
        keys = list(a.bits) + [k for k in b.bits if k not in a.bits]
        return SSet(a.elem, {k: ite(c, a.get(k), b.get(k)) for k in keys})
    if isinstance(a, tuple):
        return tuple(ite(c, x, y) for x, y in zip(a, b))
    if isinstance(a, Chan):
        return a.ite(c, b)
    if a.eq(b):
        return a
    return z3.If(c, a, b)


# ---------------------------------------------------------------- typed operations on stored values


def contains(t: ir.Type, v: Any) -> Any:
    """Whether the symbolic value ``v`` is a value of ``t`` (the range check of an assignment)."""
    if isinstance(t, ir.OptionType):
        if not isinstance(v, SOpt):
            return contains(t.inner, v)
        return mk_or(mk_not(v.some), contains(t.inner, v.val)) if v.val is not None else TRUE
    if isinstance(v, SOpt):  # an option where a plain value is needed: `none` does not fit
        return mk_and(v.some, contains(t, v.val)) if v.val is not None else FALSE
    if isinstance(t, ir.IntType):
        c = const_of(v)
        if c is not None:
            return z3.BoolVal(t.lo <= c <= t.hi)
        return mk_and(v >= t.lo, v <= t.hi)
    if isinstance(t, ir.SetType):
        inside = set(keys_of(t.elem)) if type(t.elem).__name__ != "Unknown" else set()
        return mk_and(*(mk_not(b) for k, b in v.bits.items() if k not in inside))
    if isinstance(t, ir.MapType):
        return mk_and(*(contains(t.value, x) for x in v))
    if isinstance(t, ir.RecordType):
        return mk_and(*(contains(ft, x) for (_, ft), x in zip(t.fields, v)))
    return TRUE


def coerce(t: ir.Type, v: Any) -> Any:
    """``v`` reshaped to the leaves of a stored value of type ``t`` (sets keyed by ``domain``)."""
    if isinstance(t, ir.OptionType):
        o = to_opt(v)
        dflt = default(t.inner)
        if o.val is None or z3.is_false(o.some):
            return SOpt(FALSE, dflt)
        return SOpt(o.some, ite(o.some, coerce(t.inner, o.val), dflt))
    if isinstance(v, SOpt):  # unwrapped (the range check has ruled out `none`)
        return coerce(t, v.val)
    if isinstance(t, ir.SetType):
        return SSet(t.elem, {k: v.get(k) for k in keys_of(t.elem)})
    if isinstance(t, ir.MapType):
        return tuple(coerce(t.value, x) for x in v)
    if isinstance(t, ir.RecordType):
        return tuple(coerce(ft, x) for (_, ft), x in zip(t.fields, v))
    return v


def fresh(t: ir.Type, name: str, out: list[Any]) -> Any:
    """A fresh symbolic value of type ``t``; its range constraints are appended to ``out``."""
    if isinstance(t, ir.BoolType):
        return z3.Bool(name)
    if isinstance(t, ir.IntType):
        x = z3.Int(name)
        out.extend([x >= t.lo, x <= t.hi])
        return x
    if isinstance(t, (ir.EnumType, ir.RoleType)):
        n = len(t.members) if isinstance(t, ir.EnumType) else t.count
        x = z3.Int(name)
        out.extend([x >= 0, x < n])
        return x
    if isinstance(t, ir.RecordType):
        return tuple(fresh(ft, f"{name}.{fn}", out) for fn, ft in t.fields)
    if isinstance(t, ir.SetType):
        return SSet(t.elem, {k: z3.Bool(f"{name}{{{i}}}") for i, k in enumerate(keys_of(t.elem))})
    if isinstance(t, ir.MapType):
        return tuple(fresh(t.value, f"{name}[{i}]", out) for i in range(len(keys_of(t.key))))
    if isinstance(t, ir.OptionType):
        some = z3.Bool(f"{name}?")
        val = fresh(t.inner, f"{name}!", out)
        out.append(z3.Or(some, eq(val, default(t.inner))))
        return SOpt(some, val)
    check_type(t)
    raise Unsupported(f"state variables of type `{render_type(t)}`")


def decode(t: ir.Type, v: Any, m: z3.ModelRef) -> Any:
    """The concrete runtime value of ``v`` in model ``m``."""
    if isinstance(t, ir.BoolType):
        return z3.is_true(m.eval(v, model_completion=True))
    if isinstance(t, ir.IntType):
        return m.eval(v, model_completion=True).as_long()
    if isinstance(t, ir.EnumType):
        return t.members[m.eval(v, model_completion=True).as_long()]
    if isinstance(t, ir.RoleType):
        return ir.Inst(t.role, m.eval(v, model_completion=True).as_long())
    if isinstance(t, ir.RecordType):
        return tuple(decode(ft, x, m) for (_, ft), x in zip(t.fields, v))
    if isinstance(t, ir.SetType):
        return frozenset(k for k, b in v.bits.items() if z3.is_true(m.eval(b, model_completion=True)))
    if isinstance(t, ir.MapType):
        return tuple(decode(t.value, x, m) for x in v)
    if isinstance(t, ir.OptionType):
        return decode(t.inner, v.val, m) if z3.is_true(m.eval(v.some, model_completion=True)) else None
    raise Unsupported(f"values of type `{render_type(t)}`")


def leaves(v: Any) -> Iterable[Any]:
    """The Z3 terms of a stored value, in a fixed order (equal shapes give equal orders)."""
    if isinstance(v, SSet):
        yield from v.bits.values()
    elif isinstance(v, SOpt):
        yield v.some
        yield from leaves(v.val)
    elif isinstance(v, tuple):
        for x in v:
            yield from leaves(x)
    elif isinstance(v, Chan):
        yield from v.leaves()
    else:
        yield v


class Chan:
    """Base of channel contents (see :mod:`accord.checker.smt.channels`)."""

    def eq(self, other: Any) -> Any:
        raise NotImplementedError

    def ite(self, c: Any, other: Any) -> Any:
        raise NotImplementedError

    def leaves(self) -> Iterable[Any]:
        raise NotImplementedError
