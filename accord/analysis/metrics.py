"""Path metrics from the initial states to termination (every role final).

A run *terminates* when it first reaches a state where every live role is
final; final states are therefore treated as the ends of paths. Over the
runs that terminate we report the fewest and the most steps (rounds under
``schedule rounds``), messages and costs, and for the quickest run which agent
was busy at each step. When a terminating run can loop (a cycle through
states that can still terminate), the most steps is unbounded and the cycle
is shown. Steps that leave the state unchanged are stuttering and are not
counted as progress.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from accord import ir
from accord.analysis.graph import Edge, Graph, TooLarge, build


@dataclass
class Extremes:
    low: int | None
    high: int | None  # None with ``bounded`` False: unbounded


@dataclass
class Analysis:
    protocol: str
    parameters: dict[str, Any]
    unit: str  # "steps" or "rounds"
    states: int
    final_states: int
    terminates: bool  # some run reaches termination
    always_terminates: bool  # no reachable state is cut off from termination
    bounded: bool
    steps: Extremes
    messages: Extremes
    costs: dict[str, Extremes] = field(default_factory=dict)
    cycle: list[str] = field(default_factory=list)  # labels of a cycle that makes runs unbounded
    stuck_states: int = 0  # reachable states from which no final state can be reached
    best_path: list[tuple[tuple[str, ...], str]] = field(default_factory=list)  # (agents, step) per step
    busy_per_step: list[int] = field(default_factory=list)
    idle: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    @property
    def budget(self) -> int | None:
        """The worst-case number of steps to termination: what a runtime should allow."""
        return self.steps.high if self.bounded else None


def analyze(proto: ir.Protocol, max_states: int = 200_000) -> Analysis:
    params = {c.name: c.value for c in proto.consts if not c.declared}
    unit = "rounds" if proto.schedule is ir.Schedule.ROUNDS else "steps"
    try:
        g = build(proto, max_states)
    except TooLarge as exc:
        return Analysis(proto.name, params, unit, exc.limit, 0, False, False, False, Extremes(None, None),
                        Extremes(None, None), error=f"the reachable graph has {exc} — too large to analyse "
                        "exhaustively; try smaller parameters")
    return _metrics(proto, g, params, unit)


def _metrics(proto: ir.Protocol, g: Graph, params: dict[str, Any], unit: str) -> Analysis:
    n = len(g.states)
    final = g.final
    # forward from the initial states, stopping at final states
    reach = set(g.initial)
    q = deque(g.initial)
    while q:
        s = q.popleft()
        if final[s]:
            continue
        for e in g.edges[s]:
            if e.dst not in reach:
                reach.add(e.dst)
                q.append(e.dst)
    # backward from the final states, within reach
    rev: dict[int, list[int]] = {}
    for s in reach:
        if final[s]:
            continue
        for e in g.edges[s]:
            if e.dst in reach:
                rev.setdefault(e.dst, []).append(s)
    co = {s for s in reach if final[s]}
    q = deque(co)
    while q:
        t = q.popleft()
        for s in rev.get(t, ()):
            if s not in co:
                co.add(s)
                q.append(s)
    relevant = reach & co
    stuck = len(reach - co)
    finals = sum(1 for s in reach if final[s])
    a = Analysis(proto.name, params, unit, n, finals, bool(finals and any(i in co for i in g.initial)),
                 stuck == 0, True, Extremes(None, None), Extremes(None, None), stuck_states=stuck)
    if not a.terminates:
        a.bounded = False
        return a
    dg = nx.DiGraph()
    for s in relevant:
        if final[s]:
            continue
        for e in g.edges[s]:
            if e.dst in relevant and e.dst != s:
                dg.add_edge(s, e.dst)
    try:
        cyc = nx.find_cycle(dg)
    except nx.NetworkXNoCycle:
        cyc = None
    if cyc is not None:
        a.bounded = False
        a.cycle = [_label(g, u, v) for u, v, *_ in cyc]
    starts = [i for i in g.initial if i in relevant]
    weights = {"steps": lambda e: 1, "messages": lambda e: e.messages}
    for name in g.cost_names:
        weights[name] = lambda e, name=name: dict(e.costs).get(name, 0)
    for key, w in weights.items():
        low = _shortest(g, starts, relevant, w)
        high = None if cyc is not None else _longest(g, dg, starts, relevant, w)
        ext = Extremes(low, high)
        if key == "steps":
            a.steps = ext
        elif key == "messages":
            a.messages = ext
        else:
            a.costs[key] = ext
    a.best_path = _best_path(g, starts, relevant)
    actors = sorted({x for s in relevant for e in g.edges[s] for x in e.actors})
    a.busy_per_step = [len(who) for who, _ in a.best_path]
    a.idle = {x: sum(1 for who, _ in a.best_path if x not in who) for x in actors}
    return a


def _label(g: Graph, u: int, v: int) -> str:
    for e in g.edges[u]:
        if e.dst == v:
            return f"{', '.join(e.actors)}: {e.label}" if e.actors else e.label
    return "?"


def _shortest(g: Graph, starts: list[int], relevant: set[int], w: Any) -> int | None:
    """Least total weight from a start to a final state (Dijkstra; weights are >= 0)."""
    import heapq

    dist = {s: 0 for s in starts}
    heap = [(0, s) for s in starts]
    heapq.heapify(heap)
    while heap:
        d, s = heapq.heappop(heap)
        if d > dist.get(s, 1 << 60):
            continue
        if g.final[s]:
            return d
        for e in g.edges[s]:
            if e.dst in relevant and e.dst != s:
                nd = d + w(e)
                if nd < dist.get(e.dst, 1 << 60):
                    dist[e.dst] = nd
                    heapq.heappush(heap, (nd, e.dst))
    return None


def _longest(g: Graph, dg: nx.DiGraph, starts: list[int], relevant: set[int], w: Any) -> int | None:
    """Greatest total weight from a start to a final state over an acyclic graph."""
    order = list(nx.topological_sort(dg)) if dg.number_of_nodes() else []
    best: dict[int, int] = {s: 0 for s in starts}
    for s in order:
        if s not in best or g.final[s]:
            continue
        for e in g.edges[s]:
            if e.dst in relevant and e.dst != s:
                cand = best[s] + w(e)
                if cand > best.get(e.dst, -1):
                    best[e.dst] = cand
    ends = [v for s, v in best.items() if g.final[s]]
    return max(ends) if ends else None


def _best_path(g: Graph, starts: list[int], relevant: set[int]) -> list[tuple[tuple[str, ...], str]]:
    prev: dict[int, tuple[int, Edge] | None] = {s: None for s in starts}
    q = deque(starts)
    end = None
    while q:
        s = q.popleft()
        if g.final[s]:
            end = s
            break
        for e in g.edges[s]:
            if e.dst in relevant and e.dst not in prev:
                prev[e.dst] = (s, e)
                q.append(e.dst)
    path: list[tuple[tuple[str, ...], str]] = []
    while end is not None and prev[end] is not None:
        s, e = prev[end]  # type: ignore[misc]
        path.append((e.actors, e.label))
        end = s
    return path[::-1]
