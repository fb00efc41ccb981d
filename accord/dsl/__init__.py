"""The accord language: text to IR.

>>> from accord.dsl import load_text
>>> proto, diags = load_text("protocol P\\nvar x: 0..3 = 0\\naction inc when x < 3 { x := x + 1 }")
>>> proto.name, [d.code for d in diags]
('P', [])
"""

from __future__ import annotations

from pathlib import Path

from accord import ir
from accord.diagnostics import Diagnostic, SourceFile
from accord.dsl.lower import lower
from accord.dsl.parse import decode, parse_source


def load_source(src: SourceFile, overrides: dict[str, int | bool] | None = None
                ) -> tuple[ir.Protocol | None, list[Diagnostic]]:
    """Parse and lower a source file. Returns the protocol (None on errors) and every diagnostic."""
    tree, diags = parse_source(src)
    if tree is None:
        return None, diags
    try:
        return lower(tree, src, overrides)
    except RecursionError:
        return None, [Diagnostic("ACC104", "the spec is nested too deeply", None)]


def load_text(text: str, path: str = "<spec>", overrides: dict[str, int | bool] | None = None
              ) -> tuple[ir.Protocol | None, list[Diagnostic]]:
    return load_source(SourceFile(path, text), overrides)


def load_bytes(data: bytes, path: str, overrides: dict[str, int | bool] | None = None
               ) -> tuple[ir.Protocol | None, list[Diagnostic]]:
    src, diags = decode(data, path)
    if src is None:
        return None, diags
    return load_source(src, overrides)


def load_file(path: str | Path, overrides: dict[str, int | bool] | None = None
              ) -> tuple[ir.Protocol | None, list[Diagnostic]]:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        return None, [Diagnostic("ACC106", f"cannot read {path}: {exc.strerror or exc}", None)]
    return load_bytes(data, str(path), overrides)


__all__ = ["load_file", "load_text", "load_bytes", "load_source"]
