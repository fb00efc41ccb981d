"""Steps and statements: parse tree to IR, with channel resolution for sends."""

from __future__ import annotations

from typing import Any

from lark import Token, Tree

from accord import ir
from accord.diagnostics import Span
from accord.dsl.lower_expr import UNKNOWN, ExprLowerer, compatible, require, require_in_range, span_of
from accord.dsl.scope import Ctx, Symbols, fail, unknown
from accord.ir.types import render_type


class StmtLowerer:
    def __init__(self, sy: Symbols, ex: ExprLowerer):
        self.sy = sy
        self.ex = ex

    def block(self, node: Tree, ctx: Ctx) -> tuple[ir.Stmt, ...]:
        out: list[ir.Stmt] = []
        for s in node.children:
            if s.data == "skip" and not s.meta.empty and s.meta.end_pos - s.meta.start_pos == 1:
                continue  # a bare `;` separates statements; it is not a `skip`
            lowered = self.stmt(s, ctx)
            if isinstance(lowered, ir.Let):
                ctx = ctx.bind(lowered.var, lowered.value.type)
            out.append(lowered)
        return tuple(out)

    def stmt(self, node: Tree, ctx: Ctx) -> ir.Stmt:
        method = getattr(self, "s_" + node.data)
        return method(node, ctx)

    # ----------------------------------------------------------------- simple statements
    def s_skip(self, node: Tree, ctx: Ctx) -> ir.Stmt:
        return ir.Skip(span_of(node, self.sy))

    def s_assert_stmt(self, node: Tree, ctx: Ctx) -> ir.Stmt:
        return ir.Assert(self.ex.cond(node.children[0], ctx, "an assertion"), span_of(node, self.sy))

    def s_let_stmt(self, node: Tree, ctx: Ctx) -> ir.Stmt:
        name, value = node.children
        self._no_shadow(name, ctx)
        return ir.Let(str(name), self.ex.expr(value, ctx), span_of(node, self.sy))

    def _no_shadow(self, name: Token, ctx: Ctx) -> None:
        n = str(name)
        if n in ctx.bound or (ctx.role and n in self.sy.role_locals.get(ctx.role, {})) or n in self.sy.shared:
            raise fail("ACC204", f"`{n}` is already defined here", span_of(name, self.sy),
                       "choose another name")

    def s_assign(self, node: Tree, ctx: Ctx) -> ir.Stmt:
        lv_node, value_node = node.children
        target = self.lvalue(lv_node, ctx)
        value = self.ex.expr(value_node, ctx, target.type)
        require(value, target.type, f"the value assigned to `{target.name}`", self.sy)
        require_in_range(value, target.type, f"the value assigned to `{target.name}`")
        return ir.Assign(target, value, span_of(node, self.sy))

    def lvalue(self, node: Tree, ctx: Ctx) -> ir.LValue:
        path: list[ir.Expr | str] = []
        while node.data != "lv_name":
            if node.data == "lv_index":
                base, key = node.children
                path.append(key)
            else:
                base, fld = node.children
                path.append(str(fld))
            node = base
        tok = node.children[0]
        name = str(tok)
        span = span_of(tok, self.sy)
        if name in ctx.bound:
            raise fail("ACC224", f"`{name}` is a parameter or bound name and cannot be assigned", span,
                       "assign to a `var`")
        if ctx.role and name in self.sy.role_locals.get(ctx.role, {}):
            scope, t = ir.Scope.LOCAL, self.sy.role_locals[ctx.role][name].type
        elif name in self.sy.shared:
            scope, t = ir.Scope.SHARED, self.sy.shared[name].type
        elif name in self.sy.consts:
            raise fail("ACC224", f"`{name}` is a constant and cannot be assigned", span,
                       f"declare a `var` to hold a value that changes; `{name}` is fixed for the whole run")
        else:
            cands = list(self.sy.role_locals.get(ctx.role, {})) if ctx.role else []
            raise unknown("variable", name, span, [*cands, *self.sy.shared])
        root = t
        lowered: list[ir.Expr | str] = []
        for step in reversed(path):
            if isinstance(step, str):
                if not isinstance(t, ir.RecordType):
                    raise fail("ACC219", f"`.{step}`: {render_type(t)} has no fields", span)
                try:
                    t = t.field_type(step)
                except KeyError:
                    raise unknown("field", step, span, [n for n, _ in t.fields]) from None
                lowered.append(step)
            else:
                if isinstance(t, ir.MapType):
                    key = self.ex.expr(step, ctx, t.key)
                    require(key, t.key, "the key", self.sy)
                    require_in_range(key, t.key, "the key")
                    t = t.value
                elif isinstance(t, ir.SeqType):
                    key = self.ex.expr(step, ctx)
                    require(key, ir.IntType(0, 0), "a sequence index", self.sy)
                    t = t.elem
                else:
                    raise fail("ACC219", f"cannot index {render_type(t)} with `[…]`", span)
                lowered.append(key)
        return ir.LValue(scope, name, tuple(lowered), t, root, span_of(node, self.sy))

    # ----------------------------------------------------------------- control
    def s_choose(self, node: Tree, ctx: Ctx) -> ir.Stmt:
        name, dom_node, body = node.children
        self._no_shadow(name, ctx)
        dom = self.ex.domain(dom_node, ctx)
        inner = ctx.bind(str(name), self.ex.elem_type(dom))
        return ir.Choose(str(name), dom, self.block(body, inner), span_of(node, self.sy))

    def s_for_stmt(self, node: Tree, ctx: Ctx) -> ir.Stmt:
        name, dom_node, body = node.children
        self._no_shadow(name, ctx)
        dom = self.ex.domain(dom_node, ctx)
        inner = ctx.bind(str(name), self.ex.elem_type(dom))
        return ir.For(str(name), dom, self.block(body, inner), span_of(node, self.sy))

    def s_if_stmt(self, node: Tree, ctx: Ctx) -> ir.Stmt:
        cond_node, then_node, *rest = node.children
        cond = self.ex.cond(cond_node, ctx, "the condition of `if`")
        then = self.block(then_node, ctx)
        other: tuple[ir.Stmt, ...] | None = None
        if rest and rest[0] is not None:
            r = rest[0]
            other = (self.s_if_stmt(r, ctx),) if r.data == "if_stmt" else self.block(r, ctx)
        return ir.If(cond, then, other, span_of(node, self.sy))

    # ----------------------------------------------------------------- messages
    def _message(self, node: Any, ctx: Ctx) -> ir.MsgCons:
        mctx = ctx.with_(allow_msg=True)
        if isinstance(node, Tree) and node.data == "name" and str(node.children[0]) in self.sy.messages:
            name = str(node.children[0])
            return self.ex.msg_cons(name, [], mctx, span_of(node, self.sy))
        if isinstance(node, Tree) and node.data == "call":
            fname = str(node.children[0])
            if fname not in self.sy.messages:
                raise unknown("message", fname, span_of(node.children[0], self.sy), list(self.sy.messages))
            return self.ex.msg_cons(fname, [a for a in node.children[1:] if a is not None], mctx,
                                    span_of(node, self.sy))
        if isinstance(node, Tree) and node.data == "name":
            raise unknown("message", str(node.children[0]), span_of(node, self.sy), list(self.sy.messages))
        raise fail("ACC225", "`send` takes a message, written `Msg(args)`", span_of(node, self.sy))

    def _channel(self, src: str, dst: str, span: Span | None) -> ir.Channel:
        ch = self.sy.channels.get(f"{src}->{dst}")
        if ch is None:
            raise fail("ACC301", f"no channel from `{src}` to `{dst}`", span,
                       f"declare one, e.g. `channel {src} -> {dst} fifo`")
        return ch

    def _note_sent(self, msg: str, role: str, span: Span | None = None) -> None:
        self.sy.sent.setdefault(msg, set()).add(role)
        self.sy.sent_at.setdefault((msg, role), span)

    def s_send(self, node: Tree, ctx: Ctx) -> ir.Stmt:
        msg_node, dest_node = node.children
        span = span_of(node, self.sy)
        self._require_role(ctx, "send", span)
        msg = self._message(msg_node, ctx)
        # `send M to Role` for a shared queue names the role, not an instance
        if isinstance(dest_node, Tree) and dest_node.data == "name" and str(dest_node.children[0]) in self.sy.roles \
                and not self.ex._is_value_name(str(dest_node.children[0]), ctx):
            rname = str(dest_node.children[0])
            ch = self._channel(ctx.role or "", rname, span)
            rt = self.sy.roles[rname]
            self.sy.used.add(rname)
            if ch.topology is ir.Topology.SHARED:
                dest: ir.Expr = ir.AllOf(rt, ir.SetType(rt), span_of(dest_node, self.sy))
            elif rt.indexed:
                raise fail("ACC213", f"`{rname}` has {rt.count} instances; say which one receives", span_of(dest_node, self.sy),
                           f"send to one instance (`{rname}[i]`, a parameter `w in {rname}`), use `broadcast`, "
                           f"or declare the channel `shared` for a queue any `{rname}` may take from")
            else:
                dest = ir.Lit(ir.Inst(rname, 0), rt, span_of(dest_node, self.sy))
        else:
            dest = self.ex.expr(dest_node, ctx)
            if not isinstance(dest.type, ir.RoleType):
                raise fail("ACC210", f"a message is sent to a role instance, found {render_type(dest.type)}",
                           dest.span)
            ch = self._channel(ctx.role or "", dest.type.role, span)
            if ch.topology is ir.Topology.SHARED:
                raise fail("ACC302", f"channel {ch.src} -> {ch.dst} is a shared queue; send to the role, not an instance",
                           dest.span, f"write `send … to {ch.dst}`")
        self._note_sent(msg.msg, ch.dst, span)
        return ir.Send(msg, dest, ch.name, span)

    def s_broadcast(self, node: Tree, ctx: Ctx) -> ir.Stmt:
        msg_node, role_tok = node.children
        span = span_of(node, self.sy)
        self._require_role(ctx, "broadcast", span)
        msg = self._message(msg_node, ctx)
        rname = str(role_tok)
        if rname not in self.sy.roles:
            raise unknown("role", rname, span_of(role_tok, self.sy), list(self.sy.roles))
        ch = self._channel(ctx.role or "", rname, span)
        if ch.topology is ir.Topology.SHARED:
            raise fail("ACC302", "a shared queue delivers each message to one consumer; `broadcast` needs "
                       "`links` or `inbox` channels", span)
        self.sy.used.add(rname)
        self._note_sent(msg.msg, rname, span)
        return ir.Broadcast(msg, rname, ch.name, span)

    def s_reply(self, node: Tree, ctx: Ctx) -> ir.Stmt:
        span = span_of(node, self.sy)
        if not ctx.in_handler:
            raise fail("ACC226", "`reply` answers a message, so it is only allowed in an `on Msg` handler", span,
                       "use `send Msg(…) to instance`")
        msg = self._message(node.children[0], ctx)
        st = ctx.sender_type
        if not isinstance(st, ir.RoleType):
            raise fail("ACC227", "the sender of this message is not known uniquely; `reply` cannot tell the channel",
                       span, "bind the sender with `from x` and `send … to x`")
        ch = self._channel(ctx.role or "", st.role, span)
        self._note_sent(msg.msg, st.role, span)
        return ir.Reply(msg, ch.name, span)

    def _require_role(self, ctx: Ctx, what: str, span: Span | None) -> None:
        if ctx.role is None or ctx.env_role:
            raise fail("ACC228", f"`{what}` is done by an agent: put this step inside a `role`", span,
                       "top-level actions are the environment: they change shared `var`s but send nothing")


