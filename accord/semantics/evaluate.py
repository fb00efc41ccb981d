"""Expressions compiled into Python closures over a working state.

Closures are built from IR nodes only (never from source text). A compiled
expression is ``fn(env) -> value`` where ``env`` is an :class:`Env`.
"""

from __future__ import annotations

import operator
from typing import Any, Callable

from accord import ir
from accord.ir.types import contains, domain, key_index, render_type, within

Fn = Callable[["Env"], Any]


class EvalError(Exception):
    """A runtime error in the spec (division by zero, head of an empty sequence, …).

    The checker reports it as a safety violation at the step that raised it.
    """

    def __init__(self, message: str, span: Any = None):
        super().__init__(message)
        self.span = span


class Env:
    """What an expression reads: the working state, the acting instance, bound names."""

    __slots__ = ("st", "me", "b", "layout")

    def __init__(self, st: Any, me: int, b: dict[str, Any], layout: Any):
        self.st = st
        self.me = me  # slot of the acting instance's locals tuple (-1 outside steps)
        self.b = b
        self.layout = layout


def const_value(e: ir.Expr) -> Any:
    """Evaluate a closed expression (constants only)."""
    return compile_expr(e, None)(Env((), -1, {}, None))


def compile_expr(e: ir.Expr, lay: Any) -> Fn:
    fn = _COMPILERS.get(type(e))
    if fn is None:
        raise TypeError(f"cannot compile {type(e).__name__}")
    return fn(e, lay)


def _lit(e: ir.Lit, lay: Any) -> Fn:
    v = e.value
    return lambda env: v


def _const(e: ir.ConstRef, lay: Any) -> Fn:
    v = e.value
    return lambda env: v


def _var(e: ir.VarRef, lay: Any) -> Fn:
    name = e.name
    if e.scope is ir.Scope.BOUND:
        return lambda env: env.b[name]
    if lay is None:
        raise EvalError(f"`{name}` is a variable; a constant is needed here", e.span)
    if e.scope is ir.Scope.SHARED:
        slot = lay.shared_slot[name]
        return lambda env: env.st[slot]
    k = lay.local_pos[name]
    return lambda env: env.st[env.me][k]


def _self(e: ir.SelfRef, lay: Any) -> Fn:
    return lambda env: env.layout.inst_of_slot[env.me]


def _rolevar(e: ir.RoleVar, lay: Any) -> Fn:
    inst = compile_expr(e.inst, lay)
    base = lay.role_base[e.role]
    k = lay.local_index[e.role][e.var]
    return lambda env: env.st[base + inst(env).idx][k]


def _field(e: ir.Field, lay: Any) -> Fn:
    rec = compile_expr(e.record, lay)
    assert isinstance(e.record.type, ir.RecordType)
    k = e.record.type.field_index(e.name)
    return lambda env: rec(env)[k]


def _index(e: ir.Index, lay: Any) -> Fn:
    base = compile_expr(e.base, lay)
    key = compile_expr(e.key, lay)
    bt = e.base.type
    span = e.span
    if isinstance(bt, ir.MapType):
        pos = key_index(bt.key)

        def get_map(env: Env) -> Any:
            k = key(env)
            try:
                return base(env)[pos[k]]
            except KeyError:
                raise EvalError(f"key {k!r} is outside the map's domain", span) from None

        return get_map

    def get_seq(env: Env) -> Any:
        s = base(env)
        i = key(env)
        if not 0 <= i < len(s):
            raise EvalError(f"index {i} is outside a sequence of length {len(s)}", span)
        return s[i]

    return get_seq


def _unary(e: ir.Unary, lay: Any) -> Fn:
    x = compile_expr(e.operand, lay)
    if e.op == "not":
        return lambda env: not x(env)
    return lambda env: -x(env)


def _div(span: Any) -> Callable[[int, int], int]:
    def div(a: int, b: int) -> int:
        if b == 0:
            raise EvalError("division by zero", span)
        return a // b  # floor division, as TLA+'s \div

    return div


