"""Syntax errors explained by worked examples.

:data:`EXAMPLES` maps each ``(code, message, hint)`` to snippets that fail the
same way. A user's error is matched to an example by the *context* the parser
was in (the set of tokens it would have accepted) and the kind of token it
found; matching on the accepted set rather than the raw LALR state lets one
example cover the same slip in a role's action and in a top-level action.
A few slips cannot be told apart by context alone (``&&``, ``elif``, Unicode
operators, a keyword used as a name); small rules in :func:`explain` recognise
those first, and their messages also come from this table.

``tests/test_syntax_errors.py`` loops over this very table: every example must
be reported with its own code, so the table is also a test.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from accord.diagnostics import did_you_mean

P = "protocol P\n"
_STEP = P + "role A {\n  var x: 0..3 = 0\n  action a "  # + rest of an action
_STMT = P + "role A {\n  var x: 0..3 = 0\n  action a { "  # + statements + " } }"

Label = tuple[str, str, str | None]

#: (code, message, hint) -> examples that must be reported with that code.
EXAMPLES: dict[Label, list[str]] = {
    ("ACC110", "a spec must start with `protocol Name`", "add `protocol MyProtocol` as the first line"): [
        "role A { }",
        "const N = 3",
        "message M",
        "var x: bool = true",
    ],
    ("ACC111", "`=` where `:=` was expected: assignment is written `x := value`",
     "write `:=` to assign; `==` compares"): [
        _STMT + "x = 1 } }",
        P + "role A { var m: map bool -> bool = [b -> true]\n action a { m[true] = false } }",
        P + "var x: 0..1 = 0\naction a { x = 1 }",
        P + "var r: record { a: bool } = {a: true}\naction a { r.a = false }",
    ],
    ("ACC112", "a variable needs a type: `var name: Type = value`", "write e.g. `var done: bool = false`"): [
        P + "role A { var x = 1 }",
        P + "var x = 1",
        P + "role A { var x in {1, 2} }",
    ],
    ("ACC113", "missing `{` to open the body of the step", "a step's body is a block: `action name { … }`"): [
        _STEP + "x := 1 }",
        _STEP + "when x < 3 x := 1 }",
        _STEP + "when x < 3 send M to A }",
        _STEP + "when x < 3 if x > 0 { skip } }",
        _STEP + "skip }",
        P + "role A { on M send M to A }",
        P + "role A { on M(a) x := a }",
        P + "var x: 0..1 = 0\naction a x := 1",
        P + "var x: 0..1 = 0\naction a when x == 0 x := 1",
    ],
    ("ACC114", "a channel needs a kind: `fifo`, `bag`, `set` or `sync`", "write e.g. `channel A -> B fifo`"): [
        P + "channel A -> B\nrole A {}",
        P + "channel A -> B capacity 2",
        P + "channel A -> B queue",
    ],
    ("ACC115", "a fault needs a budget: `… at most K`", "write e.g. `crash Worker at most 1`"): [
        P + "faults { crash Worker }",
        P + "faults { lose A -> B }",
        P + "faults { crash Worker at 1 }",
        P + "faults { crash Worker 1 }",
    ],
    ("ACC116", "a property needs a name: `invariant name: condition`", "write e.g. `invariant safe: x <= 3`"): [
        P + "invariant x == 1",
        P + "invariant x <= 1",
        P + "reachable x == 1",
        P + "invariant : x",
        P + "invariant not x",
    ],
    ("ACC117", "`leads_to` is written `property name: P leads_to Q`",
     "e.g. `property served: waiting leads_to done`"): [
        P + "property p: x == 1",
        P + "property p: x == 1 ~> y",
    ],
    ("ACC118", "a condition is missing after `when`", "write `when <condition>`"): [
        P + "role A { action a when { skip } }",
        P + "var x: bool = true\naction a when { x := false }",
        P + "role A { on M when { skip } }",
        P + "role A { final when }",
        P + "role A { final when\n action a { skip } }",
    ],
    ("ACC119", "unbalanced braces: a block or role is not closed", "check that every `{` has its `}`"): [
        P + "role A { action a { skip }",
        P + "role A { action a { skip ",
        P + "role A {",
        P + "faults { crash A at most 1",
    ],
    ("ACC120", "`==` where `=` was expected in a declaration", "declarations use `=`: `const N = 3`"): [
        P + "const N == 3",
        P + "type T == 0..3",
        P + "var x: bool == true",
    ],
    ("ACC121", "a name was expected here", "names start with a letter or `_`; keywords cannot be names"): [
        P + "role 3 {}",
        P + "const 3 = 4",
        P + "message 3",
        P + "role A { var 1: bool }",
        P + "role A { action 1 { skip } }",
        P + "enum E { 1, 2 }",
    ],
    ("ACC122", "a keyword is used where a name was expected",
     "keywords (e.g. `set`, `all`, `to`, `timeout`) are reserved; rename it"): [
        P + "const set = 3",
        P + "role A { var all: bool = true }",
        P + "role A { action send { skip } }",
        P + "enum Mode { in, out }",
        P + "var x: bool = true\naction a { x := all }",
    ],
    ("ACC123", "an expression is incomplete", "an operator needs a value on both sides"): [
        P + "const N = 3 +",
        P + "invariant x: 1 + == 2",
        P + "invariant x: not",
        P + "invariant x: (1 + 2",
        P + "var s: set of 0..3 = {}\ninvariant x: size(s <= 2",
        P + "const N = 2 * * 3",
        _STMT + "x := 1 + } }",
        _STMT + "x := 1 -\n  } }",
        _STMT + "if x > 1 and { skip } } }",
        P + "invariant x: (1 + )",
        P + "invariant x: (1 + 1 == )",
        P + "const N = 1 +\nconst M = 2",
        P + "var x: bool = true\ninvariant i: x and\ninvariant j: x",
        P + "var x: bool = true\naction a when x and { skip }",
        P + "var x: 0..3 = 0\ninvariant i: x in {1, 2",
        P + "var x: 0..3 = 0\ninvariant i: x in {1, 2\nconst N = 1",
    ],
    ("ACC124", "a parameter is written `name in Domain`", "write e.g. `action assign(t in Task)`"): [
        P + "role A { action a(t: Task) { skip } }",
        P + "role A { action a(t) { skip } }",
        P + "action a(t: Task) { skip }",
    ],
    ("ACC125", "`else if` and `else` follow the closing `}` of an `if` block", "write `if c { … } else { … }`"): [
        P + "role A { action a { if true skip } }",
        P + "role A { action a { if true { skip } else skip } }",
        _STMT + "if x == 0 { x := 1 } else x := 0 } }",
        _STMT + "if x == 0 x := 1 } }",
    ],
    ("ACC126", "`send` names its destination: `send Msg(args) to recipient`", "add `to <instance>`"): [
        P + "role A { action a { send M } }",
        P + "role A { action a { send M(1) } }",
        _STMT + "send M x := 1 } }",
        P + "role A { action a { broadcast M } }",
    ],
    ("ACC127", ("an unknown declaration; expected `const`, `type`, `enum`, `message`, `channel`, `var`, `role`, "
                "`faults`, a property or `check`"), "each declaration starts with one of these keywords"): [
        P + "roel A {}",
        P + "function f() {}",
        P + "protocol Q",
        P + "rol Worker { }",
        P + "var x: bool = true\nfunction f() {}",
        P + "role A { }\nroel B { }",
        P + "const N = 3\nprocedure p {}",
        P + "const N = 3 + 1\nfunction f() {}",
    ],
    ("ACC128", "accord writes logic with words: `and`, `or`, `not`",
     "write `a and b`, `a or b`, `not a` (`!=` is still inequality)"): [
        P + "var a: bool = true\ninvariant i: a && a",
        P + "var a: bool = true\ninvariant i: a || a",
        P + "var a: bool = true\ninvariant i: !a",
        P + "var a: bool = true\naction go when a && a { skip }",
    ],
    ("ACC129", "`=` is not a comparison: `==` compares", "write `==` (and `:=` to assign)"): [
        P + "var x: 0..1 = 0\naction a when x = 0 { skip }",
        P + "var x: 0..1 = 0\ninvariant i: x = 0",
        _STMT + "if x = 1 { skip } } }",
        P + "var x: 0..1 = 0\ninvariant i: x == 0 and x = 1",
    ],
    ("ACC130", "names are plain ASCII: letters `a`-`z`, `A`-`Z`, digits and `_`", "use an ASCII spelling"): [
        P + "role A { var état: bool = false }",
        P + "const Größe = 3",
        P + "role Ärzte { }",
        P + "var x: bool = true\ninvariant i: xé",
    ],
    ("ACC131", "accord has no strings", "name the values with an `enum`, e.g. `enum Mode { fast, slow }`"): [
        P + 'const NAME = "leader"',
        P + "const NAME = 'leader'",
        P + "var x: bool = true\ninvariant i: x == “yes”",
    ],
    ("ACC132", "this symbol is not accord syntax", "accord is written in ASCII"): [
        P + "channel A → B fifo",
        P + "var x: 0..3 = 0\ninvariant i: x ≤ 3",
        P + "var x: 0..3 = 0\ninvariant i: x ≠ 3",
        P + "var a: bool = true\ninvariant i: a ∧ a",
        P + "var a: bool = true\ninvariant i: ¬a",
        P + "var a: bool = true\ninvariant i: ∀ x in 0..1: a",
    ],
    ("ACC133", "a comma is missing between list items", "separate items with `,`"): [
        P + "enum Colour { red green }",
        P + "message M(a: bool b: bool)",
        P + "enum Colour { red, green blue }",
    ],
    ("ACC134", "`let` binds with `=`: `let name = value`", "write `let y = …`; `:=` assigns to a `var`"): [
        _STMT + "let y := 1 } }",
        P + "var x: 0..1 = 0\naction a { let y := x }",
    ],
    ("ACC135", "a map type is written `map Key -> Value`", "write e.g. `map Task -> bool`"): [
        P + "var m: map bool => bool = [b -> true]",
        P + "var m: map bool to bool = [b -> true]",
        P + "var m: map bool, bool = [b -> true]",
        P + "var m: map bool: bool = [b -> true]",
    ],
    ("ACC136", "fairness needs a kind: `fair weak …`, `fair strong …` or `fair no …`",
     "write e.g. `fair weak Worker`"): [
        P + "role W { action w { skip } }\nfair W",
        P + "role W { action w { skip } }\nfair W.w",
        P + "role W { action w { skip } }\nfair weakly W",
    ],
    ("ACC137", "`check` takes `deadlock` or `termination`",
     "safety properties are declared with `invariant name: condition`"): [
        P + "check liveness",
        P + "check safety",
        P + "check deadlock under",
    ],
    ("ACC138", "`elif` is written `else if`", "write `if a { … } else if b { … }`"): [
        _STMT + "if x == 0 { skip } elif x == 1 { skip } } }",
        _STMT + "if x == 0 { skip } elsif x == 1 { skip } } }",
        _STMT + "if x == 0 { skip } elseif x == 1 { skip } } }",
    ],
    ("ACC139", "a declaration inside a step; declarations belong at the top of a role or the protocol",
     "move it out of the step; inside a step, `let name = value` names a value"): [
        _STMT + "var y: bool = true } }",
        _STMT + "const K = 3 } }",
        P + "var x: 0..1 = 0\naction a { var y: bool = true }",
    ],
    ("ACC141", "a range is a type, not a value: it cannot follow `in` here",
     "declare `type Slot = 0..3` and write `in Slot`"): [
        P + "invariant i: forall a in 0..1: a >= 0",
        P + "role A { action a(t in 0..3) { skip } }",
        P + "var x: 0..3 = 0\ninvariant i: x in 0..3",
        P + "var x: 0..3 = 0\naction a { choose y in 0..3 { x := y } }",
    ],
    ("ACC142", "`protocol` needs a name: `protocol MyProtocol`", "name the protocol on the first line"): [
        "protocol\nrole A {}",
        "protocol\nconst N = 3",
        "protocol\nmessage M",
    ],
    ("ACC143", "an enum needs at least one member", "write e.g. `enum Phase { idle, busy }`"): [
        P + "enum E {}",
        P + "enum E { }\nconst N = 1",
    ],
    ("ACC144", "fairness is written `check termination under weak fairness`",
     "write `under weak fairness` or `under strong fairness`"): [
        P + "check termination under weak",
        P + "check termination under strong\nconst N = 1",
        P + "check termination under fairness",
        P + "check termination weak fairness",
    ],
    ("ACC145", "accord has no `++`, `--` or `+=`: assignment is written `x := x + 1`", "write `x := x + 1`"): [
        _STMT + "x++ } }",
        _STMT + "x += 1 } }",
        _STMT + "x -= 1 } }",
        _STMT + "x-- } }",
        P + "var x: 0..3 = 0\naction a { x++ }",
    ],
    ("ACC146", "steps are atomic: accord has no loops (`while`) or early exits (`return`, `break`)",
     "an action runs again whenever its guard holds; iterate a finite set with `for x in S { … }`; "
     "skip statements with `if`"): [
        _STMT + "while x < 3 { x := x + 1 } } }",
        _STMT + "return } }",
        _STMT + "if x > 0 { break } } }",
    ],
    ("ACC148", "accord writes a conditional value as `if c then a else b`", "write `if c then a else b`"): [
        P + "var x: 0..3 = 0\ninvariant i: x == (x > 0 ? 1 : 0)",
        _STMT + "x := x > 0 ? 1 : 0 } }",
    ],
    ("ACC140", "a field is written `name: Type`", "write e.g. `record { term: 0..3, ok: bool }`"): [
        P + "type R = record { a bool }",
        P + "message M(a bool)",
        P + "type R = record { a: bool, b 0..3 }",
    ],
}

LABELS: dict[str, Label] = {label[0]: label for label in EXAMPLES}

#: Unicode symbols people paste from papers and chat, with what accord writes instead.
UNICODE_OPERATORS = {
    "→": "->", "⟶": "->", "⇒": "=>", "⟹": "=>", "≤": "<=", "≥": ">=", "≠": "!=", "∧": "and",
    "∨": "or", "¬": "not", "∀": "forall", "∃": "exists", "∈": "in", "∉": "not in", "∪": "+",
    "∩": "&", "⊆": "<=", "⊂": "<", "∅": "{}", "≔": ":=", "←": ":=", "⟨": "<<", "⟩": ">>",
    "−": "-", "–": "-", "—": "-", "×": "*", "÷": "/", "…": "..", "‥": "..", "＝": "=",
}
_QUOTES = "\"'`“”‘’«»„"
_ELIF = ("elif", "elsif", "elseif")
_LOOPS = ("while", "loop", "until", "do", "return", "break", "continue", "goto")
#: Terminals that begin a statement or a declaration: where they are expected, an unexpected keyword is misplaced
#: rather than a keyword standing in for a name.
_STARTERS = {"SEND", "BROADCAST", "REPLY", "CHOOSE", "FOR", "ASSERT", "LET", "SKIP", "CONST", "TYPE", "ENUM",
             "MESSAGE", "CHANNEL", "ROLE", "FAULTS", "INVARIANT", "ACTION", "ON", "FINAL", "$END"}
_DECL_WORDS = ("var", "const", "type", "enum", "message", "channel", "role", "faults", "invariant", "property",
               "reachable", "agreement", "constraint", "fair", "schedule", "check")


@dataclass(frozen=True)
class Explanation:
    """What to tell the user about one syntax error.

    ``start``/``end`` (offsets into the text) override where the caret goes when
    the offending text is not the token the parser stopped at (``&&``, ``elif``).
    """

    code: str
    message: str | None
    hint: str | None = None
    start: int | None = None
    end: int | None = None
    found: str | None = None  # what to call the offending text, when not the token itself


def explain(exc: UnexpectedInput, parse: Callable[[str], Any], text: str,
            reserved: frozenset[str] = frozenset()) -> Explanation:
    """Explain a syntax error; ``message is None`` means nothing matched (the caller words a generic one).

    ``parse`` is the parse function that raised ``exc`` (the examples are parsed with it too).
    """
    found = _explain_rules(exc, text, reserved)
    if found is not None:
        return found
    label = match_example(exc, parse, reserved)
    if label is None:
        return Explanation("ACC100", None)
    code, message, hint = label
    if code == "ACC127" and isinstance(exc, UnexpectedToken):
        hint = did_you_mean(str(exc.token), _DECL_WORDS + ("action",)) or hint
    return Explanation(code, message, hint)


def _explain_rules(exc: UnexpectedInput, text: str, reserved: frozenset[str]) -> Explanation | None:
    if isinstance(exc, UnexpectedCharacters):
        return _explain_character(exc, text)
    return _explain_token(exc, text, reserved)


def _label(code: str, hint: str | None = None, start: int | None = None, end: int | None = None,
           found: str | None = None) -> Explanation:
    _, message, default_hint = LABELS[code]
    return Explanation(code, message, hint or default_hint, start, end, found)


def _explain_character(exc: UnexpectedCharacters, text: str) -> Explanation | None:
    pos = exc.pos_in_stream
    ch = text[pos] if pos < len(text) else ""
    nxt = text[pos + 1] if pos + 1 < len(text) else ""
    if ch == "|":
        if nxt == "|":
            return _label("ACC128", "write `a or b`", pos, pos + 2)
        return _label("ACC128", "write `or` for conditions, `+` for the union of sets, and "
                      "`{e for x in S if c}` for a set comprehension", pos, pos + 1)
    if ch == "!":
        return _label("ACC128", "write `not a`; `!=` is inequality", pos, pos + 1)
    if ch == "?":
        return _label("ACC148", None, pos, pos + 1)
    if ch in _QUOTES:
        end = pos + 1
        while end < len(text) and text[end] not in _QUOTES and text[end] != "\n":
            end += 1
        return _label("ACC131", None, pos, min(end + 1, len(text)))
    if ch in UNICODE_OPERATORS:
        return _label("ACC132", f"write `{UNICODE_OPERATORS[ch]}` instead of `{ch}`", pos, pos + 1)
    if ch and not ch.isascii() and (ch.isalnum() or unicodedata.category(ch).startswith("M")):
        start, end = pos, pos
        while start > 0 and _word_char(text[start - 1]):
            start -= 1
        while end < len(text) and _word_char(text[end]):
            end += 1
        word = text[start:end]
        spelled = word.replace("ß", "ss").replace("æ", "ae").replace("ø", "o").replace("œ", "oe")
        ascii_word = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode("ascii")
        hint = "use letters `a`-`z`, digits and `_`"
        if ascii_word and (ascii_word[0].isalpha() or ascii_word[0] == "_") and ascii_word.isidentifier():
            hint = f"write `{ascii_word}` instead of `{word}`"
        return _label("ACC130", hint, pos, pos + 1, f"`{word}`")
    return None


def _word_char(c: str) -> bool:
    return c.isalnum() or c == "_" or unicodedata.category(c).startswith("M")


@lru_cache(maxsize=1)
def _assign_terminal() -> str:
    """Lark's name for the `:=` terminal (anonymous, so numbered by the grammar's order)."""
    from accord.dsl.parse import parser  # imported here: accord.dsl.parse imports this module

    return next((t.name for t in parser().terminals if t.pattern.type == "str" and t.pattern.value == ":="), ":=")


def _stack(exc: UnexpectedInput) -> list[Any]:
    ip = getattr(exc, "interactive_parser", None)
    state = getattr(ip, "parser_state", None)
    return list(getattr(state, "value_stack", []) or [])


def _explain_token(exc: UnexpectedInput, text: str, reserved: frozenset[str]) -> Explanation | None:
    if not isinstance(exc, UnexpectedToken):
        return None
    tok = exc.token
    expected = set(exc.expected or ())
    stack = _stack(exc)
    prev = stack[-1] if stack else None
    pos = tok.start_pos if isinstance(tok.start_pos, int) else None
    # `a && b`: the first `&` was taken as set intersection
    if tok.type == "MUL_OP" and str(tok) == "&" and pos is not None:
        if isinstance(prev, Token) and str(prev) == "&":
            return _label("ACC128", "write `a and b`", prev.start_pos, pos + 1)
        if text[pos + 1: pos + 2] == "&":
            return _label("ACC128", "write `a and b`", pos, pos + 2)
    # `if a { } elif b { }`: `elif` was read as the start of an assignment
    if isinstance(prev, Token) and prev.type == "NAME" and str(prev) in _ELIF:
        return _label("ACC138", None, prev.start_pos, prev.end_pos)
    # `while c { … }`, `return`, `break`: read as the start of an assignment
    if isinstance(prev, Token) and prev.type == "NAME" and str(prev) in _LOOPS and _assign_terminal() in expected:
        return _label("ACC146", None, prev.start_pos, prev.end_pos)
    # `protocol` followed by a declaration keyword: the name is missing
    if len(stack) == 2 and isinstance(prev, Token) and prev.type == "NAME" and str(prev) in _DECL_WORDS + ("action",):
        return _label("ACC142", "add the name after `protocol`, e.g. `protocol MyProtocol`", prev.start_pos,
                      prev.end_pos, f"`{prev}` where the name should be")
    # `var y: …` inside a step: `var` was read as a name
    if isinstance(prev, Token) and prev.type == "NAME" and str(prev) in _DECL_WORDS and _assign_terminal() in expected:
        return _label("ACC139", None, prev.start_pos, prev.end_pos)
    # `x = 1` in a condition
    if tok.type == "EQUAL" and "CMP_OP" in expected and _assign_terminal() not in expected:
        return _label("ACC129", None, pos, None if pos is None else pos + 1)
    # `when { … }`: the step's body was read as a set literal standing for the condition
    braces = [i for i, v in enumerate(stack) if isinstance(v, Token) and v.type == "LBRACE"]
    if braces and braces[-1] > 0:
        before = stack[braces[-1] - 1]
        if isinstance(before, Token) and before.type == "WHEN":
            brace = stack[braces[-1]]
            return _label("ACC118", None, brace.start_pos, brace.end_pos)
    # a keyword where a name (or a value) belongs
    if str(tok) in reserved and "NAME" in expected and not (expected & _STARTERS):
        return _label("ACC122", f"`{tok}` is a keyword; choose another name (e.g. `{tok}_`)", pos,
                      None if pos is None else pos + len(str(tok)))
    return None


# ---------------------------------------------------------------------------- example matching

@dataclass(frozen=True)
class _Fingerprint:
    state: Any
    accepts: frozenset[str]
    kind: str  # token type, or "char:X" for a character the lexer could not read
    value: str


def _fingerprint(exc: UnexpectedInput, text: str | None = None) -> _Fingerprint:
    state = getattr(exc, "state", None)
    state = getattr(state, "position", state)
    if isinstance(exc, UnexpectedToken):
        accepts = getattr(exc, "accepts", None) or exc.expected or set()
        return _Fingerprint(state, frozenset(accepts), exc.token.type, str(exc.token))
    allowed = getattr(exc, "allowed", None) or set()
    ch = ""
    if isinstance(exc, UnexpectedCharacters):
        ch = getattr(exc, "char", "") or ""
    return _Fingerprint(state, frozenset(allowed), f"char:{ch}", ch)


@lru_cache(maxsize=4)
def _example_prints(parse: Callable[[str], Any], reserved: frozenset[str]
                    ) -> tuple[tuple[Label, _Fingerprint], ...]:
    """Parse every example once. An example that parses cleanly, or that a rule explains, contributes
    nothing: a rule's examples would otherwise lend its message to unrelated errors in the same context."""
    out = []
    for label, examples in EXAMPLES.items():
        for ex in examples:
            try:
                parse(ex)
            except UnexpectedInput as e:
                if _explain_rules(e, ex, reserved) is None:
                    out.append((label, _fingerprint(e)))
    return tuple(out)


def match_example(exc: UnexpectedInput, parse: Callable[[str], Any],
                  reserved: frozenset[str] = frozenset()) -> Label | None:
    """The label of the example that failed in the same context on the same kind of token.

    Same accepted-token set and same token kind are required; among those, an
    example that also stopped in the same LALR state and on the same text wins.
    """
    me = _fingerprint(exc)
    best: tuple[int, Label] | None = None
    for label, fp in _example_prints(parse, reserved):
        if fp.accepts != me.accepts or fp.kind != me.kind:
            continue
        score = (fp.state == me.state) * 2 + (fp.value == me.value)
        if best is None or score > best[0]:
            best = (score, label)
    return best[1] if best else None


__all__ = ["EXAMPLES", "LABELS", "UNICODE_OPERATORS", "Explanation", "explain", "match_example"]
