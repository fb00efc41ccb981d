"""Where a search keeps the states it has seen, and how traces come back out of it.

A *store* numbers the distinct states of a search in the order they are found
and keeps, for each number, the number of its BFS parent (-1 for an initial
state) and its level (initial states are level 1). Two stores exist:

* :class:`FullStore` keeps every state itself (the default; liveness needs it);
* :class:`accord.checker.compaction.CompactStore` keeps a 64-bit fingerprint
  per state (``--hash-compact``).

Both answer :meth:`key` (what the store remembers of state ``idx``) and
:meth:`key_of` (the same for a state in hand), so a path of keys can be
followed again from an initial state by replaying the semantics
(:class:`Tracer`): every trace shown is a real run, whichever store was used.
"""

from __future__ import annotations

import os
import resource
from array import array
from collections.abc import Callable
from typing import Any

from accord.checker.result import Trace
from accord.checker.trace import rebuild, violation_step
from accord.semantics.model import Model, State, StepError


class FullStore:
    """Every state, its index, its parent and its level."""

    kind = "full"

    def __init__(self) -> None:
        self.states: list[State] = []
        self.index: dict[State, int] = {}
        self.parent = array("q")
        self.level = array("I")

    def __len__(self) -> int:
        return len(self.parent)

    def find(self, st: State) -> int:
        """The number of ``st``, or -1 when it was never stored."""
        return self.index.get(st, -1)

    def add(self, st: State, parent: int, level: int) -> tuple[int, bool]:
        idx = self.index.get(st)
        if idx is not None:
            return idx, False
        idx = len(self.parent)
        self.index[st] = idx
        self.states.append(st)
        self.parent.append(parent)
        self.level.append(level)
        return idx, True

    def key(self, idx: int) -> Any:
        return self.states[idx]

    @staticmethod
    def key_of(st: State) -> Any:
        return st

    def chain(self, idx: int) -> list[int]:
        """The numbers of the states from an initial state to ``idx``."""
        out = []
        while idx >= 0:
            out.append(idx)
            idx = self.parent[idx]
        out.reverse()
        return out


class Tracer:
    """Rebuilds traces from paths of store keys by replaying the semantics.

    ``canon`` maps a concrete state to its stored form (orbit representative under
    symmetry); ``key_of`` maps a stored form to the store's key (the state itself, or
    its fingerprint). Paths are lists of keys from an initial state on.
    """

    def __init__(self, model: Model, canon: Callable[[State], State], key_of: Callable[[State], Any]):
        self.model = model
        self.canon = canon
        self.key_of = key_of

    def _match(self, st: State) -> Any:
        return self.key_of(self.canon(st))

    def along(self, keys: list[Any]) -> Trace:
        """The trace through the states whose keys are ``keys``."""
        return rebuild(self.model, keys, self._match)

    def via(self, keys: list[Any], st: State) -> Trace:
        """The trace along ``keys`` (empty: none) and on to the unstored stored-form state ``st``."""
        if not keys:
            return rebuild(self.model, [st], self.canon)
        trace = self.along(keys)
        last = trace.steps[-1].state
        assert last is not None
        for tr, nxt in self.model.successors(last, record=True, errors=[]):
            if self.canon(nxt) == st:
                trace.steps.append(violation_step(tr, nxt))
                return trace
        raise RuntimeError("a successor outside the constraint cannot be replayed")

    def error(self, keys: list[Any], transition: Any, text: str) -> Trace:
        """The trace along ``keys`` ending with the step that raised ``text``.

        The step is re-raised from the trace's concrete last state (under symmetry the
        stored state is an orbit representative whose bindings may name other instances).
        """
        trace = self.along(keys)
        last = trace.steps[-1].state
        assert last is not None
        errs: list[StepError] = []
        self.model.protocol_successors(last, record=True, errors=errs)
        found = next((e.transition for e in errs if e.transition.label == transition.label
                      and str(e.violation) == text), transition)
        trace.steps.append(violation_step(found, None))
        return trace

    def build(self, where: tuple[Any, ...], keys: list[Any]) -> Trace:
        """The trace a violation descriptor asks for (see ``_Search.violate``)."""
        if where[0] == "at":
            return self.along(keys)
        if where[0] == "via":
            return self.via(keys, where[2])
        return self.error(keys, where[2], where[3])


def rss_bytes() -> int:
    """This process's resident memory now (Linux), else its peak."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


__all__ = ["FullStore", "Tracer", "rss_bytes"]
