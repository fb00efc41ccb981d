"""The worked-example table of syntax errors is also a test: each example gets its own code and message.

Besides the table: where the caret goes for slips the parser sees late (``&&``,
``==`` in a declaration, ``elif``, ``when {``), what the hints suggest, and which
words are keywords.
"""

from __future__ import annotations

import pytest

from accord.diagnostics import Diagnostic
from accord.dsl import load_text
from accord.dsl.parse import RESERVED
from accord.dsl.syntax_errors import EXAMPLES, LABELS

CASES = [(label, example) for label, examples in EXAMPLES.items() for example in examples]


def first_error(text: str) -> Diagnostic:
    proto, diags = load_text(text, "<test>")
    errors = [d for d in diags if d.is_error]
    assert proto is None and errors, f"no error for:\n{text}"
    return errors[0]


@pytest.mark.parametrize("label,example", CASES, ids=[f"{lab[0]}-{i}" for i, (lab, _) in enumerate(CASES)])
def test_example_gets_its_own_code(label: tuple[str, str, str | None], example: str) -> None:
    code, message, _hint = label
    d = first_error(example)
    assert d.code == code, f"{example!r} gave {d.render()}"
    assert code == "ACC122" or d.message.startswith(message), d.message
    assert d.hint, d.render()
    assert d.span is not None and d.span.line >= 1 and d.span.column >= 1
    lines = example.split("\n")
    assert d.span.line <= len(lines) and d.span.column <= len(lines[d.span.line - 1]) + 1


def test_table_is_well_formed() -> None:
    codes = [label[0] for label in EXAMPLES]
    assert len(codes) == len(set(codes)) == len(LABELS)
    assert all(c.startswith("ACC1") for c in codes)
    assert all(examples for examples in EXAMPLES.values())
    assert len(CASES) >= 100


def test_no_example_is_valid() -> None:
    for _label, example in CASES:
        proto, diags = load_text(example)
        assert proto is None and any(d.is_error for d in diags), example


def at(text: str) -> tuple[str, int, int, int]:
    d = first_error(text)
    assert d.span is not None
    return d.code, d.span.line, d.span.column, d.span.end_column - d.span.column


P = "protocol P\nvar a: bool = true\nvar x: 0..3 = 0\n"


@pytest.mark.parametrize("text,where", [
    (P + "invariant i: a && a", ("ACC128", 4, 16, 2)),  # both `&`, though the parser stopped at the second
    (P + "invariant i: a || a", ("ACC128", 4, 16, 2)),
    (P + "invariant i: !a", ("ACC128", 4, 14, 1)),
    ("protocol P\nconst N == 3", ("ACC120", 2, 9, 2)),  # `==`, though the lexer read `=` `=`
    (P + "action b when { a := false }", ("ACC118", 4, 15, 1)),  # the `{`, not the `:=` inside it
    (P + "action b { if a { skip } elif a { skip } }", ("ACC138", 4, 26, 4)),
    (P + "action b { var y: bool = true }", ("ACC139", 4, 12, 3)),
    (P + "invariant i: x ≤ 3", ("ACC132", 4, 16, 1)),
    (P + 'const S = "x y"', ("ACC131", 4, 11, 5)),  # the whole string
    (P + "var Größe: bool = true", ("ACC130", 4, 7, 1)),  # the first non-ASCII letter
])
def test_caret_covers_the_slip(text: str, where: tuple[str, int, int, int]) -> None:
    assert at(text) == where


def test_end_of_file_points_after_the_last_token_and_at_the_open_bracket() -> None:
    d = first_error("protocol P\nrole A {\n  action a { skip }\n\n# trailing comment\n")
    assert (d.code, d.span.line, d.span.column) == ("ACC119", 3, 20)  # type: ignore[union-attr]
    assert d.notes and d.notes[0][0] == "this `{` is never closed"
    assert (d.notes[0][1].line, d.notes[0][1].column) == (2, 8)  # type: ignore[union-attr]


@pytest.mark.parametrize("text,hint", [
    ("protocol P\nrole A { var état: bool = false }", "write `etat` instead of `état`"),
    ("protocol P\nconst Größe = 3", "write `Grosse` instead of `Größe`"),
    ("protocol P\nchannel A → B fifo", "write `->` instead of `→`"),
    ("protocol P\nvar a: bool = true\ninvariant i: a ∧ a", "write `and` instead of `∧`"),
    ("protocol P\nrol A { }", "did you mean `role`?"),
    ("protocol P\nconst set = 3", "choose another name, e.g. `set_` or `my_set`"),
])
def test_hints_say_what_to_write(text: str, hint: str) -> None:
    assert first_error(text).hint == hint


def test_non_ascii_in_comments_is_fine() -> None:
    proto, diags = load_text("protocol P  # café, naïve, 日本語 → ok\nvar x: bool = true // ≤ ≥\ninvariant i: x")
    assert proto is not None and not [d for d in diags if d.is_error]


def test_reserved_words_are_refused_as_names() -> None:
    for word in ("set", "all", "send", "timeout", "any", "in", "true", "bool"):
        assert word in RESERVED
        d = first_error(f"protocol P\nrole A {{ var {word}: bool = false }}")
        assert d.code in ("ACC122", "ACC121"), d.render()
    d = first_error("protocol P\nrole A { action send { skip } }")
    assert (d.code, d.span.line, d.span.column) == ("ACC122", 2, 17)  # type: ignore[union-attr]


def test_contextual_keywords_are_names_elsewhere() -> None:
    """`on`, `shared`, `message`, `to`, `max` … are keywords only where the grammar expects them."""
    text = """protocol P
enum Mode { on, off }
message to
channel shared -> links fifo
role shared {
  var message: bool = false
  var on: bool = false
  action fair when not on { message := true  on := message }
}
role links { on to { skip } }
var max: 0..3 = 0
action inc when max < 3 { max := max + 1 }
invariant fifo: max <= 3 or shared.on
"""
    proto, diags = load_text(text)
    assert proto is not None, "\n".join(d.render() for d in diags)
    assert {r.name for r in proto.roles} >= {"shared", "links"}


def test_python_keywords_are_names() -> None:
    text = """protocol class
const def = 2
type lambda = 0..def
message import(x: lambda)
channel try -> while fifo
role try { var pass: bool = false  action yield when not pass { send import(1) to while  pass := true } }
role while { var None: lambda = 0  on import(x) { None := x } }
invariant is: while.None <= def
"""
    proto, diags = load_text(text)
    assert proto is not None, "\n".join(d.render() for d in diags)
    assert proto.name == "class"
