"""Expressions: parse tree to typed IR, resolving every name.

Typing is bidirectional where it must be: ``{}``, ``none``, ``<<>>`` and
``[k -> e]`` take their type from what is expected of them.
"""

from __future__ import annotations

from typing import Any

from lark import Token, Tree

from accord import ir
from accord.diagnostics import Span
from accord.dsl.scope import Ctx, Symbols, fail, unknown
from accord.ir.types import render_type

BOOL = ir.BoolType()
INT_ANY = ir.IntType(-(2**31), 2**31 - 1)

BUILTINS = {
    "size": 1, "len": 1, "head": 1, "tail": 1, "append": 2,
    "min": 1, "max": 1, "crashed": 1, "alive": 1, "abs": 1, "index": 1,
}


class Unknown(ir.Type):
    """The element type of ``{}``, ``<<>>`` or ``none`` before context fixes it."""

    alias = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown)

    def __hash__(self) -> int:
        return 0


UNKNOWN = Unknown()


def span_of(node: Any, sy: Symbols) -> Span | None:
    if isinstance(node, Token):
        return Span(node.line or 1, node.column or 1, node.end_line or node.line or 1,
                    node.end_column or (node.column or 1) + len(node), sy.src)
    meta = getattr(node, "meta", None)
    if meta is None or getattr(meta, "empty", True):
        return None
    return Span(meta.line, meta.column, meta.end_line, meta.end_column, sy.src)


def compatible(a: ir.Type, b: ir.Type) -> bool:
    """Whether a value of type ``b`` may stand where ``a`` is expected (ints: any range)."""
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return True
    if isinstance(a, ir.IntType) and isinstance(b, ir.IntType):
        return True
    if isinstance(a, ir.OptionType):
        if isinstance(b, ir.OptionType):
            return compatible(a.inner, b.inner)
        return compatible(a.inner, b)
    if isinstance(b, ir.OptionType):
        # an `option T` where a `T` is needed: unwrapped, and `none` there is a runtime error;
        # but the literal `none` (its inner type still unknown) can never stand for a `T`
        return not isinstance(b.inner, Unknown) and compatible(a, b.inner)
    if type(a) is not type(b):
        return False
    if isinstance(a, ir.SetType):
        return compatible(a.elem, b.elem)  # type: ignore[attr-defined]
    if isinstance(a, ir.SeqType):
        return compatible(a.elem, b.elem)  # type: ignore[attr-defined]
    if isinstance(a, ir.MapType):
        return compatible(a.key, b.key) and compatible(a.value, b.value)  # type: ignore[attr-defined]
    if isinstance(a, ir.RecordType):
        return len(a.fields) == len(b.fields) and all(  # type: ignore[attr-defined]
            n1 == n2 and compatible(t1, t2) for (n1, t1), (n2, t2) in zip(a.fields, b.fields)  # type: ignore[attr-defined]
        )
    return a == b


def join(a: ir.Type, b: ir.Type) -> ir.Type:
    """The smallest type holding both (ranges widen; Unknown yields)."""
    if isinstance(a, Unknown):
        return b
    if isinstance(b, Unknown):
        return a
    if isinstance(a, ir.IntType) and isinstance(b, ir.IntType):
        if a == b:
            return a
        return ir.IntType(min(a.lo, b.lo), max(a.hi, b.hi))
    if isinstance(a, ir.SetType) and isinstance(b, ir.SetType):
        return a if a == b else ir.SetType(join(a.elem, b.elem))
    if isinstance(a, ir.SeqType) and isinstance(b, ir.SeqType):
        return ir.SeqType(join(a.elem, b.elem), max(a.max, b.max))
    if isinstance(a, ir.OptionType) and not isinstance(b, ir.OptionType):
        return a
    if isinstance(b, ir.OptionType) and not isinstance(a, ir.OptionType):
        return b
    return a


def fill(t: ir.Type, expected: ir.Type | None) -> ir.Type:
    """Replace Unknown parts of ``t`` from the expected type."""
    if expected is None:
        return t
    if isinstance(t, Unknown):
        return expected
    if isinstance(t, ir.SetType) and isinstance(expected, ir.SetType) and isinstance(t.elem, Unknown):
        return expected
    if isinstance(t, ir.SeqType) and isinstance(expected, ir.SeqType) and isinstance(t.elem, Unknown):
        return expected
    return t


