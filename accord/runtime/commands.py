"""What a handler returns: an :class:`Outbox` of commands and the agent's next state.

Handlers have no effects of their own. The runtime commits ``Outbox.state`` and
carries out the commands: :class:`Send` and :class:`Broadcast` go to the
transport, :class:`Decide` records an answer ``decide`` gave, :class:`SetTimer`
tells the runtime that the agent's ``on timeout`` guard now holds.

Messages are :class:`MessageBase` values: generated code defines one frozen
dataclass per message; :class:`GenericMessage` stands in when no generated class
is at hand (offline tools). Every message carries a ``correlation_id`` (the run
of work it belongs to: a handler's sends inherit the id of the message it
handles); messages sent by steps with side effects (a ``choose`` — an external
decision — or a ``cost``) subclass :class:`IdempotentMessage` and carry an
``idempotency_key`` that is the same if the same step is replayed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from accord.ir.types import Inst

S = TypeVar("S")


@dataclass(frozen=True)
class MessageBase:
    """Base of every message class. Subclasses set ``NAME`` and ``FIELDS`` (spec name, Python name)."""

    NAME: ClassVar[str] = ""
    FIELDS: ClassVar[tuple[tuple[str, str], ...]] = ()

    correlation_id: str = field(default="", kw_only=True)

    def spec_fields(self) -> dict[str, Any]:
        """The fields by their spec names, as typed Python values."""
        return {spec: getattr(self, py) for spec, py in self.FIELDS}

    @property
    def message_name(self) -> str:
        return self.NAME


@dataclass(frozen=True)
class IdempotentMessage(MessageBase):
    """A message sent by a step with side effects: receivers can drop repeats by ``idempotency_key``."""

    idempotency_key: str = field(default="", kw_only=True)


@dataclass(frozen=True)
class GenericMessage(IdempotentMessage):
    """Any message, by name, with its fields as a dict (typed Python values)."""

    name: str = ""
    fields: dict[str, Any] = field(default_factory=dict)

    def spec_fields(self) -> dict[str, Any]:
        return dict(self.fields)

    @property
    def message_name(self) -> str:
        return self.name


@dataclass(frozen=True)
class Send:
    to: Inst | None  # None: a shared queue (any receiver instance takes it)
    message: MessageBase
    channel: str  # the channel instance, as traces label it ("Leader->Worker[0]")


@dataclass(frozen=True)
class Broadcast:
    role: str
    message: MessageBase
    to: tuple[Inst, ...]  # the expansion: every instance of ``role`` but the sender
    channels: tuple[str, ...]


@dataclass(frozen=True)
class Decide:
    point: str  # "Role.step.var"
    options: tuple[Any, ...]  # JSON values
    value: Any  # the answer, one of ``options``


@dataclass(frozen=True)
class SetTimer:
    step: str  # the label of the ``on timeout`` step whose guard now holds


Command = Send | Broadcast | Decide | SetTimer


@dataclass(frozen=True)
class Outbox(Generic[S]):
    """The result of one handler: the next state and the commands, in the order the step issued them."""

    state: S
    commands: tuple[Command, ...] = ()
    shared: dict[str, Any] = field(default_factory=dict)  # shared variables written, by spec name (typed)

    def sends(self) -> list[Send]:
        """Every delivery, broadcasts expanded."""
        out: list[Send] = []
        for c in self.commands:
            if isinstance(c, Send):
                out.append(c)
            elif isinstance(c, Broadcast):
                out.extend(Send(d, c.message, ch) for d, ch in zip(c.to, c.channels))
        return out

    def decisions(self) -> list[Decide]:
        return [c for c in self.commands if isinstance(c, Decide)]


__all__ = [
    "Broadcast",
    "Command",
    "Decide",
    "GenericMessage",
    "IdempotentMessage",
    "MessageBase",
    "Outbox",
    "Send",
    "SetTimer",
]
