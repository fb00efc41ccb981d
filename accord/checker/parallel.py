"""Breadth-first search shared by K processes (``--workers K``), level by level, states split by hash.

Worker ``w`` owns the states whose partition hash is ``w`` mod K: it alone stores
them, checks them and expands them. The partition hash is the state's fingerprint
(:func:`accord.checker.compaction.fingerprint`, the same in every process and on
every machine: what a multi-machine run must use); processes forked from one
coordinator without hash compaction use Python's ``hash`` instead, which they
share and which costs far less. A state's global number is ``local number * K + w``; parent links
may point into another worker's store.

Every result equals the one-process search's (``explicit._Search``): distinct,
depth, generated, initial and terminal counts, verdicts, and the very same
counterexamples. To get there each state carries a *key*: ``(r, j)`` where ``r``
is the rank of its parent in the one-process BFS order of the parent's level and
``j`` the position of the event in that parent's expansion (its step errors
first, then its deadlock check, then its successors). A state's parent is the
discoverer with the smallest key, and sorting a level by key gives the
one-process order, hence the next level's ranks. When the one-process search
would have stopped inside a level (first violation, state limit), the cut is
the smallest stopping key, and whatever lies beyond it is dropped.

Message protocol (coordinator <-> worker; each message is one pickled tuple,
so the same exchange runs over sockets between machines):

``("deliver", [blob, ...])``
    blobs of candidate states, each a pickled list of ``(state, key, parent
    global number, fingerprint)``; the first level's blob holds the initial
    states (keys ``(-1, i)``, parent -1). Reply ``("candidates", keys, events)``:
    the keys of the states new to the worker, sorted (``array('q')`` bytes,
    key ``(r, j)`` encoded ``(r + 1) << 24 | j``), and the events found on them.
``("commit", level, ranks, cut, known)``
    store the new states whose key is at most ``cut`` (None: all) at ``level``,
    with the given global ranks (bytes, in key order); ``known``: property names
    already decided. Reply ``("committed", stored, generated, terminal, left, cpu)``
    (the level's expansions within the cut; ``left``: frontier states not expanded;
    ``cpu``: seconds of CPU the worker spent on the level).
``("expand", level, deadline)``
    expand the frontier in rank order. Reply ``("expanded", outboxes, stopped_at,
    events)``: one blob per other worker (candidates it owns), the first rank
    left unexpanded at the deadline (None: all done), and events.
``("chain", n)``
    reply ``("chain", [(key, parent), ...])``: store keys from state n back
    along parent links while they stay in this worker.
``("finish",)``
    reply ``("finished", units taken, memory growth bytes, peak MB)`` and exit.

Events are ``(key, tag, name, data)``: ``tag`` "violation" (data: ``(kind,
message, where, span)`` with ``where`` as in ``_Search.violate`` but naming global
numbers), "reach" (data: the state's global number) or "outside" (a reachable
witness outside the state constraint; data: ``where``). A worker keeps only the
smallest key per (tag, name) in a level. Exchange goes through the coordinator,
which only moves bytes between workers.
"""

from __future__ import annotations

import bisect
import dataclasses
import heapq
import multiprocessing
import pickle
import time
from array import array
from typing import Any

from accord import ir
from accord.checker.compaction import fingerprint
from accord.checker.explicit import Config, _peak_mb
from accord.checker.parallel_worker import _enc, _Worker, _worker_main
from accord.checker.result import CheckResult, PropertyResult, Stats, Trace, Verdict
from accord.checker.verdicts import coverage, finish_result, judge_safety, partial_text


def parallel_problems(cfg: Config, want_live: bool, use_por: bool) -> str:
    """Why the search cannot be split among processes (empty: it can)."""
    if want_live:
        return "liveness properties need the whole state graph in one process"
    if use_por:
        return "partial-order reduction runs in one process"
    if cfg.keep_graph:
        return "the state graph is kept in one process"
    if cfg.strategy != "bfs":
        return "a multi-process search is breadth-first"
    if cfg.checkpoint or cfg.resume:
        return "checkpoints are written by a one-process search"
    return ""


def check_parallel(proto: ir.Protocol, cfg: Config, use_sym: bool, compact: bool, notes: list[str]) -> CheckResult:
    """``explicit.check`` for safety and deadlock, the search shared by ``cfg.workers`` processes."""
    coord = _Coordinator(proto, cfg, use_sym, compact, cfg.workers)
    try:
        coord.run()
        results, witnesses = coord.verdicts()
    finally:
        units = coord.shutdown()
    results_d = dict(results)
    partial = ("not decided: the search stopped at the first violation (use --continue to go on)" if coord.stopped
               else partial_text(coord.limit, coord.explored_depth, coord.stats.distinct))
    judge_safety(proto, results_d, coord.complete, coord.local.search.check_deadlock, witnesses, partial)
    stats = coord.stats
    stats.coverage_missing = coverage(coord.local.model, units) if coord.complete else []
    notes.append(f"{coord.k} search processes: {coord.worker_cpu:.1f}s of CPU in all; the slowest process of each "
                 f"level, plus the coordinator, adds up to {coord.critical:.1f}s (the wall time on {coord.k} idle cores)")
    return finish_result(proto, cfg, results_d, stats, coord.complete, coord.limit, notes)