def _mod(span: Any) -> Callable[[int, int], int]:
    def mod(a: int, b: int) -> int:
        if b == 0:
            raise EvalError("modulo by zero", span)
        return a % b

    return mod


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "union": operator.or_,
    "diff": operator.sub,
    "inter": operator.and_,
    "subseteq": operator.le,
    "subset": operator.lt,
    "supseteq": operator.ge,
    "supset": operator.gt,
    "concat": operator.add,
}


def _binary(e: ir.Binary, lay: Any) -> Fn:
    a = compile_expr(e.left, lay)
    b = compile_expr(e.right, lay)
    op = e.op
    if op == "and":
        return lambda env: a(env) and b(env)
    if op == "or":
        return lambda env: a(env) or b(env)
    if op == "=>":
        return lambda env: (not a(env)) or b(env)
    if op in ("in", "notin"):
        neg = op == "notin"
        return lambda env: (a(env) in b(env)) != neg
    if op == "/":
        f = _div(e.span)
    elif op == "%":
        f = _mod(e.span)
    else:
        f = _BINOPS[op]
    if op == "concat" and isinstance(e.type, ir.SeqType):
        mx = e.type.max
        span = e.span

        def concat(env: Env) -> Any:
            r = a(env) + b(env)
            if len(r) > mx:
                raise EvalError(f"sequence longer than its bound {mx}", span)
            return r

        return concat
    return lambda env: f(a(env), b(env))


def _setlit(e: ir.SetLit, lay: Any) -> Fn:
    elems = [compile_expr(x, lay) for x in e.elems]
    if all(isinstance(x, (ir.Lit, ir.ConstRef)) for x in e.elems):
        v = frozenset(f(Env((), -1, {}, None)) for f in elems)
        return lambda env: v
    return lambda env: frozenset([f(env) for f in elems])


def _setcomp(e: ir.SetComp, lay: Any) -> Fn:
    dom = compile_expr(e.domain, lay)
    elem = compile_expr(e.elem, lay)
    cond = compile_expr(e.cond, lay) if e.cond is not None else None
    var = e.var

    def comp(env: Env) -> Any:
        out = []
        saved = env.b
        try:
            for x in dom(env):
                env.b = {**saved, var: x}
                if cond is None or cond(env):
                    out.append(elem(env))
        finally:
            env.b = saved
        return frozenset(out)

    return comp


def _recordlit(e: ir.RecordLit, lay: Any) -> Fn:
    fields = [compile_expr(x, lay) for _, x in e.fields]
    return lambda env: tuple([f(env) for f in fields])


def _maplit(e: ir.MapLit, lay: Any) -> Fn:
    assert isinstance(e.type, ir.MapType)
    keys = domain(e.type.key)
    body = compile_expr(e.body, lay)
    var = e.var

    def build(env: Env) -> Any:
        saved = env.b
        out = []
        try:
            for k in keys:
                env.b = {**saved, var: k}
                out.append(body(env))
        finally:
            env.b = saved
        return tuple(out)

    return build


def _seqlit(e: ir.SeqLit, lay: Any) -> Fn:
    elems = [compile_expr(x, lay) for x in e.elems]
    return lambda env: tuple([f(env) for f in elems])


def _allof(e: ir.AllOf, lay: Any) -> Fn:
    v = frozenset(domain(e.of))
    return lambda env: v


def _quant(e: ir.Quant, lay: Any) -> Fn:
    doms = [(name, compile_expr(d, lay)) for name, d in e.binders]
    body = compile_expr(e.body, lay)
    want = e.kind == "exists"

    def rec(env: Env, i: int) -> bool:
        if i == len(doms):
            return bool(body(env))
        name, dom = doms[i]
        saved = env.b
        try:
            for x in dom(env):
                env.b = {**saved, name: x}
                if rec(env, i + 1) == want:
                    return want
        finally:
            env.b = saved
        return not want

    return lambda env: rec(env, 0)


