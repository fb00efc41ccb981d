"""Transports: what carries messages between agents, and what it promises.

A transport holds the messages in transit, one buffer per channel instance of
the spec (see :mod:`accord.semantics.layout`), and states its guarantees as
:class:`ChannelSemantics`. :func:`accord.runtime.compat.transport_warnings`
compares those guarantees with what a spec assumes (``fifo`` channels, no
``lose``/``duplicate`` fault, ``crashed(…)`` guards) so ``accord check
--transport NAME`` can warn before a team is deployed on it.

The buffers follow the spec's channel kinds exactly: ``fifo`` appends and
delivers from the head, ``bag`` keeps items sorted and delivers any, ``set``
keeps one copy and does not remove on receipt. Capacity is the agents'
business (a step that would overflow a ``blocks`` channel is not enabled).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from accord import ir
from accord.semantics.exec import bag_insert
from accord.semantics.layout import ChanInst, Layout


@dataclass(frozen=True)
class ChannelSemantics:
    """The delivery guarantees of a transport."""

    name: str
    ordered: bool  # messages on one link arrive in the order sent
    lossless: bool  # a message sent to a live agent is never lost
    no_duplicates: bool  # a message is delivered at most once
    failure_detection: str  # "perfect" (crashes are known at once), "eventual" or "none"
    note: str = ""


IN_PROCESS = ChannelSemantics("asyncio", True, True, True, "perfect",
                              "in-process queues; the spec's own channel kinds, exactly")
RAY = ChannelSemantics("ray", True, True, True, "eventual",
                       "each agent is a Ray actor; the driver routes messages, so links keep their order; a dead "
                       "actor is noticed at its next call")
AT_LEAST_ONCE = ChannelSemantics("at-least-once", False, True, False, "none",
                                 "a standard message queue (retries redeliver, no ordering)")
DATAGRAM = ChannelSemantics("datagram", False, False, False, "none", "fire-and-forget datagrams")

KNOWN: dict[str, ChannelSemantics] = {s.name: s for s in (IN_PROCESS, RAY, AT_LEAST_ONCE, DATAGRAM)}


class Transport(ABC):
    """Buffers for the messages in transit. The team calls these; agents never do."""

    semantics: ChannelSemantics = IN_PROCESS

    @abstractmethod
    def attach(self, layout: Layout, contents: dict[int, Any]) -> None:
        """Start with ``contents`` (channel slot -> items, in the model's representation)."""

    @abstractmethod
    def contents(self, ci: ChanInst) -> Any:
        """The items on ``ci`` (tuple for fifo and bag, frozenset for set)."""

    @abstractmethod
    def put(self, ci: ChanInst, item: Any) -> None:
        """Add one item, following the channel's kind."""

    @abstractmethod
    def take(self, ci: ChanInst, pos: int, item: Any) -> None:
        """Remove the item at ``pos`` (a no-op for set channels)."""

    @abstractmethod
    def replace(self, ci: ChanInst, items: Any) -> None:
        """Set the contents (faults: loss, duplication, corruption)."""


class InProcessTransport(Transport):
    """Queues in this process; deterministic (the team's seeded scheduler picks every delivery)."""

    semantics = IN_PROCESS

    def __init__(self) -> None:
        self._buf: dict[int, Any] = {}

    def attach(self, layout: Layout, contents: dict[int, Any]) -> None:
        self._buf = dict(contents)

    def contents(self, ci: ChanInst) -> Any:
        return self._buf[ci.slot]

    def put(self, ci: ChanInst, item: Any) -> None:
        old = self._buf[ci.slot]
        kind = ci.channel.kind
        if kind is ir.ChanKind.SET:
            self._buf[ci.slot] = old | {item}
        elif kind is ir.ChanKind.BAG:
            self._buf[ci.slot] = bag_insert(old, item)
        else:
            self._buf[ci.slot] = old + (item,)

    def take(self, ci: ChanInst, pos: int, item: Any) -> None:
        old = self._buf[ci.slot]
        if ci.channel.kind is ir.ChanKind.SET:
            return
        if not 0 <= pos < len(old) or old[pos] != item:
            raise RuntimeError(f"{ci.label}: no such message at position {pos}")
        self._buf[ci.slot] = old[:pos] + old[pos + 1:]

    def replace(self, ci: ChanInst, items: Any) -> None:
        self._buf[ci.slot] = items


__all__ = [
    "AT_LEAST_ONCE",
    "DATAGRAM",
    "IN_PROCESS",
    "KNOWN",
    "RAY",
    "ChannelSemantics",
    "InProcessTransport",
    "Transport",
]
