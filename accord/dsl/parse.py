"""Text to a Lark parse tree, or diagnostics. Never raises for bad input.

Reading the bytes (size, encoding, NUL bytes) and syntax errors are reported
here with ``ACC1xx`` codes; syntax errors are explained with the worked examples
in :mod:`accord.dsl.syntax_errors`.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from accord.diagnostics import Diagnostic, SourceFile, Span
from accord.dsl.syntax_errors import EXAMPLES, explain

#: Specs larger than this are refused with ACC103 rather than parsed.
MAX_SPEC_BYTES = 2 * 1024 * 1024
#: Bracket nesting deeper than this is refused with ACC104 (no RecursionError can escape).
MAX_NESTING = 200


@lru_cache(maxsize=1)
def parser() -> Lark:
    grammar = resources.files("accord.dsl").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True)


def decode(data: bytes, path: str) -> tuple[SourceFile | None, list[Diagnostic]]:
    """Bytes to a :class:`SourceFile`, refusing what is not a text spec."""
    if len(data) > MAX_SPEC_BYTES:
        return None, [
            Diagnostic(
                "ACC103",
                f"{path}: the file is {len(data):,} bytes; specs are limited to {MAX_SPEC_BYTES:,}",
                Span(1, 1, 1, 2, SourceFile(path, "")),
                hint="split the protocol, or check that this is the file you meant",
            )
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8", errors="replace")
        line = prefix.count("\n") + 1
        col = len(prefix) - (prefix.rfind("\n") + 1) + 1
        src = SourceFile(path, data.decode("utf-8", errors="replace"))
        return None, [
            Diagnostic(
                "ACC101",
                f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                Span(line, col, line, col + 1, src),
                hint="save the spec as UTF-8 text",
            )
        ]
    if text.startswith("\ufeff"):
        text = text[1:]
    src = SourceFile(path, text)
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        col = nul - (text.rfind("\n", 0, nul) + 1) + 1
        return None, [
            Diagnostic(
                "ACC102",
                "the file contains NUL bytes; a spec is plain text",
                Span(line, col, line, col + 1, src),
                hint="is this a binary file?",
            )
        ]
    return src, []


def _nesting(src: SourceFile) -> Diagnostic | None:
    depth = 0
    line, col = 1, 1
    for ch in src.text:
        if ch in "([{":
            depth += 1
            if depth > MAX_NESTING:
                return Diagnostic(
                    "ACC104",
                    f"brackets nested more than {MAX_NESTING} deep",
                    Span(line, col, line, col + 1, src),
                    hint="name intermediate results with `let`, or split the expression",
                )
        elif ch in ")]}":
            depth = max(0, depth - 1)
        if ch == "\n":
            line, col = line + 1, 1
        else:
            col += 1
    return None


def parse_source(src: SourceFile) -> tuple[Tree | None, list[Diagnostic]]:
    """Parse text into a tree. On failure: ``(None, [diagnostic])``."""
    deep = _nesting(src)
    if deep is not None:
        return None, [deep]
    if not src.text.strip() or all(
        not ln.strip() or ln.lstrip().startswith(("#", "//")) for ln in src.text.splitlines()
    ):
        return None, [
            Diagnostic(
                "ACC105",
                "the spec is empty",
                Span(1, 1, 1, 2, src),
                hint="a spec starts with `protocol Name`",
            )
        ]
    try:
        return parser().parse(src.text), []
    except UnexpectedInput as exc:
        return None, [_syntax_diagnostic(src, exc)]
    except RecursionError:
        return None, [
            Diagnostic(
                "ACC104",
                "the spec is nested too deeply to parse",
                Span(1, 1, 1, 2, src),
                hint="split long chains of operators with `let`",
            )
        ]


def _syntax_diagnostic(src: SourceFile, exc: UnexpectedInput) -> Diagnostic:
    line = getattr(exc, "line", 1) or 1
    col = getattr(exc, "column", 1) or 1
    width = 1
    found = ""
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            found = "the end of the file"
            text_lines = src.text.splitlines() or [""]
            line = len(text_lines)
            col = len(text_lines[-1]) + 1
        else:
            found = f"`{tok}`"
            width = max(1, len(str(tok)))
    elif isinstance(exc, UnexpectedCharacters):
        ch = src.text[exc.pos_in_stream] if exc.pos_in_stream < len(src.text) else ""
        found = f"the character `{ch}`" if ch.isprintable() else f"the character U+{ord(ch):04X}"
    elif isinstance(exc, UnexpectedEOF):
        found = "the end of the file"
    span = Span(line, col, line, col + width, src)
    code, message, hint = explain(exc, parser(), src.text)
    if message is None:
        expected = _expected_words(exc)
        message = f"unexpected {found}" + (f"; expected {expected}" if expected else "")
    elif found:
        message = f"{message} (found {found})"
    return Diagnostic(code, message, span, hint=hint)


_TERMINAL_WORDS = {
    "NAME": "a name",
    "INT": "a number",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "LSQB": "`[`",
    "RSQB": "`]`",
    "COLON": "`:`",
    "COMMA": "`,`",
    "EQUAL": "`=`",
    "DOT": "`.`",
    "CMP_OP": "a comparison",
    "ADD_OP": "`+` or `-`",
    "MUL_OP": "`*`, `/`, `%` or `&`",
}


def _expected_words(exc: UnexpectedInput) -> str:
    expected = getattr(exc, "expected", None) or getattr(exc, "allowed", None) or set()
    words: list[str] = []
    p = parser()
    for name in sorted(expected):
        if name in _TERMINAL_WORDS:
            words.append(_TERMINAL_WORDS[name])
            continue
        try:
            pattern = p.get_terminal(name).pattern
        except KeyError:
            continue
        if pattern.type == "str":
            words.append(f"`{pattern.value}`")
    words = sorted(set(words))
    if not words:
        return ""
    if len(words) > 8:
        return "one of " + ", ".join(words[:8]) + ", …"
    if len(words) == 1:
        return words[0]
    return "one of " + ", ".join(words)


def token_span(tok: Token, src: SourceFile) -> Span:
    return Span(
        tok.line or 1,
        tok.column or 1,
        tok.end_line or tok.line or 1,
        tok.end_column or (tok.column or 1) + len(tok),
        src,
    )


__all__ = ["parse_source", "decode", "parser", "token_span", "EXAMPLES", "MAX_SPEC_BYTES"]
