"""The IR: a resolved, typed protocol. Frozen dataclasses and nothing else.

Spans ride along for diagnostics but stay out of equality, so two parses of the
same protocol compare equal however it was laid out. Constants are folded into
types (ranges hold concrete bounds) while expressions keep the constant's name
(:class:`ConstRef`) so the printer can give the source back.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from accord.diagnostics import SourceFile, Span
from accord.ir.types import Type


def _span() -> Any:
    return field(default=None, compare=False, repr=False)


# ---------------------------------------------------------------- expressions


class Expr:
    type: Type
    span: Span | None


@dataclass(frozen=True)
class Lit(Expr):
    value: Any
    type: Type
    span: Span | None = _span()


@dataclass(frozen=True)
class ConstRef(Expr):
    name: str
    value: Any
    type: Type
    span: Span | None = _span()


class Scope(enum.Enum):
    LOCAL = "local"  # a variable of the role instance taking the step
    SHARED = "shared"  # a protocol-level variable
    BOUND = "bound"  # a parameter, pattern variable, let, choose, for or quantifier variable


@dataclass(frozen=True)
class VarRef(Expr):
    scope: Scope
    name: str
    type: Type
    span: Span | None = _span()


@dataclass(frozen=True)
class SelfRef(Expr):
    type: Type
    span: Span | None = _span()


@dataclass(frozen=True)
class RoleVar(Expr):
    """``inst.var``: a role instance's local variable, read from outside (properties)."""

    inst: Expr
    role: str
    var: str
    type: Type
    span: Span | None = _span()


@dataclass(frozen=True)
class Field(Expr):
    record: Expr
    name: str
    type: Type
    span: Span | None = _span()


@dataclass(frozen=True)
class Index(Expr):
    """``m[k]`` on a map, or ``s[i]`` on a sequence (0-based)."""

    base: Expr
    key: Expr
    type: Type
    span: Span | None = _span()


@dataclass(frozen=True)
class Unary(Expr):
    op: str  # "not" | "neg"
    operand: Expr
    type: Type
    span: Span | None = _span()


@dataclass(frozen=True)
class Binary(Expr):
    """Operators, resolved by operand type.

    ``+ - * / %`` on ints; ``+`` union, ``-`` difference, ``&`` intersection on
    sets; ``and or =>``; ``== !=`` on any type; ``< <= > >=`` on ints, and
    ``<= <`` (subset) on sets; ``in`` / ``notin`` membership; ``++`` sequence
    concatenation is written ``+`` on sequences.
    """

    op: str
    left: Expr
    right: Expr
    type: Type
    span: Span | None = _span()


@dataclass(frozen=True)
class SetLit(Expr):
    elems: tuple[Expr, ...]
    type: Type
    span: Span | None = _span()


@dataclass(frozen=True)
class SetComp(Expr):
    """``{elem for var in domain if cond}``."""

    elem: Expr
    var: str
    domain: Expr
    cond: Expr | None
    type: Type
    span: Span | None = _span()


@dataclass(frozen=True)
class RecordLit(Expr):
    fields: tuple[tuple[str, Expr], ...]
    type: Type
    span: Span | None = _span()


@dataclass(frozen=True)
class MapLit(Expr):
    """``[k -> body]``: the map over the whole key type."""

    var: str
    body: Expr
    type: Type
    span: Span | None = _span()


@dataclass(frozen=True)
class SeqLit(Expr):
    elems: tuple[Expr, ...]
    type: Type
    span: Span | None = _span()


@dataclass(frozen=True)
class AllOf(Expr):
    """``all T``: the set of every value of a type (or every instance of a role)."""

    of: Type
    type: Type
    span: Span | None = _span()


@dataclass(frozen=True)
class Quant(Expr):
    kind: str  # "forall" | "exists"
    binders: tuple[tuple[str, Expr], ...]
    body: Expr
    type: Type
    span: Span | None = _span()


@dataclass(frozen=True)
class IfExpr(Expr):
    cond: Expr
    then: Expr
    other: Expr
    type: Type
    span: Span | None = _span()


@dataclass(frozen=True)
class Call(Expr):
    """A builtin: size, len, head, tail, append, min, max, crashed, alive, abs, index, instance."""

    fn: str
    args: tuple[Expr, ...]
    type: Type
    span: Span | None = _span()


@dataclass(frozen=True)
class MsgCons(Expr):
    """``Msg(args)``: a message value, in ``send``, ``broadcast`` and ``reply``."""

    msg: str
    args: tuple[Expr, ...]
    type: Type
    span: Span | None = _span()


# ----------------------------------------------------------------- statements


class Stmt:
    span: Span | None


