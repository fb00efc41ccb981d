"""Pass 1 of the index: every declaration of a spec, with the span of its name.

:class:`Declarations` keeps the tables the second pass (:mod:`accord.lsp.walk_uses`) resolves
names against: top-level names, enum members, each role's variables and steps, the fields of
messages and record types.
"""

from __future__ import annotations

from typing import Any

from lark import Tree

from accord.diagnostics import SourceFile, Span
from accord.lsp.facts import IrFacts
from accord.lsp.index import Index, Ref, Symbol, span_of


class Declarations:
    def __init__(self, src: SourceFile, facts: IrFacts | None):
        self.src = src
        self.facts = facts or IrFacts()
        self.ix = Index()
        self.globals: dict[str, str] = {}  # name -> key: consts, types, enums, messages, roles, shared vars
        self.members: dict[str, list[str]] = {}  # enum member -> keys (one per enum declaring it)
        self.role_vars: dict[str, dict[str, str]] = {}
        self.role_steps: dict[str, dict[str, str]] = {}
        self.fields: dict[str, dict[str, str]] = {}  # message or record type -> field -> key
        self.indexed: set[str] = set()  # roles declared with a count

    # ------------------------------------------------------------------ recording
    def declare(self, kind: str, tok: Any, key: str, full: Any, container: str | None = None,
                type_name: str | None = None, span: Span | None = None) -> str | None:
        sp = span or span_of(tok, self.src)
        fsp = span_of(full, self.src) or sp
        if sp is None or fsp is None or key in self.ix.symbols:
            return None  # a second declaration of one name is an error the lowerer reports; the first wins
        self.ix.symbols[key] = Symbol(kind, str(tok), key, sp, fsp, container, type_name)
        self.ix.refs.append(Ref(sp, key))
        return key

    def ref(self, tok: Any, key: str | None) -> None:
        sp = span_of(tok, self.src)
        if key is not None and sp is not None and key in self.ix.symbols:
            self.ix.refs.append(Ref(sp, key))

    # ------------------------------------------------------------------ pass 1: declarations
    def declarations(self, tree: Tree) -> None:
        name_tok, *decls = tree.children
        self.declare("protocol", name_tok, "protocol:" + str(name_tok), tree)
        for d in decls:
            if not isinstance(d, Tree):
                continue
            kind = d.data
            if kind == "const_decl":
                self._global("const", d.children[0], d)
            elif kind == "type_decl":
                name = str(d.children[0])
                self._global("type", d.children[0], d)
                t = d.children[1]
                if isinstance(t, Tree) and t.data == "record_type":
                    for f in t.children:
                        self._field(name, f)
            elif kind == "enum_decl":
                name = str(d.children[0])
                self._global("enum", d.children[0], d)
                for m in d.children[1:]:
                    key = f"member:{name}.{m}"
                    if self.declare("member", m, key, m, container=name):
                        self.members.setdefault(str(m), []).append(key)
            elif kind == "message_decl":
                self._global("message", d.children[0], d)
                for f in d.children[1:]:
                    if isinstance(f, Tree) and f.data == "field":
                        self._field(str(d.children[0]), f)
            elif kind == "channel_decl":
                a, b = d.children[0], d.children[1]
                sa, sb = span_of(a, self.src), span_of(b, self.src)
                if sa and sb:
                    sp = Span(sa.line, sa.column, sb.end_line, sb.end_column, self.src)
                    self.ix.symbols.setdefault(f"channel:{a}->{b}", Symbol("channel", f"{a} -> {b}",
                                               f"channel:{a}->{b}", sp, span_of(d, self.src) or sp))
            elif kind == "var_decl":
                self._var(None, d)
            elif kind == "role_decl":
                self._role(d)
            elif kind == "action_decl":
                self._step("env", d)
            elif kind in ("invariant_decl", "reachable_decl", "leads_to_decl", "agreement_decl"):
                self.declare("property", d.children[0], f"property:{d.children[0]}", d)
            elif kind == "constraint_decl":
                self.declare("constraint", d.children[0], f"constraint:{d.children[0]}", d)
            elif kind == "check_decl":
                k = d.children[0].children[0]
                self.declare("property", k, f"property:{k}", d)

    def _global(self, kind: str, tok: Any, d: Tree) -> None:
        key = self.declare(kind, tok, f"{kind}:{tok}", d)
        if key:
            self.globals.setdefault(str(tok), key)

    def _field(self, owner: str, f: Tree) -> None:
        tok, t = f.children
        tn = str(t.children[0]) if isinstance(t, Tree) and t.data == "named_type" else None
        key = self.declare("field", tok, f"field:{owner}.{tok}", f, container=owner, type_name=tn)
        if key:
            self.fields.setdefault(owner, {})[str(tok)] = key

    def _var(self, role: str | None, d: Tree) -> None:
        tok, t = d.children[1], d.children[2]
        tn = str(t.children[0]) if isinstance(t, Tree) and t.data == "named_type" else None
        key = self.declare("var", tok, f"var:{role or ''}.{tok}", d, container=role, type_name=tn)
        if key and role is None:
            self.globals.setdefault(str(tok), key)
        elif key and role is not None:
            self.role_vars.setdefault(role, {})[str(tok)] = key

    def _role(self, d: Tree) -> None:
        name = str(d.children[0])
        self._global("role", d.children[0], d)
        if d.children[1] is not None:
            self.indexed.add(name)
        self.role_vars.setdefault(name, {})
        for item in d.children[3:]:
            if isinstance(item, Tree) and item.data == "var_decl":
                self._var(name, item)
            elif isinstance(item, Tree) and item.data in ("action_decl", "handler_decl", "timeout_decl"):
                self._step(name, item)

    def _step(self, role: str, d: Tree) -> None:
        tok: Any
        sp: Span | None = None
        if d.data == "timeout_decl":
            start = span_of(d, self.src)
            if start is None:
                return
            line = self.src.line(start.line)
            col = line.find("timeout", start.column - 1) + 1 or start.column
            sp = Span(start.line, col, start.line, col + len("timeout"), self.src)
            name, tok = "timeout", "timeout"  # the keyword is not in the tree: the step's name is the word
        else:
            tok = d.children[0]
            name = str(tok)
        key = self.declare("step", tok, f"step:{role}.{name}", d, container=role, span=sp)
        if key:
            self.role_steps.setdefault(role, {})[name] = key


__all__ = ["Declarations"]
