"""Faults, properties, fairness and whole-protocol checks: the second half of lowering.

A mixin of :class:`accord.dsl.lower.Lowerer`; it uses the lowerer's symbol table
(``self.sy``), expression lowerer (``self.ex``) and helpers (``declare``,
``const_int``, ``guard``) and appends to ``self.diags``.
"""

from __future__ import annotations

from typing import Any

from lark import Tree

from accord import ir
from accord.diagnostics import Diagnostic, did_you_mean
from accord.dsl.lower_expr import BOOL, require, span_of
from accord.dsl.scope import ENV_ROLE, Ctx, fail, unknown



class PropertyLowering:
    """Lowering of `faults`, properties, `fair` and the checks that need the whole protocol."""

    sy: Any
    ex: Any
    diags: list[Diagnostic]

    # ================================================================== faults and properties
    def faults_block(self, d: Tree) -> list[ir.Fault]:
        return [f for f in (self.guard(lambda f=f: self.fault(f)) for f in d.children) if f is not None]

    def fault(self, d: Tree) -> ir.Fault:
        kind_node, target_node, budget_node = d.children
        kind = ir.FaultKind(str(kind_node.children[0]))
        budget, budget_e = self.const_int(budget_node, "a fault budget", lo=0)
        sp = span_of(d, self.sy)
        target = None
        if target_node is not None:
            tsp = span_of(target_node, self.sy)
            if target_node.data == "target_name":
                target = str(target_node.children[0])
                if kind in (ir.FaultKind.CRASH, ir.FaultKind.RESTART, ir.FaultKind.TIMEOUT):
                    if target not in self.sy.roles or target == ENV_ROLE:
                        raise unknown("role", target, tsp, list(self.sy.roles))
                elif kind is ir.FaultKind.CORRUPT:
                    if target not in self.sy.messages:
                        raise unknown("message", target, tsp, list(self.sy.messages))
                else:
                    raise fail("ACC305", f"`{kind.value}` applies to a channel: write `{kind.value} A -> B at most k`", tsp)
            elif target_node.data == "target_channel":
                a, b = (str(x) for x in target_node.children)
                target = f"{a}->{b}"
                if kind not in (ir.FaultKind.LOSE, ir.FaultKind.DUPLICATE, ir.FaultKind.REORDER):
                    raise fail("ACC305", f"`{kind.value}` does not apply to a channel", tsp,
                               f"`{kind.value}` takes a role (`{kind.value} Worker at most 1`); channels suffer "
                               "`lose`, `duplicate` and `reorder`" if kind.value != "corrupt" else
                               "`corrupt` takes a message field: `corrupt Msg.field at most 1`")
                if target not in self.sy.channels:
                    declared = ", ".join(c.replace("->", " -> ") for c in self.sy.channels) or "none"
                    raise fail("ACC301", f"no channel {a} -> {b} is declared", tsp,
                               f"declared channels: {declared}")
                ch = self.sy.channels[target]
                _check_channel_fault(kind, ch, tsp)
            else:
                m, f = (str(x) for x in target_node.children)
                if kind is not ir.FaultKind.CORRUPT:
                    raise fail("ACC305", f"`{kind.value}` does not apply to a message field", tsp)
                if m not in self.sy.messages:
                    raise unknown("message", m, tsp, list(self.sy.messages))
                if f not in dict(self.sy.messages[m].fields):
                    raise unknown(f"field of `{m}`", f, tsp, [n for n, _ in self.sy.messages[m].fields])
                target = f"{m}.{f}"
        elif kind in (ir.FaultKind.LOSE, ir.FaultKind.DUPLICATE, ir.FaultKind.REORDER):
            applicable = [c for c in self.sy.channels.values() if _channel_fault_ok(kind, c)]
            if not applicable:
                raise fail("ACC305", f"no channel can suffer `{kind.value}`", sp,
                           "set and sync channels do not lose, duplicate or reorder; reorder needs a fifo")
        return ir.Fault(kind, target, budget, budget_e, sp)

    def _prop_ctx(self) -> Ctx:
        return Ctx(in_property=True)

    def invariant_decl(self, d: Tree) -> ir.Property:
        name = self.declare(d.children[0], "property")
        e = self.ex.cond(d.children[1], self._prop_ctx(), "an invariant")
        return ir.Property(ir.PropKind.INVARIANT, name, e, span=span_of(d, self.sy))

    def reachable_decl(self, d: Tree) -> ir.Property:
        name = self.declare(d.children[0], "property")
        e = self.ex.cond(d.children[1], self._prop_ctx(), "a reachability goal")
        return ir.Property(ir.PropKind.REACHABLE, name, e, span=span_of(d, self.sy))

    def constraint_decl(self, d: Tree) -> ir.Constraint:
        name = self.declare(d.children[0], "constraint")
        e = self.ex.cond(d.children[1], self._prop_ctx(), "a state constraint")
        return ir.Constraint(name, e, span_of(d, self.sy))

    def leads_to_decl(self, d: Tree) -> ir.Property:
        name = self.declare(d.children[0], "property")
        p = self.ex.cond(d.children[1], self._prop_ctx(), "the left side of `leads_to`")
        q = self.ex.cond(d.children[2], self._prop_ctx(), "the right side of `leads_to`")
        return ir.Property(ir.PropKind.LEADS_TO, name, p, q, span=span_of(d, self.sy))

    def agreement_decl(self, d: Tree) -> ir.Property:
        name_tok, role_tok, var_tok, ign_node = d.children
        name = self.declare(name_tok, "property")
        role, var = str(role_tok), str(var_tok)
        if role not in self.sy.roles:
            raise unknown("role", role, span_of(role_tok, self.sy), list(self.sy.roles))
        v = self.sy.role_locals[role].get(var)
        if v is None:
            raise unknown(f"variable of `{role}`", var, span_of(var_tok, self.sy), list(self.sy.role_locals[role]))
        self.sy.used.add(f"{role}.{var}")
        rt = self.sy.roles[role]
        ignoring = None
        if ign_node is not None:
            ignoring = self.ex.expr(ign_node, self._prop_ctx(), ir.SetType(v.type))
            if not isinstance(ignoring.type, ir.SetType):
                ignoring = ir.SetLit((ignoring,), ir.SetType(v.type), ignoring.span)
            require(ignoring, ir.SetType(v.type), "`ignoring`", self.sy)
        sp = span_of(d, self.sy)
        expr = _agreement_expr(rt, v, ignoring, sp)
        return ir.Property(ir.PropKind.AGREEMENT, name, expr, agreement=(role, var, ignoring), span=sp)

    def check_decl(self, d: Tree) -> ir.Property:
        kind = str(d.children[0].children[0])
        fairness = str(d.children[1].children[0]) if d.children[1] is not None else None
        sp = span_of(d, self.sy)
        if kind == "deadlock":
            if fairness:
                raise fail("ACC306", "deadlock freedom does not depend on fairness", sp, "remove `under … fairness`")
            return ir.Property(ir.PropKind.DEADLOCK, "deadlock", span=sp)
        if fairness == "no":
            raise fail("ACC306", "termination cannot hold `under no fairness`: any step may be postponed forever",
                       sp, "write `under weak fairness` or `under strong fairness`")
        return ir.Property(ir.PropKind.TERMINATION, "termination", fairness=fairness, span=sp)

    def fair_decl(self, d: Tree) -> ir.Fairness:
        kind = str(d.children[0].children[0])
        targets = []
        for t in d.children[1:]:
            role = str(t.children[0])
            if role not in self.sy.roles:
                raise unknown("role", role, span_of(t.children[0], self.sy), list(self.sy.roles))
            step = None
            if t.data == "fair_step":
                step = str(t.children[1])
            elif t.data == "fair_timeout":
                step = "timeout"
            labels = self.step_labels.get(role)
            if step is not None and labels is not None and step not in labels:
                tok = t.children[1] if t.data == "fair_step" else t.children[0]
                what = f"`{step}` is a variable of `{role}`, not a step" if step in self.sy.role_locals.get(role, {}) \
                    else f"role `{role}` has no step `{step}` to be fair to"
                steps = ", ".join(f"`{x}`" for x in sorted(labels)) or "none"
                raise fail("ACC307", what, span_of(tok, self.sy) if t.data == "fair_step" else span_of(t, self.sy),
                           did_you_mean(step, labels) or f"fairness applies to steps; `{role}` has: {steps}")
            targets.append((role, step))
        return ir.Fairness(kind, tuple(targets), span_of(d, self.sy))

    # ================================================================== whole-protocol checks
    def check_protocol(self, proto: ir.Protocol) -> None:
        for f in proto.fairness:
            for role, step in f.targets:
                if step is None:
                    continue
                r = proto.role_map[role]
                labels = {s.name for s in r.steps}
                if step not in labels:
                    self.diags.append(Diagnostic(
                        "ACC307", f"role `{role}` has no step `{step}` to be fair to", f.span,
                        hint=did_you_mean(step, labels) or "name an action, a handled message, or `timeout`"))
        if proto.schedule is ir.Schedule.ROUNDS:
            for ch in proto.channels:
                if ch.kind is ir.ChanKind.SYNC:
                    self.diags.append(Diagnostic(
                        "ACC308", f"channel {ch.src} -> {ch.dst} is `sync`, but under `schedule rounds` messages "
                        "are delivered after each round, so there is no rendezvous", ch.span,
                        hint="use a `fifo` or `bag` channel, or `schedule interleaving`"))
        for k in (ir.PropKind.DEADLOCK, ir.PropKind.TERMINATION):
            same = [p for p in proto.properties if p.kind is k]
            if len(same) > 1:
                first = same[0].span
                self.diags.append(Diagnostic(
                    "ACC204", f"`check {k.value}` appears twice", same[1].span, hint="remove one of them",
                    notes=((f"first declared at line {first.line}", first),) if first else ()))


