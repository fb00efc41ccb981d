"""Traces rebuilt by replaying the semantics, so every trace shown is a real run.

A search stores states (possibly canonical orbit representatives) and parent
links only. :func:`rebuild` walks the chain from a concrete initial state,
choosing at each step a successor whose canonical form is the next stored
state, and records the events of that step (sends, choices) for rendering.
"""

from __future__ import annotations

from typing import Any, Callable

from accord.checker.result import Step, Trace
from accord.semantics.model import Model, State


class ReplayError(RuntimeError):
    """A stored path that the semantics cannot reproduce: a bug in an engine, never user error."""


def rebuild(model: Model, chain: list[State], canon: Callable[[State], State]) -> Trace:
    if not chain:
        return Trace([])
    inits = model.initial_states()
    first = next((s for s in inits if canon(s) == chain[0]), None)
    if first is None:
        raise ReplayError("the trace does not start in an initial state")
    steps = [Step(None, first)]
    cur = first
    for target in chain[1:]:
        found = None
        for tr, nxt in model.successors(cur, record=True, errors=[]):
            if canon(nxt) == target:
                found = (tr, nxt)
                break
        if found is None:
            raise ReplayError("a step of the trace cannot be replayed")
        steps.append(Step(found[0], found[1]))
        cur = found[1]
    return Trace(steps)


def violation_step(transition: Any, state: State | None) -> Step:
    """The last step of a trace: the transition that raised a violation (and its state if it has one)."""
    return Step(transition, state)


def replay_path(model: Model, states: list[State]) -> Trace:
    """Rebuild a trace through concrete states (no symmetry)."""
    return rebuild(model, states, lambda s: s)