def shown(t: ir.Type) -> str:
    """A type as a message names what was found: a single number reads as that number, not `3..3`."""
    if isinstance(t, ir.IntType) and t.lo == t.hi and t.alias is None:
        return f"the number {t.lo}"
    if isinstance(t, ir.IntType) and t.alias is None:
        return f"a number in {t.lo}..{t.hi}"
    return render_type(t)


def values_hint(t: ir.Type, what: str) -> str | None:
    """A hint naming the values of ``t``: what to write instead of a value of the wrong type."""
    if isinstance(t, ir.OptionType):
        inner = values_hint(t.inner, what)
        return inner and inner + ", or `none`"
    if isinstance(t, ir.EnumType):
        return f"{what} must be one of: " + ", ".join(f"`{m}`" for m in t.members)
    if isinstance(t, ir.BoolType):
        return f"{what} must be `true`, `false` or a condition such as `x > 0`"
    if isinstance(t, ir.IntType):
        return f"{what} must be a number in {t.lo}..{t.hi}"
    if isinstance(t, ir.SetType):
        return f"{what} must be a set, e.g. `{{}}` or `{{x}}`"
    if isinstance(t, ir.RoleType):
        return f"{what} must be an instance of `{t.role}`"
    return None


def require(e: ir.Expr, t: ir.Type, what: str, sy: Symbols) -> None:
    if isinstance(e.type, ir.OptionType) and isinstance(e.type.inner, Unknown) and not isinstance(t, ir.OptionType):
        raise fail("ACC210", f"{what} must be {render_type(t)}; `none` is a value only of `option` types", e.span,
                   f"declare the type as `option {render_type(t)}`, or use a value of {render_type(t)}")
    if not compatible(t, e.type):
        raise fail("ACC210", f"{what} must be {render_type(t)}, found {shown(e.type)}",
                   e.span, values_hint(t, "it"))


def require_in_range(e: ir.Expr, t: ir.Type, what: str) -> None:
    """ACC238 when a number stored in ``t`` can never fit: its whole range of values lies outside ``t``."""
    if isinstance(t, ir.OptionType):
        t = t.inner
    et = e.type
    if not (isinstance(t, ir.IntType) and isinstance(et, ir.IntType)):
        return
    if et.hi < t.lo or et.lo > t.hi:
        value = f"{et.lo}" if et.lo == et.hi else f"between {et.lo} and {et.hi}"
        where = f"{t.alias} ({t.lo}..{t.hi})" if t.alias else render_type(t)
        raise fail("ACC238", f"{what} is {value}, outside {where}", e.span,
                   f"use a value in {t.lo}..{t.hi}, or widen the type")


def require_bool(e: ir.Expr, what: str, sy: Symbols) -> None:
    if not isinstance(e.type, (ir.BoolType, Unknown)):
        raise fail("ACC210", f"{what} must be a condition (bool), found {shown(e.type)}", e.span,
                   "write a comparison, e.g. `x > 0`, or a `bool` variable")


def require_int(e: ir.Expr, what: str) -> ir.IntType:
    if not isinstance(e.type, ir.IntType):
        raise fail("ACC210", f"{what} must be a number, found {shown(e.type)}", e.span,
                   "write a whole number or an arithmetic expression")
    return e.type


