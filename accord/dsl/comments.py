"""Comments of a spec, for the formatter: ``(line, text)`` in source order.

The language has no string literals, so a comment starts at the first ``#`` or
``//`` on a line and runs to its end, exactly as the lexer's ``COMMENT``
terminal reads it (``//`` is never two division signs: the longer token wins).

>>> collect_comments("protocol P  # the name\\n// a note\\nconst N = 2")
((1, '# the name'), (2, '// a note'))
"""

from __future__ import annotations

import re

_START = re.compile(r"#|//")


def collect_comments(text: str) -> tuple[tuple[int, str], ...]:
    """Every comment with its 1-based line number; trailing whitespace removed."""
    out = []
    for i, line in enumerate(text.split("\n"), start=1):
        m = _START.search(line)
        if m is not None:
            out.append((i, line[m.start():].rstrip()))
    return tuple(out)


def code_before(line: str) -> str:
    """The part of a source line before its comment (the whole line if it has none)."""
    m = _START.search(line)
    return line if m is None else line[: m.start()]


__all__ = ["code_before", "collect_comments"]
