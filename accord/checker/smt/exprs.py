"""IR expressions evaluated to symbolic values, with the runtime errors they can raise.

Evaluation follows :mod:`accord.semantics.evaluate` step for step: ``and``,
``or``, ``=>``, ``if … then … else`` and quantifiers short-circuit, so an error
on their right side counts only when the left side lets it be evaluated.
Quantifiers, comprehensions and ``for`` run once per *concrete* element, in the
order the explicit semantics iterates (``sort_key``).

An error is recorded as an :class:`Event` under the current path condition,
and the path continues under its negation (the explicit step has aborted
otherwise). Its name is the one the explicit checker reports
("runtime error at line 7").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import z3

from accord import ir
from accord.checker.smt.values import (
    FALSE,
    TRUE,
    SOpt,
    SSet,
    Unsupported,
    check_type,
    const_of,
    contains,
    eq,
    ite,
    keys_of,
    lift,
    mk_and,
    mk_not,
    mk_or,
)
from accord.ir.types import Inst, within
from accord.semantics.layout import Layout


@dataclass
class Event:
    """A violation raised on a path: ``cond`` says when; ``key`` orders it among the step's paths."""

    key: tuple[int, ...]
    name: str
    kind: str  # "assert" | "runtime" | "overflow"
    cond: Any


def error_name(kind: str, span: Any) -> str:
    """The property name the explicit checker gives a step violation."""
    label = {"assert": "assert", "overflow": "channel overflow"}.get(kind, "runtime error")
    return f"{label} at line {span.line}" if span is not None else label


@dataclass
class Cx:
    """Where an expression is evaluated: one path of one step (or a property, ``me=None``)."""

    st: list[Any]
    me: Inst | None
    b: dict[str, Any]
    pc: Any = TRUE
    key: tuple[int, ...] = ()
    events: list[Event] = field(default_factory=list)
    escapes: list[Any] = field(default_factory=list)
    sender: Inst | None = None

    def fork(self, key: tuple[int, ...] | None = None) -> Cx:
        return Cx(list(self.st), self.me, dict(self.b), self.pc, self.key if key is None else key, self.events,
                  self.escapes, self.sender)

    def error(self, kind: str, span: Any, cond: Any) -> None:
        """The step raises when ``cond`` holds here; the path goes on under ``not cond``."""
        c = mk_and(self.pc, cond)
        if z3.is_false(c):
            return
        self.events.append(Event(self.key, error_name(kind, span), kind, c))
        self.pc = mk_and(self.pc, mk_not(cond))


