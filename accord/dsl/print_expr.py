"""IR expressions and types back to source text, with the fewest parentheses.

Precedence follows ``grammar.lark`` (loosest first): ``=>`` (right-assoc),
``or``, ``and``, ``not``, comparisons and ``in`` (non-assoc), ``+ -``,
``* / % &``, unary ``-``, postfix ``[…]`` and ``.f``, atoms. Quantifiers and
``if … then … else …`` are atoms whose last part reaches as far right as it
can, so they are parenthesised unless nothing that could extend them follows.

Contract: for an expression ``e`` lowered from source in some context, the text
``ExprPrinter(...).expr(e)`` lowers, in the same context, to an expression equal
to ``e`` (spans aside).
"""

from __future__ import annotations

from typing import Any

from accord import ir
from accord.ir.types import Inst

IMPLIES, OR, AND, NOT, CMP, SUM, PROD, UNARY, POSTFIX, ATOM = range(1, 11)

#: IR operator -> (source text, own level, level of the left operand, level of the right operand)
_BINARY: dict[str, tuple[str, int, int, int]] = {
    "=>": ("=>", IMPLIES, OR, IMPLIES),
    "or": ("or", OR, OR, AND),
    "and": ("and", AND, AND, NOT),
    "+": ("+", SUM, SUM, PROD),
    "-": ("-", SUM, SUM, PROD),
    "union": ("+", SUM, SUM, PROD),
    "diff": ("-", SUM, SUM, PROD),
    "concat": ("+", SUM, SUM, PROD),
    "*": ("*", PROD, PROD, UNARY),
    "/": ("/", PROD, PROD, UNARY),
    "%": ("%", PROD, PROD, UNARY),
    "inter": ("&", PROD, PROD, UNARY),
}
_COMPARE = {
    "==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
    "subseteq": "<=", "subset": "<", "supseteq": ">=", "supset": ">",
    "in": "in", "notin": "not in",
}
for _op, _text in _COMPARE.items():
    _BINARY[_op] = (_text, CMP, SUM, SUM)

_ARITH = {"+", "-", "*", "/", "%"}
_LOGIC = {"=>", "or", "and"}

#: Marks a place before a logical operator where a long line may break: MARK, then a nesting digit.
MARK = "\x00"


def type_name(t: ir.Type) -> str | None:
    """The name a type is written with in ``all T`` or a domain, if it has one."""
    if t.alias:
        return t.alias
    if isinstance(t, ir.EnumType):
        return t.name
    if isinstance(t, ir.RoleType):
        return t.role
    if isinstance(t, ir.BoolType):
        return "bool"
    return None


def bound_names(proto: ir.Protocol) -> frozenset[str]:
    """Every name that denotes a value somewhere (variables, constants, bound names).

    A type name that is also one of these is printed ``all T`` in domains rather
    than bare ``T``, which would resolve to the value.
    """
    out: set[str] = set()

    def walk(x: Any) -> None:
        if isinstance(x, (list, tuple)):
            for y in x:
                walk(y)
            return
        if not hasattr(x, "__dataclass_fields__") or isinstance(x, ir.Type):
            return
        if isinstance(x, (ir.VarDecl, ir.ConstDecl)):
            out.add(x.name)
        elif isinstance(x, (ir.Choose, ir.For, ir.Let, ir.SetComp, ir.MapLit)):
            out.add(x.var)
        elif isinstance(x, ir.Quant):
            out.update(n for n, _ in x.binders)
        elif isinstance(x, ir.Step):
            out.update(n for n, _ in x.params)
            out.update(p.name for p in x.patterns if p.name)
            if x.sender:
                out.add(x.sender)
        for name in x.__dataclass_fields__:
            if name not in ("span", "type", "source", "written"):
                walk(getattr(x, name))

    walk(proto.decls)
    return frozenset(out)


