"""The IR back to canonical source: what ``accord fmt`` writes.

Contract (tested in ``tests/test_fmt.py``):

* ``load_text(print_protocol(p)) == p`` for every ``p`` lowered from source
  (IR equality ignores spans);
* printing is idempotent: formatting formatted text changes nothing;
* every comment survives. An own-line comment is printed before the
  declaration, role item or statement that followed it in the source (or at the
  end of its block); a comment after code stays at the end of the first line of
  the item written on that line (or of the closing ``}`` it follows). See
  :mod:`accord.dsl.print_layout` for the exact rules.

Canonical form: declarations in source order; in a role, variables, then steps,
then ``final``; one statement per line, 2-space indentation; constants, type
aliases and written bounds by name; the fewest parentheses; a single blank line
kept where the source had one or more, and around multi-line declarations.
"""

from __future__ import annotations

from typing import Any

from accord import ir
from accord.dsl.print_expr import IMPLIES, MARK, SUM, ExprPrinter, bound_names, deeper, wrap
from accord.dsl.print_layout import CommentLayout as Layout

INDENT = "  "
#: Lines longer than this are broken before `and`, `or` and `=>` where possible.
WIDTH = 100


def print_protocol(proto: ir.Protocol) -> str:
    """Canonical source text of ``proto``, ending with a newline."""
    return _Printer(proto).run()


