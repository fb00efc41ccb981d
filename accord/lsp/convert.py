"""Positions between accord spans and the Language Server Protocol, and diagnostics as LSP values.

accord spans (:class:`accord.diagnostics.Span`) are 1-based, end-exclusive, and count columns in
characters (code points), as Lark does. LSP positions are 0-based and count columns in the code
units of the encoding agreed at initialisation: UTF-16 unless the client offers UTF-8 or UTF-32.
Lines are the same in both only if they break at the same characters: LSP breaks at ``\\n``,
``\\r\\n`` and a lone ``\\r``; Lark at ``\\n``. :func:`normalize` turns every lone ``\\r`` into
``\\n`` (a one-for-one replacement, so offsets do not move) before the text is parsed.

>>> lines = Lines("a = 'é𝄞x'\\n")
>>> lines.to_lsp(1, 8, "utf-16"), lines.to_lsp(1, 8, "utf-32"), lines.to_lsp(1, 8, "utf-8")
((0, 8), (0, 7), (0, 11))
>>> lines.from_lsp(0, 8, "utf-16")
(1, 8)
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from accord.diagnostics import Diagnostic, Span

if TYPE_CHECKING:  # lsprotocol is an optional dependency (the `lsp` extra): imported where used
    from lsprotocol import types as lsp

_BREAK = re.compile(r"\r\n|\r|\n")

#: Warning codes that mark code as unused or dead, shown faded by editors.
UNNECESSARY = frozenset({"ACC250", "ACC251", "ACC253", "ACC254"})


def normalize(text: str) -> str:
    """The text with every lone ``\\r`` as ``\\n``, so that Lark and LSP count the same lines."""
    return re.sub(r"\r(?!\n)", "\n", text) if "\r" in text else text


def _units(s: str, encoding: str) -> int:
    if encoding == "utf-32":
        return len(s)
    if encoding == "utf-8":
        return len(s.encode("utf-8", errors="surrogatepass"))
    return len(s) + sum(1 for c in s if ord(c) > 0xFFFF)


class Lines:
    """The lines of one text, to convert columns (code points) to and from client code units."""

    def __init__(self, text: str):
        self.lines = _BREAK.split(text)

    def text(self, line: int) -> str:
        """Line ``line`` (1-based) without its line break; empty past the end."""
        return self.lines[line - 1] if 1 <= line <= len(self.lines) else ""

    def to_lsp(self, line: int, column: int, encoding: str) -> tuple[int, int]:
        """1-based (line, column in code points) to 0-based (line, character in code units), clamped to the text."""
        if line > len(self.lines):
            return len(self.lines) - 1, _units(self.lines[-1], encoding)
        line = max(1, line)
        text = self.lines[line - 1]
        return line - 1, _units(text[: max(0, column - 1)], encoding)

    def from_lsp(self, line: int, character: int, encoding: str) -> tuple[int, int]:
        """0-based (line, character in code units) to 1-based (line, column in code points)."""
        text = self.text(line + 1)
        if encoding == "utf-32":
            return line + 1, min(character, len(text)) + 1
        count = 0
        for i, c in enumerate(text):
            if count >= character:
                return line + 1, i + 1
            count += _units(c, encoding)
        return line + 1, len(text) + 1

    def range(self, span: Span | None, encoding: str) -> lsp.Range:
        """An accord span as an LSP range; a missing span is the empty range at the start of the text."""
        from lsprotocol import types as lsp

        if span is None:
            return lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
        sl, sc = self.to_lsp(span.line, span.column, encoding)
        el, ec = self.to_lsp(span.end_line, span.end_column, encoding)
        el, ec = max((el, ec), (sl, sc))
        return lsp.Range(lsp.Position(sl, sc), lsp.Position(el, ec))


def encoding_name(kind: Any) -> str:
    """``"utf-8"``, ``"utf-16"`` or ``"utf-32"`` for a negotiated ``PositionEncodingKind`` (None: UTF-16)."""
    value = str(getattr(kind, "value", kind) or "utf-16").lower()
    return value if value in ("utf-8", "utf-32") else "utf-16"


def to_lsp_diagnostic(d: Diagnostic, lines: Lines, encoding: str, uri: str) -> lsp.Diagnostic:
    """One accord diagnostic as LSP: range, severity, code, source ``accord``, the hint, notes as related places."""
    from lsprotocol import types as lsp

    message = d.message + (f"\nhelp: {d.hint}" if d.hint else "")
    related = []
    for note, span in d.notes:
        if span is not None:
            related.append(lsp.DiagnosticRelatedInformation(lsp.Location(uri, lines.range(span, encoding)), note))
        else:
            message += f"\nnote: {note}"
    return lsp.Diagnostic(
        range=lines.range(d.span, encoding),
        message=message,
        severity=lsp.DiagnosticSeverity.Error if d.is_error else lsp.DiagnosticSeverity.Warning,
        code=d.code,
        source="accord",
        related_information=related or None,
        tags=[lsp.DiagnosticTag.Unnecessary] if d.code in UNNECESSARY and not d.is_error else None,
    )


__all__ = ["UNNECESSARY", "Lines", "encoding_name", "normalize", "to_lsp_diagnostic"]
