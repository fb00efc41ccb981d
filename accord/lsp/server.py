"""The accord language server (pygls 2): diagnostics, hover, definition, references, document symbols.

Run it with ``accord lsp`` (stdio). Every open, change and save re-analyses the whole text
(:func:`accord.lsp.document.analyze`: parse, lower, index; tens of milliseconds for the library's
largest spec) and publishes the diagnostics with the document's version. While the text does not
parse, navigation answers from the last version that did, for names whose declaration is still
where it was.

Optional ``initializationOptions``: ``{"const": {"N": 5}}`` overrides constants, as ``--const``
does on the command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

import accord
from accord.lsp.convert import encoding_name, to_lsp_diagnostic
from accord.lsp.document import Analysis, analyze
from accord.lsp.hover import hover_text
from accord.lsp.index import Symbol
from accord.lsp.symbols import document_symbols, flat_symbols


@dataclass
class _Doc:
    current: Analysis
    parsed: Analysis | None  # the latest analysis whose text parsed


class AccordServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("accord", accord.__version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.docs: dict[str, _Doc] = {}
        self.overrides: dict[str, int | bool] = {}

    @property
    def encoding(self) -> str:
        return encoding_name(self.workspace.position_encoding)

    # ------------------------------------------------------------------ analysis
    def refresh(self, uri: str) -> None:
        """Analyse the document's current text and publish its diagnostics."""
        doc = self.workspace.get_text_document(uri)
        path = doc.path or uri
        result = analyze(doc.source, path, self.overrides)
        old = self.docs.get(uri)
        self.docs[uri] = _Doc(result, result if result.parsed else (old.parsed if old else None))
        diags = [to_lsp_diagnostic(d, result.lines, self.encoding, uri) for d in result.diagnostics]
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri, diags, version=doc.version))

    def lookup(self, uri: str, pos: lsp.Position) -> tuple[Analysis, Symbol, Any] | None:
        """The symbol named at a position, the analysis it comes from, and the span of the name there."""
        state = self.docs.get(uri)
        if state is None:
            return None
        cur = state.current
        line, col = cur.lines.from_lsp(pos.line, pos.character, self.encoding)
        if cur.parsed:
            sym = cur.index.at(line, col)
            return (cur, sym, _ref_span(cur, sym, line, col)) if sym else None
        old = state.parsed
        if old is None:
            return None
        sym = old.index.at(line, col)
        if sym is None or not _still_there(sym, old, cur) or not _same_word(sym, cur, line, col):
            return None
        return old, sym, _ref_span(old, sym, line, col)


def _ref_span(doc: Analysis, sym: Symbol, line: int, col: int) -> Any:
    for r in doc.index.refs:
        s = r.span
        if r.key == sym.key and s.line == line and s.column <= col <= s.end_column:
            return s
    return sym.span


def _still_there(sym: Symbol, old: Analysis, cur: Analysis) -> bool:
    """The declaration's line reads the same in the current text (so its position is still right)."""
    return old.source.line(sym.span.line) == cur.source.line(sym.span.line)


def _same_word(sym: Symbol, cur: Analysis, line: int, col: int) -> bool:
    text = cur.source.line(line)
    start = col - 1
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    end = start
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    return text[start:end] == sym.name


def make_server() -> AccordServer:
    """A server with every feature registered; ``start_io()`` runs it."""
    server = AccordServer()

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: AccordServer, params: lsp.InitializeParams) -> None:
        ls.overrides = _overrides(params.initialization_options)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: AccordServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.refresh(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: AccordServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.refresh(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: AccordServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.refresh(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: AccordServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.docs.pop(params.text_document.uri, None)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(params.text_document.uri, []))

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: AccordServer, params: lsp.HoverParams) -> lsp.Hover | None:
        found = ls.lookup(params.text_document.uri, params.position)
        if found is None:
            return None
        doc, sym, span = found
        content = lsp.MarkupContent(lsp.MarkupKind.Markdown, hover_text(sym, doc))
        return lsp.Hover(content, ls.docs[params.text_document.uri].current.lines.range(span, ls.encoding))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: AccordServer, params: lsp.DefinitionParams) -> lsp.Location | None:
        found = ls.lookup(params.text_document.uri, params.position)
        if found is None:
            return None
        doc, sym, _ = found
        return lsp.Location(params.text_document.uri, doc.lines.range(sym.span, ls.encoding))

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def references(ls: AccordServer, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
        found = ls.lookup(params.text_document.uri, params.position)
        if found is None:
            return None
        doc, sym, _ = found
        uri = params.text_document.uri
        return [lsp.Location(uri, doc.lines.range(s, ls.encoding)) for s in doc.index.uses(sym.key)
                if params.context.include_declaration or s != sym.span]

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(ls: AccordServer, params: lsp.DocumentSymbolParams) -> list[Any] | None:
        state = ls.docs.get(params.text_document.uri)
        if state is None or state.parsed is None:
            return None
        doc = state.parsed
        caps = ls.client_capabilities.text_document
        hierarchical = bool(caps and caps.document_symbol and caps.document_symbol.hierarchical_document_symbol_support)
        if hierarchical:
            return document_symbols(doc, ls.encoding)
        return flat_symbols(doc, ls.encoding, params.text_document.uri)

    return server


def _overrides(opts: Any) -> dict[str, int | bool]:
    consts = opts.get("const") if isinstance(opts, dict) else None
    if not isinstance(consts, dict):
        return {}
    return {str(k): v for k, v in consts.items() if isinstance(v, (int, bool))}


def serve() -> None:
    """Run the server over standard input and output until the client says exit."""
    from accord.dsl.parse import parser

    parser()  # build the LALR tables now (about half a second), not on the first document opened
    make_server().start_io()


__all__ = ["AccordServer", "make_server", "serve"]
