"""The fault-search engine: random runs drawn by hypothesis, shrunk to a small failing story.

``fuzz(proto, FuzzConfig) -> FuzzOutcome`` whose ``result`` is an ordinary
:class:`~accord.checker.result.CheckResult`, so every report format works on it.

How it runs. One hypothesis test, run programmatically with a fixed seed and no
example database: each example is one run (:func:`accord.checker.fuzz.strategies.runs`);
a run that violates a property raises, hypothesis shrinks it, and the engine keeps
its own book of the smallest failing run seen per property (fewest faults, then
fewest states), which is what it reports. Keeping our own book makes the result
independent of how hypothesis ends (its final replay, a stop on time).

Budgets: ``runs`` examples; ``max_seconds`` for the search before the first failure;
``shrink_seconds`` after it. A stop on time raises a private ``BaseException`` from
the test body (never from inside a draw, which hypothesis would call flaky).

Verdicts are honest: a violation found is ``violated`` with a replayed trace; nothing
found is ``unknown`` ("no violation in 5,000 runs of up to 200 steps"), never
``holds``; a ``reachable`` property is ``holds`` once a run reached it; liveness
(termination, leads_to) is not judged by random runs and stays ``unknown``.

Same seed, same settings, same spec: the same runs in the same order, so a failure
found before a time limit is found again (shrinking may be cut by its own limit).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import HypothesisException

from accord import ir
from accord.checker.fuzz.shrink import shrink_run
from accord.checker.fuzz.stepper import Failure, Judge, Run, Stepper
from accord.checker.fuzz.strategies import runs as run_strategy
from accord.checker.result import CheckResult, PropertyResult, Stats, Trace, Verdict
from accord.checker.trace import replay_path, violation_step
from accord.semantics.model import Model, StepError

Progress = Callable[[dict[str, Any]], None]

#: Distinct states are counted by hash up to this many, then "at least".
DISTINCT_CAP = 2_000_000


@dataclass
class FuzzConfig:
    runs: int = 1000
    depth: int = 200  # steps per run
    max_seconds: float | None = 60.0  # searching, before the first failure
    shrink_seconds: float = 30.0  # after the first failure
    seed: int | None = None  # None: a fresh random seed (reported)
    swarm: bool = True
    stop_at_first: bool = True
    deadlock: bool | None = None  # None: as the spec says
    progress: Progress | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass
class FirstFailure:
    """The first failing run, as found (before shrinking)."""

    prop: str
    run_index: int  # 1-based
    seconds: float
    length: int  # states
    faults: int


@dataclass
class Found:
    """The smallest failing run seen for one property."""

    failure: Failure
    run: Run
    hypothesis_length: int = 0  # states, after hypothesis' shrinking and before the trace pass
    minimal: bool = False  # the trace pass finished: no single step can be deleted

    @property
    def key(self) -> tuple[int, int]:
        return (self.run.faults, self.run.length)


@dataclass
class FuzzInfo:
    """What the search did, for reports and for re-running it."""

    seed: int
    runs: int = 0  # runs until the first failure (all runs when none failed)
    shrink_runs: int = 0  # runs after the first failure
    steps: int = 0
    seconds: float = 0.0
    shrink_seconds: float = 0.0
    stopped_by: str = "runs"  # runs | seconds | violation | exhausted
    first: FirstFailure | None = None
    found: dict[str, Found] = field(default_factory=dict)
    overruns: bool = False  # hypothesis refused runs as too long (lower --depth)


@dataclass
class FuzzOutcome:
    result: CheckResult
    info: FuzzInfo


class _Stop(BaseException):
    """Out of time: unwinds hypothesis from the test body."""


class PropertyViolation(AssertionError):
    """Raised inside the hypothesis test for a failing run (one subclass per property under --continue,
    so that hypothesis shrinks each property's failure on its own)."""


class _Book:
    """The engine's own record of the search (see the module doc)."""

    def __init__(self, cfg: FuzzConfig, stepper: Stepper, info: FuzzInfo):
        self.cfg = cfg
        self.stepper = stepper
        self.info = info
        self.started = time.monotonic()
        self.calls = 0
        self.distinct: set[int] = set()
        self.depth = 0
        self.witnesses: dict[str, Run] = {}
        self.taken: set[str] = set()
        self.unwitnessed = {n for n, _ in stepper.judge.reachables}
        self.last_report = self.started
        self.classes: dict[str, type[PropertyViolation]] = {}

    def wanted(self) -> set[str]:
        return set(self.unwitnessed)

    def record(self, run: Run) -> None:
        self.calls += 1
        info = self.info
        info.steps += len(run.transitions)
        self.depth = max(self.depth, run.length)
        if len(self.distinct) < DISTINCT_CAP:
            self.distinct.update(hash(s) for s in run.states)
        for t in run.transitions:
            if t.kind == "step":
                self.taken.add(t.label)
            elif t.kind == "round":  # a synchronous round: the step of each agent
                self.taken.update(p.label for p in t.parts)
        for name, idx in run.witnesses.items():
            if name in self.unwitnessed:
                self.unwitnessed.discard(name)
                self.witnesses[name] = Run(run.states[:idx + 1], run.transitions[:idx])
        if info.first is None:
            info.runs = self.calls
        else:
            info.shrink_runs += 1
        f = run.failure
        if f is not None:
            now = time.monotonic() - self.started
            if info.first is None:
                info.first = FirstFailure(f.name, self.calls, now, run.length, run.faults)
                info.seconds = now
            cand = Found(f, run)
            best = info.found.get(f.name)
            if best is None or cand.key < best.key:
                info.found[f.name] = cand
        self._tick()

    def _tick(self) -> None:
        now = time.monotonic()
        cfg = self.cfg
        first = self.info.first
        if cfg.progress is not None and now - self.last_report > 0.5:
            self.last_report = now
            best = min((f.run.length for f in self.info.found.values()), default=None)
            cfg.progress({"runs": self.calls, "steps": self.info.steps, "seconds": now - self.started,
                          "phase": "shrinking" if first else "searching", "best": best})
        if first is None:
            if cfg.max_seconds is not None and now - self.started > cfg.max_seconds:
                self.info.stopped_by = "seconds"
                raise _Stop()
        elif now - self.started - first.seconds > cfg.shrink_seconds / 2:
            raise _Stop()  # the other half is for the trace pass

    def violation(self, f: Failure) -> PropertyViolation:
        name = f.name if not self.cfg.stop_at_first else ""
        cls = self.classes.get(name)
        if cls is None:
            cls = self.classes[name] = type(f"Violation{len(self.classes)}", (PropertyViolation,), {})
        return cls(f.message)


def fresh_seed() -> int:
    return random.SystemRandom().randrange(1 << 32)


def fuzz(proto: ir.Protocol, cfg: FuzzConfig | None = None) -> FuzzOutcome:
    """Random runs of ``proto`` looking for safety and deadlock violations (see the module doc)."""
    cfg = cfg or FuzzConfig()
    model = Model(proto)
    stepper = Stepper(model, Judge(model, cfg.deadlock))
    info = FuzzInfo(seed=cfg.seed if cfg.seed is not None else fresh_seed())
    book = _Book(cfg, stepper, info)
    strategy = run_strategy(stepper, cfg.depth, cfg.swarm, book.wanted)

    def body(run: Run) -> None:
        book.record(run)
        if run.failure is not None:
            raise book.violation(run.failure)

    test = settings(database=None, max_examples=cfg.runs, deadline=None, verbosity=Verbosity.quiet,
                    suppress_health_check=list(HealthCheck), phases=(Phase.generate, Phase.shrink),
                    report_multiple_bugs=not cfg.stop_at_first, derandomize=False, print_blob=False,
                    )(hypothesis_seed(info.seed)(given(strategy)(body)))
    try:
        test()
        info.stopped_by = "exhausted" if book.calls < cfg.runs else "runs"
    except _Stop:
        pass
    except (PropertyViolation, HypothesisException, BaseExceptionGroup) as exc:
        if not info.found and not _is_overrun(exc):
            raise
        info.overruns = info.overruns or _is_overrun(exc)
    if info.first is not None:
        _trace_pass(stepper, cfg, info, book)
    elapsed = time.monotonic() - book.started
    if info.first is not None:
        info.stopped_by = "violation"
        info.shrink_seconds = elapsed - info.seconds
    else:
        info.seconds = elapsed
    return FuzzOutcome(_result(proto, model, stepper, cfg, info, book, elapsed), info)


def _trace_pass(stepper: Stepper, cfg: FuzzConfig, info: FuzzInfo, book: _Book) -> None:
    """Shrink the reported failures' traces (:mod:`accord.checker.fuzz.shrink`) in the time left."""
    assert info.first is not None
    deadline = book.started + info.first.seconds + cfg.shrink_seconds
    todo = _reported(cfg, info.found)
    for name, found in sorted(todo.items(), key=lambda kv: kv[1].key):
        found.hypothesis_length = found.run.length
        found.run, found.minimal = shrink_run(stepper, found.run, deadline)


def _reported(cfg: FuzzConfig, found: dict[str, Found]) -> dict[str, Found]:
    """The failures a result reports: all under --continue, else the smallest one (one story)."""
    if cfg.stop_at_first and found:
        best = min(found.values(), key=lambda f: (f.key, f.failure.name))
        return {best.failure.name: best}
    return dict(found)


def _is_overrun(exc: BaseException) -> bool:
    from hypothesis.errors import Unsatisfiable

    return isinstance(exc, Unsatisfiable)


def failure_trace(model: Model, found: Found) -> Trace:
    """The failing run replayed through the semantics (with its events), ending at the violation."""
    trace = replay_path(model, found.run.states)
    err = found.failure.error
    if err is not None:
        trace.steps.append(violation_step(_replayed_error(model, trace, err).transition, None))
    return trace


def _replayed_error(model: Model, trace: Trace, exc: StepError) -> StepError:
    errs: list[StepError] = []
    last = trace.steps[-1].state
    assert last is not None
    model.protocol_successors(last, record=True, errors=errs)
    return next((e for e in errs if e.transition.label == exc.transition.label
                 and e.transition.bindings == exc.transition.bindings
                 and str(e.violation) == str(exc.violation)), exc)


def _result(proto: ir.Protocol, model: Model, stepper: Stepper, cfg: FuzzConfig, info: FuzzInfo,
            book: _Book, elapsed: float) -> CheckResult:
    found = _reported(cfg, info.found)
    searched = (f"no violation in {info.runs:,} run{'s' if info.runs != 1 else ''} "
                f"of up to {cfg.depth} steps")
    if info.first is not None and cfg.stop_at_first:
        searched = "not decided: the search stopped at the first violation (use --continue to go on)"
    results: dict[str, PropertyResult] = {}
    for p in proto.properties:
        if p.name in found:
            f = found[p.name]
            results[p.name] = PropertyResult(p.name, f.failure.kind, Verdict.VIOLATED, f.failure.message,
                                             failure_trace(model, f), p.span)
        elif p.kind in (ir.PropKind.INVARIANT, ir.PropKind.AGREEMENT):
            results[p.name] = PropertyResult(p.name, p.kind.value, Verdict.UNKNOWN, searched, span=p.span)
        elif p.kind is ir.PropKind.DEADLOCK:
            if stepper.judge.check_deadlock:
                results[p.name] = PropertyResult(p.name, "deadlock", Verdict.UNKNOWN, searched, span=p.span)
        elif p.kind is ir.PropKind.REACHABLE:
            if p.name in book.witnesses:
                w = book.witnesses[p.name]
                results[p.name] = PropertyResult(p.name, "reachable", Verdict.HOLDS, "a witness was found",
                                                 replay_path(model, w.states), p.span)
            else:
                results[p.name] = PropertyResult(p.name, "reachable", Verdict.UNKNOWN,
                                                 f"not reached in {book.calls:,} runs of up to {cfg.depth} steps",
                                                 span=p.span)
        else:
            results[p.name] = PropertyResult(p.name, p.kind.value, Verdict.UNKNOWN,
                                             "not judged by random runs (a cycle's fairness needs the whole "
                                             "graph): use --engine explicit", span=p.span)
    for name, f in found.items():  # deadlock without `check deadlock` in the spec, step errors
        if name not in results:
            results[name] = PropertyResult(name, f.failure.kind, Verdict.VIOLATED, f.failure.message,
                                           failure_trace(model, f), f.failure.span)
    stats = Stats(distinct=len(book.distinct), depth=book.depth, generated=info.steps,
                  initial=len(stepper.inits), seconds=elapsed, engine="fuzz",
                  coverage_missing=[lb for lb in model.labels if lb not in book.taken])
    limit = {"seconds": "seconds", "runs": "runs"}.get(info.stopped_by)
    return CheckResult(proto.name, list(results.values()), stats, False, limit, dict(cfg.parameters),
                       summary_notes(cfg, info, found))


def summary_notes(cfg: FuzzConfig, info: FuzzInfo, found: dict[str, Found]) -> list[str]:
    """What the search did, in words: the seed, the runs, the first failure and the shrinking."""
    notes = [(f"fuzz: seed {info.seed}, {info.runs:,} run{'s' if info.runs != 1 else ''} of up to "
              f"{cfg.depth} steps in {info.seconds:.2f}s (swarm {'on' if cfg.swarm else 'off'}); "
              "distinct states are counted by hash")]
    if info.stopped_by == "seconds":
        notes.append(f"fuzz: stopped by the time limit ({cfg.max_seconds:g}s)")
    if info.overruns:
        notes.append("fuzz: some runs drew more choices than hypothesis allows; lower --depth")
    first = info.first
    if first is not None:
        notes.append(f"fuzz: first failure (`{first.prop}`) in run {first.run_index} after {first.seconds:.2f}s: "
                     f"{first.length} states, {first.faults} fault{'s' if first.faults != 1 else ''}")
        for name, f in sorted(found.items(), key=lambda kv: kv[1].key):
            how = "no step can be deleted" if f.minimal else "cut short by the time limit"
            notes.append(f"fuzz: `{name}` shrunk to {f.run.length} states, {f.run.faults} "
                         f"fault{'s' if f.run.faults != 1 else ''} in {info.shrink_seconds:.2f}s "
                         f"({info.shrink_runs:,} hypothesis runs to {f.hypothesis_length} states, then "
                         f"the trace pass: {how})")
    return notes


__all__ = ["FuzzConfig", "FuzzInfo", "FuzzOutcome", "FirstFailure", "Found", "PropertyViolation", "fuzz",
           "failure_trace", "fresh_seed", "summary_notes"]
