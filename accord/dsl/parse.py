"""Text to a Lark parse tree, or diagnostics. Never raises for bad input.

Reading the bytes (size, encoding, NUL bytes) and syntax errors are reported
here with ``ACC1xx`` codes; syntax errors are explained with the worked examples
in :mod:`accord.dsl.syntax_errors`.

After a successful parse two checks guard the later phases:

* a parse tree deeper than :data:`MAX_DEPTH` is refused (``ACC104``), so that
  lowering, evaluation and printing, which recurse over expressions, never hit
  Python's recursion limit;
* a name spelled like a reserved keyword is refused (``ACC122``).

Keywords are contextual except the few in :data:`RESERVED`: a word such as
``on``, ``shared`` or ``message`` is a keyword where the grammar expects that
keyword and a name anywhere else. (Lark's contextual lexer alone cannot do this
exactly, since LALR merges states; :func:`parse_tree` retypes a keyword the
parser cannot take as a name when a name fits.) The reserved words are those
that could stand where a name also could, so reading them as names would be
ambiguous: values and expression starters, statement starters, infix words,
type constructors.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from accord.diagnostics import Diagnostic, SourceFile, Span
from accord.dsl.syntax_errors import EXAMPLES, explain

#: Specs larger than this are refused with ACC103 rather than parsed.
MAX_SPEC_BYTES = 2 * 1024 * 1024
#: Bracket nesting deeper than this is refused with ACC104 before parsing.
MAX_NESTING = 200
#: Parse trees deeper than this (e.g. `not not … x`, `1 + 1 + … + 1`) are refused with ACC104. The phases
#: behind the parser recurse over expressions: lowering and evaluation use about 3 Python frames per level,
#: the formatter up to 5 (nested `<<…>>` and `{…}`); 120 levels keep all of them far below Python's default
#: limit of 1,000 frames, whoever calls them.
MAX_DEPTH = 120

_IDENT = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")

#: Words that are never names: each can stand where a name could, so reading it as a name would be ambiguous.
RESERVED = frozenset({
    "true", "false", "none", "self", "all", "if", "forall", "exists", "not",  # values and expressions
    "and", "or", "in", "else",  # words that continue an expression or an `if`
    "send", "broadcast", "reply", "choose", "for", "assert", "let", "skip",  # statements
    "bool", "set", "map", "seq", "record", "option",  # types
    "any", "at", "timeout",  # `in any`, `crash at most 1`, `on timeout`, `fair weak R.timeout`
})


@lru_cache(maxsize=1)
def parser() -> Lark:
    grammar = resources.files("accord.dsl").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True)


def reserved_words() -> frozenset[str]:
    """The words that can never be names (see :data:`RESERVED`)."""
    return RESERVED


def _keyword_as_name(exc: UnexpectedInput) -> bool:
    """Parser error hook: a keyword the parser cannot take here is read as a name when a name fits."""
    if not isinstance(exc, UnexpectedToken):
        return False
    tok = exc.token
    word = str(tok)
    if tok.type in ("NAME", "$END") or word in RESERVED or not _IDENT.fullmatch(word):
        return False
    ip = exc.interactive_parser
    if ip is None or "NAME" not in ip.accepts():
        return False
    ip.feed_token(Token.new_borrow_pos("NAME", word, tok))
    return True


def parse_tree(text: str) -> Tree:
    """Lark's parse with contextual keywords; raises Lark's ``UnexpectedInput`` on a syntax error."""
    return parser().parse(text, on_error=_keyword_as_name)


def decode(data: bytes, path: str) -> tuple[SourceFile | None, list[Diagnostic]]:
    """Bytes to a :class:`SourceFile`, refusing what is not a text spec.

    A UTF-8 byte-order mark is dropped and a lone carriage return (old Mac line
    ends) becomes a newline, so line numbers agree with what editors show.
    """
    if len(data) > MAX_SPEC_BYTES:
        return None, [
            Diagnostic(
                "ACC103",
                f"the file is {len(data):,} bytes; specs are limited to {MAX_SPEC_BYTES:,}",
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
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = re.sub(r"\r(?!\n)", "\n", text)
    src = SourceFile(path, text)
    nul = text.find("\x00")
    if nul >= 0:
        line, col = position(text, nul)
        return None, [
            Diagnostic(
                "ACC102",
                "the file contains NUL bytes; a spec is plain text",
                Span(line, col, line, col + 1, src),
                hint="is this a binary file?",
            )
        ]
    return src, []


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset; lines end at ``\\n`` as the lexer counts them."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _span(src: SourceFile, start: int, end: int) -> Span:
    line, col = position(src.text, start)
    end_line, end_col = position(src.text, max(end, start + 1))
    return Span(line, col, end_line, end_col, src)


_COMMENT = re.compile(r"(?:#|//)[^\n]*")
_BRACKET = re.compile(r"[()\[\]{}]")


def _blank_comments(text: str) -> str:
    """The text with every comment replaced by spaces (offsets unchanged; the language has no strings)."""
    return _COMMENT.sub(lambda m: " " * len(m.group()), text)


def _nesting(src: SourceFile, code: str) -> Diagnostic | None:
    depth = 0
    for m in _BRACKET.finditer(code):
        if m.group() in "([{":
            depth += 1
            if depth > MAX_NESTING:
                return Diagnostic(
                    "ACC104",
                    f"brackets nested more than {MAX_NESTING} deep",
                    _span(src, m.start(), m.start() + 1),
                    hint="name intermediate results with `let`, or split the expression",
                )
        else:
            depth = max(0, depth - 1)
    return None


def _unclosed(src: SourceFile) -> tuple[str, Span] | None:
    """The innermost bracket still open at the end of the text, if any."""
    stack: list[int] = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for m in _BRACKET.finditer(_blank_comments(src.text)):
        ch = m.group()
        if ch in "([{":
            stack.append(m.start())
        elif stack and src.text[stack[-1]] == pairs[ch]:
            stack.pop()
    if not stack:
        return None
    i = stack[-1]
    return f"this `{src.text[i]}` is never closed", _span(src, i, i + 1)


def parse_source(src: SourceFile) -> tuple[Tree | None, list[Diagnostic]]:
    """Parse text into a tree. On failure: ``(None, diagnostics)``; never raises for bad input."""
    if len(src.text) > MAX_SPEC_BYTES:
        return None, [Diagnostic("ACC103", f"the spec is {len(src.text):,} characters; specs are limited to "
                                 f"{MAX_SPEC_BYTES:,}", Span(1, 1, 1, 2, src),
                                 hint="split the protocol, or check that this is the text you meant")]
    code = _blank_comments(src.text)
    deep = _nesting(src, code)
    if deep is not None:
        return None, [deep]
    if not code.strip():
        return None, [
            Diagnostic(
                "ACC105",
                "the spec is empty",
                Span(1, 1, 1, 2, src),
                hint="a spec starts with `protocol Name`",
            )
        ]
    try:
        tree = parse_tree(src.text)
    except UnexpectedInput as exc:
        return None, [_syntax_diagnostic(src, exc)]
    except RecursionError:
        return None, [Diagnostic("ACC104", "the spec is nested too deeply to parse", Span(1, 1, 1, 2, src),
                                 hint="split long chains of operators with `let`")]
    except LarkError as exc:  # any other refusal of the parser is still the text's fault
        return None, [Diagnostic("ACC100", f"cannot parse the spec: {exc}", Span(1, 1, 1, 2, src))]
    diags = check_tree(tree, src)
    return (None, diags) if diags else (tree, [])


def check_tree(tree: Tree, src: SourceFile) -> list[Diagnostic]:
    """Depth limit and reserved names, in one pass that does not recurse."""
    reserved = RESERVED
    out: list[Diagnostic] = []
    stack: list[tuple[Tree, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            meta = node.meta
            span = Span(meta.line, meta.column, meta.line, meta.column + 1, src) if not meta.empty else None
            return [Diagnostic(
                "ACC104", f"the spec is nested more than {MAX_DEPTH} levels deep here",
                span, hint="split long chains (`a and b and …`, `1 + 1 + …`, `not not …`) into named parts: "
                "`let` in a step, several `invariant`s, or a `const`")]
        for i, child in enumerate(node.children):
            if isinstance(child, Tree):
                stack.append((child, depth + 1))
            elif isinstance(child, Token) and child.type == "NAME" and str(child) in reserved \
                    and not (node.data == "call" and i == 0):
                out.append(Diagnostic(
                    "ACC122", f"`{child}` is a keyword of accord and cannot be used as a name",
                    Span(child.line or 1, child.column or 1, child.end_line or 1,
                         child.end_column or (child.column or 1) + len(child), src),
                    hint=f"choose another name, e.g. `{child}_` or `my_{child}`"))
    out.sort(key=lambda d: (d.span.line, d.span.column) if d.span else (0, 0))
    return out


def _syntax_diagnostic(src: SourceFile, exc: UnexpectedInput) -> Diagnostic:
    text = src.text
    why = explain(exc, parse_tree, text, RESERVED)
    notes: tuple[tuple[str, Span | None], ...] = ()
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        found = "the end of the file"
        tok = exc.token
        # Lark places the end marker on the last token read: point just after it.
        end = tok.end_pos if isinstance(tok.end_pos, int) else len(text.rstrip())
        span = _span(src, end, end + 1) if end < len(text) else _eof_span(src)
        unclosed = _unclosed(src)
        if unclosed is not None:
            notes = (unclosed,)
    else:
        if isinstance(exc, UnexpectedToken):
            start = exc.token.start_pos if isinstance(exc.token.start_pos, int) else 0
            width = max(1, len(str(exc.token)))
            found = f"`{exc.token}`"
        else:
            start = getattr(exc, "pos_in_stream", 0) or 0
            width = 1
            ch = text[start] if start < len(text) else ""
            found = f"`{ch}`" if ch.isprintable() else f"U+{ord(ch or ' '):04X}"
            if ch and ch.isprintable() and not ch.isascii():
                found += f" (U+{ord(ch):04X})"
            found = "the character " + found
        if why.start is not None:
            start = why.start
            width = max(1, (why.end or start + 1) - start)
            found = f"`{text[start:start + width]}`"
        elif why.code == "ACC120" and isinstance(exc, UnexpectedToken) and start > 0 and text[start - 1] == "=":
            start, width = start - 1, 2  # `==` read as `=` `=`: point at both
            found = "`==`"
        span = _span(src, start, start + width)
    message = why.message
    if why.found is not None:
        found = why.found
    hint = why.hint
    if message is None:
        expected = _expected_words(exc)
        message = f"unexpected {found.removeprefix('the ')}" + (f"; expected {expected}" if expected else "")
        if isinstance(exc, UnexpectedCharacters):
            hint = "this character has no meaning in accord outside a comment; remove it"
    else:
        message = f"{message} (found {found})"
    return Diagnostic(why.code, message, span, hint=hint, notes=notes)


def _eof_span(src: SourceFile) -> Span:
    lines = src.text.split("\n")
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    line = len(lines)
    col = len(lines[-1]) + 1
    return Span(line, col, line, col + 1, src)


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


__all__ = [
    "EXAMPLES",
    "MAX_DEPTH",
    "MAX_SPEC_BYTES",
    "RESERVED",
    "check_tree",
    "decode",
    "parse_source",
    "parse_tree",
    "parser",
    "position",
    "reserved_words",
    "token_span",
]
