"""Exact explicit-state search: breadth-first (shortest counterexamples) or depth-first.

``check(proto, config) -> CheckResult``. The search stores each distinct state
once with the index of its BFS parent, and rebuilds traces by replaying the
semantics along that chain, so every counterexample shown has been replayed.
"""

from __future__ import annotations

import resource
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from accord import ir
from accord.checker.result import CheckResult, PropertyResult, Stats, Trace, Verdict
from accord.checker.symmetry import Symmetry, symmetry_problems
from accord.checker.trace import rebuild, violation_step
from accord.semantics.model import Model, State, StepError

Progress = Callable[[dict[str, Any]], None]


@dataclass
class Config:
    strategy: str = "bfs"  # "bfs" | "dfs"
    max_states: int | None = None
    max_seconds: float | None = None
    max_memory_mb: float | None = None
    max_depth: int | None = None
    stop_at_first: bool = True  # stop at the first safety or deadlock violation (TLC's default)
    symmetry: bool = True  # use symmetry when the spec declares symmetric roles
    deadlock: bool | None = None  # None: as the spec says (`check deadlock`)
    liveness: bool = True
    keep_graph: bool = False  # keep the reachable graph even without liveness (fills Stats.transitions)
    progress: Progress | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class _Search:
    def __init__(self, proto: ir.Protocol, cfg: Config, use_symmetry: bool, keep_graph: bool):
        self.proto = proto
        self.cfg = cfg
        self.model = Model(proto)
        sym_roles = [r.name for r in proto.roles if r.symmetric and r.count > 1]
        self.sym = Symmetry(self.model.layout, sym_roles) if use_symmetry and sym_roles else None
        self.keep_graph = keep_graph
        self.states: list[State] = []
        self.index: dict[State, int] = {}
        self.parent: list[int] = []
        self.level: list[int] = []
        self.edges: list[list[tuple[int, int]]] = []  # when keep_graph: (dst, unit)
        self.terminal: list[int] = []  # states with no protocol successor
        self.final: list[bool] = []
        self.stats = Stats(engine=f"explicit-{cfg.strategy}", symmetry=self.sym is not None)
        self.results: dict[str, PropertyResult] = {}
        self.taken_units: set[int] = set()
        self.limit: str | None = None
        inv = [p for p in proto.properties if p.kind in (ir.PropKind.INVARIANT, ir.PropKind.AGREEMENT)]
        self.invariants = [(p, self.model.compile_property_expr(p.expr)) for p in inv if p.expr is not None]
        self.reachables = [(p, self.model.compile_property_expr(p.expr)) for p in proto.properties
                           if p.kind is ir.PropKind.REACHABLE and p.expr is not None]
        self.reach_found: dict[str, int] = {}
        self.reach_outside: dict[str, Trace] = {}  # witnesses found outside the state constraint
        self.constraints = [self.model.compile_property_expr(c.expr) for c in proto.constraints]
        want_dl = cfg.deadlock if cfg.deadlock is not None else any(
            p.kind is ir.PropKind.DEADLOCK for p in proto.properties)
        self.check_deadlock = want_dl
        self.stopped = False

    # ------------------------------------------------------------------ bookkeeping
    def canon(self, st: State) -> State:
        return self.sym.canonical(st) if self.sym is not None else st

    def add(self, st: State, parent: int, depth: int) -> tuple[int, bool]:
        idx = self.index.get(st)
        if idx is not None:
            return idx, False
        idx = len(self.states)
        self.index[st] = idx
        self.states.append(st)
        self.parent.append(parent)
        self.level.append(depth)
        if self.keep_graph:
            self.edges.append([])
        return idx, True

    def violate(self, p: ir.Property | None, kind: str, name: str, message: str, trace: Trace,
                span: Any = None) -> None:
        if name in self.results:
            return
        self.results[name] = PropertyResult(name, kind, Verdict.VIOLATED, message, trace,
                                            p.span if p is not None else span)
        if self.cfg.stop_at_first:
            self.stopped = True

    def check_state(self, idx: int, st: State) -> None:
        for p, pred in self.invariants:
            if p.name in self.results:
                continue
            try:
                ok = pred(st)
            except Exception as exc:  # an EvalError inside a property is a violation of it
                self.violate(p, p.kind.value, p.name, f"cannot evaluate: {exc}", self.trace_to(idx))
                continue
            if not ok:
                self.violate(p, p.kind.value, p.name, f"{p.kind.value} `{p.name}` is violated",
                             self.trace_to(idx))
        for p, pred in self.reachables:
            if p.name not in self.reach_found:
                try:
                    if pred(st):
                        self.reach_found[p.name] = idx
                except Exception:
                    pass

    def trace_to(self, idx: int, extra: Any = None) -> Trace:
        chain = []
        while idx >= 0:
            chain.append(idx)
            idx = self.parent[idx]
        chain.reverse()
        trace = rebuild(self.model, [self.states[i] for i in chain], self.canon)
        if extra is not None:
            trace.steps.append(extra)
        return trace

    def over_limits(self, started: float) -> bool:
        cfg = self.cfg
        if cfg.max_states is not None and len(self.states) >= cfg.max_states:
            self.limit = "states"
            return True
        if cfg.max_seconds is not None and time.monotonic() - started > cfg.max_seconds:
            self.limit = "seconds"
            return True
        if cfg.max_memory_mb is not None and _peak_mb() > cfg.max_memory_mb:
            self.limit = "memory"
            return True
        return False

    # ------------------------------------------------------------------ expansion
    def expand(self, idx: int, depth: int) -> list[int]:
        st = self.states[idx]
        model = self.model
        errors: list[StepError] = []
        proto_succ = model.protocol_successors(st, errors=errors)
        for exc in errors:  # a raising step is a violation; the other steps are still explored
            self._step_violation(idx, exc)
            if self.stopped:
                return []
        succ = proto_succ + model.fault_successors(st)
        self.stats.generated += len(succ)
        if not proto_succ and not errors:
            self.terminal.append(idx)
            # with no `final` declared anywhere, any state without a successor is a deadlock (TLC)
            if self.check_deadlock and "deadlock" not in self.results \
                    and (not model.has_final or not model.is_final(st)):
                self.violate(next((p for p in self.proto.properties if p.kind is ir.PropKind.DEADLOCK), None),
                             "deadlock", "deadlock", "deadlock: no step is enabled and not every role is final",
                             self.trace_to(idx))
        new: list[int] = []
        for tr, nxt in succ:
            if tr.unit >= 0:
                self.taken_units.add(tr.unit)
                self.taken_units.update(tr.joined)
            c = self.canon(nxt)
            if self.constraints and not all(f(c) for f in self.constraints):
                self._check_outside(idx, tr, c)
                continue
            j, fresh = self.add(c, idx, depth + 1)
            if self.keep_graph and j != idx:
                self.edges[idx].append((j, tr.unit))
                for u in tr.joined:  # a round (or a rendezvous) takes every step in it
                    self.edges[idx].append((j, u))
            if fresh:
                new.append(j)
                self.check_state(j, c)
                if self.stopped:
                    return new
        return new

    def _check_outside(self, idx: int, tr: Any, st: State) -> None:
        """A state outside the state constraint is still checked against the invariants (TLC).

        It is neither counted nor expanded. ``idx`` is its parent (-1: an initial state).
        A ``reachable`` property it satisfies has a witness (the state is reachable).
        """
        for p, pred in self.invariants:
            if p.name in self.results:
                continue
            try:
                ok = pred(st)
            except Exception as exc:  # an EvalError inside a property is a violation of it
                self.violate(p, p.kind.value, p.name, f"cannot evaluate: {exc}", self._trace_via(idx, st))
                continue
            if not ok:
                self.violate(p, p.kind.value, p.name, f"{p.kind.value} `{p.name}` is violated",
                             self._trace_via(idx, st))
        for p, pred in self.reachables:
            if p.name not in self.reach_found and p.name not in self.reach_outside:
                try:
                    if pred(st):
                        self.reach_outside[p.name] = self._trace_via(idx, st)
                except Exception:
                    pass

    def _trace_via(self, idx: int, st: State) -> Trace:
        """A trace to the stored state ``idx`` (-1: none) and on to the unstored state ``st``."""
        if idx < 0:
            return rebuild(self.model, [st], self.canon)
        trace = self.trace_to(idx)
        last = trace.steps[-1].state
        for tr, nxt in self.model.successors(last, record=True, errors=[]):
            if self.canon(nxt) == st:
                trace.steps.append(violation_step(tr, nxt))
                return trace
        raise RuntimeError("a successor outside the constraint cannot be replayed")

    def _step_violation(self, idx: int, exc: StepError) -> None:
        v = exc.violation
        kind = getattr(v, "kind", "runtime")
        where = f" at line {v.span.line}" if getattr(v, "span", None) is not None else ""
        name = {"assert": "assert", "overflow": "channel overflow", "concurrent write": "concurrent write"}.get(
            kind, "runtime error")
        trace = self.trace_to(idx)
        trace.steps.append(violation_step(self._replayed_error(trace, exc).transition, None))
        self.violate(None, "assert" if kind == "assert" else kind, f"{name}{where}", f"{name}{where}: {v}", trace,
                     span=getattr(v, "span", None))

    def _replayed_error(self, trace: Trace, exc: StepError) -> StepError:
        """The same violation raised from the trace's concrete last state (under symmetry the stored
        state is an orbit representative, whose bindings may name other instances)."""
        errs: list[StepError] = []
        last = trace.steps[-1].state
        self.model.protocol_successors(last, record=True, errors=errs)
        return next((e for e in errs if e.transition.label == exc.transition.label
                     and str(e.violation) == str(exc.violation)), exc)

    # ------------------------------------------------------------------ search
    def run(self) -> None:
        started = time.monotonic()
        inits = self.model.initial_states()
        frontier: deque[int] | list[int]
        roots = []
        for st in inits:
            if self.constraints and not all(f(self.canon(st)) for f in self.constraints):
                self._check_outside(-1, None, self.canon(st))
                continue
            j, fresh = self.add(self.canon(st), -1, 1)
            if fresh:
                roots.append(j)
                self.check_state(j, self.states[j])
        self.stats.initial = len(self.states)
        last_report = started
        if self.cfg.strategy == "dfs":
            frontier = list(reversed(roots))
        else:
            frontier = deque(roots)
        processed = 0
        max_depth = 1
        max_states = self.cfg.max_states
        while frontier and not self.stopped:
            if max_states is not None and len(self.states) >= max_states:
                self.limit = "states"
                break
            if processed % 512 == 0:
                if self.over_limits(started):
                    break
                now = time.monotonic()
                if self.cfg.progress is not None and now - last_report > 0.5:
                    last_report = now
                    self.cfg.progress({"states": len(self.states), "depth": max_depth,
                                       "queue": len(frontier), "seconds": now - started})
            idx = frontier.pop() if isinstance(frontier, list) else frontier.popleft()
            depth = self.level[idx]
            if self.cfg.max_depth is not None and depth >= self.cfg.max_depth:
                self.limit = self.limit or "depth"
                continue
            processed += 1
            new = self.expand(idx, depth)
            if new:
                max_depth = max(max_depth, depth + 1)
            if isinstance(frontier, list):
                frontier.extend(reversed(new))
            else:
                frontier.extend(new)
        self.complete = not frontier and not self.stopped and self.limit is None
        self.queue_left = len(frontier)
        self.stats.seconds = time.monotonic() - started
        self.stats.distinct = len(self.states)
        self.stats.depth = max(self.level) if self.level else 0
        if not self.complete:
            # the depth fully explored: levels below the shallowest unexpanded state
            pending = [self.level[i] for i in frontier] if frontier else []
            self.explored_depth = (min(pending) if pending else self.stats.depth)
        else:
            self.explored_depth = self.stats.depth
        self.stats.generated += len(inits)
        self.stats.terminal = len(self.terminal)
        self.stats.queue = len(frontier)
        self.stats.peak_memory_mb = _peak_mb()
        if self.keep_graph:
            self.stats.transitions = sum(len(set(e for e, _ in adj)) for adj in self.edges)