class Evaluator:
    """Expression evaluation over one protocol's layout."""

    def __init__(self, lay: Layout):
        self.lay = lay

    # ------------------------------------------------------------------ entry
    def ev(self, e: ir.Expr, cx: Cx) -> Any:
        fn = getattr(self, "e_" + type(e).__name__, None)
        if fn is None:
            raise Unsupported(f"the expression `{type(e).__name__}`", e.span)
        return fn(e, cx)

    def under(self, cond: Any, e: ir.Expr, cx: Cx) -> Any:
        """Evaluate ``e`` only where ``cond`` holds (short-circuit): errors count under ``cond``."""
        saved = cx.pc
        cx.pc = mk_and(saved, cond)
        before = cx.pc
        try:
            return self.ev(e, cx)
        finally:
            inner = cx.pc
            cx.pc = saved if inner is before else mk_and(saved, mk_or(mk_not(cond), inner))

    # ------------------------------------------------------------------ leaves
    def e_Lit(self, e: ir.Lit, cx: Cx) -> Any:
        if isinstance(e.type, ir.SeqType):
            check_type(e.type, e.span)
        return lift(e.type, e.value)

    def e_ConstRef(self, e: ir.ConstRef, cx: Cx) -> Any:
        return lift(e.type, e.value)

    def e_VarRef(self, e: ir.VarRef, cx: Cx) -> Any:
        if e.scope is ir.Scope.BOUND:
            return cx.b[e.name]
        if e.scope is ir.Scope.SHARED:
            return cx.st[self.lay.shared_slot[e.name]]
        assert cx.me is not None
        return cx.st[self.lay.inst_slot(cx.me)][self.lay.local_index[cx.me.role][e.name]]

    def e_SelfRef(self, e: ir.SelfRef, cx: Cx) -> Any:
        assert cx.me is not None
        return z3.IntVal(cx.me.idx)

    def e_RoleVar(self, e: ir.RoleVar, cx: Cx) -> Any:
        idx = self.ev(e.inst, cx)
        base = self.lay.role_base[e.role]
        k = self.lay.local_index[e.role][e.var]
        count = self.lay.proto.role_map[e.role].count
        return self.select(idx, [cx.st[base + i][k] for i in range(count)])

    @staticmethod
    def select(idx: Any, options: list[Any]) -> Any:
        """``options[idx]`` for a symbolic index known to be in range."""
        c = const_of(idx)
        if c is not None:
            return options[c]
        out = options[-1]
        for i in range(len(options) - 2, -1, -1):
            out = ite(idx == i, options[i], out)
        return out

    def e_Field(self, e: ir.Field, cx: Cx) -> Any:
        rec = _plain(self.ev(e.record, cx))
        assert isinstance(e.record.type, ir.RecordType)
        return rec[e.record.type.field_index(e.name)]

    def e_Index(self, e: ir.Index, cx: Cx) -> Any:
        base = self.ev(e.base, cx)
        key = self.ev(e.key, cx)
        bt = e.base.type
        if not isinstance(bt, ir.MapType):
            raise Unsupported("sequence indexing", e.span)
        keys = keys_of(bt.key, e.span)
        hits = [eq(key, lift(bt.key, k)) for k in keys]
        cx.error("runtime", e.span, mk_not(mk_or(*hits)))
        out = base[-1]
        for i in range(len(keys) - 2, -1, -1):
            out = ite(hits[i], base[i], out)
        return out

    def e_Unary(self, e: ir.Unary, cx: Cx) -> Any:
        x = self.ev(e.operand, cx)
        if e.op == "not":
            return mk_not(x)
        c = const_of(x)
        return z3.IntVal(-c) if c is not None else -x

    # ------------------------------------------------------------------ operators
    def e_Binary(self, e: ir.Binary, cx: Cx) -> Any:
        op = e.op
        if op in ("and", "or", "=>"):
            a = self.ev(e.left, cx)
            if op == "and":
                return mk_and(a, self.under(a, e.right, cx))
            if op == "or":
                return mk_or(a, self.under(mk_not(a), e.right, cx))
            return mk_or(mk_not(a), self.under(a, e.right, cx))
        a = self.ev(e.left, cx)
        b = self.ev(e.right, cx)
        if op in ("in", "notin"):
            if not isinstance(b, SSet):
                raise Unsupported("membership in a sequence", e.span)
            r = b.member(a)
            return r if op == "in" else mk_not(r)
        if op == "==":
            return eq(a, b)
        if op == "!=":
            return mk_not(eq(a, b))
        if isinstance(a, SSet):
            return self._set_op(op, a, b)
        if op == "concat":
            raise Unsupported("sequence concatenation", e.span)
        ca, cb = const_of(a), const_of(b)
        if ca is not None and cb is not None and not (op in ("/", "%") and cb == 0):
            return _fold(op, ca, cb)
        if op in ("/", "%"):
            if cb is not None and cb > 0:  # Z3's div and mod agree with Python's for a positive divisor
                return a / b if op == "/" else a % b
            cx.error("runtime", e.span, b == 0)
            q = z3.If(b > 0, a / b, (-a) / (-b))  # floor division, as Python's // (Z3's div is Euclidean)
            return q if op == "/" else a - b * q
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "<": lambda: a < b,
                "<=": lambda: a <= b, ">": lambda: a > b, ">=": lambda: a >= b}[op]()

    @staticmethod
    def _set_op(op: str, a: SSet, b: SSet) -> Any:
        keys = list(a.bits) + [k for k in b.bits if k not in a.bits]
        if op == "union":
            return SSet(a.elem, {k: mk_or(a.get(k), b.get(k)) for k in keys})
        if op == "inter":
            return SSet(a.elem, {k: mk_and(a.get(k), b.get(k)) for k in a.bits})
        if op == "diff":
            return SSet(a.elem, {k: mk_and(a.get(k), mk_not(b.get(k))) for k in a.bits})
        sub = mk_and(*(mk_or(mk_not(a.get(k)), b.get(k)) for k in a.bits))
        sup = mk_and(*(mk_or(mk_not(b.get(k)), a.get(k)) for k in b.bits))
        if op == "subseteq":
            return sub
        if op == "supseteq":
            return sup
        if op == "subset":
            return mk_and(sub, mk_not(sup))
        if op == "supset":
            return mk_and(sup, mk_not(sub))
        raise Unsupported(f"the set operator `{op}`")

    # ------------------------------------------------------------------ collections
    def set_of(self, elem_t: ir.Type, values: list[tuple[Any, Any]], span: Any) -> SSet:
        """The set of the symbolic ``values`` whose condition holds: ``[(cond, value)]``."""
        bits: dict[Any, Any] = {}
        for cond, v in values:
            c = _concrete(elem_t, v)
            cands = [c] if c is not _NO else list(keys_of(elem_t, span))
            for k in cands:
                hit = mk_and(cond, eq(v, lift(elem_t, k))) if c is _NO else cond
                bits[k] = mk_or(bits.get(k, FALSE), hit)
        return SSet(elem_t, bits)

    def e_SetLit(self, e: ir.SetLit, cx: Cx) -> Any:
        assert isinstance(e.type, ir.SetType)
        return self.set_of(e.type.elem, [(TRUE, self.ev(x, cx)) for x in e.elems], e.span)

    def e_SetComp(self, e: ir.SetComp, cx: Cx) -> Any:
        dom = self._domain(e.domain, cx)
        assert isinstance(e.type, ir.SetType)
        out = []
        saved = cx.b
        try:
            for k in dom.keys_sorted():
                member = dom.get(k)
                cx.b = {**saved, e.var: lift(dom.elem, k)}
                cond = member if e.cond is None else mk_and(member, self.under(member, e.cond, cx))
                out.append((cond, self.under(cond, e.elem, cx)))
        finally:
            cx.b = saved
        return self.set_of(e.type.elem, out, e.span)

    def e_RecordLit(self, e: ir.RecordLit, cx: Cx) -> Any:
        return tuple(self.ev(x, cx) for _, x in e.fields)

    def e_MapLit(self, e: ir.MapLit, cx: Cx) -> Any:
        assert isinstance(e.type, ir.MapType)
        saved = cx.b
        try:
            out = []
            for k in keys_of(e.type.key, e.span):
                cx.b = {**saved, e.var: lift(e.type.key, k)}
                out.append(self.ev(e.body, cx))
            return tuple(out)
        finally:
            cx.b = saved

    def e_AllOf(self, e: ir.AllOf, cx: Cx) -> Any:
        return SSet(e.of, {k: TRUE for k in keys_of(e.of, e.span)})

    def _domain(self, d: ir.Expr, cx: Cx) -> SSet:
        v = self.ev(d, cx)
        if not isinstance(v, SSet):
            raise Unsupported("iterating over a sequence", d.span)
        return v

    def e_Quant(self, e: ir.Quant, cx: Cx) -> Any:
        want_all = e.kind == "forall"

        def rec(i: int) -> Any:
            if i == len(e.binders):
                return self.ev(e.body, cx)
            name, dom_e = e.binders[i]
            dom = self._domain(dom_e, cx)
            saved = cx.b
            acc = TRUE if want_all else FALSE
            try:
                for k in dom.keys_sorted():
                    cx.b = {**saved, name: lift(dom.elem, k)}
                    # the explicit loop stops at the first decisive element: later ones are not evaluated
                    go = mk_and(dom.get(k), acc if want_all else mk_not(acc))
                    saved_pc = cx.pc
                    cx.pc = mk_and(saved_pc, go)
                    before = cx.pc
                    r = rec(i + 1)
                    cx.pc = saved_pc if cx.pc is before else mk_and(saved_pc, mk_or(mk_not(go), cx.pc))
                    if want_all:
                        acc = mk_and(acc, mk_or(mk_not(dom.get(k)), r))
                    else:
                        acc = mk_or(acc, mk_and(dom.get(k), r))
            finally:
                cx.b = saved
            return acc

        return rec(0)

    def e_IfExpr(self, e: ir.IfExpr, cx: Cx) -> Any:
        c = self.ev(e.cond, cx)
        return ite(c, self.under(c, e.then, cx), self.under(mk_not(c), e.other, cx))

    # ------------------------------------------------------------------ builtins
    def e_Call(self, e: ir.Call, cx: Cx) -> Any:
        fn = e.fn
        if fn in ("head", "tail", "append", "len"):
            raise Unsupported(f"`{fn}` (sequences)", e.span)
        args = [self.ev(a, cx) for a in e.args]
        a = args[0]
        if fn == "size":
            if isinstance(a, SSet):
                return a.card()
            return z3.IntVal(len(a))  # a map: the size of its key type
        if fn == "index":
            return a  # a role instance is its index already
        if fn == "abs":
            return z3.If(a >= 0, a, -a)
        if fn in ("min", "max"):
            keys = a.keys_sorted()
            cx.error("runtime", e.span, mk_not(mk_or(*(a.get(k) for k in keys))))
            order = keys if fn == "max" else list(reversed(keys))
            out: Any = z3.IntVal(order[0]) if order else z3.IntVal(0)
            for k in order[1:]:
                out = z3.If(a.get(k), z3.IntVal(k), out)
            return out
        if fn in ("crashed", "alive"):
            rt = e.args[0].type
            assert isinstance(rt, ir.RoleType)
            slot = self.lay.crash_slot.get(rt.role)
            flag = FALSE if slot is None else self.select(a, list(cx.st[slot]))
            return flag if fn == "crashed" else mk_not(flag)
        if fn == "instance":
            assert isinstance(e.type, ir.RoleType)
            cx.error("runtime", e.span, mk_not(mk_and(a >= 0, a < e.type.count)))
            return a
        raise Unsupported(f"the builtin `{fn}`", e.span)

    def e_MsgCons(self, e: ir.MsgCons, cx: Cx) -> Any:
        args = tuple(self.ev(x, cx) for x in e.args)
        fields = self.lay.proto.messages[e.msg].fields
        for (_, ftype), arg, v in zip(fields, e.args, args):  # a field outside its type is a runtime error
            if not within(arg.type, ftype):
                cx.error("runtime", e.span, mk_not(contains(ftype, v)))
        return (e.msg, args)