@dataclass(frozen=True)
class LValue:
    """``var`` followed by a path of map/sequence keys (Expr) and record fields (str)."""

    scope: Scope
    name: str
    path: tuple[Expr | str, ...]
    type: Type  # the type of the assigned location
    root_type: Type
    span: Span | None = _span()


@dataclass(frozen=True)
class Assign(Stmt):
    target: LValue
    value: Expr
    span: Span | None = _span()


@dataclass(frozen=True)
class Send(Stmt):
    msg: MsgCons
    dest: Expr  # a role instance, or (shared queue) the role itself as AllOf
    channel: str
    span: Span | None = _span()


@dataclass(frozen=True)
class Broadcast(Stmt):
    msg: MsgCons
    role: str
    channel: str
    span: Span | None = _span()


@dataclass(frozen=True)
class Reply(Stmt):
    msg: MsgCons
    channel: str
    span: Span | None = _span()


@dataclass(frozen=True)
class Choose(Stmt):
    var: str
    domain: Expr
    body: tuple[Stmt, ...]
    span: Span | None = _span()


@dataclass(frozen=True)
class If(Stmt):
    cond: Expr
    then: tuple[Stmt, ...]
    other: tuple[Stmt, ...] | None
    span: Span | None = _span()


@dataclass(frozen=True)
class For(Stmt):
    var: str
    domain: Expr
    body: tuple[Stmt, ...]
    span: Span | None = _span()


@dataclass(frozen=True)
class Assert(Stmt):
    cond: Expr
    span: Span | None = _span()


@dataclass(frozen=True)
class Let(Stmt):
    var: str
    value: Expr
    span: Span | None = _span()


@dataclass(frozen=True)
class Skip(Stmt):
    span: Span | None = _span()


# ------------------------------------------------------------------ declarations


class StepKind(enum.Enum):
    ACTION = "action"
    HANDLER = "handler"
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class Pattern:
    """One argument of ``on Msg(...)``: bind a name, match a literal, or ``_``."""

    kind: str  # "bind" | "lit" | "wild"
    name: str | None
    value: Expr | None
    span: Span | None = _span()


@dataclass(frozen=True)
class Step:
    kind: StepKind
    name: str  # action name, message name, or "timeout"
    role: str
    params: tuple[tuple[str, Expr], ...]
    guard: Expr | None
    body: tuple[Stmt, ...]
    cost: tuple[tuple[str, Expr], ...] = ()
    patterns: tuple[Pattern, ...] = ()
    sender: str | None = None
    sender_type: Type | None = None
    channels: tuple[str, ...] = ()  # handlers: the channels the message can arrive on
    span: Span | None = _span()

    @property
    def label(self) -> str:
        if self.kind is StepKind.HANDLER:
            return f"{self.role}.on_{self.name}"
        if self.kind is StepKind.TIMEOUT:
            return f"{self.role}.timeout"
        return f"{self.role}.{self.name}"


class MergeKind(enum.Enum):
    UNION = "union"
    LAST_WRITER = "last_writer"
    CONFLICT = "conflict"


class InitKind(enum.Enum):
    VALUE = "value"  # var x: T = e
    CHOICE = "choice"  # var x: T in S
    ANY = "any"  # var x: T in any


@dataclass(frozen=True)
class VarDecl:
    name: str
    type: Type
    init_kind: InitKind
    init: Expr | None
    persistent: bool = False
    merge: MergeKind | None = None
    span: Span | None = _span()


@dataclass(frozen=True)
class Role:
    name: str
    count: int
    indexed: bool  # declared as role R[N]
    symmetric: bool
    vars: tuple[VarDecl, ...]
    steps: tuple[Step, ...]
    final: Expr | None  # None: no final condition declared
    final_always: bool = False
    implicit: bool = False  # the environment role holding top-level actions
    count_src: Any = field(default=None, compare=False, repr=False)  # the count's Expr, for printing
    span: Span | None = _span()
    final_span: Span | None = _span()  # where the `final` clause is written

    def var(self, name: str) -> VarDecl | None:
        for v in self.vars:
            if v.name == name:
                return v
        return None


class ChanKind(enum.Enum):
    FIFO = "fifo"
    BAG = "bag"
    SET = "set"
    SYNC = "sync"


class FullMode(enum.Enum):
    BLOCKS = "blocks"
    DROPS = "drops"
    FAILS = "fails"


class Topology(enum.Enum):
    LINKS = "links"  # one channel per (sender instance, receiver instance)
    INBOX = "inbox"  # one channel per receiver instance, all senders share it
    SHARED = "shared"  # one channel for the role pair; any receiver instance may take


@dataclass(frozen=True)
class Channel:
    src: str
    dst: str
    kind: ChanKind
    capacity: int | None = None
    full: FullMode = FullMode.BLOCKS
    topology: Topology = Topology.LINKS
    capacity_src: Any = field(default=None, compare=False, repr=False)
    span: Span | None = _span()

    @property
    def name(self) -> str:
        return f"{self.src}->{self.dst}"