def check(proto: ir.Protocol, cfg: Config | None = None) -> CheckResult:
    """Explore the protocol's reachable states and judge every property."""
    from accord.checker.liveness import check_liveness

    cfg = cfg or Config()
    notes: list[str] = []
    live_props = [p for p in proto.properties if p.kind in (ir.PropKind.TERMINATION, ir.PropKind.LEADS_TO)]
    has_sym = any(r.symmetric and r.count > 1 for r in proto.roles)
    use_sym = cfg.symmetry and has_sym
    if use_sym:
        problems = symmetry_problems(proto)
        if problems:
            use_sym = False
            notes.append("symmetry reduction is off: " + "; ".join(problems[:3]))
    want_live = cfg.liveness and bool(live_props)
    search = _Search(proto, cfg, use_sym, keep_graph=(want_live and not use_sym) or cfg.keep_graph)
    search.run()
    results = dict(search.results)
    complete = search.complete
    for p in proto.properties:
        if p.name in results:
            continue
        if p.kind in (ir.PropKind.INVARIANT, ir.PropKind.AGREEMENT, ir.PropKind.DEADLOCK):
            if p.kind is ir.PropKind.DEADLOCK and not search.check_deadlock:
                continue
            results[p.name] = PropertyResult(p.name, p.kind.value, Verdict.HOLDS if complete else Verdict.UNKNOWN,
                                             "" if complete else _partial(search), span=p.span)
        elif p.kind is ir.PropKind.REACHABLE:
            if p.name in search.reach_found or p.name in search.reach_outside:
                witness = (search.trace_to(search.reach_found[p.name]) if p.name in search.reach_found
                           else search.reach_outside[p.name])
                results[p.name] = PropertyResult(p.name, "reachable", Verdict.HOLDS, "a witness was found",
                                                 witness, p.span)
            elif complete:
                results[p.name] = PropertyResult(p.name, "reachable", Verdict.VIOLATED,
                                                 f"no reachable state satisfies `{p.name}`: the spec is vacuous "
                                                 "here", None, p.span)
            else:
                results[p.name] = PropertyResult(p.name, "reachable", Verdict.UNKNOWN, _partial(search), span=p.span)
    if live_props and cfg.liveness:
        stopped_early = search.stopped
        if use_sym:
            notes.append("liveness is checked without symmetry reduction (symmetry is not sound for it here)")
            unreduced = _Search(proto, cfg, False, keep_graph=True)
            unreduced.run()
            graph_search = unreduced
        else:
            graph_search = search
        for p in live_props:
            if p.name in results:
                continue
            if not graph_search.complete or stopped_early:
                why = _partial(graph_search) if not graph_search.complete else \
                    "not checked: the search stopped at the first violation"
                results[p.name] = PropertyResult(p.name, p.kind.value, Verdict.UNKNOWN, why, span=p.span)
                continue
            results[p.name] = check_liveness(graph_search, p)
    stats = search.stats
    missing = _coverage(search)
    stats.coverage_missing = missing if complete else []
    ordered = [results[p.name] for p in proto.properties if p.name in results]
    ordered.extend(r for name, r in results.items() if r not in ordered)
    return CheckResult(proto.name, ordered, stats, complete, search.limit, dict(cfg.parameters), notes)


def _partial(search: _Search) -> str:
    if search.stopped:
        return "not decided: the search stopped at the first violation (use --continue to go on)"
    why = {"states": "state limit", "seconds": "time limit", "memory": "memory limit", "depth": "depth limit"}
    reason = why.get(search.limit or "", "search stopped")
    return (f"no violation up to depth {search.explored_depth} ({len(search.states):,} states; "
            f"{reason} reached)")


def _coverage(search: _Search) -> list[str]:
    model = search.model
    missing = []
    seen_labels = {model.units[u][0] for u in search.taken_units}
    for label in model.labels:
        if label not in seen_labels:
            missing.append(label)
    return missing
