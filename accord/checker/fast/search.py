"""The level-synchronous breadth-first search over packed states.

Each BFS level is expanded in chunks of parent rows (:class:`Expander`); the
successors of a chunk arrive in the generic engine's discovery order, are
deduplicated with ``np.unique`` (first occurrence wins) and against every stored
state (a sorted array of keys, merged per chunk), and the new ones are stored
with their parent's global index. Global indices are the generic engine's: the
order in which it would have added each state.

The generic engine's stopping points are reproduced exactly: it checks each
parent's step errors, then its deadlock, then the invariants of each new
successor in order; the first event (sorted by parent, kind, successor) stops the
search under ``stop_at_first``, and the stored states, generated and terminal
counts are cut where the generic engine would have cut them. Every violation is
then rendered by the generic semantics: traces are replayed along the chain of
stored states, step errors are re-raised by the generic model at their state.
"""

from __future__ import annotations

import bisect
import resource
import time
from typing import Any

import numpy as np

from accord import ir
from accord.checker.fast.codec import Codec
from accord.checker.fast.expand import DISC_SHIFT, Batch, Expander
from accord.checker.fast.fragment import universes
from accord.checker.fast.graph import Graph
from accord.checker.result import PropertyResult, Stats, Trace, Verdict
from accord.checker.trace import replay_path, violation_step
from accord.semantics.model import Model

