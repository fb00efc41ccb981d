"""Where every name of a spec is declared and used: the index behind hover, definition and symbols.

:func:`build_index` walks the parse tree twice (declarations in :mod:`accord.lsp.walk_decls`, then
uses in :mod:`accord.lsp.walk_uses`), with the language's scoping rules (a step sees its
bound names, then its role's variables, then shared variables, constants, enum members, roles,
types and messages, in the order the lowerer resolves them), and records one :class:`Symbol` per
declaration and one :class:`Ref` per name written. Spans are those of the name tokens themselves
(1-based, end-exclusive, as in :class:`accord.diagnostics.Span`).

The parse tree, not the IR, carries the positions, for two reasons: the IR folds type names into
types (``var x: Task`` keeps no trace of where ``Task`` is written) and exists only when the whole
spec type-checks, while an editor needs navigation most while a spec is being fixed. When the IR
is there, it settles what scoping alone cannot: ``inst.var`` when ``inst`` is any expression of a
role type, record fields, an enum member declared in several enums, and the types of bound names
(see :class:`IrFacts`).

>>> from accord.dsl.parse import parse_tree
>>> from accord.diagnostics import SourceFile
>>> text = "protocol P\\nconst N = 2\\nrole W[N] { var n: 0..N = 0\\n action inc when n < N { n := n + 1 } }"
>>> ix = build_index(parse_tree(text), SourceFile("<spec>", text))
>>> [(r.span.line, r.span.column, r.key) for r in ix.refs if r.key == "const:N"]
[(2, 7, 'const:N'), (3, 8, 'const:N'), (3, 23, 'const:N'), (4, 22, 'const:N')]
>>> ix.at(4, 18).key, ix.symbols["var:W.n"].span.column
('var:W.n', 17)
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from lark import Token, Tree

from accord.diagnostics import SourceFile, Span
from accord.lsp.facts import IrFacts


@dataclass(frozen=True)
class Symbol:
    """A declaration. ``key`` is unique in the spec: ``const:N``, ``var:Role.x`` (``var:.x`` when shared),
    ``step:Role.name``, ``member:Enum.m``, ``field:Msg.f``, ``bound:LINE:COL`` for bound names, …"""

    kind: str  # protocol const type enum member message field channel var role step bound property
    name: str
    key: str
    span: Span  # the name as written (for a channel `A -> B`, from A to B)
    full: Span  # the whole declaration
    container: str | None = None  # the role, message, enum or record type it belongs to
    type_name: str | None = None  # a variable's or field's type when written as a plain name


@dataclass(frozen=True)
class Ref:
    span: Span
    key: str


@dataclass
class Index:
    symbols: dict[str, Symbol] = field(default_factory=dict)
    refs: list[Ref] = field(default_factory=list)  # sorted by position; declarations refer to themselves
    bound_types: dict[str, Any] = field(default_factory=dict)  # bound key -> IR type seen at a use

    def at(self, line: int, column: int) -> Symbol | None:
        """The symbol named at a 1-based position (a cursor just after a name still counts)."""
        i = bisect.bisect_right(self._starts(), (line, column)) - 1
        for r in self.refs[max(0, i - 1): i + 1][::-1]:
            s = r.span
            if s.line == line and s.column <= column <= s.end_column:
                return self.symbols.get(r.key)
        return None

    def uses(self, key: str) -> list[Span]:
        return [r.span for r in self.refs if r.key == key]

    def _starts(self) -> list[tuple[int, int]]:
        return [(r.span.line, r.span.column) for r in self.refs]


def span_of(node: Any, src: SourceFile) -> Span | None:
    """The span of a token or tree node (None for an empty node)."""
    if isinstance(node, Token):
        return Span(node.line or 1, node.column or 1, node.end_line or node.line or 1,
                    node.end_column or (node.column or 1) + len(node), src)
    meta = getattr(node, "meta", None)
    if meta is None or getattr(meta, "empty", True):
        return None
    return Span(meta.line, meta.column, meta.end_line, meta.end_column, src)


def build_index(tree: Tree, src: SourceFile, facts: IrFacts | None = None) -> Index:
    """Declarations and uses of every name in ``tree`` (parsed from ``src``); ``facts`` from the IR, if it built."""
    from accord.lsp.walk_uses import Uses  # the walkers build on the classes above

    w = Uses(src, facts)
    w.declarations(tree)
    w.uses(tree)
    w.ix.refs.sort(key=lambda r: (r.span.line, r.span.column))
    for r in w.ix.refs:
        if r.key.startswith("bound:") and r.key not in w.ix.bound_types:
            t = w.facts.type_at(r.span)
            if t is not None:
                w.ix.bound_types[r.key] = t
    return w.ix


__all__ = ["Index", "Ref", "Symbol", "build_index", "span_of"]
