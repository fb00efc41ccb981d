"""The language reference lists exactly the reserved words the parser reserves."""

from __future__ import annotations

import re
from pathlib import Path

from accord.dsl.parse import RESERVED


def test_reserved_words_in_docs_match_the_parser():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "language.md").read_text(encoding="utf-8")
    block = re.search(r"\*\*Keywords\.\*\*.*?```\n(.*?)```", doc, re.S)
    assert block is not None
    assert set(block.group(1).split()) == set(RESERVED)
