"""How many protocol steps a team may take before it must have terminated.

Without faults this is :attr:`accord.analysis.metrics.Analysis.budget` — the
most steps of any run from an initial state to termination. When the spec
declares faults, a run in which they strike can legitimately need more (a
crashed worker's task is reassigned), so :func:`fault_budget` takes the same
longest path over the graph *with* the fault steps, which cost nothing. Steps
that leave the state unchanged are stuttering and are never counted.
"""

from __future__ import annotations

from collections import deque

import networkx as nx  # type: ignore[import-untyped]  # networkx ships no type stubs

from accord import ir
from accord.analysis.metrics import analyze
from accord.semantics.model import Model, State


def protocol_budget(proto: ir.Protocol, max_states: int = 200_000) -> int | None:
    """The step budget for a team running ``proto`` (None: unbounded, or the graph is too large)."""
    if not proto.faults:
        return analyze(proto, max_states).budget
    return fault_budget(proto, max_states)


def fault_budget(proto: ir.Protocol, max_states: int = 200_000) -> int | None:
    """The most protocol steps on any run to termination, faults included (None: unbounded or too large)."""
    model = Model(proto)
    index: dict[State, int] = {}
    states: list[State] = []
    edges: list[list[tuple[int, int]]] = []
    final: list[bool] = []

    def add(st: State) -> int:
        i = index.get(st)
        if i is None:
            i = index[st] = len(states)
            states.append(st)
            edges.append([])
            final.append(model.is_final(st))
            q.append(i)
        return i

    q: deque[int] = deque()
    init = [add(s) for s in model.initial_states()]
    while q:
        i = q.popleft()
        if final[i]:
            continue
        if len(states) > max_states:
            return None
        st = states[i]
        for tr, nxt in model.successors(st, errors=[]):
            j = add(nxt)
            if j != i:
                edges[i].append((j, 0 if tr.kind == "fault" else 1))
    # keep the states from which termination is reachable
    rev: dict[int, list[int]] = {}
    for i, es in enumerate(edges):
        for j, _ in es:
            rev.setdefault(j, []).append(i)
    good = {i for i in range(len(states)) if final[i]}
    todo = deque(good)
    while todo:
        j = todo.popleft()
        for i in rev.get(j, ()):
            if i not in good:
                good.add(i)
                todo.append(i)
    g = nx.DiGraph()
    g.add_nodes_from(good)
    for i in good:
        if final[i]:
            continue
        for j, w in edges[i]:
            if j in good:
                g.add_edge(i, j, w=w)
    if not nx.is_directed_acyclic_graph(g):
        return None
    best: dict[int, int] = {i: 0 for i in init if i in good}
    for i in nx.topological_sort(g):
        if i not in best:
            continue
        for j in g.successors(i):
            cand = best[i] + g.edges[i, j]["w"]
            if cand > best.get(j, -1):
                best[j] = cand
    ends = [v for i, v in best.items() if final[i]]
    return max(ends) if ends else None


__all__ = ["fault_budget", "protocol_budget"]
