"""The outline of a spec: LSP document symbols from the index.

Roles hold their variables and steps, enums their members, messages and record types their
fields; constants, types, channels, shared variables, environment actions, properties and
constraints stand at the top, in source order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accord.lsp.index import Symbol

if TYPE_CHECKING:
    from accord.lsp.document import Analysis

#: LSP SymbolKind numbers (lsprotocol's enum has the same values), by accord symbol kind.
_KINDS = {
    "const": 14,  # Constant
    "type": 26,  # TypeParameter
    "enum": 10,  # Enum
    "member": 22,  # EnumMember
    "message": 23,  # Struct
    "field": 8,  # Field
    "channel": 11,  # Interface
    "var": 13,  # Variable
    "role": 5,  # Class
    "step": 6,  # Method
    "property": 7,  # Property
    "constraint": 7,
}
_CHILD_OF = {"var": "role", "step": "role", "member": "enum", "field": "message"}


def _children_key(sym: Symbol) -> str | None:
    """The key of the symbol this one nests under, if any."""
    parent = _CHILD_OF.get(sym.kind)
    if parent is None or sym.container is None or sym.container == "env":
        return None
    if sym.kind == "field" and not sym.key.startswith("field:"):
        return None
    return f"{parent}:{sym.container}"


def _detail(sym: Symbol) -> str | None:
    if sym.kind == "step":
        return "environment action" if sym.container == "env" else None
    if sym.kind == "property":
        return None
    return sym.kind if sym.kind in ("const", "type", "channel") else None


def _outline(doc: Analysis) -> list[tuple[Symbol, list[Symbol]]]:
    syms = [s for s in doc.index.symbols.values() if s.kind in _KINDS]
    syms.sort(key=lambda s: (s.full.line, s.full.column))
    tops: dict[str, tuple[Symbol, list[Symbol]]] = {}
    out: list[tuple[Symbol, list[Symbol]]] = []
    for s in syms:
        parent = _children_key(s)
        if parent is not None and parent not in tops and f"type:{s.container}" in doc.index.symbols:
            parent = f"type:{s.container}"  # a field of a record type
        if parent is not None and parent in tops:
            tops[parent][1].append(s)
            continue
        entry: tuple[Symbol, list[Symbol]] = (s, [])
        tops[s.key] = entry
        out.append(entry)
    return out


def document_symbols(doc: Analysis, encoding: str) -> list[Any]:
    from lsprotocol import types as lsp

    def one(s: Symbol, children: list[Symbol]) -> Any:
        return lsp.DocumentSymbol(
            name=_step_name(s, doc) if s.kind == "step" else s.name,
            kind=lsp.SymbolKind(_KINDS[s.kind]),
            range=doc.lines.range(s.full, encoding),
            selection_range=doc.lines.range(s.span, encoding),
            detail=_detail(s),
            children=[one(c, []) for c in children] or None,
        )

    return [one(s, children) for s, children in _outline(doc)]


def flat_symbols(doc: Analysis, encoding: str, uri: str) -> list[Any]:
    """For clients without hierarchical symbols: SymbolInformation with container names."""
    from lsprotocol import types as lsp

    out = []
    for s, children in _outline(doc):
        for sym, container in [(s, None), *((c, s.name) for c in children)]:
            out.append(lsp.SymbolInformation(
                name=sym.name if sym.kind != "step" else _step_name(sym, doc),
                kind=lsp.SymbolKind(_KINDS[sym.kind]),
                location=lsp.Location(uri, doc.lines.range(sym.full, encoding)),
                container_name=container,
            ))
    return out


def _step_name(s: Symbol, doc: Analysis) -> str:
    """Handlers show as ``on Msg``, the timeout step as ``on timeout``, actions by name."""
    line = doc.source.line(s.full.line)[s.full.column - 1:]
    if line.startswith("on"):
        return f"on {s.name}"
    return s.name


__all__ = ["document_symbols", "flat_symbols"]
