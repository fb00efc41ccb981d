"""Syntax errors explained by worked examples.

Each entry maps a (code, message, hint) to snippets that fail the same way.
Lark's ``match_examples`` finds the entry whose example stops the parser in the
same state as the user's text. ``tests/test_syntax_errors.py`` loops over this
very table, so every example is checked to produce its own message.
"""

from __future__ import annotations

from typing import Any

from lark import Lark
from lark.exceptions import UnexpectedInput

P = "protocol P\n"

#: (code, message, hint) -> examples that must be reported with that message.
EXAMPLES: dict[tuple[str, str, str | None], list[str]] = {
    ("ACC110", "a spec must start with `protocol Name`", "add `protocol MyProtocol` as the first line"): [
        "role A { }",
        "const N = 3",
        "message M",
    ],
    ("ACC111", "`=` where `:=` was expected: assignment is written `x := value`", "write `:=` to assign; `==` compares"): [
        P + "role A { var x: bool = true\n action a { x = false } }",
        P + "role A { var m: map bool -> bool = [b -> true]\n action a { m[true] = false } }",
    ],
    ("ACC112", "a variable needs a type: `var name: Type = value`", "write e.g. `var done: bool = false`"): [
        P + "role A { var x = 1 }",
        P + "var x = 1",
    ],
    ("ACC113", "missing `{` to open the body of the step", "a step's body is a block: `action name { … }`"): [
        P + "role A { action a x := 1 }",
        P + "role A { action a when true x := 1 }",
        P + "role A { on M send M to A }",
    ],
    ("ACC114", "a channel needs a kind: `fifo`, `bag`, `set` or `sync`", "write e.g. `channel A -> B fifo`"): [
        P + "channel A -> B\nrole A {}",
        P + "channel A -> B capacity 2",
    ],
    ("ACC115", "a fault needs a budget: `… at most K`", "write e.g. `crash Worker at most 1`"): [
        P + "faults { crash Worker }",
        P + "faults { lose A -> B }",
        P + "faults { crash Worker at 1 }",
    ],
    ("ACC116", "a property needs a name: `invariant name: condition`", "write e.g. `invariant safe: x <= 3`"): [
        P + "invariant x == 1",
        P + "reachable x == 1",
        P + "invariant : x",
    ],
    ("ACC117", "`leads_to` is written `property name: P leads_to Q`", None): [
        P + "property p: x == 1",
        P + "property p: x == 1 ~> y",
    ],
    ("ACC118", "a condition is missing after `when`", "write `when <condition>`"): [
        P + "role A { action a when { skip } }",
    ],
    ("ACC119", "unbalanced braces: a block or role is not closed", "check that every `{` has its `}`"): [
        P + "role A { action a { skip }",
        P + "role A { action a { skip ",
    ],
    ("ACC120", "`==` where `=` was expected in a declaration", "declarations use `=`: `const N = 3`"): [
        P + "const N == 3",
        P + "type T == 0..3",
    ],
    ("ACC121", "a name was expected here", "names start with a letter or `_`; keywords cannot be names"): [
        P + "role 3 {}",
        P + "const 3 = 4",
        P + "message 3",
        P + "role A { var 1: bool }",
        P + "role A { action 1 { skip } }",
    ],
    ("ACC122", "a keyword is used where a name was expected", "keywords (e.g. `set`, `all`, `to`, `timeout`) are reserved; rename it"): [
        P + "const set = 3",
        P + "role A { var all: bool }",
        P + "message to",
        P + "role A { action send { skip } }",
    ],
    ("ACC123", "an expression is incomplete", "an operator needs a value on both sides"): [
        P + "const N = 3 +",
        P + "invariant x: 1 + == 2",
        P + "invariant x: not",
        P + "invariant x: (1 + 2",
    ],
    ("ACC124", "a parameter is written `name in Domain`", "write e.g. `action assign(t in Task)`"): [
        P + "role A { action a(t: Task) { skip } }",
        P + "role A { action a(t) { skip } }",
    ],
    ("ACC125", "`else if` and `else` follow the closing `}` of an `if` block", "write `if c { … } else { … }`"): [
        P + "role A { action a { if true skip } }",
        P + "role A { action a { if true { skip } else skip } }",
    ],
    ("ACC126", "`send` names its destination: `send Msg(args) to recipient`", "add `to <instance>`"): [
        P + "role A { action a { send M } }",
        P + "role A { action a { send M(1) } }",
    ],
    ("ACC127", "an unknown declaration; expected `const`, `type`, `enum`, `message`, `channel`, `var`, `role`, `faults`, a property or `check`", None): [
        P + "roel A {}",
        P + "function f() {}",
        P + "protocol Q",
    ],
}


def explain(exc: UnexpectedInput, parser: Lark, text: str) -> tuple[str, str | None, str | None]:
    """``(code, message, hint)`` for a syntax error; message ``None`` means: no example matched."""
    try:
        label: Any = exc.match_examples(parser.parse, EXAMPLES, use_accepts=True)
    except Exception:  # an example that itself parses would be a table bug; fall back
        label = None
    if label is None:
        return "ACC100", None, None
    code, message, hint = label
    return code, message, hint
