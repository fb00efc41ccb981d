"""Running a verified protocol: agents, transports, a team, and a monitor built from the same IR.

See docs/export.md. The pieces:

* :class:`Spec` — the protocol loaded for running (IR, model, message codec);
* :class:`Agent` — one role instance; handlers return an :class:`Outbox`;
* :class:`Team` — the scheduler committing one step at a time over a :class:`Transport`;
* :class:`Monitor` — checks every event against the protocol (``enforce`` / ``warn``),
  and :func:`validate_log` does the same offline for a recorded JSONL log.
"""

from __future__ import annotations

from accord.runtime.agent import Agent, Decider, GenericAgent, StepContext, first_option
from accord.runtime.commands import (
                                     Broadcast,
                                     Decide,
                                     GenericMessage,
                                     IdempotentMessage,
                                     MessageBase,
                                     Outbox,
                                     Send,
                                     SetTimer,
)
from accord.runtime.errors import BudgetExceeded, NotEnabled, ProtocolViolation
from accord.runtime.spec import Spec, SpecError
from accord.runtime.team import RunResult, Team
from accord.runtime.transport import ChannelSemantics, InProcessTransport, Transport

__all__ = [
                                     "Agent",
                                     "Broadcast",
                                     "BudgetExceeded",
                                     "ChannelSemantics",
                                     "Decide",
                                     "Decider",
                                     "GenericAgent",
                                     "GenericMessage",
                                     "IdempotentMessage",
                                     "InProcessTransport",
                                     "MessageBase",
                                     "NotEnabled",
                                     "Outbox",
                                     "ProtocolViolation",
                                     "RunResult",
                                     "Send",
                                     "SetTimer",
                                     "Spec",
                                     "SpecError",
                                     "StepContext",
                                     "Team",
                                     "Transport",
                                     "first_option",
]
