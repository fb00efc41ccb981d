"""One open spec, analysed: diagnostics, the IR when it lowered, and the name index.

:func:`analyze` is what the server runs on every open, change and save. It parses once, lowers
the tree (the same two phases as :func:`accord.dsl.load_source`), and indexes the names. While
the text does not parse, the index is empty; the server then keeps answering from the last text
that did parse (see :mod:`accord.lsp.server`).

>>> doc = analyze("protocol P\\nvar x: 0..3 = 0\\naction inc when x < 4 { x := y }")
>>> [(d.code, d.span.line, d.span.column) for d in doc.diagnostics]
[('ACC201', 3, 30)]
>>> doc.index.at(3, 17).key, doc.proto is None
('var:.x', True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accord import ir
from accord.diagnostics import Diagnostic, SourceFile
from accord.dsl.lower import lower
from accord.dsl.parse import parse_source
from accord.lsp.convert import Lines, normalize
from accord.lsp.facts import ir_facts
from accord.lsp.index import Index, build_index


@dataclass
class Analysis:
    source: SourceFile
    lines: Lines
    diagnostics: list[Diagnostic]
    proto: ir.Protocol | None = None
    index: Index = field(default_factory=Index)
    parsed: bool = False  # the text parsed (the index is current)


def analyze(text: str, path: str = "<spec>", overrides: dict[str, int | bool] | None = None) -> Analysis:
    """Diagnostics, IR and index of a spec's text. Never raises for bad input."""
    text = normalize(text)
    src = SourceFile(path, text)
    tree, diags = parse_source(src)
    if tree is None:
        return Analysis(src, Lines(text), diags)
    proto, lowered = lower(tree, src, overrides)
    try:
        index = build_index(tree, src, ir_facts(proto))
    except RecursionError:  # deeper than the parser's depth check allows for: navigation is a luxury
        index = Index()
    return Analysis(src, Lines(text), [*diags, *lowered], proto, index, parsed=True)


__all__ = ["Analysis", "analyze"]