class ExprPrinter:
    """Prints expressions and types; ``shadowed`` is :func:`bound_names` of the protocol."""

    def __init__(self, shadowed: frozenset[str] = frozenset()):
        self.shadowed = shadowed

    # ------------------------------------------------------------------ types
    def type(self, t: ir.Type, use_alias: bool = True) -> str:
        if use_alias and t.alias:
            return t.alias
        if isinstance(t, ir.BoolType):
            return "bool"
        if isinstance(t, ir.IntType):
            if t.src is not None:
                lo, hi = t.src
                return f"{self.expr(lo, SUM, compact=True)}..{self.expr(hi, SUM, compact=True)}"
            return f"{self._int(t.lo, SUM)}..{self._int(t.hi, SUM)}"
        if isinstance(t, ir.EnumType):
            return t.name
        if isinstance(t, ir.RoleType):
            return t.role
        if isinstance(t, ir.RecordType):
            return "record { " + ", ".join(f"{n}: {self.type(ft)}" for n, ft in t.fields) + " }"
        if isinstance(t, ir.SetType):
            return f"set of {self.type(t.elem)}"
        if isinstance(t, ir.MapType):
            return f"map {self.type(t.key)} -> {self.type(t.value)}"
        if isinstance(t, ir.SeqType):
            bound = self.expr(t.src, SUM) if t.src is not None else self._int(t.max, SUM)
            return f"seq of {self.type(t.elem)} max {bound}"
        if isinstance(t, ir.OptionType):
            return f"option {self.type(t.inner)}"
        raise ValueError(f"cannot print type {t!r}")

    @staticmethod
    def _int(v: int, level: int) -> str:
        return str(v) if v >= 0 or level <= UNARY else f"({v})"

    # ------------------------------------------------------------------ expressions
    def domain(self, e: ir.Expr, level: int = SUM, right: bool = True) -> str:
        """An expression after ``x in``: a whole type or role prints as its bare name."""
        return _bare_domain(e, self.shadowed) or self.expr(e, level, right)

    def expr(self, e: ir.Expr, level: int = IMPLIES, right: bool = True, compact: bool = False) -> str:
        """``e`` as it may stand where the grammar wants ``level``.

        ``right`` is true when nothing that could continue an expression follows.
        ``compact`` drops the spaces around arithmetic (range bounds: ``0..N-1``).
        """
        return self._sub(e, level, right, compact)[0]

    def _sub(self, e: ir.Expr, level: int, right: bool, compact: bool = False) -> tuple[str, bool]:
        """(text, whether the text ends in an unparenthesised quantifier or ``if``)."""
        method = getattr(self, "_" + type(e).__name__, None)
        if method is None:
            raise ValueError(f"cannot print expression {type(e).__name__}")
        text, own, open_end = method(e, right, compact)
        if own < level or (open_end and not right):
            text, _, _ = method(e, True, compact)
            return f"({deeper(text)})", False
        return text, open_end

    # Each printer returns (text, its level, whether its end is open to the right).

    def _Lit(self, e: ir.Lit, right: bool, compact: bool) -> tuple[str, int, bool]:
        v = e.value
        if v is None:
            return "none", ATOM, False
        if isinstance(v, bool):
            return ("true" if v else "false"), ATOM, False
        if isinstance(v, int):
            return (str(v), ATOM, False) if v >= 0 else (f"-{-v}", UNARY, False)
        if isinstance(v, Inst):
            rt = e.type
            if isinstance(rt, ir.RoleType) and rt.indexed:
                return f"{v.role}[{v.idx}]", POSTFIX, False
            return v.role, ATOM, False
        return str(v), ATOM, False

    def _ConstRef(self, e: ir.ConstRef, right: bool, compact: bool) -> tuple[str, int, bool]:
        return e.name, ATOM, False

    def _VarRef(self, e: ir.VarRef, right: bool, compact: bool) -> tuple[str, int, bool]:
        return e.name, ATOM, False

    def _SelfRef(self, e: ir.SelfRef, right: bool, compact: bool) -> tuple[str, int, bool]:
        return "self", ATOM, False

    def _RoleVar(self, e: ir.RoleVar, right: bool, compact: bool) -> tuple[str, int, bool]:
        return f"{self.expr(e.inst, POSTFIX, False)}.{e.var}", POSTFIX, False

    def _Field(self, e: ir.Field, right: bool, compact: bool) -> tuple[str, int, bool]:
        return f"{self.expr(e.record, POSTFIX, False)}.{e.name}", POSTFIX, False

    def _Index(self, e: ir.Index, right: bool, compact: bool) -> tuple[str, int, bool]:
        return f"{self.expr(e.base, POSTFIX, False)}[{deeper(self.expr(e.key))}]", POSTFIX, False

    def _Unary(self, e: ir.Unary, right: bool, compact: bool) -> tuple[str, int, bool]:
        if e.op == "not":
            inner, open_end = self._sub(e.operand, NOT, right)
            return f"not {inner}", NOT, open_end
        inner, open_end = self._sub(e.operand, UNARY, right, compact)
        sep = " " if inner.startswith("-") else ""
        return f"-{sep}{inner}", UNARY, open_end

    def _Binary(self, e: ir.Binary, right: bool, compact: bool) -> tuple[str, int, bool]:
        text, own, lev_l, lev_r = _BINARY[e.op]
        left = self.expr(e.left, lev_l, False, compact)
        if e.op in ("in", "notin") and _bare_domain(e.right, self.shadowed) is not None:
            rhs, open_end = _bare_domain(e.right, self.shadowed) or "", False
        else:
            rhs, open_end = self._sub(e.right, lev_r, right, compact)
        sep = "" if compact and e.op in _ARITH else " "
        if e.op in _LOGIC:
            # break at the loosest operator first: a tighter chain inside an operand nests deeper
            if isinstance(e.left, ir.Binary) and e.left.op in _LOGIC and e.left.op != e.op:
                left = deeper(left)
            if isinstance(e.right, ir.Binary) and e.right.op in _LOGIC and e.right.op != e.op:
                rhs = deeper(rhs)
            return f"{left}{MARK}0 {text} {rhs}", own, open_end
        return f"{left}{sep}{text}{sep}{rhs}", own, open_end

    def _SetLit(self, e: ir.SetLit, right: bool, compact: bool) -> tuple[str, int, bool]:
        return "{" + deeper(", ".join(self.expr(x) for x in e.elems)) + "}", ATOM, False

    def _SetComp(self, e: ir.SetComp, right: bool, compact: bool) -> tuple[str, int, bool]:
        text = f"{{{self.expr(e.elem)} for {e.var} in {self.domain(e.domain)}"
        if e.cond is not None:
            text += f" if {self.expr(e.cond)}"
        return deeper(text) + "}", ATOM, False

    def _RecordLit(self, e: ir.RecordLit, right: bool, compact: bool) -> tuple[str, int, bool]:
        return "{" + deeper(", ".join(f"{n}: {self.expr(x)}" for n, x in e.fields)) + "}", ATOM, False

    def _MapLit(self, e: ir.MapLit, right: bool, compact: bool) -> tuple[str, int, bool]:
        return f"[{e.var} -> {deeper(self.expr(e.body))}]", ATOM, False

    def _SeqLit(self, e: ir.SeqLit, right: bool, compact: bool) -> tuple[str, int, bool]:
        return "<<" + deeper(", ".join(self.expr(x) for x in e.elems)) + ">>", ATOM, False

    def _AllOf(self, e: ir.AllOf, right: bool, compact: bool) -> tuple[str, int, bool]:
        name = type_name(e.of)
        if name is None:
            raise ValueError(f"cannot print `all` of an unnamed type {e.of!r}")
        return f"all {name}", ATOM, False

    def _Quant(self, e: ir.Quant, right: bool, compact: bool) -> tuple[str, int, bool]:
        groups: list[tuple[list[str], ir.Expr]] = []
        for name, dom in e.binders:
            if groups and groups[-1][1] == dom:
                groups[-1][0].append(name)
            else:
                groups.append(([name], dom))
        binders = ", ".join(f"{', '.join(names)} in {self.domain(dom)}" for names, dom in groups)
        return f"{e.kind} {binders}: {deeper(self.expr(e.body))}", ATOM, True

    def _IfExpr(self, e: ir.IfExpr, right: bool, compact: bool) -> tuple[str, int, bool]:
        parts = (deeper(self.expr(x)) for x in (e.cond, e.then, e.other))
        return "if {} then {} else {}".format(*parts), ATOM, True

    def _Call(self, e: ir.Call, right: bool, compact: bool) -> tuple[str, int, bool]:
        if e.fn == "instance" and isinstance(e.type, ir.RoleType):
            return f"{e.type.role}[{deeper(self.expr(e.args[0]))}]", POSTFIX, False
        return f"{e.fn}({deeper(', '.join(self.expr(a) for a in e.args))})", POSTFIX, False

    def _MsgCons(self, e: ir.MsgCons, right: bool, compact: bool) -> tuple[str, int, bool]:
        if not e.args:
            return e.msg, ATOM, False
        return f"{e.msg}({deeper(', '.join(self.expr(a) for a in e.args))})", POSTFIX, False


