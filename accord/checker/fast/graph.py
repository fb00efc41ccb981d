"""The reachable graph of a vector search, for liveness and the E!= count.

With ``keep_graph`` the search records, per expanded state, the edges the generic
engine records: every successor but self-loops, in successor order (duplicates
kept), each with its fairness unit (-1 for faults), and the states without a
protocol successor. :class:`GraphView` presents them with the attributes
:func:`accord.checker.liveness.check_liveness` reads from a generic search
(``states``, ``parent``, ``edges``, ``terminal``, ``model``, ``proto``, ``canon``).
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from accord.checker.fast.expand import DISC_SHIFT, KEY_SPAN, Batch

LOW = (1 << DISC_SHIFT) - 1


class Graph:
    def __init__(self, search: Any):
        self.search = search
        exp = search.exp
        units = search.model.unit_of
        ranks = [units[(si.label, si.inst)] for si in exp.normal + exp.timeouts]
        ranks += [-1] * len(exp.faults)
        by_rank = {si.rank: u for si, u in zip(exp.normal + exp.timeouts, ranks)}
        by_rank.update({fi.rank: -1 for fi in exp.faults})
        self.unit_of_rank = np.array([by_rank[r] for r in range(len(by_rank))], dtype=np.int64)
        self.src: list[np.ndarray] = []
        self.dst: list[np.ndarray] = []
        self.unit: list[np.ndarray] = []
        self.terminal: list[np.ndarray] = []

    def record(self, b: Batch, g0: int, full: int, cut: tuple[int, int | None] | None,
               terminal: np.ndarray, expanded: int) -> None:
        """Edges of parents ``< full`` (rows of the batch), and of parent ``cut[0]`` those with a
        discovery key up to ``cut[1]`` (None: all); terminal parents among the first ``expanded``.
        Call after the chunk's new states are stored."""
        s = self.search
        self.terminal.append(g0 + np.flatnonzero(terminal[:expanded]))
        if not len(b.disc):
            return
        parent = b.disc >> DISC_SHIFT
        sel = parent < full
        if cut is not None:
            here = parent == cut[0]
            sel |= here if cut[1] is None else here & (b.disc <= cut[1])
        disc = b.disc[sel]
        keys = s._keys(b.words[sel])
        o = np.argsort(disc)
        disc, keys = disc[o], keys[o]
        self.src.append(g0 + (disc >> DISC_SHIFT))
        self.dst.append(s.seen_ids[np.searchsorted(s.seen, keys)])
        self.unit.append(self.unit_of_rank[(disc & LOW) // KEY_SPAN])

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        def cat(parts: list[np.ndarray]) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

        return cat(self.src), cat(self.dst), cat(self.unit)

    def transitions(self) -> int:
        """E!=: distinct (s, t) pairs with s != t (edges never hold self-loops)."""
        src, dst, _ = self.arrays()
        if not len(src):
            return 0
        return len(np.unique(src.astype(np.int64) * self.search.total + dst))


class LazyStates:
    """The stored states in global order, unpacked on access."""

    def __init__(self, search: Any):
        self.search = search

    def __len__(self) -> int:
        return int(self.search.total)

    def __getitem__(self, gid: int) -> tuple[Any, ...]:
        return self.search.state(int(gid))

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        s = self.search
        for block in s.blocks:
            for row in block:
                yield s.codec.unpack(row)


class GraphView:
    """A finished vector search seen as the generic search that liveness checking reads."""

    def __init__(self, search: Any):
        g = search.graph
        self.model = search.model
        self.proto = search.proto
        self.states = LazyStates(search)
        self.parent = np.concatenate(search.parents).astype(np.int64) if search.parents else np.zeros(0, np.int64)
        self.terminal = [int(x) for x in np.concatenate(g.terminal)] if g.terminal else []
        src, dst, unit = g.arrays()
        self.edges: list[list[tuple[int, int]]] = [[] for _ in range(search.total)]
        for s_, d, u in zip(src.tolist(), dst.tolist(), unit.tolist()):
            self.edges[s_].append((d, u))

    @staticmethod
    def canon(st: Any) -> Any:
        return st


__all__ = ["Graph", "GraphView", "LazyStates"]