class ExprLowerer:
    def __init__(self, sy: Symbols):
        self.sy = sy

    # ------------------------------------------------------------------ entry points
    def expr(self, node: Any, ctx: Ctx, expected: ir.Type | None = None) -> ir.Expr:
        if isinstance(node, Token):  # bare NAME in some positions
            return self.name(node, ctx, expected)
        method = getattr(self, "e_" + node.data, None)
        if method is None:
            raise fail("ACC100", f"unsupported expression `{node.data}`", span_of(node, self.sy))
        return method(node, ctx, expected)

    def cond(self, node: Any, ctx: Ctx, what: str = "the condition") -> ir.Expr:
        e = self.expr(node, ctx, BOOL)
        require_bool(e, what, self.sy)
        return e

    def domain(self, node: Any, ctx: Ctx) -> ir.Expr:
        """An expression in ``x in D`` position: a type or role name means all its values."""
        if isinstance(node, Tree) and node.data == "name":
            tok = node.children[0]
            t = self.type_by_name(str(tok))
            if t is not None and not self._is_value_name(str(tok), ctx):
                self.sy.used.add(str(tok))
                return ir.AllOf(t, ir.SetType(t), span_of(node, self.sy))
        if isinstance(node, Tree) and node.data == "range_type":
            pass
        e = self.expr(node, ctx)
        if not isinstance(e.type, (ir.SetType, ir.SeqType, Unknown)):
            raise fail("ACC211", f"`in` needs a set, a sequence or a type; found {shown(e.type)}",
                       e.span, "write a set (`{a, b}`), a type name, or a role name")
        return e

    @staticmethod
    def elem_type(domain: ir.Expr) -> ir.Type:
        t = domain.type
        if isinstance(t, (ir.SetType, ir.SeqType)):
            return t.elem
        return UNKNOWN

    def type_by_name(self, name: str) -> ir.Type | None:
        if name in self.sy.types:
            return self.sy.types[name]
        if name in self.sy.roles:
            return self.sy.roles[name]
        if name == "bool":
            return BOOL
        return None

    def _is_value_name(self, name: str, ctx: Ctx) -> bool:
        if name in ctx.bound or name in self.sy.shared or name in self.sy.consts:
            return True
        return bool(ctx.role and name in self.sy.role_locals.get(ctx.role, {}))

    # ------------------------------------------------------------------ names
    def e_name(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        return self.name(node.children[0], ctx, expected)

    def name(self, tok: Token, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        name = str(tok)
        span = span_of(tok, self.sy)
        sy = self.sy
        if name in ctx.bound:
            return ir.VarRef(ir.Scope.BOUND, name, ctx.bound[name], span)
        if ctx.const_only and name not in sy.consts and name not in sy.enum_members:
            if name in sy.shared or any(name in v for v in sy.role_locals.values()) or name in sy.var_names:
                raise fail("ACC212", f"`{name}` is a variable; only constants may appear here", span,
                           "sizes, ranges, budgets and initial values are fixed before the run: use a `const`")
        if ctx.role is not None and name in sy.role_locals.get(ctx.role, {}):
            sy.used.add(f"{ctx.role}.{name}")
            return ir.VarRef(ir.Scope.LOCAL, name, sy.role_locals[ctx.role][name].type, span)
        if name in sy.shared and not ctx.const_only:
            sy.used.add(name)
            return ir.VarRef(ir.Scope.SHARED, name, sy.shared[name].type, span)
        if name in sy.consts:
            c = sy.consts[name]
            sy.used.add(name)
            return ir.ConstRef(name, c.value, c.type, span)
        if name in sy.enum_members:
            cands = sy.enum_members[name]
            if len(cands) > 1 and isinstance(expected, ir.EnumType) and expected in cands:
                return ir.Lit(name, expected, span)
            if len(cands) > 1:
                raise fail("ACC202", f"`{name}` is a member of several enums ({', '.join(c.name for c in cands)})",
                           span, "rename one of the members")
            return ir.Lit(name, cands[0], span)
        if name in sy.roles:
            rt = sy.roles[name]
            sy.used.add(name)
            if isinstance(expected, ir.SetType):
                return ir.AllOf(rt, ir.SetType(rt), span)
            if rt.indexed:
                raise fail("ACC213", f"`{name}` has {rt.count} instances; say which one", span,
                           f"write `{name}[i]`, bind one with `forall w in {name}: …`, or use `all {name}`")
            return ir.Lit(ir.Inst(name, 0), rt, span)
        if name in sy.types:
            raise fail("ACC214", f"`{name}` is a type, not a value", span,
                       f"write `all {name}` for the set of its values")
        if ctx.role is not None:
            for r, vs in sy.role_locals.items():
                if name in vs and r != ctx.role:
                    raise fail("ACC230", f"`{name}` is a variable of role `{r}`, not of `{ctx.role}`", span,
                               "a step reads only its own role's variables and shared `var`s; "
                               "share state explicitly or send a message")
        local_names = list(sy.role_locals.get(ctx.role, {})) if ctx.role else []
        raise unknown("name", name, span, [*ctx.bound, *local_names, *sy.all_names()])

    def e_self_ref(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        if ctx.role is None or ctx.env_role:
            raise fail("ACC215", "`self` is only meaningful inside a role's step", span_of(node, self.sy),
                       "in a property, name the instances: `forall r in Role: …`")
        return ir.SelfRef(self.sy.roles[ctx.role], span_of(node, self.sy))

    # ------------------------------------------------------------------ literals
    def e_int_lit(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        text = str(node.children[0])
        if len(text) > 18:
            raise fail("ACC216", "number too large", span_of(node, self.sy), "numbers in specs are small integers")
        v = int(text)
        return ir.Lit(v, ir.IntType(v, v), span_of(node, self.sy))

    def e_true_lit(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        return ir.Lit(True, BOOL, span_of(node, self.sy))

    def e_false_lit(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        return ir.Lit(False, BOOL, span_of(node, self.sy))

    def e_none_lit(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        t = expected if isinstance(expected, ir.OptionType) else ir.OptionType(UNKNOWN)
        return ir.Lit(None, t, span_of(node, self.sy))

    # ------------------------------------------------------------------ operators
    def e_not_(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        e = self.cond(node.children[0], ctx, "the operand of `not`")
        return ir.Unary("not", e, BOOL, span_of(node, self.sy))

    def e_neg(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        e = self.expr(node.children[0], ctx)
        t = require_int(e, "the operand of `-`")
        return ir.Unary("neg", e, ir.IntType(-t.hi, -t.lo), span_of(node, self.sy))

    def _logic(self, op: str, node: Tree, ctx: Ctx) -> ir.Expr:
        left = self.cond(node.children[0], ctx, f"the left side of `{op}`")
        right = self.cond(node.children[-1], ctx, f"the right side of `{op}`")
        return ir.Binary(op, left, right, BOOL, span_of(node, self.sy))

    def e_and_(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        return self._logic("and", node, ctx)

    def e_or_(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        return self._logic("or", node, ctx)

    def e_implies(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        return self._logic("=>", node, ctx)

    def _pair(self, a: Any, b: Any, ctx: Ctx) -> tuple[ir.Expr, ir.Expr]:
        left = self.expr(a, ctx)
        right = self.expr(b, ctx, left.type)
        if isinstance(left.type, (Unknown,)) or _has_unknown(left.type):
            left = self.expr(a, ctx, right.type)
        return left, right

    def e_compare(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        a, optok, b = node.children
        op = str(optok)
        left, right = self._pair(a, b, ctx)
        span = span_of(node, self.sy)
        if op in ("==", "!="):
            if not (compatible(left.type, right.type) or compatible(right.type, left.type)):
                raise fail("ACC217", f"cannot compare {shown(left.type)} with {shown(right.type)}", span,
                           values_hint(left.type, "the other side"))
            return ir.Binary(op, left, right, BOOL, span)
        if isinstance(left.type, ir.IntType) and isinstance(right.type, ir.IntType):
            return ir.Binary(op, left, right, BOOL, span)
        if isinstance(left.type, ir.SetType) and isinstance(right.type, ir.SetType):
            if not compatible(left.type, right.type):
                raise fail("ACC217", f"cannot compare {shown(left.type)} with {shown(right.type)}", span)
            return ir.Binary({"<=": "subseteq", "<": "subset", ">=": "supseteq", ">": "supset"}[op],
                             left, right, BOOL, span)
        raise fail("ACC217", f"`{op}` compares numbers (or sets, as subset); found {render_type(left.type)} "
                   f"and {render_type(right.type)}", span)

    def _member(self, node: Tree, ctx: Ctx, negate: bool) -> ir.Expr:
        a, b = node.children
        coll = self.domain(b, ctx)
        elem = self.expr(a, ctx, self.elem_type(coll))
        et = self.elem_type(coll)
        if not compatible(et, elem.type) and not compatible(elem.type, et):
            raise fail("ACC218", f"`in` tests a {render_type(elem.type)} against a collection of "
                       f"{render_type(et)}", span_of(node, self.sy))
        return ir.Binary("notin" if negate else "in", elem, coll, BOOL, span_of(node, self.sy))

    def e_member(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        return self._member(node, ctx, False)

    def e_not_member(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        return self._member(node, ctx, True)

    def e_binop(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        a, optok, b = node.children
        op = str(optok)
        span = span_of(node, self.sy)
        left = self.expr(a, ctx, expected if op in "+-&" else None)
        right = self.expr(b, ctx, left.type if not isinstance(left.type, ir.IntType) else None)
        if _has_unknown(left.type):
            left = self.expr(a, ctx, right.type)
        lt, rt = left.type, right.type
        if isinstance(lt, ir.IntType) and isinstance(rt, ir.IntType):
            if op == "&":
                raise fail("ACC217", "`&` intersects sets; numbers use `and`/`or` for conditions", span)
            return ir.Binary(op, left, right, _interval(op, lt, rt), span)
        if isinstance(lt, ir.SetType) and isinstance(rt, ir.SetType) and op in "+-&":
            if not compatible(lt, rt):
                raise fail("ACC217", f"cannot combine {render_type(lt)} with {render_type(rt)}", span)
            t = join(lt, rt) if op == "+" else (lt if not _has_unknown(lt) else rt)
            return ir.Binary({"+": "union", "-": "diff", "&": "inter"}[op], left, right, t, span)
        if isinstance(lt, ir.SeqType) and isinstance(rt, ir.SeqType) and op == "+":
            return ir.Binary("concat", left, right, ir.SeqType(join(lt.elem, rt.elem), lt.max), span)
        if isinstance(lt, ir.SetType) and op in "+-" and compatible(lt.elem, rt):
            raise fail("ACC217", f"`{op}` combines two sets; `{_src(b)}` is a single value", right.span,
                       f"write `{{{_src(b)}}}` to make a one-element set")
        raise fail("ACC217", f"`{op}` cannot combine {render_type(lt)} with {render_type(rt)}", span)

    # ------------------------------------------------------------------ access
    def e_field_access(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        base_node, ftok = node.children
        fname = str(ftok)
        span = span_of(node, self.sy)
        # `Role.var` for a singleton role, or `inst.var` for an instance value
        if isinstance(base_node, Tree) and base_node.data == "name" and str(base_node.children[0]) in self.sy.roles \
                and not self._is_value_name(str(base_node.children[0]), ctx):
            rname = str(base_node.children[0])
            rt = self.sy.roles[rname]
            if rt.indexed:
                raise fail("ACC213", f"`{rname}` has {rt.count} instances; say which one's `{fname}`", span,
                           f"write `forall w in {rname}: w.{fname} …` or `{rname}[0].{fname}`")
            base = ir.Lit(ir.Inst(rname, 0), rt, span_of(base_node, self.sy))
            self.sy.used.add(rname)
        else:
            base = self.expr(base_node, ctx)
        bt = base.type
        if isinstance(bt, ir.RoleType):
            return self._role_var(base, bt, fname, ftok, ctx, span)
        if isinstance(bt, ir.RecordType):
            try:
                return ir.Field(base, fname, bt.field_type(fname), span)
            except KeyError:
                raise unknown("field", fname, span_of(ftok, self.sy), [n for n, _ in bt.fields]) from None
        raise fail("ACC219", f"`.{fname}`: {render_type(bt)} has no fields", span)

    def _role_var(self, base: ir.Expr, rt: ir.RoleType, fname: str, ftok: Token, ctx: Ctx,
                  span: Span | None) -> ir.Expr:
        locals_ = self.sy.role_locals.get(rt.role, {})
        if fname not in locals_:
            raise unknown(f"variable of role `{rt.role}`", fname, span_of(ftok, self.sy), list(locals_))
        is_self = isinstance(base, ir.SelfRef)
        if not (ctx.in_property or ctx.env_role or is_self):
            raise fail("ACC230", f"a step of `{ctx.role}` cannot read `{fname}` of another agent", span,
                       "agents see each other only through messages and shared `var`s; "
                       "reading another agent's state is allowed in properties")
        self.sy.used.add(f"{rt.role}.{fname}")
        return ir.RoleVar(base, rt.role, fname, locals_[fname].type, span)

    def e_index(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        base_node, key_node = node.children
        span = span_of(node, self.sy)
        if isinstance(base_node, Tree) and base_node.data == "name" and str(base_node.children[0]) in self.sy.roles \
                and not self._is_value_name(str(base_node.children[0]), ctx):
            rname = str(base_node.children[0])
            rt = self.sy.roles[rname]
            key = self.expr(key_node, ctx)
            require_int(key, f"the index of `{rname}`")
            self.sy.used.add(rname)
            if isinstance(key, (ir.Lit, ir.ConstRef)) and not (0 <= key.value < rt.count):
                raise fail("ACC220", f"`{rname}` has instances 0..{rt.count - 1}; index {key.value} is out of range",
                           key.span, f"use an index in 0..{rt.count - 1}")
            return ir.Call("instance", (key,), rt, span)
        base = self.expr(base_node, ctx)
        bt = base.type
        if isinstance(bt, ir.MapType):
            key = self.expr(key_node, ctx, bt.key)
            if not compatible(bt.key, key.type):
                raise fail("ACC210", f"the key must be {render_type(bt.key)}, found {render_type(key.type)}", key.span)
            require_in_range(key, bt.key, "the key")
            return ir.Index(base, key, bt.value, span)
        if isinstance(bt, ir.SeqType):
            key = self.expr(key_node, ctx)
            require_int(key, "a sequence index")
            return ir.Index(base, key, bt.elem, span)
        raise fail("ACC219", f"cannot index {render_type(bt)} with `[…]`", span,
                   "only maps, sequences and indexed roles take `[…]`")

    def e_call(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        ftok, *args = node.children
        args = [a for a in args if a is not None]
        fname = str(ftok)
        span = span_of(node, self.sy)
        if fname in self.sy.messages:
            return self.msg_cons(fname, args, ctx, span)
        if fname not in BUILTINS:
            raise unknown("function", fname, span_of(ftok, self.sy), [*BUILTINS, *self.sy.messages])
        if len(args) != BUILTINS[fname]:
            raise fail("ACC221", f"`{fname}` takes {BUILTINS[fname]} argument(s), got {len(args)}", span,
                       f"write `{fname}({', '.join('abcd'[:BUILTINS[fname]])})`")
        if fname in ("crashed", "alive"):
            a = self.expr(args[0], ctx)
            if not isinstance(a.type, ir.RoleType):
                raise fail("ACC210", f"`{fname}` takes a role instance, found {render_type(a.type)}", a.span)
            return ir.Call(fname, (a,), BOOL, span)
        if fname == "index":  # the number of a role instance: index(R[2]) == 2
            a = self.expr(args[0], ctx)
            if not isinstance(a.type, ir.RoleType):
                raise fail("ACC210", f"`index` takes a role instance, found {render_type(a.type)}", a.span)
            return ir.Call(fname, (a,), ir.IntType(0, a.type.count - 1), span)
        if fname == "abs":
            a = self.expr(args[0], ctx)
            t = require_int(a, "the argument of `abs`")
            return ir.Call(fname, (a,), ir.IntType(0, max(abs(t.lo), abs(t.hi))), span)
        if fname == "append":
            s = self.expr(args[0], ctx, expected)
            if not isinstance(s.type, ir.SeqType):
                raise fail("ACC210", f"`append` takes a sequence, found {render_type(s.type)}", s.span)
            x = self.expr(args[1], ctx, s.type.elem)
            require(x, s.type.elem, "the appended value", self.sy)
            st = s.type if not isinstance(s.type.elem, Unknown) else ir.SeqType(x.type, s.type.max)
            return ir.Call(fname, (s, x), st, span)
        a = self.expr(args[0], ctx)
        at = a.type
        if fname == "size":
            if not isinstance(at, (ir.SetType, ir.SeqType, ir.MapType)):
                raise fail("ACC210", f"`size` takes a set, sequence or map, found {render_type(at)}", a.span)
            bound = ir.types.size(at.elem) if isinstance(at, ir.SetType) and not isinstance(at.elem, Unknown) \
                else (at.max if isinstance(at, ir.SeqType) else 2**31 - 1)
            return ir.Call(fname, (a,), ir.IntType(0, min(bound, 2**31 - 1)), span)
        if fname == "len":
            if not isinstance(at, ir.SeqType):
                raise fail("ACC210", f"`len` takes a sequence, found {render_type(at)}", a.span,
                           "use `size` for sets")
            return ir.Call(fname, (a,), ir.IntType(0, at.max), span)
        if fname in ("head", "tail"):
            if not isinstance(at, ir.SeqType):
                raise fail("ACC210", f"`{fname}` takes a sequence, found {render_type(at)}", a.span)
            return ir.Call(fname, (a,), at.elem if fname == "head" else at, span)
        if fname in ("min", "max"):
            if not (isinstance(at, ir.SetType) and isinstance(at.elem, ir.IntType)):
                raise fail("ACC210", f"`{fname}` takes a set of numbers, found {render_type(at)}", a.span)
            return ir.Call(fname, (a,), at.elem, span)
        raise fail("ACC221", f"unsupported call `{fname}`", span)

    def msg_cons(self, name: str, args: list[Any], ctx: Ctx, span: Span | None) -> ir.MsgCons:
        decl = self.sy.messages[name]
        if not ctx.allow_msg:
            raise fail("ACC222", f"`{name}(…)` builds a message; messages appear only in `send`, `broadcast` "
                       "and `reply`", span, f"send it (`send {name}(…) to …`); to keep a value, store it in a `var`")
        if len(args) != len(decl.fields):
            raise fail("ACC221", f"message `{name}` has {len(decl.fields)} field(s), got {len(args)} argument(s)",
                       span, f"`{name}({', '.join(f'{n}: {render_type(t)}' for n, t in decl.fields)})`")
        inner = ctx.with_(allow_msg=False)
        lowered = []
        for (fname, ftype), a in zip(decl.fields, args):
            e = self.expr(a, inner, ftype)
            require(e, ftype, f"field `{fname}` of `{name}`", self.sy)
            require_in_range(e, ftype, f"field `{fname}` of `{name}`")
            lowered.append(e)
        self.sy.used.add(name)
        return ir.MsgCons(name, tuple(lowered), ir.MessageType(name), span)

    # ------------------------------------------------------------------ collections
    def e_empty_set(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        t = expected if isinstance(expected, ir.SetType) else ir.SetType(UNKNOWN)
        return ir.SetLit((), t, span_of(node, self.sy))

    def e_set_lit(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        et = expected.elem if isinstance(expected, ir.SetType) else None
        elems = [self.expr(c, ctx, et) for c in node.children]
        t: ir.Type = UNKNOWN
        for e in elems:
            if not (compatible(t, e.type) or compatible(e.type, t)):
                raise fail("ACC217", f"a set mixes {render_type(t)} and {render_type(e.type)}", e.span)
            t = join(t, e.type)
        if et is not None and compatible(et, t):
            t = et
        return ir.SetLit(tuple(elems), ir.SetType(t), span_of(node, self.sy))

    def e_set_comp(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        elem_node, var, dom_node, cond_node = node.children
        dom = self.domain(dom_node, ctx)
        inner = ctx.bind(str(var), self.elem_type(dom))
        et = expected.elem if isinstance(expected, ir.SetType) else None
        elem = self.expr(elem_node, inner, et)
        cond = self.cond(cond_node, inner, "the filter") if cond_node is not None else None
        return ir.SetComp(elem, str(var), dom, cond, ir.SetType(elem.type if et is None else et), span_of(node, self.sy))

    def e_record_lit(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        kids = node.children
        names = [str(k) for k in kids[0::2]]
        span = span_of(node, self.sy)
        if len(set(names)) != len(names):
            raise fail("ACC203", "a record literal names a field twice", span)
        exp_fields = dict(expected.fields) if isinstance(expected, ir.RecordType) else {}
        fields = []
        for n, v in zip(names, kids[1::2]):
            fields.append((n, self.expr(v, ctx, exp_fields.get(n))))
        if isinstance(expected, ir.RecordType):
            if sorted(names) != sorted(exp_fields):
                raise fail("ACC210", f"the record must have fields {', '.join(exp_fields)}; found {', '.join(names)}",
                           span, "write `{" + ", ".join(f"{n}: …" for n in exp_fields) + "}`")
            order = [n for n, _ in expected.fields]
            fields.sort(key=lambda f: order.index(f[0]))
            for n, e in fields:
                require(e, exp_fields[n], f"field `{n}`", self.sy)
            return ir.RecordLit(tuple(fields), expected, span)
        return ir.RecordLit(tuple(fields), ir.RecordType(tuple((n, e.type) for n, e in fields)), span)

    def e_map_lit(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        var, body_node = node.children
        span = span_of(node, self.sy)
        if not isinstance(expected, ir.MapType):
            raise fail("ACC223", "the key type of `[k -> …]` is not known here", span,
                       "use it where a map is expected, e.g. as a `var`'s initial value or assigned to a map")
        body = self.expr(body_node, ctx.bind(str(var), expected.key), expected.value)
        require(body, expected.value, "the map's values", self.sy)
        return ir.MapLit(str(var), body, expected, span)

    def e_seq_lit(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        et = expected.elem if isinstance(expected, ir.SeqType) else None
        elems = [self.expr(c, ctx, et) for c in node.children if c is not None]
        t: ir.Type = et or UNKNOWN
        for e in elems:
            t = join(t, e.type)
        mx = expected.max if isinstance(expected, ir.SeqType) else len(elems)
        if len(elems) > mx:
            raise fail("ACC238", f"this sequence has {len(elems)} elements; {render_type(expected)} holds at most "
                       f"{mx}", span_of(node, self.sy), f"remove elements, or raise the bound (`max {len(elems)}`)")
        return ir.SeqLit(tuple(elems), ir.SeqType(t, mx), span_of(node, self.sy))

    def e_all_of(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        tok = node.children[0]
        t = self.type_by_name(str(tok))
        if t is None:
            raise unknown("type or role", str(tok), span_of(tok, self.sy), [*self.sy.types, *self.sy.roles])
        self.sy.used.add(str(tok))
        return ir.AllOf(t, ir.SetType(t), span_of(node, self.sy))

    def e_quant(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        kind = str(node.children[0].children[0])
        *binders, body_node = node.children[1:]
        inner = ctx
        lowered: list[tuple[str, ir.Expr]] = []
        for b in binders:
            *names, dom_node = b.children
            dom = self.domain(dom_node, inner)
            for n in names:
                lowered.append((str(n), dom))
                inner = inner.bind(str(n), self.elem_type(dom))
        body = self.cond(body_node, inner, f"the body of `{kind}`")
        return ir.Quant(kind, tuple(lowered), body, BOOL, span_of(node, self.sy))

    def e_if_expr(self, node: Tree, ctx: Ctx, expected: ir.Type | None) -> ir.Expr:
        c, a, b = node.children
        cond = self.cond(c, ctx)
        then = self.expr(a, ctx, expected)
        other = self.expr(b, ctx, expected or then.type)
        if not (compatible(then.type, other.type) or compatible(other.type, then.type)):
            raise fail("ACC217", f"the branches of `if` have types {render_type(then.type)} and "
                       f"{render_type(other.type)}", span_of(node, self.sy))
        return ir.IfExpr(cond, then, other, join(then.type, other.type), span_of(node, self.sy))


def _has_unknown(t: ir.Type) -> bool:
    if isinstance(t, Unknown):
        return True
    if isinstance(t, (ir.SetType, ir.SeqType)):
        return _has_unknown(t.elem)
    if isinstance(t, ir.OptionType):
        return _has_unknown(t.inner)
    return False


def _interval(op: str, a: ir.IntType, b: ir.IntType) -> ir.IntType:
    lo_hi = {
        "+": (a.lo + b.lo, a.hi + b.hi),
        "-": (a.lo - b.hi, a.hi - b.lo),
    }
    if op in lo_hi:
        lo, hi = lo_hi[op]
    elif op == "*":
        products = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]
        lo, hi = min(products), max(products)
    elif op == "%":
        m = max(abs(b.lo), abs(b.hi), 1)
        lo, hi = (0, m - 1) if a.lo >= 0 else (-(m - 1), m - 1)
    else:  # "/"
        m = max(abs(a.lo), abs(a.hi))
        lo, hi = -m, m
    cap = 2**31 - 1
    return ir.IntType(max(lo, -cap - 1), min(hi, cap))


def _src(node: Any) -> str:
    if isinstance(node, Tree) and node.data == "name":
        return str(node.children[0])
    if isinstance(node, Token):
        return str(node)
    return "x"
