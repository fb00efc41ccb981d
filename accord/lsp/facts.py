"""What the IR knows about the expressions at given places: types, enum members, field owners.

:func:`ir_facts` walks a lowered protocol once and files every expression under its span, so
that the index (:mod:`accord.lsp.index`) can ask, for a name it found in the parse tree, what the
type checker decided about it.

>>> from accord.dsl import load_text
>>> proto, _ = load_text("protocol P\\nenum A { x, y }\\nvar v: A = x\\ninvariant i: v == x")
>>> facts = ir_facts(proto)
>>> from accord.diagnostics import Span
>>> facts.enum_at(Span(4, 19, 4, 20)), facts.type_at(Span(4, 14, 4, 15)).name
('A', 'A')
"""

from __future__ import annotations

import dataclasses
from typing import Any

from accord import ir
from accord.diagnostics import Span

_Key = tuple[int, int, int, int]


def _key(span: Span | None) -> _Key | None:
    return None if span is None else (span.line, span.column, span.end_line, span.end_column)


class IrFacts:
    """Expressions of a protocol by span; empty when the spec did not lower."""

    def __init__(self) -> None:
        self.exprs: dict[_Key, list[ir.Expr]] = {}

    def _at(self, span: Span | None, *classes: type) -> Any:
        k = _key(span)
        for e in self.exprs.get(k, []) if k else []:
            if isinstance(e, classes):
                return e
        return None

    def type_at(self, span: Span | None) -> ir.Type | None:
        """The type of the variable reference written at ``span``."""
        e = self._at(span, ir.VarRef)
        return e.type if e is not None else None

    def enum_at(self, span: Span | None) -> str | None:
        """The enum of the member written at ``span``."""
        e = self._at(span, ir.Lit)
        return e.type.name if e is not None and isinstance(e.type, ir.EnumType) else None

    def owner_at(self, span: Span | None) -> str | None:
        """For ``base.name`` at ``span``: the role whose variable it reads, or the record type (by alias)."""
        e = self._at(span, ir.RoleVar, ir.Field)
        if isinstance(e, ir.RoleVar):
            return e.role
        if isinstance(e, ir.Field):
            return e.record.type.alias
        return None

    def record_at(self, span: Span | None) -> str | None:
        """The record type (by alias) of the record literal at ``span``."""
        e = self._at(span, ir.RecordLit)
        return e.type.alias if e is not None else None


def ir_facts(proto: ir.Protocol | None) -> IrFacts:
    facts = IrFacts()
    if proto is None:
        return facts
    stack: list[Any] = list(proto.decls)
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if isinstance(node, (tuple, list)):
            stack.extend(node)
            continue
        if not dataclasses.is_dataclass(node) or type(node).__module__ != ir.nodes.__name__ or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ir.Expr):
            k = _key(node.span)
            if k is not None:
                facts.exprs.setdefault(k, []).append(node)
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if isinstance(value, (tuple, list)) or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
                stack.append(value)
    return facts


__all__ = ["IrFacts", "ir_facts"]
