"""Hover text for a symbol: the declaration as written, and what the type checker made of it.

The text is Markdown: a fenced ``accord`` block with the declaration (its header only, for roles
and steps), then one line of facts from the IR when the spec lowered (a constant's value, a
variable's full type, a role's instance count, a message's field types).

>>> from accord.lsp.document import analyze
>>> doc = analyze("protocol P\\nconst N = 2\\nrole W[N] symmetric { var n: 0..N = 0 }")
>>> print(hover_text(doc.index.symbols["role:W"], doc))
```accord
role W[N] symmetric
```
role: 2 instances, symmetric; 1 variable, 0 steps
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord import ir
from accord.ir.types import render_type, render_value, size
from accord.lsp.index import Symbol

if TYPE_CHECKING:
    from accord.lsp.document import Analysis

_MAX_LINES = 12


def _written(sym: Symbol, doc: Analysis, header: bool = False) -> str:
    """The declaration's text; with ``header``, up to its body's opening brace."""
    full = sym.full
    lines = [doc.source.line(n) for n in range(full.line, full.end_line + 1)]
    if not lines:
        return sym.name
    lines[-1] = lines[-1][: full.end_column - 1]  # the end first: on a one-line span both cuts apply to it
    lines[0] = lines[0][full.column - 1:]
    text = "\n".join(lines)
    if header:
        brace = _body_start(text, sym)
        text = text[:brace].rstrip() if brace >= 0 else text
    out = text.split("\n")
    if len(out) > _MAX_LINES:
        out = out[:_MAX_LINES] + ["  …"]
    return "\n".join(out)


def _body_start(text: str, sym: Symbol) -> int:
    """Where the body of a role or step opens: the first `{` outside brackets after the name."""
    depth = 0
    start = text.find(sym.name) + len(sym.name) if sym.name in text else 0
    for i in range(start, len(text)):
        c = text[i]
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "{" and depth == 0 and not _in_guard_set(text, i):
            return i
    return -1


def _in_guard_set(text: str, i: int) -> bool:
    """A `{` that opens a set literal in a guard follows an operator or `in`, never a name or `)`."""
    before = text[:i].rstrip()
    return bool(before) and (before[-1] in "=<>!+-*/%&,(:" or before.endswith((" in", " and", " or", " not")))


def _block(text: str) -> str:
    return f"```accord\n{text}\n```"


def hover_text(sym: Symbol, doc: Analysis) -> str:
    """Markdown for the symbol: its declaration and the facts the IR gives."""
    proto = doc.proto
    kind = sym.kind
    if kind == "protocol":
        text = _block(f"protocol {sym.name}")
    elif kind in ("role", "step"):
        text = _block(_written(sym, doc, header=True))
    elif kind == "member":
        enum = doc.index.symbols.get(f"enum:{sym.container}")
        text = _block(_written(enum, doc) if enum else sym.name)
    else:
        text = _block(_written(sym, doc))
    fact = _fact(sym, doc, proto)
    return text + (f"\n{fact}" if fact else "")


def _fact(sym: Symbol, doc: Analysis, proto: ir.Protocol | None) -> str | None:
    kind = sym.kind
    if kind == "member":
        return f"member of enum `{sym.container}`"
    if kind == "field":
        owner = "message" if f"message:{sym.container}" in doc.index.symbols else "record type"
        return f"field of {owner} `{sym.container}`"
    if kind == "bound":
        t = doc.index.bound_types.get(sym.key)
        return f"bound name: `{sym.name}` ranges over `{render_type(t)}`" if t is not None else "bound name"
    if kind == "step":
        return f"step of role `{sym.container}`" if sym.container != "env" else "environment action"
    if kind == "protocol":
        if proto is None:
            return None
        return (f"protocol: {len(proto.roles)} role(s), {len(proto.messages)} message(s), "
                f"{len(proto.properties)} propert{'y' if len(proto.properties) == 1 else 'ies'}")
    if proto is None:  # the spec has errors: say what the text says
        if kind == "var":
            return f"variable of role `{sym.container}`" if sym.container else "shared variable"
        return {"role": "role", "const": "constant", "type": "type", "enum": "enum", "message": "message",
                "channel": "channel"}.get(kind)
    if kind == "const":
        c = next((c for c in proto.consts if c.name == sym.name), None)
        if c is not None:
            value = render_value(c.type, c.value) if not isinstance(c.value, bool) else str(c.value).lower()
            return f"constant = `{value}`" + (" (set with --const)" if c.overridden else "")
    if kind == "var":
        role = proto.role_map.get(sym.container) if sym.container else None
        v = role.var(sym.name) if role else next((v for v in proto.shared if v.name == sym.name), None)
        if v is not None:
            where = f"variable of role `{sym.container}`" if role else "shared variable"
            shown = render_type(v.type, use_alias=False)
            return f"{where}: `{shown}`" + (" (persistent)" if v.persistent else "")
    if kind == "role":
        r = proto.role_map.get(sym.name)
        if r is not None:
            n = f"{r.count} instance{'s' if r.count != 1 else ''}"
            sym_ = ", symmetric" if r.symmetric else ""
            return (f"role: {n}{sym_}; {len(r.vars)} variable{'s' if len(r.vars) != 1 else ''}, "
                    f"{len(r.steps)} step{'s' if len(r.steps) != 1 else ''}")
    if kind == "type":
        t = next((d.type for d in proto.decls if isinstance(d, ir.TypeDecl) and d.name == sym.name), None)
        if t is not None:
            return f"type = `{render_type(t, use_alias=False)}` ({_values(t)})"
    if kind == "enum":
        t = next((d.type for d in proto.decls if isinstance(d, ir.EnumDecl) and d.name == sym.name), None)
        return f"enum with {len(t.members)} members" if isinstance(t, ir.EnumType) else None
    if kind == "message":
        m = proto.messages.get(sym.name)
        if m is not None and m.fields:
            return "message; fields: " + ", ".join(f"`{n}: {render_type(t, use_alias=False)}`" for n, t in m.fields)
        return "message without fields" if m is not None else None
    return None


def _values(t: ir.Type) -> str:
    try:
        n = size(t)
    except TypeError:
        return "values not enumerable"
    if n > 1_000_000:
        return "more than a million values"
    return f"{n:,} value{'s' if n != 1 else ''}"


__all__ = ["hover_text"]
