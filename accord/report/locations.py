"""Where things of a result are written in the spec: for SARIF, editors and CI annotations.

A :class:`Place` is a 1-based ``line:column`` region of the spec file. Every
lookup here falls back to something real rather than to nothing: a property
without a span (a step error, ``--deadlock`` given on the command line) is placed
at the line its name mentions, else at the step that raised it, else at the
``protocol`` declaration, else at line 1.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from accord import ir
from accord.checker.result import PropertyResult
from accord.diagnostics import Span

_AT_LINE = re.compile(r"\bat line (\d+)\b")


@dataclass(frozen=True)
class Place:
    """A region of the spec: ``end_line``/``end_column`` are None when only the start is known."""

    line: int
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None

    @classmethod
    def of(cls, span: Span, whole: bool = True) -> Place:
        """The span's region; ``whole=False`` keeps only its first line (for multi-line steps)."""
        if not whole or span.end_line < span.line:
            return cls(span.line, max(span.column, 1))
        return cls(span.line, max(span.column, 1), span.end_line, max(span.end_column, 1))


def artifact_uri(path: str) -> str:
    """The spec path as a relative POSIX URI reference when it lies under the working directory.

    Code scanning resolves relative URIs against the repository root, where CI runs.
    Paths outside the working directory become ``file://`` URIs.
    """
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.relative_to(Path.cwd())
        except ValueError:
            return p.as_uri()
    return quote(PurePath(os.path.normpath(p)).as_posix(), safe="/")


def step_spans(proto: ir.Protocol) -> dict[str, Span]:
    """Transition label -> span of the declared step (labels as the model numbers them)."""
    out: dict[str, Span] = {}
    counts: dict[str, int] = {}
    for role in proto.roles:
        for step in role.steps:
            base = step.label
            counts[base] = counts.get(base, 0) + 1
            label = base if counts[base] == 1 else f"{base}#{counts[base]}"
            if step.span is not None:
                out[label] = step.span
    return out


def transition_place(proto: ir.Protocol, transition: Any, spans: dict[str, Span] | None = None) -> Place:
    """Where the step or fault behind a trace transition is declared (None: the initial state)."""
    if transition is None:
        return protocol_place(proto)
    if transition.kind == "fault":
        for fault in proto.faults:
            if fault.kind.value == transition.label and fault.span is not None:
                return Place.of(fault.span, whole=False)
        return protocol_place(proto)
    span = (spans if spans is not None else step_spans(proto)).get(transition.label)
    return Place.of(span, whole=False) if span is not None else protocol_place(proto)


def protocol_place(proto: ir.Protocol) -> Place:
    """The ``protocol Name`` line (line 1 when the source is not at hand)."""
    if proto.source is not None:
        pat = re.compile(r"^(\s*)protocol\s+" + re.escape(proto.name) + r"\b")
        for n, line in enumerate(proto.source.text.splitlines(), start=1):
            m = pat.match(line)
            if m:
                col = len(m.group(1)) + 1
                return Place(n, col, n, col + len("protocol ") + len(proto.name))
    return Place(1)


def property_place(proto: ir.Protocol, r: PropertyResult) -> Place:
    """Where a property result belongs: its declaration, else the best stand-in (see the module doc)."""
    if r.span is not None:
        return Place.of(r.span)
    if r.kind == "deadlock":
        decl = next((p for p in proto.properties if p.kind is ir.PropKind.DEADLOCK and p.span), None)
        if decl is not None and decl.span is not None:
            return Place.of(decl.span)
    m = _AT_LINE.search(r.name) or _AT_LINE.search(r.message or "")
    if m:
        return Place(int(m.group(1)))
    if r.trace is not None and r.trace.steps and r.trace.steps[-1].transition is not None:
        return transition_place(proto, r.trace.steps[-1].transition)
    return protocol_place(proto)