CHUNK = 1 << 17  # parent rows expanded at once


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class VectorSearch:
    def __init__(self, proto: ir.Protocol, cfg: Any, chunk: int = CHUNK, bounds: dict[int, int] | None = None,
                 keep_graph: bool = False):
        self.proto = proto
        self.cfg = cfg
        self.chunk = chunk
        self.model = Model(proto)
        self.lay = self.model.layout
        self.codec = Codec(proto, self.lay, universes(proto, self.lay), bounds)
        self.exp = Expander(proto, self.lay, self.codec, self.model.labels, self.model._init_locals)
        self.words = self.codec.words
        self.invariants = [(p, p.expr) for p in proto.properties
                           if p.kind in (ir.PropKind.INVARIANT, ir.PropKind.AGREEMENT) and p.expr is not None]
        self.inv_preds = [(p, self.model.compile_property_expr(e)) for p, e in self.invariants]
        self.reachables = [(p, p.expr) for p in proto.properties
                           if p.kind is ir.PropKind.REACHABLE and p.expr is not None]
        want = cfg.deadlock if cfg.deadlock is not None else any(
            p.kind is ir.PropKind.DEADLOCK for p in proto.properties)
        self.check_deadlock = bool(want)
        self.results: dict[str, PropertyResult] = {}
        self.reach_found: dict[str, int] = {}
        self.stopped = False
        self.limit: str | None = None
        self.starts: list[int] = []  # global index of each block's first state
        self.blocks: list[np.ndarray] = []  # packed states, (n, W) per block
        self.parents: list[np.ndarray] = []  # global parent index per state (int32 when it fits)
        self.total = 0
        self.seen = self._keys(np.zeros((0, self.words), dtype=np.uint64))
        self.seen_ids = np.zeros(0, dtype=np.int64)  # with a graph: the global index of each key of `seen`
        self.graph = Graph(self) if keep_graph else None
        self.fired: set[str] = set()
        self.stats = Stats(engine="explicit-vector")
        self.depth = 0
        self.queue = 0
        self.explored_depth: int | None = None
        self.complete = False

    # ------------------------------------------------------------------ storage
    def _keys(self, words: np.ndarray) -> np.ndarray:
        if self.words == 1:
            return np.ascontiguousarray(words[:, 0])
        return np.ascontiguousarray(words).view(np.dtype((np.void, 8 * self.words))).ravel()

    def _store(self, words: np.ndarray, parents: np.ndarray) -> int:
        """Append new (distinct, unseen) states; returns the global index of the first."""
        start = self.total
        if len(words):
            self.starts.append(start)
            self.blocks.append(words)
            self.parents.append(parents.astype(np.int32 if start + len(words) < 2**31 else np.int64))
            self.total += len(words)
            if self.graph is None:
                new = np.sort(self._keys(words))
                self.seen = np.sort(np.concatenate([self.seen, new]), kind="stable")
            else:
                keys = np.concatenate([self.seen, self._keys(words)])
                ids = np.concatenate([self.seen_ids, np.arange(start, self.total, dtype=np.int64)])
                o = np.argsort(keys, kind="stable")
                self.seen, self.seen_ids = keys[o], ids[o]
        return start

    def _seen(self, keys: np.ndarray) -> np.ndarray:
        if not len(self.seen):
            return np.zeros(len(keys), dtype=bool)
        pos = np.searchsorted(self.seen, keys)
        pos[pos == len(self.seen)] = 0
        return self.seen[pos] == keys

    def _locate(self, gid: int) -> tuple[int, int]:
        b = bisect.bisect_right(self.starts, gid) - 1
        return b, gid - self.starts[b]

    def state(self, gid: int) -> tuple[Any, ...]:
        b, k = self._locate(gid)
        return self.codec.unpack(self.blocks[b][k])

    def trace_to(self, gid: int) -> Trace:
        chain = []
        while gid >= 0:
            chain.append(gid)
            b, k = self._locate(gid)
            gid = int(self.parents[b][k])
        return replay_path(self.model, [self.state(g) for g in reversed(chain)])

    def stored_bytes(self) -> int:
        return int(self.seen.nbytes + sum(b.nbytes for b in self.blocks) + sum(p.nbytes for p in self.parents))

    # ------------------------------------------------------------------ verdicts
    def violate(self, p: ir.Property | None, kind: str, name: str, message: str, trace: Trace,
                span: Any = None) -> None:
        if name in self.results:
            return
        self.results[name] = PropertyResult(name, kind, Verdict.VIOLATED, message, trace,
                                            p.span if p is not None else span)
        if self.cfg.stop_at_first:
            self.stopped = True

    def check_state(self, gid: int) -> None:
        """The generic engine's invariant check of one stored state (all invariants, in order)."""
        st = self.state(gid)
        for p, pred in self.inv_preds:
            if p.name in self.results:
                continue
            try:
                ok = pred(st)
            except Exception as exc:  # noqa: BLE001 -- as the generic engine: a property that raises is violated
                self.violate(p, p.kind.value, p.name, f"cannot evaluate: {exc}", self.trace_to(gid))
                continue
            if not ok:
                self.violate(p, p.kind.value, p.name, f"{p.kind.value} `{p.name}` is violated", self.trace_to(gid))

    def step_errors(self, gid: int) -> None:
        """The generic engine's report of the steps raising in one stored state."""
        trace = self.trace_to(gid)
        errs: list[Any] = []
        last = trace.steps[-1].state
        assert last is not None
        self.model.protocol_successors(last, record=True, errors=errs)
        if not errs:
            raise RuntimeError("vector engine: a step error the generic semantics does not raise")
        for exc in errs:
            v = exc.violation
            kind = getattr(v, "kind", "runtime")
            where = f" at line {v.span.line}" if getattr(v, "span", None) is not None else ""
            name = {"assert": "assert", "overflow": "channel overflow", "concurrent write": "concurrent write"}.get(
                kind, "runtime error")
            t = Trace(list(trace.steps))
            t.steps.append(violation_step(exc.transition, None))
            self.violate(None, "assert" if kind == "assert" else kind, f"{name}{where}", f"{name}{where}: {v}", t,
                         span=getattr(v, "span", None))
            if self.stopped:
                return

    def deadlock(self, gid: int) -> None:
        p = next((p for p in self.proto.properties if p.kind is ir.PropKind.DEADLOCK), None)
        self.violate(p, "deadlock", "deadlock", "deadlock: no step is enabled and not every role is final",
                     self.trace_to(gid))

    def _new_states(self, words: np.ndarray, n: int) -> tuple[list[int], dict[str, int]]:
        """Invariant events (local rows) and first reachable witnesses among ``words[:n]``."""
        inv_rows: set[int] = set()
        for p, e in self.invariants:
            if p.name in self.results:
                continue
            holds, raises = self.exp.predicate(words[:n], e)
            bad = np.flatnonzero(~holds | raises)
            if bad.size:
                inv_rows.add(int(bad[0]))
        reach: dict[str, int] = {}
        for p, e in self.reachables:
            if p.name in self.reach_found:
                continue
            holds, raises = self.exp.predicate(words[:n], e)
            hit = np.flatnonzero(holds & ~raises)
            if hit.size:
                reach[p.name] = int(hit[0])
        return sorted(inv_rows), reach

    # ------------------------------------------------------------------ search
    def run(self) -> None:
        t0 = time.monotonic()
        inits = self.model.initial_states()
        words = np.stack([self.codec.pack(s) for s in inits]) if inits else np.zeros((0, self.words), np.uint64)
        first = self._store(words, np.full(len(words), -1, dtype=np.int64))
        self.stats.initial = self.stats.generated = len(words)
        inv_rows, reach = self._new_states(words, len(words))
        for name, j in reach.items():
            self.reach_found[name] = first + j
        for j in inv_rows:
            self.check_state(first + j)
        level = (first, len(words))
        depth = 1
        self.depth = 1 if len(words) else 0
        while level[1] and not self.stopped:
            start, n = level
            if self.cfg.max_depth is not None and depth >= self.cfg.max_depth:
                self.limit = self.limit or "depth"
                break
            if self._over_limits(t0):
                self.queue = n
                self.explored_depth = depth
                break
            if self.cfg.progress is not None:
                self.cfg.progress({"states": self.total, "depth": self.depth, "queue": n,
                                   "seconds": time.monotonic() - t0})
            level_start = self.total
            blocks = [(b, s) for b, s in zip(self.blocks, self.starts) if start <= s < start + n]
            frontier = blocks[0][0] if len(blocks) == 1 else np.concatenate([b for b, _ in blocks])
            for a in range(0, n, self.chunk):
                nxt = self._chunk(frontier[a:a + self.chunk], start + a, depth)
                if nxt is not None:  # stopped inside this chunk
                    self.queue = (n - (a + nxt)) + (self.total - level_start)
                    pending_here = a + nxt < n
                    self.explored_depth = depth if pending_here else depth + 1
                    break
                if a + self.chunk < n and self._over_limits(t0):
                    self.queue = (n - (a + self.chunk)) + (self.total - level_start)
                    self.explored_depth = depth
                    break
            else:
                self._merge_level(level_start)
                level = (level_start, self.total - level_start)
                if level[1]:
                    self.depth = depth + 1
                depth += 1
                continue
            break
        self.complete = not self.stopped and self.limit is None and level[1] == 0
        if self.explored_depth is None:
            # finished, stopped at the initial states, or cut by the depth limit (the frontier drains)
            cut_at_init = self.stopped and self.total == self.stats.initial
            self.queue = level[1] if cut_at_init else 0
            self.explored_depth = 1 if cut_at_init and level[1] else self.depth
        self.stats.seconds = time.monotonic() - t0
        self.stats.distinct = self.total
        self.stats.depth = self.depth
        self.stats.queue = self.queue
        self.stats.peak_memory_mb = peak_mb()

    def _merge_level(self, level_start: int) -> None:
        """The blocks stored for one level, as one block (one frontier array)."""
        idx = [k for k, s in enumerate(self.starts) if s >= level_start]
        if len(idx) <= 1:
            return
        k0 = idx[0]
        self.blocks[k0:] = [np.concatenate(self.blocks[k0:])]
        self.parents[k0:] = [np.concatenate(self.parents[k0:])]
        self.starts[k0:] = [level_start]

    def _over_limits(self, t0: float) -> bool:
        cfg = self.cfg
        if cfg.max_seconds is not None and time.monotonic() - t0 > cfg.max_seconds:
            self.limit = "seconds"
        elif cfg.max_memory_mb is not None and peak_mb() > cfg.max_memory_mb:
            self.limit = "memory"
        elif cfg.max_states is not None and self.total >= cfg.max_states:
            self.limit = "states"
        return self.limit is not None

    def _fresh(self, words: np.ndarray, b: Batch) -> tuple[np.ndarray, np.ndarray]:
        """The successors never stored before, once each, in discovery order, and their first discovery keys.

        Self-loops are not in the batch (a parent is stored); the rest is sorted by key once:
        equal keys form groups, each group's first discovery is its smallest ``disc``, and
        unseen groups are looked up in the sorted store with sorted needles.
        """
        keys = self._keys(b.words)
        disc = b.disc
        if not len(keys):
            return np.zeros((0, self.words), dtype=np.uint64), np.zeros(0, dtype=np.int64)
        o = np.argsort(keys)
        ks = keys[o]
        start = np.flatnonzero(np.concatenate(([True], ks[1:] != ks[:-1])))
        first = np.minimum.reduceat(disc[o], start)
        fresh = ~self._seen(ks[start])
        at = o[start[fresh]]
        first = first[fresh]
        order = np.argsort(first)
        at, first = at[order], first[order]
        return b.words[at], first

    def _chunk(self, words: np.ndarray, g0: int, depth: int) -> int | None:
        """Expand parents ``g0 ..`` (packed ``words``). Returns None, or the next unexpanded row if the
        search stops inside this chunk."""
        m = len(words)
        b: Batch = self.exp.expand(words)
        self.fired |= b.fired
        new_words, new_disc = self._fresh(words, b)
        new_parent = new_disc >> DISC_SHIFT
        p_lim = m
        if self.cfg.max_states is not None:
            before = self.total + np.searchsorted(new_parent, np.arange(m), "left")
            hit = np.flatnonzero(before >= self.cfg.max_states)
            if hit.size:
                p_lim = int(hit[0])
        n_lim = int(np.searchsorted(new_parent, p_lim, "left"))
        terminal = ~b.has_succ & ~b.has_err
        counts = b.counts + b.fault_counts
        # events: (parent row, kind, new row); kinds 0 step error, 1 deadlock, 2 invariant
        events: list[tuple[int, int, int]] = sorted({(r, 0, 0) for r in b.err_site.values() if r < p_lim})
        if self.check_deadlock and "deadlock" not in self.results:
            dead = terminal[:p_lim]
            if self.model.has_final and dead.any():
                dead = dead & ~self.exp.final(words[:p_lim])
            hits = np.flatnonzero(dead)
            if hits.size:
                events.append((int(hits[0]), 1, 0))
        inv_rows, reach = self._new_states(new_words, n_lim)
        events.extend((int(new_parent[j]), 2, j) for j in inv_rows)
        events.sort()
        stop = events[0] if events and self.cfg.stop_at_first else None
        cut: tuple[int, int | None] | None = None  # the stopping parent's edges, up to this discovery key
        after_deadlock = None
        if stop is None:
            n_keep, expanded, nxt = n_lim, p_lim, None
            if p_lim < m:
                self.limit = "states"
                nxt = p_lim
        else:
            p, kind, j = stop
            n_keep = int(np.searchsorted(new_parent, p, "left"))
            expanded, nxt = (p, p + 1) if kind == 0 else (p + 1, p + 1)
            if kind == 2:
                n_keep, cut = j + 1, (p, int(new_disc[j]))
            elif kind == 1:
                # the generic engine goes on through this state's (fault) successors up to the first new one
                has_new = n_keep < len(new_parent) and new_parent[n_keep] == p
                cut = (p, int(new_disc[n_keep]) if has_new else None)
                if has_new:
                    after_deadlock = n_keep
                    n_keep += 1
        self.stats.generated += int(counts[:expanded].sum())
        self.stats.terminal += int(terminal[:expanded].sum())
        first = self._store(new_words[:n_keep], g0 + new_parent[:n_keep])
        if self.graph is not None:
            self.graph.record(b, g0, stop[0] if stop is not None else p_lim, cut, terminal, expanded)
        if n_keep:
            self.depth = depth + 1
        for name, j in reach.items():
            if j < n_keep:
                self.reach_found[name] = first + j
        for p, kind, j in events:
            if self.stopped:
                break
            if kind == 0:
                self.step_errors(g0 + p)
            elif kind == 1:
                self.deadlock(g0 + p)
                if after_deadlock is not None:
                    self.check_state(first + after_deadlock)
            else:
                self.check_state(first + j)
        return nxt if (self.stopped or nxt is not None) else None


__all__ = ["Codec", "VectorSearch", "peak_mb"]
