"""What a checker returns: verdicts per property, statistics and traces. Plain data."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from accord.diagnostics import Span


class Verdict(enum.Enum):
    HOLDS = "holds"
    VIOLATED = "violated"
    UNKNOWN = "unknown"  # a limit cut the search short before an answer was certain


@dataclass
class Step:
    """One state of a trace and the transition that led to it (None for the initial state)."""

    transition: Any  # accord.semantics.model.Transition | None
    state: tuple[Any, ...] | None  # None: the step raised a violation and produced no state


@dataclass
class Trace:
    steps: list[Step]
    loop_start: int | None = None  # lasso: index of the first state of the cycle
    stutter: bool = False  # lasso ends by staying in the last state forever
    fairness_note: str | None = None  # why the cycle is fair

    @property
    def length(self) -> int:
        """Length in states, the initial state included (TLC's convention)."""
        return sum(1 for s in self.steps if s.state is not None)


@dataclass
class PropertyResult:
    name: str
    kind: str  # invariant | agreement | reachable | deadlock | termination | leads_to | assert
    verdict: Verdict
    message: str = ""
    trace: Trace | None = None
    span: Span | None = None
    #: reachable properties: how far the search went when the witness was found
    note: str = ""


@dataclass
class Stats:
    distinct: int = 0
    depth: int = 0
    generated: int = 0
    initial: int = 0
    terminal: int = 0  # states with no protocol successor
    transitions: int | None = None  # distinct (s, t) pairs with s != t, when the graph was kept
    seconds: float = 0.0
    peak_memory_mb: float = 0.0
    queue: int = 0
    symmetry: bool = False  # counts are orbits
    unreduced_distinct: int | None = None
    coverage_missing: list[str] = field(default_factory=list)
    engine: str = "explicit-bfs"
    #: "por": the counts are those of a state graph reduced by partial-order reduction
    #: (never the full count); None: unreduced (symmetry is reported by ``symmetry``)
    reduced: str | None = None
    #: memory the search took per stored state (resident-memory growth / distinct), when measured
    bytes_per_state: float | None = None
    #: hash compaction: bits per stored fingerprint (0: states are stored whole)
    fingerprint_bits: int = 0
    #: hash compaction: upper bound on the probability that a state was missed (n^2 / 2^65)
    omission_probability: float | None = None
    workers: int = 1  # processes that shared the search

    @property
    def states_per_second(self) -> float:
        return self.distinct / self.seconds if self.seconds > 0 else 0.0


@dataclass
class CheckResult:
    protocol: str
    results: list[PropertyResult]
    stats: Stats
    complete: bool  # the whole reachable state space was explored
    limit: str | None = None  # which limit stopped the search ("states", "seconds", "memory", "depth")
    parameters: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        if any(r.verdict is Verdict.VIOLATED for r in self.results):
            return Verdict.VIOLATED
        if any(r.verdict is Verdict.UNKNOWN for r in self.results) or not self.complete:
            return Verdict.UNKNOWN
        return Verdict.HOLDS

    @property
    def first_violation(self) -> PropertyResult | None:
        """The violation that names the run: safety and deadlock before liveness."""
        violated = [r for r in self.results if r.verdict is Verdict.VIOLATED]
        violated.sort(key=lambda r: r.kind in ("termination", "leads_to"))
        return violated[0] if violated else None

    def exit_code(self) -> int:
        """0 holds, 3 inconclusive, 11 deadlock, 12 safety, 13 liveness (DESIGN.md)."""
        v = self.first_violation
        if v is not None:
            if v.kind == "deadlock":
                return 11
            if v.kind in ("termination", "leads_to"):
                return 13
            return 12
        return 0 if self.verdict is Verdict.HOLDS else 3
