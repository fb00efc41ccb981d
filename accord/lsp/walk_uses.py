"""Pass 2 of the index: every name written in a spec, resolved with the language's scoping rules.

A step sees its bound names (parameters, pattern variables, the sender, `let`, `choose`, `for`
and quantifier variables), then its role's variables, shared variables, constants, enum members,
roles, types and messages: the order in which the lowerer resolves a name. ``base.name`` is a
role's variable or a record's field; the IR (when the spec lowered) says which, else the base's
declared type or the role a bound name ranges over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lark import Tree

from accord.lsp.index import span_of
from accord.lsp.walk_decls import Declarations


@dataclass(frozen=True)
class _Scope:
    role: str | None = None
    bound: tuple[tuple[str, str, str | None], ...] = ()  # (name, key, role its values are instances of)

    def bind(self, name: str, key: str, role: str | None = None) -> _Scope:
        return _Scope(self.role, ((name, key, role), *self.bound))

    def lookup(self, name: str) -> tuple[str, str | None] | None:
        for n, k, r in self.bound:
            if n == name:
                return k, r
        return None


class Uses(Declarations):
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
        sp = span_of(tok, self.src)
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
        if key and key.startswith(("var:", "const:")):
            return key
        if name in self.members:
            keys = self.members[name]
            enum = self.facts.enum_at(span_of(tok, self.src)) if tok is not None and len(keys) > 1 else None
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
            owner = self.facts.record_at(span_of(e, self.src))
            for i in range(0, len(ch) - 1, 2):
                self.ref(ch[i], self.fields.get(owner or "", {}).get(str(ch[i])))
                self.expr(ch[i + 1], sc)
        else:
            for c in ch:
                self.expr(c, sc)

    def field_key(self, e: Tree, sc: _Scope) -> str | None:
        """``base.name``: a role's variable or a record's field, from the IR when there is one, else plainly."""
        base, tok = e.children
        owner = self.facts.owner_at(span_of(e, self.src))
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


__all__ = ["Uses"]
