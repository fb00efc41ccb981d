"""Diagnostics: errors and warnings as values, each with a place in the source.

Every phase (parse, lower, check input) returns a list of :class:`Diagnostic`
instead of raising. Codes are grouped by phase:

* ``ACC1xx`` reading and parsing the text,
* ``ACC2xx`` names and types,
* ``ACC3xx`` well-formedness of the protocol (channels, faults, properties),
* ``ACC4xx`` checker input (constants, limits, engine options).

Warnings share the numbering and carry ``severity="warning"``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class SourceFile:
    """The text a span points into, kept so a diagnostic can render its own excerpt."""

    path: str
    text: str = field(repr=False)

    def line(self, number: int) -> str:
        """Line ``number`` (1-based) without its line end; lines end at ``\\n``, as the lexer counts them."""
        if number < 1:
            return ""
        start = 0
        for _ in range(number - 1):
            start = self.text.find("\n", start) + 1
            if start == 0:
                return ""
        end = self.text.find("\n", start)
        line = self.text[start:] if end < 0 else self.text[start:end]
        return line.removesuffix("\r")


@dataclass(frozen=True)
class Span:
    """A 1-based, end-exclusive region of a source file."""

    line: int
    column: int
    end_line: int
    end_column: int
    source: SourceFile | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        path = self.source.path if self.source else "<spec>"
        return f"{path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None = None
    severity: Severity = "error"
    notes: tuple[tuple[str, Span | None], ...] = ()
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def render(self) -> str:
        """Render as ``error[ACC204]: …`` with the source line and a caret under the span."""
        out = [f"{self.severity}[{self.code}]: {self.message}"]
        if self.span is not None:
            out.extend(_excerpt(self.span))
        for note, span in self.notes:
            out.append(f"  = note: {note}" + (f" (at {span})" if span else ""))
        if self.hint:
            out.append(f"  = help: {self.hint}")
        return "\n".join(out)

    def to_json(self) -> dict[str, object]:
        span = self.span
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": span.source.path if span and span.source else None,
            "line": span.line if span else None,
            "column": span.column if span else None,
            "end_line": span.end_line if span else None,
            "end_column": span.end_column if span else None,
            "hint": self.hint,
        }


def _excerpt(span: Span) -> list[str]:
    out = [f"  --> {span}"]
    if span.source is None:
        return out
    text = span.source.line(span.line)
    gutter = str(span.line)
    pad = " " * len(gutter)
    shown = "".join(_visible(c) for c in text.expandtabs(1))
    if len(shown) > 200:  # a minified or generated line: show the neighbourhood only
        start = max(0, span.column - 60)
        shown = shown[start : start + 120]
        col = span.column - start
    else:
        col = span.column
    width = span.end_column - span.column if span.end_line == span.line else len(shown) - col + 1
    width = max(1, min(width, max(1, len(shown) - col + 1)))
    out.append(f"  {pad} |")
    out.append(f"  {gutter} | {shown}")
    out.append(f"  {pad} | {' ' * (col - 1)}{'^' * width}")
    return out


def _visible(c: str) -> str:
    """Control characters as their Unicode pictures (NUL as ␀), so they neither vanish nor move the caret."""
    if c < " " and c != "\t":
        return chr(0x2400 + ord(c))
    if c == "\x7f":
        return "\u2421"
    return c


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest known name, for "did you mean …?" hints."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in candidates}
        if name.lower() in lowered:
            return lowered[name.lower()]
        return None
    return matches[0]


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    best = suggest(name, candidates)
    return f"did you mean `{best}`?" if best else None


def errors(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diags if d.is_error]


class SpecError(Exception):
    """Raised inside a phase to abandon one declaration; carries the diagnostic.

    Phases catch it at declaration granularity and collect the diagnostic, so a
    single mistake does not hide the others.
    """

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic
