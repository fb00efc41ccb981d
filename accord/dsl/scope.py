"""What names mean while lowering: the symbol table and the expression context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from accord import ir
from accord.diagnostics import Diagnostic, SourceFile, Span, SpecError, did_you_mean


#: the implicit role that holds top-level actions
ENV_ROLE = "env"


@dataclass
class Symbols:
    """Everything declared at the top level, filled in as lowering goes."""

    src: SourceFile
    overrides: dict[str, int | bool] = field(default_factory=dict)
    consts: dict[str, ir.ConstDecl] = field(default_factory=dict)
    types: dict[str, ir.Type] = field(default_factory=dict)  # aliases and enums
    enum_members: dict[str, list[ir.EnumType]] = field(default_factory=dict)
    messages: dict[str, ir.MessageDecl] = field(default_factory=dict)
    roles: dict[str, ir.RoleType] = field(default_factory=dict)
    role_symmetric: dict[str, bool] = field(default_factory=dict)
    role_locals: dict[str, dict[str, ir.VarDecl]] = field(default_factory=dict)
    shared: dict[str, ir.VarDecl] = field(default_factory=dict)
    channels: dict[str, ir.Channel] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)  # names referenced, for unused warnings
    sent: dict[str, set[str]] = field(default_factory=dict)  # message -> roles it is sent to
    declared_at: dict[str, Span] = field(default_factory=dict)
    has_env: bool = False  # top-level actions exist: `env` is the implicit role holding them
    sent_at: dict[tuple[str, str], Span | None] = field(default_factory=dict)  # (message, role) -> first send
    var_names: dict[str, str] = field(default_factory=dict)  # every `var` in the text -> "" (shared) or its role

    def all_names(self) -> list[str]:
        """Every name a user declared (the implicit environment role is not one)."""
        return [
            *self.consts,
            *self.types,
            *self.enum_members,
            *self.messages,
            *(r for r in self.roles if not (r == ENV_ROLE and self.has_env)),
            *self.shared,
        ]


@dataclass
class Ctx:
    """Where an expression sits: which role's step (if any), bound names, what is allowed."""

    role: str | None = None  # the role whose step this is
    bound: dict[str, ir.Type] = field(default_factory=dict)
    in_property: bool = False  # properties may read any instance's variables
    in_handler: bool = False
    sender_type: ir.Type | None = None
    allow_msg: bool = False  # a message constructor is allowed (send/reply/broadcast)
    env_role: bool = False  # the implicit role of top-level actions: may read anything
    const_only: bool = False  # constant expressions (const, ranges, budgets)

    def bind(self, name: str, t: ir.Type) -> "Ctx":
        new = Ctx(**{**self.__dict__, "bound": {**self.bound, name: t}})
        return new

    def with_(self, **kw: Any) -> "Ctx":
        return Ctx(**{**self.__dict__, **kw})


def fail(code: str, message: str, span: Span | None, hint: str | None = None,
         notes: tuple[tuple[str, Span | None], ...] = ()) -> SpecError:
    return SpecError(Diagnostic(code, message, span, hint=hint, notes=notes))


def unknown(kind: str, name: str, span: Span | None, candidates: list[str]) -> SpecError:
    """ACC201 with a "did you mean" hint, or the list of known names when there are few and none is close."""
    hint = _FOREIGN.get(name) if kind in ("name", "type") else None
    hint = hint or did_you_mean(name, candidates)
    known = sorted({c for c in candidates if c != name})
    if hint is None and 0 < len(known) <= 8:
        hint = "known here: " + ", ".join(f"`{c}`" for c in known)
    elif hint is None:
        hint = _DECLARE.get(kind, "declare it first").format(name=name)
    return fail("ACC201", f"unknown {kind}: `{name}`", span, hint)


#: Words from other languages, with what accord writes instead.
_FOREIGN = {
    **{w: "accord writes `true` and `false`" for w in ("True", "False", "TRUE", "FALSE")},
    **{w: "accord writes `none` (a value of an `option T` type)" for w in ("null", "nil", "None", "NULL", "Nothing")},
    **{w: "accord numbers are bounded: write a range such as `0..10`, or declare `type Count = 0..N`"
       for w in ("int", "integer", "Int", "nat", "Nat", "number", "uint", "float", "real")},
    **{w: "accord has no strings: name the values with an `enum`" for w in ("string", "str", "String", "text")},
    **{w: "write `set of T`, `seq of T max K` or `map K -> V`"
       for w in ("list", "List", "array", "dict", "Set", "Map")},
}
_DECLARE = {
    "name": "declare it first, e.g. `const {name} = …` or `var {name}: … = …`",
    "type": "declare it with `type {name} = …` or `enum {name} {{ … }}`",
    "role": "declare it with `role {name} {{ … }}`",
    "message": "declare it with `message {name}(…)`",
}