_NO = object()


def _plain(v: Any) -> Any:
    """An option used where its value is needed (the explicit semantics does not check this either)."""
    return v.val if isinstance(v, SOpt) else v


def _fold(op: str, a: int, b: int) -> Any:
    """An arithmetic or comparison operator on two constants, computed here."""
    r = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a // b, "%": lambda: a % b,
         "<": lambda: a < b, "<=": lambda: a <= b, ">": lambda: a > b, ">=": lambda: a >= b}[op]()
    return z3.BoolVal(r) if isinstance(r, bool) else z3.IntVal(r)


def _concrete(t: ir.Type, v: Any) -> Any:
    """The concrete runtime value of a constant symbolic value of type ``t``, or ``_NO``."""
    if isinstance(t, ir.OptionType):
        if not isinstance(v, SOpt):
            return _concrete(t.inner, v)
        if z3.is_false(v.some):
            return None
        return _concrete(t.inner, v.val) if z3.is_true(v.some) else _NO
    if isinstance(v, SOpt):
        return _NO
    if isinstance(v, tuple) and isinstance(t, ir.RecordType):
        parts = [_concrete(ft, x) for (_, ft), x in zip(t.fields, v)]
        return _NO if any(p is _NO for p in parts) else tuple(parts)
    if isinstance(v, (tuple, SSet)):
        return _NO
    c = const_of(v)
    if c is None:
        return _NO
    if isinstance(t, ir.EnumType):
        return t.members[c] if 0 <= c < len(t.members) else _NO
    if isinstance(t, ir.RoleType):
        return Inst(t.role, c)
    return c
