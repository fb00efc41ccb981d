"""Exact explicit-state search: breadth-first (shortest counterexamples) or depth-first.

``check(proto, config) -> CheckResult``. The search stores each distinct state
once with the number of its BFS parent (:mod:`accord.checker.store`), and
rebuilds traces by replaying the semantics along that chain, so every
counterexample shown has been replayed.

Options that trade exactness of the *counts* (never of a violation) for speed
or memory, each off by default:

* ``Config.por`` — partial-order reduction (:mod:`accord.checker.por`): the
  counts are those of a reduced state graph (``Stats.reduced == "por"``);
  verdicts of invariants, agreement, reachable, asserts and deadlock are kept;
* ``Config.hash_compaction`` — 64-bit fingerprints instead of states
  (:mod:`accord.checker.compaction`): a "holds" carries the probability that a
  state was missed;
* ``Config.workers`` — a multi-process search (:mod:`accord.checker.parallel`),
  with the same counts, verdicts and traces as one process;
* ``Config.checkpoint`` / ``Config.resume`` — save the search and continue it
  later (:mod:`accord.checker.checkpoint`).
"""

from __future__ import annotations

import resource
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from accord import ir
from accord.checker.result import CheckResult, PropertyResult, Stats, Trace, Verdict
from accord.checker.store import FullStore, Tracer, rss_bytes
from accord.checker.symmetry import Symmetry, symmetry_problems
from accord.checker.verdicts import coverage, finish_result, judge_safety, partial_text, speed_options
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
    por: bool = False  # partial-order reduction (safety and deadlock; counts become reduced counts)
    hash_compaction: bool = False  # store 64-bit fingerprints instead of states
    workers: int = 1  # processes sharing a breadth-first search
    checkpoint: str | None = None  # file the search state is written to (periodically and at a limit)
    checkpoint_every: float = 300.0  # seconds between periodic checkpoints
    resume: str | None = None  # a checkpoint file to continue from


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class _Search:
    def __init__(self, proto: ir.Protocol, cfg: Config, use_symmetry: bool, keep_graph: bool,
                 por: bool = False, compact: bool = False):
        self.proto = proto
        self.cfg = cfg
        self.model = Model(proto)
        sym_roles = [r.name for r in proto.roles if r.symmetric and r.count > 1]
        self.sym = Symmetry(self.model.layout, sym_roles) if use_symmetry and sym_roles else None
        self.keep_graph = keep_graph
        self.use_store(self._new_store(compact))
        self.edges: list[list[tuple[int, int]]] = []  # when keep_graph: (dst, unit)
        self.terminal: list[int] = []  # states with no protocol successor
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
        self.reducer = None
        if por:
            from accord.checker.por import Reducer

            self.reducer = Reducer(self.model, self.constraints_exprs())
            self.stats.reduced = "por"
        self.stopped = False
        self.frontier: Any = None  # deque (bfs) or list (dfs) of (number, state)
        self.elapsed = 0.0  # seconds spent in earlier sessions (a resumed search)
        self.max_seen = 1
        self.dropped = False  # a state was skipped by the depth limit
        self.checkpoint_path = cfg.checkpoint  # None for an auxiliary search (the liveness graph)
        self.resume_path = cfg.resume
        self.rss0 = rss_bytes()

    # ------------------------------------------------------------------ bookkeeping
    @staticmethod
    def _new_store(compact: bool) -> Any:
        if compact:
            from accord.checker.compaction import CompactStore

            return CompactStore()
        return FullStore()

    def use_store(self, store: Any) -> None:
        self.store = store
        self.stats_bits = 64 if not isinstance(store, FullStore) else 0
        self.parent = store.parent
        self.level = store.level
        if isinstance(store, FullStore):
            self.states = store.states  # liveness reads states by number
            self.index = store.index
        self.tracer = Tracer(self.model, self.canon, store.key_of)

    def constraints_exprs(self) -> list[ir.Expr]:
        return [c.expr for c in self.proto.constraints]

    @property
    def count(self) -> int:
        """How many distinct states are stored."""
        return len(self.store)

    def canon(self, st: State) -> State:
        return self.sym.canonical(st) if self.sym is not None else st

    def add(self, st: State, parent: int, depth: int) -> tuple[int, bool]:
        idx, fresh = self.store.add(st, parent, depth)
        if fresh and self.keep_graph:
            self.edges.append([])
        return idx, fresh

    def violate(self, p: ir.Property | None, kind: str, name: str, message: str, where: tuple[Any, ...],
                span: Any = None) -> None:
        """Record a violation of ``name`` (the first one wins) with the trace ``where`` describes.

        ``where``: ``("at", n)`` the stored state n; ``("via", n, st)`` the unstored state st,
        a successor of n (-1: an initial state); ``("error", n, transition, text)`` the step
        of state n that raised ``text``.
        """
        if name in self.results:
            return
        self.results[name] = PropertyResult(name, kind, Verdict.VIOLATED, message, self.make_trace(where),
                                            p.span if p is not None else span)
        if self.cfg.stop_at_first:
            self.stopped = True

    def make_trace(self, where: tuple[Any, ...]) -> Trace:
        keys = [self.store.key(i) for i in self.store.chain(where[1])] if where[1] >= 0 else []
        return self.tracer.build(where, keys)

    def trace_to(self, idx: int) -> Trace:
        return self.make_trace(("at", idx))

    def check_state(self, idx: int, st: State) -> None:
        self._judge_state(st, ("at", idx))
        for p, pred in self.reachables:
            if p.name not in self.reach_found:
                try:
                    if pred(st):
                        self.reach_found[p.name] = idx
                except Exception:
                    pass

    def _judge_state(self, st: State, where: tuple[Any, ...]) -> None:
        for p, pred in self.invariants:
            if p.name in self.results:
                continue
            try:
                ok = pred(st)
            except Exception as exc:  # an EvalError inside a property is a violation of it
                self.violate(p, p.kind.value, p.name, f"cannot evaluate: {exc}", where)
                continue
            if not ok:
                self.violate(p, p.kind.value, p.name, f"{p.kind.value} `{p.name}` is violated", where)

    def _check_outside(self, idx: int, st: State) -> None:
        """A state outside the state constraint is still checked against the invariants (TLC).

        It is neither counted nor expanded. ``idx`` is its parent (-1: an initial state).
        A ``reachable`` property it satisfies has a witness (the state is reachable).
        """
        self._judge_state(st, ("via", idx, st))
        for p, pred in self.reachables:
            if p.name not in self.reach_found and p.name not in self.reach_outside:
                try:
                    if pred(st):
                        self.reach_outside[p.name] = self.make_trace(("via", idx, st))
                except Exception:
                    pass

    def _step_violation(self, idx: int, exc: StepError) -> None:
        v = exc.violation
        kind = getattr(v, "kind", "runtime")
        where = f" at line {v.span.line}" if getattr(v, "span", None) is not None else ""
        name = {"assert": "assert", "overflow": "channel overflow", "concurrent write": "concurrent write"}.get(
            kind, "runtime error")
        self.violate(None, "assert" if kind == "assert" else kind, f"{name}{where}", f"{name}{where}: {v}",
                     ("error", idx, exc.transition, str(v)), span=getattr(v, "span", None))

    def over_limits(self, started: float) -> bool:
        cfg = self.cfg
        if cfg.max_states is not None and self.count >= cfg.max_states:
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
    def successors(self, st: State, depth: int) -> tuple[bool, list[StepError], list[Any], set[int] | None]:
        """(some protocol step is enabled, step errors, successors to explore, units taken or None)."""
        if self.reducer is not None:
            return self.reducer.successors(self, st, depth)
        errors: list[StepError] = []
        proto_succ = self.model.protocol_successors(st, errors=errors)
        return bool(proto_succ), errors, proto_succ + self.model.fault_successors(st), None

    def expand(self, idx: int, st: State, depth: int) -> list[tuple[int, State]]:
        model = self.model
        enabled, errors, succ, units = self.successors(st, depth)
        for exc in errors:  # a raising step is a violation; the other steps are still explored
            self._step_violation(idx, exc)
            if self.stopped:
                return []
        self.stats.generated += len(succ)
        if units is not None:
            self.taken_units.update(units)
        if not enabled and not errors:
            self.terminal.append(idx)
            # with no `final` declared anywhere, any state without a successor is a deadlock (TLC)
            if self.check_deadlock and "deadlock" not in self.results \
                    and (not model.has_final or not model.is_final(st)):
                self.violate(next((p for p in self.proto.properties if p.kind is ir.PropKind.DEADLOCK), None),
                             "deadlock", "deadlock", "deadlock: no step is enabled and not every role is final",
                             ("at", idx))
        new: list[tuple[int, State]] = []
        for tr, nxt in succ:
            if units is None and tr.unit >= 0:
                self.taken_units.add(tr.unit)
                self.taken_units.update(tr.joined)
            c = self.canon(nxt)
            if self.constraints and not all(f(c) for f in self.constraints):
                self._check_outside(idx, c)
                continue
            j, fresh = self.add(c, idx, depth + 1)
            if self.keep_graph and j != idx:
                self.edges[idx].append((j, tr.unit))
                for u in tr.joined:  # a round (or a rendezvous) takes every step in it
                    self.edges[idx].append((j, u))
            if fresh:
                new.append((j, c))
                self.check_state(j, c)
                if self.stopped:
                    return new
        return new

    # ------------------------------------------------------------------ search
    def run(self) -> None:
        if self.resume_path:
            from accord.checker.checkpoint import restore

            restore(self, self.resume_path)
        else:
            self.start()
        self.loop()
        self.finish()

    def start(self) -> None:
        """Store and check the initial states; they form the first frontier."""
        inits = self.model.initial_states()
        roots = []
        for st in inits:
            c = self.canon(st)
            if self.constraints and not all(f(c) for f in self.constraints):
                self._check_outside(-1, c)
                continue
            j, fresh = self.add(c, -1, 1)
            if fresh:
                roots.append((j, c))
                self.check_state(j, c)
        self.stats.initial = self.count
        self.stats.generated += len(inits)
        self.frontier = list(reversed(roots)) if self.cfg.strategy == "dfs" else deque(roots)

    def loop(self) -> None:
        cfg = self.cfg
        started = self.session_start = time.monotonic()
        last_report = last_save = started
        frontier = self.frontier
        dfs = isinstance(frontier, list)
        processed = 0
        max_states = cfg.max_states
        while frontier and not self.stopped:
            if max_states is not None and self.count >= max_states:
                self.limit = "states"
                break
            if processed % 64 == 0:
                if self.over_limits(started):
                    break
                now = time.monotonic()
                if cfg.progress is not None and now - last_report > 0.5:
                    last_report = now
                    cfg.progress({"states": self.count, "depth": self.max_seen,
                                  "queue": len(frontier), "seconds": self.elapsed + now - started})
                if self.checkpoint_path and now - last_save > cfg.checkpoint_every:
                    last_save = now
                    self.save_checkpoint()
            idx, st = frontier.pop() if dfs else frontier.popleft()
            depth = self.level[idx]
            if cfg.max_depth is not None and depth >= cfg.max_depth:
                self.limit = self.limit or "depth"
                self.dropped = True
                continue
            processed += 1
            new = self.expand(idx, st, depth)
            if new:
                self.max_seen = max(self.max_seen, depth + 1)
            if dfs:
                frontier.extend(reversed(new))
            else:
                frontier.extend(new)
        if self.checkpoint_path and self.limit in ("states", "seconds", "memory"):
            self.save_checkpoint()

    def save_checkpoint(self) -> None:
        from accord.checker.checkpoint import save

        save(self, self.checkpoint_path)  # type: ignore[arg-type]

    def finish(self) -> None:
        frontier = self.frontier
        self.complete = not frontier and not self.stopped and self.limit is None
        self.queue_left = len(frontier)
        self.stats.seconds = self.elapsed + time.monotonic() - self.session_start
        self.stats.distinct = self.count
        self.stats.depth = max(self.level) if self.count else 0
        if not self.complete:
            # the depth fully explored: levels below the shallowest unexpanded state
            pending = [self.level[i] for i, _ in frontier] if frontier else []
            self.explored_depth = (min(pending) if pending else self.stats.depth)
        else:
            self.explored_depth = self.stats.depth
        self.stats.terminal = len(self.terminal)
        self.stats.queue = len(frontier)
        self.stats.peak_memory_mb = _peak_mb()
        self.stats.fingerprint_bits = self.stats_bits
        if self.count:
            self.stats.bytes_per_state = max(0, rss_bytes() - self.rss0) / self.count
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
        perms = permutation_count(proto)
        if problems:
            use_sym = False
            notes.append("symmetry reduction is off: " + "; ".join(problems[:3]))
        elif perms > MAX_PERMUTATIONS:
            use_sym = False
            notes.append(f"symmetry reduction is off: exact canonicalisation would try {perms:,} permutations "
                         f"(at most {MAX_PERMUTATIONS:,} are tried); counts are of states, not orbits")
    want_live = cfg.liveness and bool(live_props)
    use_por, use_compact = speed_options(proto, cfg, want_live, notes)
    if cfg.workers > 1:
        from accord.checker.parallel import check_parallel, parallel_problems

        why = parallel_problems(cfg, want_live, use_por)
        if not why:
            return check_parallel(proto, cfg, use_sym, use_compact, notes)
        notes.append(f"the search runs in one process: {why}")
    search = _Search(proto, cfg, use_sym, keep_graph=(want_live and not use_sym) or cfg.keep_graph,
                     por=use_por, compact=use_compact)
    search.run()
    if search.reducer is not None:
        notes.append(search.reducer.summary())
    results = dict(search.results)
    complete = search.complete
    witnesses = {name: search.trace_to(idx) for name, idx in search.reach_found.items()}
    for name, trace in search.reach_outside.items():
        witnesses.setdefault(name, trace)
    judge_safety(proto, results, complete, search.check_deadlock, witnesses, _partial(search))
    if live_props and cfg.liveness:
        stopped_early = search.stopped
        if use_sym:
            notes.append("liveness is checked without symmetry reduction (symmetry is not sound for it here)")
            unreduced = _Search(proto, cfg, False, keep_graph=True)
            unreduced.checkpoint_path = unreduced.resume_path = None
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
            blocked = liveness_blocked(results)
            if blocked is not None:
                results[p.name] = PropertyResult(p.name, p.kind.value, Verdict.UNKNOWN, blocked, span=p.span)
                continue
            results[p.name] = check_liveness(graph_search, p)
    stats = search.stats
    stats.coverage_missing = coverage(search.model, search.taken_units) if complete else []
    return finish_result(proto, cfg, results, stats, complete, search.limit, notes)


#: symmetry reduction tries every permutation of the symmetric roles' instances; past this many
#: (7! = 5,040) it is switched off with a note rather than left to run for ever
MAX_PERMUTATIONS = 5040


def permutation_count(proto: ir.Protocol) -> int:
    import math

    n = 1
    for r in proto.roles:
        if r.symmetric and r.count > 1:
            n *= math.factorial(r.count)
    return n


def liveness_blocked(results: dict[str, PropertyResult]) -> str | None:
    """Why liveness cannot be judged on this graph, or None.

    A state whose step raised an error has no successor in the graph, so a "fair stutter" there
    would only echo the error: liveness is then left undecided rather than reported violated.
    """
    raised = next((r for r in results.values() if r.verdict is Verdict.VIOLATED
                   and r.kind in ("assert", "runtime", "overflow", "concurrent write")), None)
    return None if raised is None else f"not decided: a step raised an error ({raised.name})"


def _partial(search: Any) -> str:
    if search.stopped:
        return "not decided: the search stopped at the first violation (use --continue to go on)"
    return partial_text(search.limit, search.explored_depth, search.count)