class _Coordinator:
    def __init__(self, proto: ir.Protocol, cfg: Config, use_sym: bool, compact: bool, k: int):
        self.proto, self.cfg, self.k = proto, cfg, k
        wcfg = dataclasses.replace(cfg, progress=None, checkpoint=None, resume=None, workers=1)
        forked = "fork" in multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if forked else "spawn")
        self.by_hash = forked and not compact
        self.local = _Worker(0, k, proto, wcfg, use_sym, compact, self.by_hash)  # judges initial states, traces
        self.conns: list[Any] = []
        self.procs: list[Any] = []
        for w in range(k):
            mine, theirs = ctx.Pipe()
            p = ctx.Process(  # type: ignore[attr-defined]
                target=_worker_main, args=(theirs, w, k, proto, wcfg, use_sym, compact, self.by_hash), daemon=True)
            p.start()
            theirs.close()
            self.conns.append(mine)
            self.procs.append(p)
        self.stats = Stats(engine="explicit-bfs", symmetry=self.local.search.sym is not None, workers=k,
                           fingerprint_bits=64 if compact else 0)
        self.found: dict[str, tuple[int, Any]] = {}  # violated name -> (key, data), first found
        self.reach: dict[str, tuple[int, Any]] = {}
        self.outside: dict[str, tuple[int, Any]] = {}
        self.stopped = False
        self.limit: str | None = None
        self.complete = False
        self.explored_depth = 0
        self.worker_bytes = 0
        self.worker_peak = 0.0
        self.critical = 0.0  # seconds of CPU on the slowest worker, level by level
        self.worker_cpu = 0.0

    # ------------------------------------------------------------------ messages
    def _recv(self, w: int) -> Any:
        reply = self.conns[w].recv()
        if reply[0] == "error":
            raise RuntimeError(f"search worker {w} failed:\n{reply[1]}")
        return reply

    def _all(self, msgs: list[Any]) -> list[Any]:
        for conn, msg in zip(self.conns, msgs):
            conn.send(msg)
        return [self._recv(w) for w in range(self.k)]

    def shutdown(self) -> set[int]:
        units: set[int] = set()
        for w, conn in enumerate(self.conns):
            try:
                conn.send(("finish",))
                _, taken, grew, peak = self._recv(w)
                units |= taken
                self.worker_bytes += grew
                self.worker_peak += peak
            except (OSError, EOFError, RuntimeError):
                pass
        for p in self.procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
        s = self.stats
        s.peak_memory_mb = _peak_mb() + self.worker_peak
        if s.distinct:
            s.bytes_per_state = self.worker_bytes / s.distinct
        return units

    # ------------------------------------------------------------------ one level
    def _level(self, deliveries: list[list[bytes]], events: list[Any], level: int, total: int,
               interrupted: int | None, width: int) -> tuple[int, int, int, int, int | None]:
        """Deliver candidates, rank and cut the new level, commit it; -> (stored, generated, terminal, left, cut).

        The initial level (``level == 1``) is never cut: every initial state is stored and checked."""
        replies = self._all([("deliver", d) for d in deliveries])
        keyed: list[list[int]] = []
        for _, raw, evs in replies:
            keys = array("q")
            keys.frombytes(raw)
            keyed.append(keys.tolist())
            events.extend(evs)
        merged = list(heapq.merge(*[[(key, w) for key in keys] for w, keys in enumerate(keyed)]))
        ranks: list[array] = [array("q") for _ in range(self.k)]
        for pos, (_, w) in enumerate(merged):
            ranks[w].append(pos)
        cut = self._cut(merged, events, total, interrupted, width) if level > 1 else None
        known = sorted(set(self.found) | set(self.reach))
        done = self._all([("commit", level, ranks[w].tobytes(), cut, known) for w in range(self.k)])
        self._record(events, cut)
        self.critical += max(r[5] for r in done)  # the level ends when its slowest worker does
        self.worker_cpu += sum(r[5] for r in done)
        stored = sum(r[1] for r in done)
        return stored, sum(r[2] for r in done), sum(r[3] for r in done), sum(r[4] for r in done), cut

    def _cut(self, merged: list[tuple[int, int]], events: list[Any], total: int, interrupted: int | None,
             width: int) -> int | None:
        """The last key the one-process search would have reached in this level (None: all of it)."""
        cfg = self.cfg
        cut = None
        if cfg.stop_at_first:
            keys = [e[0] for e in events if e[1] == "violation" and e[2] not in self.found]
            if keys:
                cut = min(keys)
        if interrupted is not None:
            c = _enc(interrupted, 0) - 1
            if cut is None or c < cut:
                cut, self.limit = c, ("seconds" if self.deadline is not None and time.monotonic() > self.deadline
                                      else "memory")
        if cfg.max_states is not None and width:
            keys = [key for key, _ in merged]
            # the one-process search stops before expanding rank r once it has stored max_states states
            lo, hi = 0, width
            while lo < hi:
                mid = (lo + hi) // 2
                if total + bisect.bisect_left(keys, _enc(mid, 0)) >= cfg.max_states:
                    hi = mid
                else:
                    lo = mid + 1
            if lo < width:
                c = _enc(lo, 0) - 1
                if cut is None or c < cut:
                    cut, self.limit = c, "states"
        if cut is not None and self.limit is None:
            self.stopped = True
        return cut

    def _record(self, events: list[Any], cut: int | None) -> None:
        for key, tag, name, data in sorted(events, key=lambda e: e[0]):
            if cut is not None and key > cut:
                continue
            book = {"violation": self.found, "reach": self.reach, "outside": self.outside}[tag]
            if name not in book:
                book[name] = (key, data)

    # ------------------------------------------------------------------ the search
    def run(self) -> None:
        cfg, s, k = self.cfg, self.stats, self.k
        started = time.monotonic()
        cpu0 = time.process_time()
        self.deadline = started + cfg.max_seconds if cfg.max_seconds is not None else None
        search = self.local.search
        inits = search.model.initial_states()
        boxes: list[list[Any]] = [[] for _ in range(k)]
        for i, st in enumerate(inits):
            c = search.canon(st)
            if search.constraints and not all(f(c) for f in search.constraints):
                self.local._judge(_enc(-1, i), c, ("via", -1, c), False)
                continue
            fp = 0 if self.by_hash else fingerprint(c)
            boxes[(hash(c) if self.by_hash else fp) % k].append((c, _enc(-1, i), -1, fp))
        events = self.local._take_events()
        blobs = [[pickle.dumps(b, protocol=pickle.HIGHEST_PROTOCOL)] for b in boxes]
        stored, _, _, _, _ = self._level(blobs, events, 1, 0, None, 0)
        s.initial = total = width = stored
        s.generated = len(inits)
        s.depth = 1 if stored else 0
        if cfg.stop_at_first and self.found:
            self.stopped = True
        level = 1
        left = 0
        while width and not self.stopped and self.limit is None:
            if cfg.max_states is not None and total >= cfg.max_states:
                self.limit = "states"
                break
            now = time.monotonic()
            if self.deadline is not None and now > self.deadline:
                self.limit = "seconds"
                break
            if cfg.max_memory_mb is not None and _peak_mb() > cfg.max_memory_mb:
                self.limit = "memory"
                break
            if cfg.max_depth is not None and level >= cfg.max_depth:
                self.limit = "depth"
                width = 0  # the one-process search pops these states and drops them
                break
            if cfg.progress is not None:
                cfg.progress({"states": total, "depth": s.depth, "queue": width, "seconds": now - started})
            replies = self._all([("expand", level, self.deadline) for _ in range(k)])
            events = []
            stops = [r[2] for r in replies if r[2] is not None]
            for r in replies:
                events.extend(r[3])
            deliveries = [[replies[src][1][dst] for src in range(k) if src != dst] for dst in range(k)]
            stored, gen, term, left, cut = self._level(deliveries, events, level + 1, total,
                                                       min(stops) if stops else None, width)
            total += stored
            s.generated += gen
            s.terminal += term
            if stored:
                s.depth = level + 1
            width = stored
            level += 1
            if cut is not None:
                break
        s.distinct = total
        s.seconds = time.monotonic() - started
        self.critical += time.process_time() - cpu0  # the coordinator's own work sits between the levels
        s.queue = left + width
        self.complete = not s.queue and not self.stopped and self.limit is None
        # the depth fully explored: levels below the shallowest unexpanded state
        self.explored_depth = (level - 1 if left else level) if s.queue else s.depth

    # ------------------------------------------------------------------ traces
    def _keys(self, gid: int) -> list[Any]:
        keys: list[Any] = []
        while gid >= 0:
            w = gid % self.k
            self.conns[w].send(("chain", gid))
            for key, parent in self._recv(w)[1]:
                keys.append(key)
                gid = parent
        keys.reverse()
        return keys

    def _trace(self, where: tuple[Any, ...]) -> Trace:
        return self.local.search.tracer.build(where, self._keys(where[1]) if where[1] >= 0 else [])

    def verdicts(self) -> tuple[list[tuple[str, PropertyResult]], dict[str, Trace]]:
        out = []
        for name, (_, (kind, message, where, span)) in sorted(self.found.items(), key=lambda kv: kv[1][0]):
            out.append((name, PropertyResult(name, kind, Verdict.VIOLATED, message, self._trace(where), span)))
        witnesses = {name: self._trace(("at", gid)) for name, (_, gid) in self.reach.items()}
        for name, (_, where) in self.outside.items():
            witnesses.setdefault(name, self._trace(where))
        return out, witnesses