def _ifexpr(e: ir.IfExpr, lay: Any) -> Fn:
    c = compile_expr(e.cond, lay)
    a = compile_expr(e.then, lay)
    b = compile_expr(e.other, lay)
    return lambda env: a(env) if c(env) else b(env)


def _call(e: ir.Call, lay: Any) -> Fn:
    args = [compile_expr(x, lay) for x in e.args]
    span = e.span
    fn = e.fn
    if fn == "size" or fn == "len":
        a = args[0]
        return lambda env: len(a(env))
    if fn == "abs":
        a = args[0]
        return lambda env: abs(a(env))
    if fn == "head":
        a = args[0]

        def head(env: Env) -> Any:
            s = a(env)
            if not s:
                raise EvalError("head of an empty sequence", span)
            return s[0]

        return head
    if fn == "tail":
        a = args[0]

        def tail(env: Env) -> Any:
            s = a(env)
            if not s:
                raise EvalError("tail of an empty sequence", span)
            return s[1:]

        return tail
    if fn == "append":
        s, x = args
        assert isinstance(e.type, ir.SeqType)
        mx = e.type.max

        def append(env: Env) -> Any:
            r = s(env) + (x(env),)
            if len(r) > mx:
                raise EvalError(f"append beyond the sequence bound {mx}", span)
            return r

        return append
    if fn in ("min", "max"):
        a = args[0]
        pick = min if fn == "min" else max

        def extreme(env: Env) -> Any:
            v = a(env)
            if not v:
                raise EvalError(f"{fn} of an empty set", span)
            return pick(v)

        return extreme
    if fn == "index":
        a = args[0]
        return lambda env: a(env).idx
    if fn in ("crashed", "alive"):
        a = args[0]
        want = fn == "crashed"
        return lambda env: env.layout.is_crashed(env.st, a(env)) == want
    if fn == "instance":
        assert isinstance(e.type, ir.RoleType)
        role, count = e.type.role, e.type.count
        a = args[0]

        def instance(env: Env) -> Any:
            i = a(env)
            if not 0 <= i < count:
                raise EvalError(f"{role}[{i}] does not exist (instances 0..{count - 1})", span)
            return ir.Inst(role, i)

        return instance
    raise TypeError(f"unknown builtin {fn}")


def _msgcons(e: ir.MsgCons, lay: Any) -> Fn:
    args = [compile_expr(x, lay) for x in e.args]
    name = e.msg
    decl = lay.proto.messages.get(name) if lay is not None else None
    checks = []
    if decl is not None:
        for k, ((fname, ftype), arg) in enumerate(zip(decl.fields, e.args)):
            if not within(arg.type, ftype):
                checks.append((k, fname, ftype))
    if not checks:
        return lambda env: ir.Message(name, tuple([f(env) for f in args]))
    span = e.span

    def build(env: Env) -> Any:
        values = tuple([f(env) for f in args])
        for k, fname, ftype in checks:
            if not contains(ftype, values[k]):
                raise EvalError(f"field `{fname}` of `{name}` would be {values[k]!r}, outside {render_type(ftype)}",
                                span)
        return ir.Message(name, values)

    return build


_COMPILERS: dict[type, Callable[[Any, Any], Fn]] = {
    ir.Lit: _lit,
    ir.ConstRef: _const,
    ir.VarRef: _var,
    ir.SelfRef: _self,
    ir.RoleVar: _rolevar,
    ir.Field: _field,
    ir.Index: _index,
    ir.Unary: _unary,
    ir.Binary: _binary,
    ir.SetLit: _setlit,
    ir.SetComp: _setcomp,
    ir.RecordLit: _recordlit,
    ir.MapLit: _maplit,
    ir.SeqLit: _seqlit,
    ir.AllOf: _allof,
    ir.Quant: _quant,
    ir.IfExpr: _ifexpr,
    ir.Call: _call,
    ir.MsgCons: _msgcons,
}
