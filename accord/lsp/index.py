"""Where every name of a spec is declared and used: the index behind hover, definition and symbols.

:func:`build_index` walks the parse tree once, with the language's scoping rules (a step sees its
bound names, then its role's variables, then shared variables, constants, enum members, roles,
types and messages, in the order the lowerer resolves them), and records one :class:`Symbol` per
declaration and one :class:`Ref` per name written. Spans are those of the name tokens themselves
(1-based, end-exclusive, as in :class:`accord.diagnostics.Span`).

The parse tree, not the IR, carries the positions, for two reasons: the IR folds type names into
types (``var x: Task`` keeps no trace of where ``Task`` is written) and exists only when the whole
spec type-checks, while an editor needs navigation most while a spec is being fixed. When the IR
is there, it settles what scoping alone cannot: ``inst.var`` when ``inst`` is any expression of a
role type, record fields, an enum member declared in several enums, and the types of bound names
(see :class:`IrFacts`).

>>> from accord.dsl.parse import parse_tree
>>> from accord.diagnostics import SourceFile
>>> text = "protocol P\\nconst N = 2\\nrole W[N] { var n: 0..N = 0\\n action inc when n < N { n := n + 1 } }"
>>> ix = build_index(parse_tree(text), SourceFile("<spec>", text))
>>> [(r.span.line, r.span.column, r.key) for r in ix.refs if r.key == "const:N"]
[(2, 7, 'const:N'), (3, 8, 'const:N'), (3, 23, 'const:N'), (4, 22, 'const:N')]
>>> ix.at(4, 18).key, ix.symbols["var:W.n"].span.column
('var:W.n', 17)
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from lark import Token, Tree

from accord.diagnostics import SourceFile, Span
from accord.lsp.facts import IrFacts


@dataclass(frozen=True)
class Symbol:
    """A declaration. ``key`` is unique in the spec: ``const:N``, ``var:Role.x`` (``var::x`` when shared),
    ``step:Role.name``, ``member:Enum.m``, ``field:Msg.f``, ``bound:LINE:COL`` for bound names, …"""

    kind: str  # protocol const type enum member message field channel var role step bound property
    name: str
    key: str
    span: Span  # the name as written (for a channel `A -> B`, from A to B)
    full: Span  # the whole declaration
    container: str | None = None  # the role, message, enum or record type it belongs to
    type_name: str | None = None  # a variable's or field's type when written as a plain name


@dataclass(frozen=True)
class Ref:
    span: Span
    key: str


@dataclass
class Index:
    symbols: dict[str, Symbol] = field(default_factory=dict)
    refs: list[Ref] = field(default_factory=list)  # sorted by position; declarations refer to themselves
    bound_types: dict[str, Any] = field(default_factory=dict)  # bound key -> IR type seen at a use

    def at(self, line: int, column: int) -> Symbol | None:
        """The symbol named at a 1-based position (a cursor just after a name still counts)."""
        i = bisect.bisect_right(self._starts(), (line, column)) - 1
        for r in self.refs[max(0, i - 1): i + 1][::-1]:
            s = r.span
            if s.line == line and s.column <= column <= s.end_column:
                return self.symbols.get(r.key)
        return None

    def uses(self, key: str) -> list[Span]:
        return [r.span for r in self.refs if r.key == key]

    def _starts(self) -> list[tuple[int, int]]:
        return [(r.span.line, r.span.column) for r in self.refs]


def _span(node: Any, src: SourceFile) -> Span | None:
    if isinstance(node, Token):
        return Span(node.line or 1, node.column or 1, node.end_line or node.line or 1,
                    node.end_column or (node.column or 1) + len(node), src)
    meta = getattr(node, "meta", None)
    if meta is None or getattr(meta, "empty", True):
        return None
    return Span(meta.line, meta.column, meta.end_line, meta.end_column, src)


@dataclass(frozen=True)
class _Scope:
    role: str | None = None
    bound: tuple[tuple[str, str, str | None], ...] = ()  # (name, key, role its values are instances of)

    def bind(self, name: str, key: str, role: str | None = None) -> "_Scope":
        return _Scope(self.role, ((name, key, role), *self.bound))

    def lookup(self, name: str) -> tuple[str, str | None] | None:
        for n, k, r in self.bound:
            if n == name:
                return k, r
        return None


class _Walker:
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
        sp = span or _span(tok, self.src)
        fsp = _span(full, self.src) or sp
        if sp is None or fsp is None or key in self.ix.symbols:
            return None  # a second declaration of one name is an error the lowerer reports; the first wins
        self.ix.symbols[key] = Symbol(kind, str(tok), key, sp, fsp, container, type_name)
        self.ix.refs.append(Ref(sp, key))
        return key

    def ref(self, tok: Any, key: str | None) -> None:
        sp = _span(tok, self.src)
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
                sa, sb = _span(a, self.src), _span(b, self.src)
                if sa and sb:
                    sp = Span(sa.line, sa.column, sb.end_line, sb.end_column, self.src)
                    self.ix.symbols.setdefault(f"channel:{a}->{b}", Symbol("channel", f"{a} -> {b}",
                                               f"channel:{a}->{b}", sp, _span(d, self.src) or sp))
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

    def _global(self, kind: str, tok: Token, d: Tree) -> None:
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
        if d.data == "timeout_decl":
            start = _span(d, self.src)
            if start is None:
                return
            line = self.src.line(start.line)
            col = line.find("timeout", start.column - 1) + 1 or start.column
            sp = Span(start.line, col, start.line, col + len("timeout"), self.src)
            name, tok = "timeout", "timeout"
        else:
            tok, sp = d.children[0], None
            name = str(tok)
        key = self.declare("step", tok, f"step:{role}.{name}", d, container=role, span=sp)
        if key:
            self.role_steps.setdefault(role, {})[name] = key

    # ------------------------------------------------------------------ pass 2: uses
    def uses(self, tree: Tree) -> None:
        glob = _Scope()
        for d in tree.children[1:]:
            if not isinstance(d, Tree):
                continue
            kind = d.data
            if kind == "const_decl":
                self.type_(d.children[1])
                self.expr(d.children[2], glob)
            elif kind == "type_decl":
                self.type_(d.children[1])
            elif kind == "message_decl":
                for f in d.children[1:]:
                    if isinstance(f, Tree):
                        self.type_(f.children[1])
            elif kind == "channel_decl":
                self.ref(d.children[0], self._role_key(d.children[0]))
                self.ref(d.children[1], self._role_key(d.children[1]))
                for o in d.children[3:]:
                    if isinstance(o, Tree) and o.data == "capacity_opt":
                        self.expr(o.children[0], glob)
            elif kind == "var_decl":
                self.var_uses(d, glob)
            elif kind == "role_decl":
                self.role_uses(d)
            elif kind == "action_decl":
                self.step_uses(d, _Scope("env"))
            elif kind == "faults_block":
                for f in d.children:
                    self.fault_uses(f)
            elif kind == "agreement_decl":
                _, role, var, ignoring = d.children
                self.ref(role, self._role_key(role))
                self.ref(var, self.role_vars.get(str(role), {}).get(str(var)))
                self.expr(ignoring, glob)
            elif kind in ("invariant_decl", "reachable_decl", "constraint_decl", "leads_to_decl"):
                for e in d.children[1:]:
                    self.expr(e, glob)
            elif kind == "fair_decl":
                for t in d.children[1:]:
                    role = t.children[0]
                    self.ref(role, self._role_key(role))
                    if t.data == "fair_step":
                        self.ref(t.children[1], self.role_steps.get(str(role), {}).get(str(t.children[1])))

    def _role_key(self, tok: Any) -> str | None:
        key = self.globals.get(str(tok))
        return key if key and key.startswith("role:") else None

    def fault_uses(self, f: Tree) -> None:
        _, target, budget = f.children
        if isinstance(target, Tree):
            if target.data == "target_name":
                tok = target.children[0]
                self.ref(tok, self.globals.get(str(tok)))
            elif target.data == "target_channel":
                for tok in target.children:
                    self.ref(tok, self._role_key(tok))
            elif target.data == "target_field":
                msg, fld = target.children
                self.ref(msg, self.globals.get(str(msg)))
                self.ref(fld, self.fields.get(str(msg), {}).get(str(fld)))
        self.expr(budget, _Scope())

    def var_uses(self, d: Tree, sc: _Scope) -> None:
        self.type_(d.children[2])
        init = d.children[3]
        if isinstance(init, Tree) and init.data != "init_any":
            self.expr(init.children[0], sc)

    def role_uses(self, d: Tree) -> None:
        name = str(d.children[0])
        sc = _Scope(name)
        self.expr(d.children[1], _Scope())
        for item in d.children[3:]:
            if not isinstance(item, Tree):
                continue
            if item.data == "var_decl":
                self.var_uses(item, sc)
            elif item.data in ("action_decl", "handler_decl", "timeout_decl"):
                self.step_uses(item, sc)
            elif item.data == "final_when":
                self.expr(item.children[0], sc)

    def step_uses(self, d: Tree, sc: _Scope) -> None:
        if d.data == "action_decl":
            _, params, guard, cost, body = d.children
            for p in (params.children if params is not None else []):
                if p is not None:
                    pname, dom = p.children
                    self.expr(dom, sc)
                    sc = self.bind(sc, pname, p, dom)
        elif d.data == "handler_decl":
            msg, pats, sender, guard, cost, body = d.children
            self.ref(msg, self.globals.get(str(msg)))
            fields = list(self.fields.get(str(msg), {}).values())
            for i, p in enumerate(pats.children if pats is not None else []):
                if isinstance(p, Tree) and p.data == "pattern_name":
                    sc = self.pattern(p, sc, fields[i] if i < len(fields) else None)
            if sender is not None:
                sc = self.bind(sc, sender.children[0], sender)
        else:
            guard, cost, body = d.children
        if guard is not None:
            self.expr(guard.children[0], sc)
        for item in (cost.children if cost is not None else []):
            self.expr(item.children[1], sc)
        self.block(body, sc)

    def pattern(self, p: Tree, sc: _Scope, field_key: str | None) -> _Scope:
        tok = p.children[0]
        name = str(tok)
        if name == "_":
            return sc
        tn = self.ix.symbols[field_key].type_name if field_key in self.ix.symbols else None
        if tn and f"member:{tn}.{name}" in self.ix.symbols:
            self.ref(tok, f"member:{tn}.{name}")
            return sc
        key = self.globals.get(name)
        if name in self.members or (key and (key.startswith("const:") or (key.startswith("role:")
                                                                          and name not in self.indexed))):
            self.ref(tok, self.members[name][0] if name in self.members else key)
            return sc
        return self.bind(sc, tok, p)

    def bind(self, sc: _Scope, tok: Any, node: Any, dom: Any = None) -> _Scope:
        sp = _span(tok, self.src)
        if sp is None:
            return sc
        key = f"bound:{sp.line}:{sp.column}"
        self.declare("bound", tok, key, node)
        return sc.bind(str(tok), key, self._domain_role(dom, sc))

    def _domain_role(self, dom: Any, sc: _Scope) -> str | None:
        """The role whose instances a binder ranges over, when its domain says so plainly."""
        if isinstance(dom, Tree) and dom.data in ("name", "all_of") and sc.lookup(str(dom.children[0])) is None:
            key = self._role_key(dom.children[0])
            return key[5:] if key else None
        return None

    # ------------------------------------------------------------------ statements
    def block(self, node: Any, sc: _Scope) -> None:
        for s in (node.children if isinstance(node, Tree) else []):
            if isinstance(s, Tree):
                sc = self.stmt(s, sc)

    def stmt(self, s: Tree, sc: _Scope) -> _Scope:
        k, ch = s.data, s.children
        if k == "assign":
            self.lvalue(ch[0], sc)
            self.expr(ch[1], sc)
        elif k == "send":
            self.expr(ch[0], sc, message=True)
            self.expr(ch[1], sc)
        elif k == "broadcast":
            self.expr(ch[0], sc, message=True)
            self.ref(ch[1], self._role_key(ch[1]))
        elif k == "reply":
            self.expr(ch[0], sc, message=True)
        elif k in ("choose", "for_stmt"):
            self.expr(ch[1], sc)
            self.block(ch[2], self.bind(sc, ch[0], s, ch[1]))
        elif k == "if_stmt":
            self.expr(ch[0], sc)
            for b in ch[1:]:
                if isinstance(b, Tree):
                    self.stmt(b, sc) if b.data == "if_stmt" else self.block(b, sc)
        elif k == "assert_stmt":
            self.expr(ch[0], sc)
        elif k == "let_stmt":
            self.expr(ch[1], sc)
            return self.bind(sc, ch[0], s, ch[1])
        return sc

    def lvalue(self, node: Tree, sc: _Scope) -> None:
        while node.data != "lv_name":
            if node.data == "lv_index":
                self.expr(node.children[1], sc)
            node = node.children[0]
        tok = node.children[0]
        self.ref(tok, self.value_key(str(tok), sc, tok))

    # ------------------------------------------------------------------ types and expressions
    def type_(self, t: Any) -> None:
        if not isinstance(t, Tree):
            return
        if t.data == "named_type":
            self.ref(t.children[0], self.globals.get(str(t.children[0])))
        elif t.data == "range_type":
            for e in t.children:
                self.expr(e, _Scope())
        elif t.data == "record_type":
            for f in t.children:
                self.type_(f.children[1])
        else:
            for c in t.children:
                self.type_(c) if not _is_expr(c) else self.expr(c, _Scope())

    def value_key(self, name: str, sc: _Scope, tok: Any = None) -> str | None:
        """What a name in an expression means, in the lowerer's order of resolution."""
        hit = sc.lookup(name)
        if hit is not None:
            return hit[0]
        if sc.role is not None and name in self.role_vars.get(sc.role, {}):
            return self.role_vars[sc.role][name]
        key = self.globals.get(name)
        if key and (key.startswith("var:") or key.startswith("const:")):
            return key
        if name in self.members:
            keys = self.members[name]
            enum = self.facts.enum_at(_span(tok, self.src)) if tok is not None and len(keys) > 1 else None
            return f"member:{enum}.{name}" if enum and f"member:{enum}.{name}" in keys else keys[0]
        return key

    def expr(self, e: Any, sc: _Scope, message: bool = False) -> None:
        if not isinstance(e, Tree):
            return
        k, ch = e.data, e.children
        if k == "name":
            self.ref(ch[0], self.value_key(str(ch[0]), sc, ch[0]))
        elif k == "call":
            key = self.globals.get(str(ch[0]))
            self.ref(ch[0], key if key and key.startswith("message:") else None)
            for a in ch[1:]:
                self.expr(a, sc)
        elif k == "all_of":
            self.ref(ch[0], self.globals.get(str(ch[0])))
        elif k == "field_access":
            self.expr(ch[0], sc)
            self.ref(ch[1], self.field_key(e, sc))
        elif k == "quant":
            inner = sc
            for b in ch[1:-1]:
                *names, dom = b.children
                self.expr(dom, inner)
                for n in names:
                    inner = self.bind(inner, n, b, dom)
            self.expr(ch[-1], inner)
        elif k == "set_comp":
            elem, var, dom, cond = ch
            self.expr(dom, sc)
            inner = self.bind(sc, var, e, dom)
            self.expr(elem, inner)
            self.expr(cond, inner)
        elif k == "map_lit":
            self.expr(ch[1], self.bind(sc, ch[0], e))
        elif k == "record_lit":
            owner = self.facts.record_at(_span(e, self.src))
            for i in range(0, len(ch) - 1, 2):
                self.ref(ch[i], self.fields.get(owner or "", {}).get(str(ch[i])))
                self.expr(ch[i + 1], sc)
        else:
            for c in ch:
                self.expr(c, sc)

    def field_key(self, e: Tree, sc: _Scope) -> str | None:
        """``base.name``: a role's variable or a record's field, from the IR when there is one, else plainly."""
        base, tok = e.children
        owner = self.facts.owner_at(_span(e, self.src))
        if owner is None and isinstance(base, Tree):
            if base.data == "self_ref":
                owner = sc.role
            elif base.data == "name":
                name = str(base.children[0])
                hit = sc.lookup(name)
                if hit is not None:
                    owner = hit[1]
                else:
                    key = self.value_key(name, sc)
                    sym = self.ix.symbols.get(key or "")
                    owner = sym.name if sym and sym.kind == "role" else sym.type_name if sym else None
        if owner is None:
            return None
        return self.role_vars.get(owner, {}).get(str(tok)) or self.fields.get(owner, {}).get(str(tok))


def _is_expr(node: Any) -> bool:
    return isinstance(node, Tree) and node.data not in (
        "bool_type", "named_type", "range_type", "set_type", "map_type", "seq_type", "record_type", "option_type")


def build_index(tree: Tree, src: SourceFile, facts: IrFacts | None = None) -> Index:
    """Declarations and uses of every name in ``tree`` (parsed from ``src``); ``facts`` from the IR, if it built."""
    w = _Walker(src, facts)
    w.declarations(tree)
    w.uses(tree)
    w.ix.refs.sort(key=lambda r: (r.span.line, r.span.column))
    for r in w.ix.refs:
        if r.key.startswith("bound:") and r.key not in w.ix.bound_types:
            t = w.facts.type_at(r.span)
            if t is not None:
                w.ix.bound_types[r.key] = t
    return w.ix


__all__ = ["Index", "Ref", "Symbol", "build_index"]
