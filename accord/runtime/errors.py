"""What goes wrong at run time, as exceptions a team can catch (and the monitor can report)."""

from __future__ import annotations


class ProtocolViolation(Exception):
    """An agent, a transport or a log did something the protocol does not allow.

    ``kind`` says what: ``not-enabled`` (a step whose guard or message is not
    there), ``decide`` (an answer outside the options), ``send`` (sends differ from
    the spec's), ``state`` (the state after a step differs), ``invariant``,
    ``agreement``, ``assert`` / ``runtime`` / ``overflow`` (the spec's own violation
    raised by a step), ``fault`` (a fault the spec does not allow), ``budget``
    (:class:`BudgetExceeded`), ``final`` (the team stopped short), ``log``
    (unreadable log). ``line`` is the event log line, when there is one.
    """

    def __init__(self, kind: str, message: str, line: int | None = None):
        super().__init__(message if line is None else f"line {line}: {message}")
        self.kind = kind
        self.message = message
        self.line = line


class BudgetExceeded(ProtocolViolation):
    """The team took more steps than the protocol's worst case to termination."""

    def __init__(self, steps: int, budget: int, line: int | None = None):
        super().__init__("budget", f"protocol budget exceeded: {steps} steps, the protocol needs at most {budget}",
                         line)
        self.steps = steps
        self.budget = budget


class NotEnabled(ProtocolViolation):
    """A step was requested that the protocol does not enable now."""

    def __init__(self, message: str):
        super().__init__("not-enabled", message)


__all__ = ["BudgetExceeded", "NotEnabled", "ProtocolViolation"]
