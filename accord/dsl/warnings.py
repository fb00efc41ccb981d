"""Warnings: things that are legal but usually wrong (unused names, liveness without fairness)."""

from __future__ import annotations

from accord import ir
from accord.diagnostics import Diagnostic
from accord.dsl.scope import Symbols


def collect_warnings(proto: ir.Protocol, sy: Symbols) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for c in proto.consts:
        if c.name not in sy.used:
            out.append(Diagnostic("ACC250", f"constant `{c.name}` is never used", c.span, "warning",
                                  hint="remove it, or use it"))
    for m in proto.messages.values():
        if m.name not in sy.sent:
            out.append(Diagnostic("ACC251", f"message `{m.name}` is never sent", m.span, "warning"))
    handled = {(s.role, s.name) for s in proto.steps if s.kind is ir.StepKind.HANDLER}
    for msg, roles in sorted(sy.sent.items()):
        for role in sorted(roles):
            if (role, msg) not in handled:
                decl = proto.messages[msg]
                out.append(Diagnostic("ACC252", f"`{msg}` is sent to `{role}`, which has no `on {msg}` handler; "
                                      "it is never received", sy.sent_at.get((msg, role)) or decl.span, "warning",
                                      hint=f"add `on {msg}(…) {{ … }}` to role `{role}`, or stop sending it",
                                      notes=((f"`{msg}` is declared here", decl.span),) if decl.span else ()))
    for v in proto.shared:
        if v.name not in sy.used:
            out.append(Diagnostic("ACC253", f"shared variable `{v.name}` is never read", v.span, "warning"))
    for r in proto.roles:
        for v in r.vars:
            if f"{r.name}.{v.name}" not in sy.used:
                out.append(Diagnostic("ACC253", f"variable `{v.name}` of role `{r.name}` is never read",
                                      v.span, "warning"))
        for s in r.steps:
            if isinstance(s.guard, ir.Lit) and s.guard.value is False:
                out.append(Diagnostic("ACC254", f"step `{s.label}` can never run: its guard is `false`",
                                      s.span, "warning", hint="remove the step, or correct its guard"))
    live = [p for p in proto.properties if p.kind in (ir.PropKind.TERMINATION, ir.PropKind.LEADS_TO)]
    if live and proto.fairness and all(f.kind == "no" for f in proto.fairness) and any(
        t[1] is None for f in proto.fairness for t in f.targets
    ):
        out.append(Diagnostic("ACC255", "liveness is checked but fairness is switched off; almost every "
                              "liveness property fails without fairness", live[0].span, "warning",
                              hint="declare `fair weak Role` for the roles that must make progress"))
    return out
