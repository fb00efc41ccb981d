"""IR expressions evaluated over many states at once (numpy), with the generic semantics.

A :class:`Frame` is a batch of rows: packed parent states, the fields written so far
by the step being run (``over``), bound names, and the acting instance. :class:`Ev`
evaluates an IR expression over a frame into an *eval tree* (see
:mod:`accord.checker.fast.codec`): leaves are numpy arrays with one entry per row, or
plain Python constants when the value does not depend on the row (constants fold).

Runtime errors (division by zero, ``min`` of an empty set, a key outside a map) are
not raised: the rows where they happen *and are evaluated by the generic semantics*
(``care``: short-circuit ``and``/``or``/``=>``, ``if``, quantifiers) are or-ed into
``Ev.err``; the caller turns them into violations. Reading the state in a static
frame (no rows) raises :class:`NotStatic`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from accord import ir
from accord.checker.fast.codec import NONE, WORD, Codec, Leaf, Unsupported, to_eval
from accord.checker.fast.codec_base import bit_of, scalar, value_of_bit
from accord.checker.fast.vops import (
    bit,
    eq,
    has_bit,
    is_arr,
    land,
    lnot,
    lor,
    popcount,
    select,
    setop,
    take,
    where,
    widen,
    widen_mask,
)
from accord.ir.types import Inst, domain, sort_key
from accord.semantics.exec import within

U64 = np.uint64


class NotStatic(Exception):
    """The expression reads the state (raised only in static frames)."""


# ---------------------------------------------------------------------- frames
class Frame:
    """A batch of rows being evaluated (see the module docstring)."""

    def __init__(self, codec: Codec, words: np.ndarray | None, rows: np.ndarray | None, me: Inst | None = None,
                 bound: dict[str, Any] | None = None, over: dict[int, Any] | None = None,
                 sender: Inst | None = None):
        self.codec = codec
        self.words: Any = words  # (n, W) packed parent states; None: a static frame
        self.rows: Any = rows  # (n,) row of each parent in its batch
        self.me = me
        self.bound = dict(bound or {})
        self.over = dict(over or {})
        self.sender = sender
        self.cache: dict[int, Any] = {}

    @property
    def n(self) -> int:
        return 0 if self.rows is None else len(self.rows)

    def read(self, leaf: Leaf) -> Any:
        v = self.over.get(leaf.id)
        if v is not None:
            return v
        if self.words is None:
            raise NotStatic(leaf.id)
        v = self.cache.get(leaf.id)
        if v is None:
            v = self.cache[leaf.id] = self.codec.read(self.words, leaf)
        return v

    def read_tree(self, tree: Any) -> Any:
        if isinstance(tree, Leaf):
            return self.read(tree)
        return [self.read_tree(t) for t in tree]

    def subset(self, mask: np.ndarray) -> Frame:
        assert self.words is not None and self.rows is not None
        f = Frame(self.codec, self.words[mask], self.rows[mask], self.me,
                  {k: take(v, mask) for k, v in self.bound.items()},
                  {k: take(v, mask) for k, v in self.over.items()}, self.sender)
        return f

    def fork(self) -> Frame:
        f = Frame(self.codec, self.words, self.rows, self.me, self.bound, self.over, self.sender)
        f.cache = self.cache
        return f

    @staticmethod
    def concat(frames: list[Frame]) -> Frame:
        """Rows of several frames of the same step, as one frame."""
        if len(frames) == 1:
            return frames[0]
        f0 = frames[0]
        words = np.concatenate([f.words for f in frames])
        rows = np.concatenate([f.rows for f in frames])
        over: dict[int, Any] = {}
        leaves = f0.codec.leaves
        for k in set().union(*(f.over for f in frames)):
            parts = [widen(f.read(leaves[k]), f.n) for f in frames]
            over[k] = _cat(parts)
        bound: dict[str, Any] = {}
        names = set(f0.bound).intersection(*(f.bound for f in frames[1:]))
        for name in names:
            bound[name] = _cat_tree([f.bound[name] for f in frames], [f.n for f in frames])
        return Frame(f0.codec, words, rows, f0.me, bound, over, f0.sender)


def masks(t: ir.Type, v: Any) -> Any:
    """``v`` with the set masks it holds as uint64 (selections among constants give int64)."""
    if isinstance(t, ir.SetType):
        return v.astype(U64) if is_arr(v) and v.dtype != U64 else v
    if isinstance(t, ir.MapType) and isinstance(v, list):
        return [masks(t.value, x) for x in v]
    if isinstance(t, ir.RecordType) and isinstance(v, list):
        return [masks(ft, x) for (_, ft), x in zip(t.fields, v)]
    return v


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    if any(p.dtype == U64 for p in parts):
        parts = [p.astype(U64) for p in parts]
    return np.concatenate(parts)


def _cat_tree(vals: list[Any], ns: list[int]) -> Any:
    if isinstance(vals[0], list):
        return [_cat_tree([v[k] for v in vals], ns) for k in range(len(vals[0]))]
    if all(not is_arr(v) for v in vals) and all(v == vals[0] for v in vals):
        return vals[0]
    return _cat([widen(v, n) for v, n in zip(vals, ns)])


# ---------------------------------------------------------------------- domains
def candidates(t: ir.Type) -> list[tuple[Any, Any, int]]:
    """(runtime value, eval value, bit in a set mask) of every value of a type, in the generic iteration order."""
    vals = sorted(domain(t), key=sort_key)
    return [(v, to_eval(t, v), bit_of(t, v)) for v in vals]


def mask_candidates(t: ir.Type, m: int) -> list[tuple[Any, Any, int]]:
    """The elements of a constant mask of ``set of t``, in the generic (sorted) order."""
    vals = [value_of_bit(t, p) for p in range(WORD) if m >> p & 1]
    vals.sort(key=sort_key)
    return [(v, to_eval(t, v), bit_of(t, v)) for v in vals]


def bitpos(t: ir.Type, x: Any) -> Any:
    """The bit (int or int array) of eval values ``x`` in a ``set of t`` mask (see ``bit_of``)."""
    if scalar(t):
        return x.astype(np.int64) if is_arr(x) else int(x)
    return _index(t, x)


def _index(t: ir.Type, x: Any) -> Any:
    if isinstance(t, ir.BoolType):
        return x.astype(np.int64) if is_arr(x) else int(x)
    if isinstance(t, ir.IntType):
        return x - t.lo
    if isinstance(t, (ir.EnumType, ir.RoleType)):
        return x
    if isinstance(t, ir.OptionType):
        inner = _index(t.inner, x)
        return where(x == NONE, 0, inner + 1)
    assert isinstance(t, ir.RecordType)
    out: Any = 0
    for (_, ft), sub in zip(t.fields, x):
        out = out * ir.types.size(ft) + _index(ft, sub)
    return out


class Ev:
    """Evaluates IR expressions over one frame (see the module docstring)."""

    def __init__(self, frame: Frame, care: Any = True):
        self.f = frame
        self.codec = frame.codec
        self.care = care
        self.err: Any = False

    # ------------------------------------------------------------------ plumbing
    def fail(self, cond: Any) -> None:
        """Rows where ``cond`` holds raise an error (if the generic semantics evaluates them)."""
        self.err = lor(self.err, land(self.care, cond))

    def under(self, care: Any, fn: Callable[[], Any]) -> Any:
        saved = self.care
        self.care = land(saved, care)
        try:
            return fn()
        finally:
            self.care = saved

    def bind(self, name: str, value: Any, fn: Callable[[], Any]) -> Any:
        b = self.f.bound
        had, old = name in b, b.get(name)
        b[name] = value
        try:
            return fn()
        finally:
            if had:
                b[name] = old
            else:
                b.pop(name, None)

    def ev(self, e: ir.Expr) -> Any:
        fn = getattr(self, "e_" + type(e).__name__, None)
        if fn is None:
            raise Unsupported(f"expression {type(e).__name__}")
        v = fn(e)
        return masks(e.type, v) if isinstance(e.type, (ir.SetType, ir.MapType, ir.RecordType)) else v

    def place(self, e: ir.Expr) -> Any:
        """The leaf tree a state-reading expression denotes, or None."""
        if isinstance(e, ir.VarRef):
            if e.scope is ir.Scope.SHARED:
                return self.codec.shared[e.name]
            if e.scope is ir.Scope.LOCAL:
                me = self.f.me
                if me is None:
                    raise Unsupported("a local variable outside a step")
                return self.codec.locals[(me.role, me.idx)][e.name]
            return None
        if isinstance(e, ir.RoleVar):
            i = self.ev(e.inst)
            if is_arr(i):
                return None
            return self.codec.locals[(e.role, int(i))][e.var]
        if isinstance(e, ir.Field):
            base = self.place(e.record)
            if base is None:
                return None
            assert isinstance(e.record.type, ir.RecordType)
            return base[e.record.type.field_index(e.name)]
        if isinstance(e, ir.Index) and isinstance(e.base.type, ir.MapType):
            base = self.place(e.base)
            if base is None:
                return None
            k = self.key_pos(e.base.type.key, e.key)
            return base[k] if not is_arr(k) and k is not None else None
        return None

    def key_pos(self, kt: ir.Type, key: ir.Expr) -> Any:
        """Position of a key in ``domain(kt)`` (an int, an array, or None when a constant is out of range)."""
        k = self.ev(key)
        n = len(domain(kt))
        lo = kt.lo if isinstance(kt, ir.IntType) else 0
        if is_arr(k):
            p = k.astype(np.int64) - lo
            if not within(key.type, kt):
                bad = (p < 0) | (p >= n)
                self.fail(bad)
                p = np.where(bad, 0, p)
            return p
        p = int(k) - lo
        if not 0 <= p < n:
            self.fail(True)
            return 0
        return p

    # ------------------------------------------------------------------ leaves
    def e_Lit(self, e: ir.Lit) -> Any:
        if e.value is None:
            return NONE
        return to_eval(e.type, e.value)

    def e_ConstRef(self, e: ir.ConstRef) -> Any:
        return to_eval(e.type, e.value)

    def e_VarRef(self, e: ir.VarRef) -> Any:
        if e.scope is ir.Scope.BOUND:
            return self.f.bound[e.name]
        return self.f.read_tree(self.place(e))

    def e_SelfRef(self, e: ir.SelfRef) -> Any:
        if self.f.me is None:
            raise Unsupported("`self` outside a step")
        return self.f.me.idx

    def e_RoleVar(self, e: ir.RoleVar) -> Any:
        p = self.place(e)
        if p is not None:
            return self.f.read_tree(p)
        i = self.ev(e.inst)
        n = self.codec.proto.role_map[e.role].count
        return select(i, [self.f.read_tree(self.codec.locals[(e.role, k)][e.var]) for k in range(n)])

    def e_Field(self, e: ir.Field) -> Any:
        p = self.place(e)
        if p is not None:
            return self.f.read_tree(p)
        assert isinstance(e.record.type, ir.RecordType)
        return self.ev(e.record)[e.record.type.field_index(e.name)]

    def e_Index(self, e: ir.Index) -> Any:
        if not isinstance(e.base.type, ir.MapType):
            raise Unsupported("sequence indexing")
        p = self.place(e)
        if p is not None:
            return self.f.read_tree(p)
        base = self.ev(e.base)
        k = self.key_pos(e.base.type.key, e.key)
        return select(k, base)

    # ------------------------------------------------------------------ operators
    def e_Unary(self, e: ir.Unary) -> Any:
        x = self.ev(e.operand)
        return lnot(x) if e.op == "not" else -x

    def e_Binary(self, e: ir.Binary) -> Any:
        op = e.op
        if op in ("and", "or", "=>"):
            a = self.ev(e.left)
            if op == "and":
                if not is_arr(a) and not a:
                    return False
                return land(a, self.under(a, lambda: self.ev(e.right)))
            # `a or b` is `not a => b` with a's value: b matters (is evaluated) where `a` decides nothing
            first = a if op == "or" else lnot(a)
            if not is_arr(first) and first:
                return True
            return lor(first, self.under(lnot(first), lambda: self.ev(e.right)))
        if op in ("in", "notin"):
            r = self.member(e.left, e.right)
            return lnot(r) if op == "notin" else r
        a = self.ev(e.left)
        b = self.ev(e.right)
        if op == "==":
            return eq(a, b)
        if op == "!=":
            return lnot(eq(a, b))
        if op in ("union", "inter", "diff", "subseteq", "subset", "supseteq", "supset"):
            return setop(op, a, b)
        if op in ("<", "<=", ">", ">="):
            r = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}[op](a, b)
            return r if is_arr(r) else bool(r)
        if op in ("+", "-", "*"):
            r = a + b if op == "+" else (a - b if op == "-" else a * b)
            return r if is_arr(r) else int(r)
        if op in ("/", "%"):
            zero = b == 0
            if not is_arr(zero):
                if zero:
                    self.fail(True)
                    return 0
                r = np.floor_divide(a, b) if op == "/" else np.mod(a, b)
                return r if is_arr(r) else int(r)
            self.fail(zero)
            safe = np.where(zero, 1, b)
            return np.floor_divide(a, safe) if op == "/" else np.mod(a, safe)
        raise Unsupported(f"operator {op}")

    def member(self, elem: ir.Expr, coll: ir.Expr) -> Any:
        x = self.ev(elem)
        if isinstance(coll, ir.AllOf):
            t = coll.of
            if within(elem.type, t) or not isinstance(t, ir.IntType):
                return True
            return land(x >= t.lo, x <= t.hi)
        if isinstance(coll, ir.SetLit):
            out: Any = False
            for sub in coll.elems:
                out = lor(out, eq(x, self.ev(sub)))
            return out
        if not isinstance(coll.type, ir.SetType):
            raise Unsupported("membership in a sequence")
        m = self.ev(coll)
        return has_bit(m, bitpos(coll.type.elem, x))

    # ------------------------------------------------------------------ collections
    def elem_bit(self, t: ir.Type, x: Any) -> Any:
        """The mask of a one-element set; elements without a bit leave the fragment."""
        x = bitpos(t, x)
        if is_arr(x):
            p = x.astype(np.int64)
            if p.size and (p.min() < 0 or p.max() >= WORD):
                raise Unsupported(f"a set element outside 0..{WORD - 1}")
            return bit(p)
        if not 0 <= int(x) < WORD:
            raise Unsupported(f"a set element outside 0..{WORD - 1}")
        return bit(int(x))

    def e_SetLit(self, e: ir.SetLit) -> Any:
        out: Any = 0
        assert isinstance(e.type, ir.SetType)
        for sub in e.elems:
            out = setop("union", out, self.elem_bit(e.type.elem, self.ev(sub)))
        return out

    def iterate(self, dom: ir.Expr) -> list[tuple[Any, Any, Any]]:
        """(runtime value, eval value, membership) for each candidate element of a domain, in order.

        Constant domains list their elements (membership True); a domain that depends
        on the state lists every value of the element type with a per-row membership.
        """
        if isinstance(dom, ir.AllOf):
            return [(v, x, True) for v, x, _ in candidates(dom.of)]
        if not isinstance(dom.type, ir.SetType):
            raise Unsupported("iteration over a sequence")
        m = self.ev(dom)
        et = dom.type.elem
        if not is_arr(m):
            return [(v, x, True) for v, x, _ in mask_candidates(et, int(m))]
        return [(v, x, has_bit(m, p)) for v, x, p in candidates(et) if 0 <= p < WORD]

    def e_SetComp(self, e: ir.SetComp) -> Any:
        assert isinstance(e.type, ir.SetType)
        et, cond = e.type.elem, e.cond
        out: Any = 0
        for _, x, inside in self.iterate(e.domain):
            def one(x: Any = x, inside: Any = inside) -> Any:
                keep = inside
                if cond is not None:
                    keep = land(keep, self.under(inside, lambda: self.ev(cond)))
                if not is_arr(keep) and not keep:
                    return 0
                b = self.under(keep, lambda: self.elem_bit(et, self.ev(e.elem)))
                return np.where(keep, widen_mask(b, len(keep)), U64(0)) if is_arr(keep) else b
            out = setop("union", out, self.bind(e.var, x, one))
        return out

    def e_RecordLit(self, e: ir.RecordLit) -> Any:
        assert isinstance(e.type, ir.RecordType)
        vals = {n: self.ev(x) for n, x in e.fields}
        return [vals[n] for n, _ in e.type.fields]

    def e_MapLit(self, e: ir.MapLit) -> Any:
        assert isinstance(e.type, ir.MapType)
        return [self.bind(e.var, x, lambda: self.ev(e.body)) for _, x in
                [(v, to_eval(e.type.key, v)) for v in domain(e.type.key)]]

    def e_AllOf(self, e: ir.AllOf) -> Any:
        return to_eval(ir.SetType(e.of), frozenset(domain(e.of)))

    def e_Quant(self, e: ir.Quant) -> Any:
        forall = e.kind == "forall"

        def rec(i: int) -> Any:
            if i == len(e.binders):
                return self.ev(e.body)
            name, dom = e.binders[i]
            acc: Any = forall
            for _, x, inside in self.iterate(dom):
                live = land(inside, acc if forall else lnot(acc))
                if not is_arr(live) and not live:
                    continue
                def inner(x: Any = x, name: str = name) -> Any:
                    return self.bind(name, x, lambda: rec(i + 1))

                r = self.under(live, inner)
                acc = land(acc, lor(lnot(inside), r)) if forall else lor(acc, land(inside, r))
                if not is_arr(acc) and acc is not forall:
                    break
            return acc

        return rec(0)

    def e_IfExpr(self, e: ir.IfExpr) -> Any:
        c = self.ev(e.cond)
        if not is_arr(c):
            return self.ev(e.then if c else e.other)
        a = self.under(c, lambda: self.ev(e.then))
        b = self.under(~c, lambda: self.ev(e.other))
        return where(c, a, b)

    def e_Call(self, e: ir.Call) -> Any:
        fn = e.fn
        a0 = e.args[0]
        if fn == "size":
            if isinstance(a0.type, ir.MapType):
                return len(domain(a0.type.key))
            if not isinstance(a0.type, ir.SetType):
                raise Unsupported("size of a sequence")
            return popcount(self.ev(a0))
        if fn == "abs":
            x = self.ev(a0)
            return np.abs(x) if is_arr(x) else abs(int(x))
        if fn == "index":
            return self.ev(a0)
        if fn in ("min", "max"):
            m = self.ev(a0)
            if not is_arr(m):
                ps = [p for p in range(WORD) if int(m) >> p & 1]
                if not ps:
                    self.fail(True)
                    return 0
                return min(ps) if fn == "min" else max(ps)
            self.fail(m == 0)
            out: Any = np.zeros(len(m), dtype=np.int64)
            order = range(WORD - 1, -1, -1) if fn == "min" else range(WORD)
            for p in order:
                out = np.where(((m >> U64(p)) & U64(1)).astype(bool), p, out)
            return out
        if fn in ("crashed", "alive"):
            i = self.ev(a0)
            assert isinstance(a0.type, ir.RoleType)
            flags = self.codec.crash.get(a0.type.role)
            if flags is None:
                return fn == "alive"
            v = select(i, [self.f.read(lf) for lf in flags])
            return lnot(v) if fn == "alive" else v
        if fn == "instance":
            assert isinstance(e.type, ir.RoleType)
            i = self.ev(a0)
            self.fail(lor(i < 0, i >= e.type.count))
            return np.clip(i, 0, e.type.count - 1) if is_arr(i) else min(max(int(i), 0), e.type.count - 1)
        raise Unsupported(f"builtin {fn}")


__all__ = ["Ev", "Frame", "NotStatic", "candidates", "mask_candidates"]
