"""The protocol library (the repository's ``protocols/*.accord``), as shipped with the package.

A built package carries the specs inside this package (``setup.py`` copies them here at build
time); a source checkout, installed editable or not at all, reads them from ``protocols/`` next
to the ``accord`` package. Each spec opens with a header comment: what the pattern is, then the
verdict of every property at the default constants (``#   name  kind  holds|VIOLATED``).

>>> lf = get("leader_follower")
>>> lf.title
'Leader-follower task distribution with retried LLM calls and worker crashes'
>>> lf.expected["deadlock"], lf.twin
(('deadlock', 'holds'), False)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

_EXPECTED = re.compile(r"^#\s+(\w+)\s+(invariant|agreement|reachable|leads_to|deadlock|termination)\s+"
                       r"(holds|VIOLATED)\b", re.MULTILINE)


@dataclass(frozen=True)
class Entry:
    name: str  # the file name without .accord
    text: str = field(repr=False)

    @property
    def title(self) -> str:
        """The header's first line: what the pattern is."""
        for line in self.text.splitlines():
            if line.startswith("#") and line[1:].strip():
                return line[1:].strip().removesuffix(".")
            if not line.startswith("#"):
                break
        return self.name

    @property
    def expected(self) -> dict[str, tuple[str, str]]:
        """``{property: (kind, "holds" | "violated")}`` from the header's table of verdicts."""
        return {m.group(1): (m.group(2), m.group(3).lower()) for m in _EXPECTED.finditer(self._header())}

    @property
    def twin(self) -> bool:
        """A broken twin: the same team with one design mistake, kept to show what the checker finds."""
        return "_broken" in self.name

    def _header(self) -> str:
        lines = []
        for line in self.text.splitlines():
            if not line.startswith("#"):
                break
            lines.append(line)
        return "\n".join(lines)


def _folder() -> Path:
    packaged = Path(str(resources.files(__name__)))
    if any(packaged.glob("*.accord")):
        return packaged
    return Path(__file__).resolve().parents[2] / "protocols"


def entries() -> list[Entry]:
    """Every spec of the library, by name."""
    folder = _folder()
    return [Entry(p.stem, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.accord"))]


def get(name: str) -> Entry | None:
    """The spec called ``name`` (with or without ``.accord``), or None."""
    name = name.removesuffix(".accord")
    return next((e for e in entries() if e.name == name), None)


__all__ = ["Entry", "entries", "get"]