class _Printer:
    def __init__(self, proto: ir.Protocol):
        self.proto = proto
        self.ex = ExprPrinter(bound_names(proto))
        self.lay = Layout(proto)

    # ================================================================== blocks
    def run(self) -> str:
        lay = self.lay
        out = list(lay.header)
        out.append(f"protocol {self.proto.name}" + (f"  {lay.protocol_eol}" if lay.protocol_eol else ""))
        body = self.block(lay.root_items, "", lay.root, top=True)
        if body:
            out.append("")
            out.extend(body)
        return "\n".join(out) + "\n"

    def block(self, items: list[Any], indent: str, container: Any, top: bool = False) -> list[str]:
        """Items of one block, each preceded by its comments; then the block's trailing comments."""
        out: list[str] = []
        prev_multi = False
        for i, obj in enumerate(items):
            lines = self.item(obj, indent)
            multi = len(lines) > 1 and isinstance(obj, (ir.Role, ir.Step, Layout.FaultGroup))
            if i > 0 and (self.lay.blank_before(obj) or (top and (multi or prev_multi))):
                out.append("")
            out.extend(indent + c for c in self.lay.before_comments(obj))
            out.extend(lines)
            prev_multi = multi
        trailing = self.lay.trailing_comments(container)
        if trailing:
            if out and (self.lay.blank_before_trailing(container) or (top and prev_multi)):
                out.append("")
            out.extend(indent + c for c in trailing)
        return out

    def item(self, obj: Any, indent: str) -> list[str]:
        """The lines of one item, its end-of-line comment on the first."""
        lines = [w for ln in self._render(obj, indent) for w in wrap(ln, _indent_of(ln), WIDTH)]
        eol = self.lay.eol_comment(obj)
        if eol:
            lines[0] += "  " + eol
        return lines

    def braced(self, head: str, items: list[Any], indent: str, container: Any) -> list[str]:
        """``head {`` items ``}``, or ``head {}`` when there is nothing inside (not even a comment)."""
        inner = self.block(items, indent + INDENT, container)
        close = self.lay.closing_comment(container)
        if not inner and not close:
            return [f"{indent}{head} {{}}"]
        return [f"{indent}{head} {{", *inner, f"{indent}}}" + (f"  {close}" if close else "")]

    # ================================================================== items
    def _render(self, obj: Any, indent: str) -> list[str]:
        if isinstance(obj, ir.Role):
            return self.role(obj, indent)
        if isinstance(obj, ir.Step):
            return self.step(obj, indent)
        if isinstance(obj, Layout.FaultGroup):
            return self.braced("faults", list(obj.faults), indent, obj)
        if isinstance(obj, Layout.Final):
            r = obj.role
            if r.final_always or r.final is None:
                return [indent + "final always"]
            return [indent + f"final when {self.ex.expr(r.final)}"]
        if isinstance(obj, ir.Stmt):
            return self.stmt(obj, indent)
        return [indent + self.decl(obj)]

    def decl(self, d: Any) -> str:
        ex = self.ex
        if isinstance(d, Layout.ScheduleItem):
            return f"schedule {self.proto.schedule.value}"
        if isinstance(d, ir.ConstDecl):
            typed = f": {ex.type(d.type)}" if getattr(d, "declared", False) else ""
            return f"const {d.name}{typed} = {ex.expr(d.expr) if d.expr is not None else _value(d.value)}"
        if isinstance(d, ir.TypeDecl):
            written = d.written if d.written is not None else d.type
            return f"type {d.name} = {ex.type(written, use_alias=d.written is not None)}"
        if isinstance(d, ir.EnumDecl):
            assert isinstance(d.type, ir.EnumType)
            return f"enum {d.name} {{ {', '.join(d.type.members)} }}"
        if isinstance(d, ir.MessageDecl):
            fields = ", ".join(f"{n}: {ex.type(t)}" for n, t in d.fields)
            return f"message {d.name}" + (f"({fields})" if d.fields else "")
        if isinstance(d, ir.Channel):
            return self.channel(d)
        if isinstance(d, ir.VarDecl):
            return self.var(d)
        if isinstance(d, ir.Fault):
            return self.fault(d)
        if isinstance(d, ir.Property):
            return self.prop(d)
        if isinstance(d, ir.Constraint):
            return f"constraint {d.name}: {ex.expr(d.expr)}"
        if isinstance(d, ir.Fairness):
            targets = ", ".join(r if s is None else f"{r}.{s}" for r, s in d.targets)
            return f"fair {d.kind} {targets}"
        raise ValueError(f"cannot print declaration {type(d).__name__}")

    def channel(self, c: ir.Channel) -> str:
        text = f"channel {c.src} -> {c.dst} {c.kind.value}"
        if c.capacity is not None:
            cap = self.ex.expr(c.capacity_src, SUM) if c.capacity_src is not None else str(c.capacity)
            text += f" capacity {cap}"
        if c.full is not ir.FullMode.BLOCKS:
            text += f" {c.full.value}"
        if c.topology is not ir.Topology.LINKS:
            text += f" {c.topology.value}"
        return text

    def var(self, v: ir.VarDecl) -> str:
        text = ("persistent " if v.persistent else "") + f"var {v.name}: {self.ex.type(v.type)}"
        if v.init_kind is ir.InitKind.ANY:
            text += " in any"
        elif v.init_kind is ir.InitKind.CHOICE and v.init is not None:
            text += f" in {self.ex.domain(v.init, 0)}"
        elif v.init is not None:
            text += f" = {self.ex.expr(v.init)}"
        if v.merge is ir.MergeKind.CONFLICT:
            text += " conflict"
        elif v.merge is not None:
            text += f" merge {v.merge.value}"
        return text

    def fault(self, f: ir.Fault) -> str:
        text = f.kind.value
        if f.target is not None:
            text += " " + f.target.replace("->", " -> ")
        budget = self.ex.expr(f.budget_src, SUM) if f.budget_src is not None else str(f.budget)
        return f"{text} at most {budget}"

    def prop(self, p: ir.Property) -> str:
        ex = self.ex
        k = p.kind
        if k is ir.PropKind.AGREEMENT and p.agreement is not None:
            role, var, ignoring = p.agreement
            text = f"agreement {p.name}: {role}.{var}"
            if ignoring is not None:
                # a single value was written bare: lowering wrapped it in a set spanning the value
                if isinstance(ignoring, ir.SetLit) and len(ignoring.elems) == 1 and ignoring.span is not None \
                        and ignoring.span == ignoring.elems[0].span:
                    ignoring = ignoring.elems[0]
                text += f" ignoring {ex.expr(ignoring)}"
            return text
        if k is ir.PropKind.DEADLOCK:
            return "check deadlock"
        if k is ir.PropKind.TERMINATION:
            return "check termination" + (f" under {p.fairness} fairness" if p.fairness else "")
        assert p.expr is not None
        if k is ir.PropKind.LEADS_TO:
            assert p.target is not None
            # a quantifier or `if` on the left is parenthesised: `leads_to` would read as part of it
            left, right = (deeper(x) for x in (ex.expr(p.expr, IMPLIES, False), ex.expr(p.target)))
            return f"property {p.name}: {left}{MARK}0 leads_to {right}"
        word = {ir.PropKind.INVARIANT: "invariant", ir.PropKind.REACHABLE: "reachable"}[k]
        return f"{word} {p.name}: {ex.expr(p.expr)}"

    # ================================================================== roles and steps
    def role(self, r: ir.Role, indent: str) -> list[str]:
        head = f"role {r.name}"
        if r.indexed:
            head += f"[{self.ex.expr(r.count_src) if r.count_src is not None else r.count}]"
        if r.symmetric:
            head += " symmetric"
        return self.braced(head, self.lay.role_items(r), indent, r)

    def step(self, s: ir.Step, indent: str) -> list[str]:
        ex = self.ex
        if s.kind is ir.StepKind.ACTION:
            head = f"action {s.name}"
            if s.params:
                head += "(" + ", ".join(f"{n} in {ex.domain(d)}" for n, d in s.params) + ")"
        elif s.kind is ir.StepKind.HANDLER:
            head = f"on {s.name}"
            if s.patterns:
                head += "(" + ", ".join(self.pattern(p) for p in s.patterns) + ")"
            if s.sender:
                head += f" from {s.sender}"
        else:
            head = "on timeout"
        if s.guard is not None:
            head += f" when {ex.expr(s.guard)}"
        if s.cost:
            head += " cost(" + ", ".join(f"{n}={ex.expr(e)}" for n, e in s.cost) + ")"
        return self.braced(head, list(s.body), indent, s)

    def pattern(self, p: ir.Pattern) -> str:
        if p.kind == "wild":
            return "_"
        if p.kind == "bind":
            return p.name or "_"
        assert p.value is not None
        return self.ex.expr(p.value)

    # ================================================================== statements
    def stmt(self, s: ir.Stmt, indent: str) -> list[str]:
        ex = self.ex
        if isinstance(s, ir.Assign):
            return [f"{indent}{self.lvalue(s.target)} := {ex.expr(s.value)}"]
        if isinstance(s, ir.Send):
            dest = s.dest
            if isinstance(dest, ir.AllOf) and isinstance(dest.of, ir.RoleType):
                to = dest.of.role
            else:
                to = ex.expr(dest)
            return [f"{indent}send {ex.expr(s.msg)} to {to}"]
        if isinstance(s, ir.Broadcast):
            return [f"{indent}broadcast {ex.expr(s.msg)} to {s.role}"]
        if isinstance(s, ir.Reply):
            return [f"{indent}reply {ex.expr(s.msg)}"]
        if isinstance(s, ir.Assert):
            return [f"{indent}assert {ex.expr(s.cond)}"]
        if isinstance(s, ir.Let):
            return [f"{indent}let {s.var} = {ex.expr(s.value)}"]
        if isinstance(s, ir.Skip):
            return [f"{indent}skip"]
        if isinstance(s, ir.Choose):
            return self.braced(f"choose {s.var} in {ex.domain(s.domain, 0)}", list(s.body), indent, s)
        if isinstance(s, ir.For):
            return self.braced(f"for {s.var} in {ex.domain(s.domain, 0)}", list(s.body), indent, s)
        if isinstance(s, ir.If):
            return self.if_stmt(s, indent)
        raise ValueError(f"cannot print statement {type(s).__name__}")

    def if_stmt(self, s: ir.If, indent: str) -> list[str]:
        lay = self.lay
        head = f"if {self.ex.expr(s.cond)}"
        if s.other is None:
            return self.braced(head, list(s.then), indent, s)
        then = self.block(list(s.then), indent + INDENT, None)
        lines = [f"{indent}{head} {{", *then]
        other = s.other
        if len(other) == 1 and isinstance(other[0], ir.If) and not lay.before_comments(other[0]) \
                and not lay.trailing_comments(s) and not lay.closing_comment(s):
            rest = self.item(other[0], indent)
            return [*lines, f"{indent}}} else {rest[0].lstrip()}", *rest[1:]]
        tail = self.braced("", list(other), indent, s)
        return [*lines, f"{indent}}} else{tail[0][len(indent):]}", *tail[1:]]

    def lvalue(self, lv: ir.LValue) -> str:
        text = lv.name
        for part in lv.path:
            text += f".{part}" if isinstance(part, str) else f"[{self.ex.expr(part)}]"
        return text


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" "))]


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


__all__ = ["print_protocol"]
