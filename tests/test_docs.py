"""Every spec in the documentation is accepted, and survives formatting; every error example fails.

A fenced block marked ```` ```accord ```` must be a complete spec (it starts with
`protocol`, after any comment lines) that lints with no error and round-trips through
`accord fmt`. A block marked ```` ```accord-error ```` must be rejected; when the fence
names a code (```` ```accord-error ACC230 ````), that code must be among the errors.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accord.dsl import load_text
from accord.dsl.printer import print_protocol

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([*ROOT.glob("docs/*.md"), ROOT / "README.md"])
FENCE = re.compile(r"^```(accord(?:-error)?)[ \t]*([^\n]*)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def blocks(kind: str) -> list[tuple[str, str, str]]:
    """(id, fence info, text) of every block of ``kind`` in the pages."""
    out = []
    for page in PAGES:
        if not page.exists():
            continue
        text = page.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            if m.group(1) == kind:
                line = text.count("\n", 0, m.start()) + 1
                out.append((f"{page.relative_to(ROOT)}:{line}", m.group(2).strip(), m.group(3)))
    return out


SPECS = blocks("accord")
ERRORS = blocks("accord-error")


def test_the_reference_has_examples():
    pages = {b[0].split(":")[0] for b in SPECS}
    assert "docs/language.md" in pages
    assert sum(1 for b in SPECS if b[0].startswith("docs/language.md")) >= 15
    assert sum(1 for b in ERRORS if b[0].startswith("docs/language.md")) >= 4


@pytest.mark.parametrize("where, info, text", SPECS, ids=[b[0] for b in SPECS])
def test_spec_blocks_lint_and_round_trip(where, info, text):
    code = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith(("#", "//"))]
    assert code and code[0].startswith("protocol "), f"{where}: a spec block starts with `protocol`"
    proto, diags = load_text(text, where)
    errors = [d.render() for d in diags if d.is_error]
    assert proto is not None and not errors, "\n".join(errors)
    out = print_protocol(proto)
    again, diags2 = load_text(out, where + " (formatted)")
    assert again is not None and not [d for d in diags2 if d.is_error]
    assert again == proto
    assert print_protocol(again) == out
    assert sorted(t for _, t in again.comments) == sorted(t for _, t in proto.comments)


@pytest.mark.parametrize("where, info, text", ERRORS, ids=[b[0] for b in ERRORS])
def test_error_blocks_fail(where, info, text):
    _, diags = load_text(text, where)
    codes = [d.code for d in diags if d.is_error]
    assert codes, f"{where}: expected an error"
    if info:
        assert info in codes, f"{where}: expected {info}, got {codes}"
