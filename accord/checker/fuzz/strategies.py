"""Hypothesis strategies for runs of a protocol: the swarm of a run, and whole runs.

Every decision of a run is one hypothesis choice, and each is laid out so that the
value hypothesis shrinks towards (0, False, the first element) is the simpler story:

* the swarm: ``use a swarm?`` (False: every step kind and fault is on), then per step
  label and per fault ``off?``, per step label ``sticky?`` and its rank, then the
  fault rate from :data:`FAULT_RATES` (0: none);
* per step: a fault coin (an integer in 0..99, a fault when at least ``100 - rate``),
  drawn only when a fault is possible; then which step and which outcome of it
  (see :mod:`accord.checker.fuzz.stepper`), each drawn only when there is a choice.

So shrinking removes faults (coins to 0, the rate to 0), shortens the run (it stops
at the first violation) and prefers earlier-listed steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from accord.checker.fuzz.stepper import Run, Stepper, Swarm, execute

#: Fault rates a run may draw, in percent per step; the first (no faults) is the shrink target.
FAULT_RATES = (0, 2, 5, 10, 25, 50)

_PERCENT = st.integers(0, 99)
_RANK = st.integers(0, 3)


class DrawChooser:
    """A :class:`~accord.checker.fuzz.stepper.Chooser` drawing from hypothesis."""

    def __init__(self, draw: Callable[[Any], Any]):
        self.draw = draw
        self._ints: dict[int, Any] = {}

    def pick(self, n: int) -> int:
        if n <= 1:
            return 0
        strat = self._ints.get(n)
        if strat is None:
            strat = self._ints[n] = st.integers(0, n - 1)
        return int(self.draw(strat))

    def coin(self, percent: int) -> bool:
        if percent <= 0:
            return False
        return int(self.draw(_PERCENT)) >= 100 - percent


def draw_swarm(draw: Callable[[Any], Any], labels: list[str], n_faults: int, swarm: bool = True) -> Swarm:
    """One run's swarm (see the module doc for the order of the draws)."""
    off_steps: frozenset[str] = frozenset()
    off_faults: frozenset[int] = frozenset()
    sticky: list[tuple[str, int]] = []
    if swarm and draw(st.booleans()):
        off_steps = frozenset(label for label in labels if draw(st.booleans()))
        off_faults = frozenset(i for i in range(n_faults) if draw(st.booleans()))
        for label in labels:
            if draw(st.booleans()):
                sticky.append((label, int(draw(_RANK))))
    rate = int(draw(st.sampled_from(FAULT_RATES))) if n_faults else 0
    return Swarm(off_steps, off_faults, rate, tuple(sticky))


def swarms(stepper: Stepper, swarm: bool = True) -> st.SearchStrategy[Swarm]:
    """The swarm of one run over ``stepper``'s model."""
    labels = list(stepper.model.labels)
    n_faults = len(stepper.model.faults)

    @st.composite
    def _swarms(draw: Callable[[Any], Any]) -> Swarm:
        return draw_swarm(draw, labels, n_faults, swarm)

    return _swarms()


def runs(stepper: Stepper, depth: int, swarm: bool = True,
         wanted: Callable[[], set[str]] | None = None) -> st.SearchStrategy[Run]:
    """Whole runs of at most ``depth`` steps, each stopped at its first violation.

    ``wanted`` returns the ``reachable`` properties still without a witness (it only
    saves evaluation work; the choices drawn never depend on it).
    """
    labels = list(stepper.model.labels)
    n_faults = len(stepper.model.faults)

    @st.composite
    def _runs(draw: Callable[[Any], Any]) -> Run:
        sw = draw_swarm(draw, labels, n_faults, swarm)
        return execute(stepper, DrawChooser(draw), sw, depth, wanted() if wanted is not None else None)

    return _runs()


__all__ = ["FAULT_RATES", "DrawChooser", "draw_swarm", "swarms", "runs"]