def _channel_fault_ok(kind: ir.FaultKind, ch: ir.Channel) -> bool:
    if ch.kind in (ir.ChanKind.SET, ir.ChanKind.SYNC):
        return False
    if kind is ir.FaultKind.REORDER:
        return ch.kind is ir.ChanKind.FIFO
    return True


def _check_channel_fault(kind: ir.FaultKind, ch: ir.Channel, sp: Any) -> None:
    if not _channel_fault_ok(kind, ch):
        why = {
            ir.ChanKind.SET: "a set channel is a grow-only pool: nothing in it is lost, duplicated or reordered",
            ir.ChanKind.SYNC: "a sync channel is a rendezvous: it holds no messages",
            ir.ChanKind.BAG: "a bag has no order to break",
        }[ch.kind]
        fix = "remove the fault (a bag already delivers in any order)" if ch.kind is ir.ChanKind.BAG else \
            f"declare `channel {ch.src} -> {ch.dst} fifo` (or `bag`) to model a network that can {kind.value}"
        raise fail("ACC305", f"`{kind.value}` cannot apply to {ch.src} -> {ch.dst}: {why}", sp, fix)


def _agreement_expr(rt: ir.RoleType, v: ir.VarDecl, ignoring: ir.Expr | None, sp: Any) -> ir.Expr:
    """``forall a, b in R: decided(a) and decided(b) => a.x == b.x``."""
    a = ir.VarRef(ir.Scope.BOUND, "__a", rt)
    b = ir.VarRef(ir.Scope.BOUND, "__b", rt)
    ax = ir.RoleVar(a, rt.role, v.name, v.type)
    bx = ir.RoleVar(b, rt.role, v.name, v.type)
    eq: ir.Expr = ir.Binary("==", ax, bx, BOOL)
    conds: list[ir.Expr] = []
    for x in (ax, bx):
        if isinstance(v.type, ir.OptionType):
            conds.append(ir.Binary("!=", x, ir.Lit(None, v.type), BOOL))
        if ignoring is not None:
            conds.append(ir.Binary("notin", x, ignoring, BOOL))
    if conds:
        pre = conds[0]
        for c in conds[1:]:
            pre = ir.Binary("and", pre, c, BOOL)
        eq = ir.Binary("=>", pre, eq, BOOL)
    dom = ir.AllOf(rt, ir.SetType(rt))
    return ir.Quant("forall", (("__a", dom), ("__b", dom)), eq, BOOL, sp)
