"""Parse tree to IR: resolve names, check types, fold constants.

Declarations are lowered in dependency order (constants, types, messages,
roles, channels, variables, steps, faults, properties), each inside its own
error boundary so that one mistake does not hide the next.
"""

from __future__ import annotations

from typing import Any, Callable

from lark import Token, Tree

from accord import ir
from accord.diagnostics import Diagnostic, SourceFile, SpecError, did_you_mean
from accord.dsl.comments import collect_comments
from accord.dsl.lower_expr import BOOL, UNKNOWN, ExprLowerer, compatible, require, require_in_range, span_of
from accord.dsl.lower_props import PropertyLowering
from accord.dsl.lower_stmt import StmtLowerer, pattern
from accord.dsl.scope import ENV_ROLE, Ctx, Symbols, fail, unknown
from accord.dsl.warnings import collect_warnings
from accord.ir.types import DOMAIN_LIMIT, contains, render_type, size
from accord.semantics.evaluate import EvalError, const_value



class Lowerer(PropertyLowering):
    def __init__(self, src: SourceFile, overrides: dict[str, int | bool]):
        self.sy = Symbols(src, dict(overrides))
        self.ex = ExprLowerer(self.sy)
        self.st = StmtLowerer(self.sy, self.ex)
        self.diags: list[Diagnostic] = []
        self.count_src: dict[str, ir.Expr] = {}  # role -> its instance count as written
        self.step_labels: dict[str, set[str]] = {}  # role -> labels of its steps, once its body lowered cleanly

    def guard(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except SpecError as exc:
            self.diags.append(exc.diagnostic)
            return None
        except EvalError as exc:
            self.diags.append(Diagnostic("ACC240", f"cannot evaluate: {exc}", exc.span,
                                         hint="check the constants this expression uses (and any --const)"))
            return None

    def declare(self, name_tok: Token, kind: str) -> str:
        name = str(name_tok)
        sy = self.sy
        if name in sy.declared_at:
            first, here = sy.declared_at[name], span_of(name_tok, sy)
            if here is not None and first is not None and (here.line, here.column) < (first.line, first.column):
                first, here = here, first  # lowering order is not source order: blame the later one
            raise fail("ACC204", f"`{name}` is declared twice", here,
                       "rename one of them" if kind else None,
                       notes=((f"first declared at line {first.line}", first),))
        sy.declared_at[name] = span_of(name_tok, sy)  # type: ignore[assignment]
        return name

    # ================================================================== entry
    def lower(self, tree: Tree) -> ir.Protocol | None:
        name_tok, *decls = tree.children
        decls = [d for d in decls if isinstance(d, Tree) and d.data != "empty_decl"]
        by_kind: dict[str, list[Tree]] = {}
        for d in decls:
            by_kind.setdefault(d.data, []).append(d)

        out: dict[int, Any] = {}  # id(tree) -> lowered decl, to keep source order
        for d in by_kind.get("var_decl", []):
            self.sy.var_names.setdefault(str(d.children[1]), "")
        for d in by_kind.get("role_decl", []):
            for item in d.children[3:]:
                if isinstance(item, Tree) and item.data == "var_decl":
                    self.sy.var_names.setdefault(str(item.children[1]), str(d.children[0]))

        for d in by_kind.get("enum_decl", []):
            out[id(d)] = self.guard(lambda d=d: self.enum_decl(d))
        typed_consts = [d for d in by_kind.get("const_decl", []) if d.children[1] is not None]
        for d in by_kind.get("const_decl", []):
            if d.children[1] is None:
                out[id(d)] = self.guard(lambda d=d: self.const_decl(d))
        self._unknown_overrides({str(d.children[0]): d.children[0] for d in by_kind.get("const_decl", [])})
        # role headers before types, so that `type Team = set of Agent` can name a role
        roles = by_kind.get("role_decl", [])
        roles = [d for d in roles if self.guard(lambda d=d: self.role_header(d) or True)]
        for d in by_kind.get("type_decl", []):
            out[id(d)] = self.guard(lambda d=d: self.type_decl(d))
        for d in typed_consts:
            out[id(d)] = self.guard(lambda d=d: self.const_decl(d))
        if by_kind.get("action_decl"):
            if ENV_ROLE in self.sy.roles:
                self.diags.append(Diagnostic(
                    "ACC204", f"a role named `{ENV_ROLE}` clashes with the environment that holds top-level actions",
                    self.sy.declared_at.get(ENV_ROLE), hint="rename the role, or move the actions into a role"))
            self.sy.has_env = True
            self.sy.roles[ENV_ROLE] = ir.RoleType(ENV_ROLE, 1, indexed=False)
            self.sy.role_locals[ENV_ROLE] = {}
        for d in by_kind.get("message_decl", []):
            out[id(d)] = self.guard(lambda d=d: self.message_decl(d))
        for d in by_kind.get("channel_decl", []):
            out[id(d)] = self.guard(lambda d=d: self.channel_decl(d))
        for d in by_kind.get("var_decl", []):
            out[id(d)] = self.guard(lambda d=d: self.var_decl(d, None))
        for d in roles:
            self.guard(lambda d=d: self.role_vars(d))
        for d in roles:
            out[id(d)] = self.guard(lambda d=d: self.role_body(d))
        env_steps = [self.guard(lambda d=d: self.step(d, ENV_ROLE)) for d in by_kind.get("action_decl", [])]

        schedule = ir.Schedule.INTERLEAVING
        schedule_span = None
        for d in decls:
            if d.data in ("enum_decl", "const_decl", "type_decl", "role_decl", "message_decl",
                          "channel_decl", "var_decl", "action_decl"):
                continue
            if d.data == "schedule_decl":
                schedule = ir.Schedule(str(d.children[0].children[0]))
                schedule_span = span_of(d, self.sy)
                continue
            method = getattr(self, d.data)
            out[id(d)] = self.guard(lambda d=d, m=method: m(d))

        if any(d.is_error for d in self.diags):
            return None
        ordered: list[Any] = []
        env_done = False
        for d in decls:
            if d.data == "action_decl":
                if not env_done:
                    env_done = True
                    ordered.append(ir.Role(ENV_ROLE, 1, False, False, (), tuple(s for s in env_steps if s),
                                           None, implicit=True))
                continue
            v = out.get(id(d))
            if isinstance(v, list):
                ordered.extend(v)
            elif v is not None:
                ordered.append(v)
        proto = ir.Protocol(str(name_tok), tuple(ordered), schedule, source=self.sy.src,
                            comments=collect_comments(self.sy.src.text), schedule_span=schedule_span)
        self.guard(lambda: self.check_protocol(proto))
        if not any(d.is_error for d in self.diags):
            self.diags.extend(collect_warnings(proto, self.sy))
        return proto

    def _unknown_overrides(self, declared: dict[str, Token]) -> None:
        """``--const`` names that no ``const`` declares (``declared``: every const's name token)."""
        for name in self.sy.overrides:
            if name not in declared:
                best = did_you_mean(name, declared)
                close = [n for n in declared if best and f"`{n}`" in best]
                notes = tuple((f"`{n}` is declared here", span_of(declared[n], self.sy)) for n in close)
                self.diags.append(Diagnostic(
                    "ACC401", f"--const {name}: the spec declares no constant `{name}`", None, notes=notes,
                    hint=best or "constants are declared with `const NAME = value`"))

    # ================================================================== constants and types
    def const_decl(self, d: Tree) -> ir.ConstDecl:
        name_tok, type_node, expr_node = d.children
        name = self.declare(name_tok, "constant")
        if type_node is not None:
            return self.typed_const(d, name, name_tok, type_node, expr_node)
        e = self.ex.expr(expr_node, Ctx(const_only=True))
        value = const_value(e)
        overridden = False
        if name in self.sy.overrides:
            ov = self.sy.overrides[name]
            if isinstance(value, bool) != isinstance(ov, bool):
                is_bool = isinstance(value, bool)
                shown = str(ov).lower() if isinstance(ov, bool) else str(ov)
                self.diags.append(Diagnostic(
                    "ACC402", f"--const {name}={shown}: `{name}` is a {'boolean' if is_bool else 'number'} "
                    f"(declared as {str(value).lower() if is_bool else value})", span_of(name_tok, self.sy),
                    hint=f"`{name}` takes {'true or false' if is_bool else 'a whole number'}, e.g. --const "
                    f"{name}={'true' if is_bool else value}"))
            else:
                value, overridden = ov, True
        if isinstance(value, bool):
            t: ir.Type = BOOL
        elif isinstance(value, int):
            t = ir.IntType(value, value)
        else:
            raise fail("ACC232", "an untyped constant must be a number or a boolean", span_of(d, self.sy),
                       "give the constant a type: `const DEPS: set of Pair = {…}`")
        c = ir.ConstDecl(name, value, t, e, overridden, span_of(d, self.sy))
        self.sy.consts[name] = c
        return c

    def typed_const(self, d: Tree, name: str, name_tok: Token, type_node: Any, expr_node: Any) -> ir.ConstDecl:
        """``const NAME: Type = value``: any finite value (a task graph, a table of identifiers)."""
        t = self.type(type_node)
        if name in self.sy.overrides:
            raise fail("ACC402", f"--const {name}: only number and boolean constants can be set on the command line",
                       span_of(name_tok, self.sy))
        e = self.ex.expr(expr_node, Ctx(const_only=True), t)
        require(e, t, f"the value of `{name}`", self.sy)
        value = const_value(e)
        if not contains(t, value):
            raise fail("ACC233", f"the value of `{name}` is not a {render_type(t)}", e.span)
        c = ir.ConstDecl(name, value, t, e, False, span_of(d, self.sy), declared=True)
        self.sy.consts[name] = c
        return c

    def const_int(self, node: Any, what: str, lo: int | None = None) -> tuple[int, ir.Expr]:
        e = self.ex.expr(node, Ctx(const_only=True))
        if not isinstance(e.type, ir.IntType):
            raise fail("ACC210", f"{what} must be a number, found {render_type(e.type)}", e.span)
        v = const_value(e)
        if lo is not None and v < lo:
            raise fail("ACC233", f"{what} must be at least {lo}, but is {v}", e.span,
                       f"use a value of at least {lo} (check the constants it uses, and any --const)")
        return v, e

    def enum_decl(self, d: Tree) -> ir.EnumDecl:
        name_tok, *members = d.children
        name = self.declare(name_tok, "enum")
        seen: set[str] = set()
        for m in members:
            if str(m) in seen:
                raise fail("ACC204", f"enum `{name}` lists `{m}` twice", span_of(m, self.sy),
                           "remove the repeated member")
            seen.add(str(m))
        t = ir.EnumType(name, tuple(str(m) for m in members))
        self.sy.types[name] = t
        for m in members:
            self.sy.enum_members.setdefault(str(m), []).append(t)
        return ir.EnumDecl(name, t, span_of(d, self.sy))

    def type_decl(self, d: Tree) -> ir.TypeDecl:
        name_tok, type_node = d.children
        name = self.declare(name_tok, "type")
        written = self.type(type_node)
        t = _with_alias(written, name)
        self.sy.types[name] = t
        return ir.TypeDecl(name, t, span_of(d, self.sy), written=written)

    def type(self, node: Any) -> ir.Type:
        kind = node.data
        sp = span_of(node, self.sy)
        if kind == "bool_type":
            return BOOL
        if kind == "named_type":
            name = str(node.children[0])
            t = self.ex.type_by_name(name)
            if t is None:
                raise unknown("type", name, sp, [*self.sy.types, *self.sy.roles, "bool"])
            self.sy.used.add(name)
            return t
        if kind == "range_type":
            lo, lo_e = self.const_int(node.children[0], "the lower bound")
            hi, hi_e = self.const_int(node.children[1], "the upper bound")
            if hi < lo:
                raise fail("ACC234", f"the range {lo}..{hi} is empty", sp, "the upper bound must be at least the lower")
            return ir.IntType(lo, hi, src=(lo_e, hi_e))
        if kind == "set_type":
            return ir.SetType(self._finite(self.type(node.children[0]), node.children[0], 4096))
        if kind == "map_type":
            return ir.MapType(self._finite(self.type(node.children[0]), node.children[0], 4096),
                              self.type(node.children[1]))
        if kind == "seq_type":
            mx, mx_e = self.const_int(node.children[1], "the bound of a sequence", lo=0)
            return ir.SeqType(self.type(node.children[0]), mx, src=mx_e)
        if kind == "record_type":
            fields = []
            for f in node.children:
                fname, ftype = f.children
                if any(n == str(fname) for n, _ in fields):
                    raise fail("ACC204", f"field `{fname}` declared twice", span_of(fname, self.sy),
                               "give each field its own name")
                fields.append((str(fname), self.type(ftype)))
            return ir.RecordType(tuple(fields))
        if kind == "option_type":
            return ir.OptionType(self.type(node.children[0]))
        raise fail("ACC100", f"unsupported type `{kind}`", sp)

    def _finite(self, t: ir.Type, node: Any, limit: int) -> ir.Type:
        n = size(t)
        if n > limit:
            raise fail("ACC235", f"{render_type(t)} has {n} values; as a set element or map key at most "
                       f"{limit} are supported", span_of(node, self.sy), "use a smaller range")
        return t

    # ================================================================== messages, roles, channels
    def message_decl(self, d: Tree) -> ir.MessageDecl:
        name_tok, *fields = d.children
        name = self.declare(name_tok, "message")
        lowered = []
        for f in fields:
            if f is None:
                continue
            fname, ftype = f.children
            if any(n == str(fname) for n, _ in lowered):
                raise fail("ACC204", f"message `{name}` has two fields named `{fname}`", span_of(fname, self.sy),
                           "give each field its own name")
            lowered.append((str(fname), self.type(ftype)))
        m = ir.MessageDecl(name, tuple(lowered), True, span_of(d, self.sy))
        self.sy.messages[name] = m
        return m

    def role_header(self, d: Tree) -> None:
        name_tok, count_node, sym, *_ = d.children
        name = self.declare(name_tok, "role")
        if count_node is None:
            count, indexed = 1, False
        else:
            counted = self.guard(lambda: self.const_int(count_node, f"the number of `{name}` instances", lo=1))
            count, indexed = (1, True) if counted is None else (counted[0], True)
            if counted is not None:
                self.count_src[name] = counted[1]
        self.sy.roles[name] = ir.RoleType(name, count, indexed)
        self.sy.role_symmetric[name] = sym is not None
        self.sy.role_locals[name] = {}

    def channel_decl(self, d: Tree) -> ir.Channel:
        src_tok, dst_tok, kind_node, *opts = d.children
        for tok in (src_tok, dst_tok):
            if str(tok) not in self.sy.roles or str(tok) == ENV_ROLE:
                raise unknown("role", str(tok), span_of(tok, self.sy), [r for r in self.sy.roles if r != ENV_ROLE])
        kind = ir.ChanKind(str(kind_node.children[0]))
        capacity, cap_src, full, topo = None, None, ir.FullMode.BLOCKS, ir.Topology.LINKS
        sp = span_of(d, self.sy)
        for o in opts:
            if o.data == "capacity_opt":
                if kind is ir.ChanKind.SYNC:
                    self.diags.append(Diagnostic("ACC303", "a `sync` channel is a rendezvous and has no capacity",
                                                 span_of(o, self.sy), hint="remove `capacity …`, or use `fifo`"))
                    continue
                cap = self.guard(lambda o=o: self.const_int(o.children[0], "a channel's capacity", lo=1))
                if cap is not None:
                    capacity, cap_src = cap
            elif o.data == "full_mode":
                if kind is ir.ChanKind.SET:
                    self.diags.append(Diagnostic(
                        "ACC303", f"a `set` channel holds each message once and never fills; `{o.children[0]}` "
                        "does not apply", span_of(o, self.sy), hint=f"remove `{o.children[0]}`"))
                    continue
                full = ir.FullMode(str(o.children[0]))
            else:
                topo = ir.Topology(str(o.children[0]))
        ch = ir.Channel(str(src_tok), str(dst_tok), kind, capacity, full, topo, cap_src, sp)
        if ch.name in self.sy.channels:
            first = self.sy.channels[ch.name].span
            raise fail("ACC204", f"channel {ch.src} -> {ch.dst} is declared twice", sp,
                       "one channel per direction: merge the options into one declaration",
                       notes=((f"first declared at line {first.line}", first),) if first else ())
        self.sy.channels[ch.name] = ch
        return ch

    # ================================================================== variables
    def var_decl(self, d: Tree, role: str | None) -> ir.VarDecl:
        pers, name_tok, type_node, init_node, merge_node = d.children
        name = str(name_tok)
        sp = span_of(name_tok, self.sy)
        scope_vars = self.sy.role_locals[role] if role else self.sy.shared
        if name in scope_vars or (role is None and name in self.sy.declared_at):
            first = scope_vars[name].span if name in scope_vars else self.sy.declared_at.get(name)
            raise fail("ACC204", f"`{name}` is declared twice", sp, "rename one of them",
                       notes=((f"first declared at line {first.line}", first),) if first else ())
        if role and name in self.sy.shared:
            raise fail("ACC204", f"`{name}` is already a shared variable; a role variable may not hide it", sp)
        if role is None:
            self.sy.declared_at[name] = sp  # type: ignore[assignment]
        t = self.type(type_node)
        ctx = Ctx(const_only=True)
        if init_node is None:
            kind, init = ir.InitKind.VALUE, None
            raise fail("ACC236", f"`{name}` needs an initial value", sp,
                       "write `= value`, `in {choices}` or `in any` after the type")
        elif init_node.data == "init_value":
            kind = ir.InitKind.VALUE
            init = self.ex.expr(init_node.children[0], ctx, t)
            require(init, t, f"the initial value of `{name}`", self.sy)
            require_in_range(init, t, f"the initial value of `{name}`")
        elif init_node.data == "init_choice":
            kind = ir.InitKind.CHOICE
            init = self.ex.domain(init_node.children[0], ctx)
            et = self.ex.elem_type(init)
            if not compatible(t, et):
                raise fail("ACC210", f"the initial choices of `{name}` must be {render_type(t)}, found "
                           f"{render_type(et)}", init.span)
        else:
            kind, init = ir.InitKind.ANY, None
            if size(t) > DOMAIN_LIMIT:
                raise fail("ACC235", f"`in any` over {render_type(t)} ({size(t)} values) is too large",
                           span_of(type_node, self.sy), f"choose from a few values: `in {{…}}`, or narrow the type; "
                           f"`in any` allows at most {DOMAIN_LIMIT} values")
        merge = None
        if merge_node is not None:
            words = [str(c) for c in merge_node.children]
            merge = ir.MergeKind.CONFLICT if words == ["conflict"] else ir.MergeKind(words[1])
            msp = span_of(merge_node, self.sy) or sp
            if role is not None:
                raise fail("ACC304", "`merge`/`conflict` apply to shared variables only", msp,
                           "a role's own variables are written by one agent")
            if merge is ir.MergeKind.UNION and not isinstance(t, ir.SetType):
                raise fail("ACC304", f"`merge union` needs a set variable; `{name}` is {render_type(t)}", msp,
                           "use `merge last_writer`, or make the variable a `set of …`")
        v = ir.VarDecl(name, t, kind, init, pers is not None, merge, span_of(d, self.sy))
        scope_vars[name] = v
        return v

    def role_vars(self, d: Tree) -> None:
        name = str(d.children[0])
        for item in d.children[3:]:
            if isinstance(item, Tree) and item.data == "var_decl":
                self.guard(lambda item=item: self.var_decl(item, name))

    # ================================================================== steps
    def role_body(self, d: Tree) -> ir.Role:
        name_tok, count_node, sym, *items = d.children
        name = str(name_tok)
        rt = self.sy.roles[name]
        steps: list[ir.Step] = []
        final: ir.Expr | None = None
        final_span = None
        always = False
        seen: dict[str, Any] = {}
        broken = False
        for item in items:
            if not isinstance(item, Tree) or item.data in ("var_decl", "empty_decl"):
                continue
            if item.data in ("final_when", "final_always"):
                if final is not None or always:
                    self.diags.append(Diagnostic("ACC204", f"role `{name}` declares `final` twice",
                                                 span_of(item, self.sy), hint="keep one `final` clause; combine "
                                                 "conditions with `or`"))
                    continue
                final_span = span_of(item, self.sy)
                if item.data == "final_always":
                    always = True
                else:
                    final = self.guard(lambda item=item: self.ex.cond(item.children[0], Ctx(role=name),
                                                                       "a final condition"))
                continue
            step = self.guard(lambda item=item: self.step(item, name))
            if step is None:
                broken = True
                continue
            if step.kind is ir.StepKind.ACTION:
                key = step.name
                if key in seen:
                    first = seen[key].span
                    self.diags.append(Diagnostic(
                        "ACC204", f"role `{name}` has two actions named `{key}`",
                        span_of(item.children[0], self.sy) or step.span, hint="rename one of them",
                        notes=((f"first declared at line {first.line}", first),) if first else ()))
                seen[key] = step
            steps.append(step)
        vars_ = tuple(self.sy.role_locals[name].values())
        if not broken:
            self.step_labels[name] = {s.name for s in steps}
        return ir.Role(name, rt.count, rt.indexed, self.sy.role_symmetric[name], vars_, tuple(steps), final,
                       always, count_src=self.count_src.get(name), span=span_of(d, self.sy), final_span=final_span)

    def step(self, d: Tree, role: str) -> ir.Step:
        env = role == ENV_ROLE
        base = Ctx(role=role, env_role=env)
        sp = span_of(d, self.sy)
        if d.data == "action_decl":
            name_tok, params_node, guard_node, cost_node, body = d.children
            ctx = base
            params: list[tuple[str, ir.Expr]] = []
            for p in (params_node.children if params_node is not None else []):
                if p is None:
                    continue
                pname, dom_node = p.children
                if str(pname) in ctx.bound:
                    raise fail("ACC204", f"parameter `{pname}` is declared twice", span_of(pname, self.sy),
                               "give each parameter its own name")
                dom = self.ex.domain(dom_node, ctx)
                params.append((str(pname), dom))
                ctx = ctx.bind(str(pname), self.ex.elem_type(dom))
            guard = self.ex.cond(guard_node.children[0], ctx, "a guard") if guard_node else None
            cost = self.cost(cost_node, ctx)
            return ir.Step(ir.StepKind.ACTION, str(name_tok), role, tuple(params), guard,
                           self.st.block(body, ctx), cost, span=sp)
        if d.data == "timeout_decl":
            guard_node, cost_node, body = d.children
            guard = self.ex.cond(guard_node.children[0], base, "a guard") if guard_node else None
            return ir.Step(ir.StepKind.TIMEOUT, "timeout", role, (), guard, self.st.block(body, base),
                           self.cost(cost_node, base), span=sp)
        # handler
        msg_tok, pats_node, from_node, guard_node, cost_node, body = d.children
        pats = [p for p in (pats_node.children if pats_node is not None else []) if p is not None]
        mname = str(msg_tok)
        if mname not in self.sy.messages:
            raise unknown("message", mname, span_of(msg_tok, self.sy), list(self.sy.messages))
        self.sy.used.add(mname)
        decl = self.sy.messages[mname]
        if pats_node is not None and len(pats) != len(decl.fields):
            raise fail("ACC221", f"message `{mname}` has {len(decl.fields)} field(s); the pattern has {len(pats)}",
                       span_of(pats_node, self.sy),
                       f"`on {mname}({', '.join(n for n, _ in decl.fields)})`, or `on {mname}` to ignore the fields")
        chans = tuple(c.name for c in self.sy.channels.values() if c.dst == role)
        if not chans:
            raise fail("ACC301", f"role `{role}` handles `{mname}` but no channel leads to `{role}`",
                       span_of(msg_tok, self.sy), f"declare one, e.g. `channel Sender -> {role} fifo`")
        senders = {self.sy.channels[c].src for c in chans}
        sender_type = self.sy.roles[next(iter(senders))] if len(senders) == 1 else None
        ctx = base.with_(in_handler=True, sender_type=sender_type)
        patterns = []
        for (fname, ftype), p in zip(decl.fields, pats):
            pat = pattern(self.sy, self.ex, p, ftype, ctx)
            if pat.kind == "bind":
                if pat.name in ctx.bound:
                    raise fail("ACC204", f"`{pat.name}` is bound twice in this pattern", pat.span)
                ctx = ctx.bind(pat.name or "", ftype)
            patterns.append(pat)
        sender = None
        if from_node is not None:
            sender = str(from_node.children[0])
            if sender_type is None:
                raise fail("ACC227", f"`{mname}` can reach `{role}` from {', '.join(sorted(senders))}; "
                           "`from` needs one sender role", span_of(from_node, self.sy),
                           f"remove `from {sender}`, or let only one role send `{mname}` to `{role}`")
            ctx = ctx.bind(sender, sender_type)
        guard = self.ex.cond(guard_node.children[0], ctx, "a guard") if guard_node else None
        return ir.Step(ir.StepKind.HANDLER, mname, role, (), guard, self.st.block(body, ctx),
                       self.cost(cost_node, ctx), tuple(patterns), sender, sender_type, chans, span=sp)

    def cost(self, node: Tree | None, ctx: Ctx) -> tuple[tuple[str, ir.Expr], ...]:
        if node is None:
            return ()
        out = []
        for item in node.children:
            n, v = item.children
            e = self.ex.expr(v, ctx)
            if not isinstance(e.type, ir.IntType):
                raise fail("ACC210", f"cost `{n}` must be a number", e.span)
            out.append((str(n), e))
        return tuple(out)

def _with_alias(t: ir.Type, name: str) -> ir.Type:
    import dataclasses

    if isinstance(t, ir.EnumType):
        return t
    return dataclasses.replace(t, alias=name)


def lower(tree: Tree, src: SourceFile, overrides: dict[str, int | bool] | None = None
          ) -> tuple[ir.Protocol | None, list[Diagnostic]]:
    lw = Lowerer(src, overrides or {})
    try:
        proto = lw.lower(tree)
    except RecursionError:
        return None, [Diagnostic("ACC104", "the spec is nested too deeply", None,
                                 hint="split long chains of operators with `let`")]
    if any(d.is_error for d in lw.diags):  # errors found after the protocol was assembled
        proto = None
    return proto, lw.diags


__all__ = ["lower", "ENV_ROLE", "UNKNOWN"]