def deeper(text: str) -> str:
    """Nest the break marks of ``text`` one level deeper (it is going inside brackets)."""
    if MARK not in text:
        return text
    parts = text.split(MARK)
    return parts[0] + "".join(MARK + chr(min(ord(p[0]) + 1, ord("9"))) + p[1:] for p in parts[1:])


def strip_marks(text: str) -> str:
    """``text`` without break marks."""
    if MARK not in text:
        return text
    parts = text.split(MARK)
    return parts[0] + "".join(p[1:] for p in parts[1:])


def wrap(line: str, indent: str, width: int) -> list[str]:
    """Break a printed line before logical operators so that it fits ``width`` where it can.

    Breaks at the shallowest nesting first; continuation lines are indented 4
    more than ``indent``. Newlines are insignificant in the language, so any
    break is safe.
    """
    if MARK not in line:
        return [line]
    plain = strip_marks(line)
    if len(plain) <= width:
        return [plain]
    lines = [plain]
    for depth in range(10):
        lines = _fill(line, indent + "    ", width, depth)
        if all(len(ln) <= width for ln in lines):
            break
    return lines


def _fill(line: str, cont: str, width: int, depth: int) -> list[str]:
    pieces: list[str] = []
    parts = line.split(MARK)
    cur = parts[0]
    for p in parts[1:]:
        if ord(p[0]) - ord("0") <= depth:
            pieces.append(cur)
            cur = p[1:]
        else:
            cur += MARK + p
    pieces.append(cur)
    out: list[str] = []
    acc = strip_marks(pieces[0])
    for p in pieces[1:]:
        p = strip_marks(p)
        if len(acc) + len(p) <= width:
            acc += p
        else:
            out.append(acc)
            acc = cont + p.lstrip()
    out.append(acc)
    return out


def _bare_domain(e: ir.Expr, shadowed: frozenset[str]) -> str | None:
    if isinstance(e, ir.AllOf):
        name = type_name(e.of)
        if name is not None and name not in shadowed:
            return name
    return None


__all__ = ["IMPLIES", "MARK", "POSTFIX", "SUM", "ExprPrinter", "bound_names", "deeper", "strip_marks", "type_name", "wrap"]
