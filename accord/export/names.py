"""Python names and literals for generated code, from validated spec names only.

Spec names are ``[A-Za-z_][A-Za-z_0-9]*`` by the grammar, but a spec may still
use a Python keyword (``class``, ``lambda``), a builtin the generated code
needs, or two names that collide once mapped (a step ``on_Result`` and a
handler of ``Result``). :class:`Namer` hands out distinct, safe identifiers,
checked with ``str.isidentifier`` and ``keyword.iskeyword``; :func:`literal`
writes string and number literals with ``repr`` (never by pasting text).
"""

from __future__ import annotations

import keyword
import re
from typing import Any

#: Names the generated modules use themselves: a spec name equal to one of these gets a suffix.
RESERVED = frozenset({
    "Any", "ClassVar", "Literal", "Mapping", "Inst", "Agent", "Outbox", "StepContext", "Spec", "Decider",
    "MessageBase", "IdempotentMessage", "dataclass", "annotations", "MESSAGES", "ROLES", "None", "True", "False",
    "int", "str", "bool", "tuple", "frozenset", "dict", "list", "type", "object", "self", "cls",
})
#: Attributes of accord.runtime.Agent that a step method must not shadow.
AGENT_ATTRS = frozenset({
    "ROLE", "STATE", "HANDLERS", "spec", "role", "inst", "decide", "locals", "steps", "name", "state", "handle",
    "run", "_commands",
})

_SAFE_DOC = re.compile(r"^[A-Za-z0-9_ .,:;{}\[\]()<>=+\-*/%&|>!#]*$")


def check_identifier(name: str) -> str:
    """``name`` if it is a usable Python identifier; ValueError otherwise."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"{name!r} is not a usable Python identifier")
    return name


class Namer:
    """Distinct Python identifiers within one scope (a module or a class)."""

    def __init__(self, reserved: frozenset[str] = RESERVED):
        self.reserved = reserved
        self.taken: set[str] = set()

    def name(self, wanted: str) -> str:
        base = re.sub(r"\W", "_", wanted, flags=re.ASCII) or "_"
        if base[0].isdigit():
            base = "_" + base
        if keyword.iskeyword(base) or keyword.issoftkeyword(base) or base in self.reserved:
            base += "_"
        cand = base
        k = 2
        while cand in self.taken:
            cand = f"{base}_{k}"
            k += 1
        self.taken.add(cand)
        return check_identifier(cand)


def snake(name: str) -> str:
    """``LeaderFollower`` -> ``leader_follower`` (a module name)."""
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
    s = re.sub(r"\W", "_", s, flags=re.ASCII)
    if not s or s[0].isdigit():
        s = "p_" + s
    if keyword.iskeyword(s):
        s += "_"
    return check_identifier(s)


def literal(value: Any) -> str:
    """A Python literal for a str, int, bool, None, or a tuple/list/dict of those."""
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, tuple):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no literal for {type(value).__name__}")


def doc_text(text: str) -> str:
    """``text`` if it is safe inside a docstring (rendered types and names only), else ''."""
    return text if _SAFE_DOC.match(text) and '"""' not in text else ""


__all__ = ["AGENT_ATTRS", "RESERVED", "Namer", "check_identifier", "doc_text", "literal", "snake"]