class FaultKind(enum.Enum):
    CRASH = "crash"
    RESTART = "restart"
    LOSE = "lose"
    DUPLICATE = "duplicate"
    REORDER = "reorder"
    CORRUPT = "corrupt"
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    target: str | None  # role, channel "A->B", or "Msg.field"; None: every applicable one
    budget: int
    budget_src: Any = field(default=None, compare=False, repr=False)
    span: Span | None = _span()


@dataclass(frozen=True)
class MessageDecl:
    name: str
    fields: tuple[tuple[str, Type], ...]
    has_parens: bool = True
    span: Span | None = _span()


@dataclass(frozen=True)
class ConstDecl:
    name: str
    value: Any
    type: Type
    expr: Expr | None = field(default=None, compare=False, repr=False)
    overridden: bool = field(default=False, compare=False)
    span: Span | None = _span()
    declared: bool = False  # written with a type: `const NAME: T = value`


@dataclass(frozen=True)
class TypeDecl:
    name: str
    type: Type
    span: Span | None = _span()
    #: the right-hand side as written (``type B = A`` keeps ``A``'s alias), for printing
    written: Type | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class EnumDecl:
    name: str
    type: Type
    span: Span | None = _span()


class PropKind(enum.Enum):
    INVARIANT = "invariant"
    AGREEMENT = "agreement"
    REACHABLE = "reachable"
    LEADS_TO = "leads_to"
    DEADLOCK = "deadlock"
    TERMINATION = "termination"
    ASSERT = "assert"  # implicit: every assert statement


@dataclass(frozen=True)
class Property:
    kind: PropKind
    name: str
    expr: Expr | None = None  # invariant, reachable, leads_to's P, agreement (desugared)
    target: Expr | None = None  # leads_to's Q
    agreement: tuple[str, str, Expr | None] | None = None  # (role, var, ignoring)
    fairness: str | None = None  # termination: "weak" | "strong" as written
    span: Span | None = _span()


@dataclass(frozen=True)
class Constraint:
    name: str
    expr: Expr
    span: Span | None = _span()


@dataclass(frozen=True)
class Fairness:
    """``fair weak|strong|no target``: target is (role, step label or None for the whole role)."""

    kind: str
    targets: tuple[tuple[str, str | None], ...]
    span: Span | None = _span()


class Schedule(enum.Enum):
    INTERLEAVING = "interleaving"
    ROUNDS = "rounds"


Decl = (
    ConstDecl
    | TypeDecl
    | EnumDecl
    | MessageDecl
    | Channel
    | VarDecl
    | Role
    | Fault
    | Property
    | Constraint
    | Fairness
    | Schedule
)


@dataclass(frozen=True)
class Protocol:
    """A whole protocol. ``decls`` keeps source order; the properties below are views."""

    name: str
    decls: tuple[Any, ...]
    schedule: Schedule = Schedule.INTERLEAVING
    source: SourceFile | None = field(default=None, compare=False, repr=False)
    comments: tuple[tuple[int, str], ...] = field(default=(), compare=False, repr=False)
    schedule_span: Span | None = field(default=None, compare=False, repr=False)  # `schedule …`, if written

    def _of(self, cls: type) -> tuple[Any, ...]:
        return tuple(d for d in self.decls if isinstance(d, cls))

    @cached_property
    def consts(self) -> tuple[ConstDecl, ...]:
        return self._of(ConstDecl)

    @cached_property
    def messages(self) -> dict[str, MessageDecl]:
        return {m.name: m for m in self._of(MessageDecl)}

    @cached_property
    def channels(self) -> tuple[Channel, ...]:
        return self._of(Channel)

    @cached_property
    def channel_map(self) -> dict[str, Channel]:
        return {c.name: c for c in self.channels}

    @cached_property
    def shared(self) -> tuple[VarDecl, ...]:
        return self._of(VarDecl)

    @cached_property
    def roles(self) -> tuple[Role, ...]:
        return self._of(Role)

    @cached_property
    def role_map(self) -> dict[str, Role]:
        return {r.name: r for r in self.roles}

    @cached_property
    def faults(self) -> tuple[Fault, ...]:
        return self._of(Fault)

    @cached_property
    def properties(self) -> tuple[Property, ...]:
        return self._of(Property)

    @cached_property
    def constraints(self) -> tuple[Constraint, ...]:
        return self._of(Constraint)

    @cached_property
    def fairness(self) -> tuple[Fairness, ...]:
        return self._of(Fairness)

    @cached_property
    def steps(self) -> tuple[Step, ...]:
        return tuple(s for r in self.roles for s in r.steps)

    def has_final(self) -> bool:
        return any(r.final is not None or r.final_always for r in self.roles)