def pattern(sy: Symbols, ex: ExprLowerer, node: Any, ftype: ir.Type, ctx: Ctx) -> ir.Pattern:
    """One handler argument: a literal (enum member, constant, number, bool), `_`, or a new name."""
    span = span_of(node, sy)
    if node.data == "pattern_name":
        name = str(node.children[0])
        if name == "_":
            return ir.Pattern("wild", None, None, span)
        if isinstance(ftype, ir.EnumType) and name in ftype.members:
            # the field's own enum wins over any variable of the same name
            return ir.Pattern("lit", None, ir.Lit(name, ftype, span), span)
        if name in sy.enum_members or name in sy.consts or (name in sy.roles and not sy.roles[name].indexed):
            lit = ex.expr(Tree("name", [node.children[0]], node.meta), ctx, ftype)
            _check_pattern_literal(lit, ftype, span)
            return ir.Pattern("lit", None, lit, span)
        return ir.Pattern("bind", name, None, span)
    lit = ex.expr(node.children[0], ctx, ftype)
    _check_pattern_literal(lit, ftype, span)
    return ir.Pattern("lit", None, lit, span)


def _check_pattern_literal(lit: ir.Expr, ftype: ir.Type, span: Span | None) -> None:
    if not compatible(ftype, lit.type):
        raise fail("ACC231", f"this pattern can never match: the field is {render_type(ftype)}, "
                   f"the pattern is {render_type(lit.type)}", span,
                   "match a value of the field's type, bind it with a new name, or write `_` for any value")
    value = getattr(lit, "value", None)
    if isinstance(ftype, ir.IntType) and isinstance(value, int) and not (ftype.lo <= value <= ftype.hi):
        raise fail("ACC231", f"this pattern can never match: {value} is outside {render_type(ftype)}", span,
                   f"match a value in {render_type(ftype)}, or widen the field's type")


__all__ = ["StmtLowerer", "pattern", "UNKNOWN"]
