"""The reachable graph with what each step costs, for path metrics.

Every edge carries its weights: one step, the messages the step sent, the
sum of each ``cost`` annotation, and the agent that took it. Fault steps are
left out: the metrics describe the protocol's own runs (faults are what the
checker explores; budgets count the work the team does).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from accord import ir
from accord.semantics.model import Model, State


@dataclass(frozen=True)
class Edge:
    dst: int
    label: str
    actors: tuple[str, ...]  # who acted: one agent, or every agent of a round
    messages: int
    costs: tuple[tuple[str, int], ...]


@dataclass
class Graph:
    model: Model
    states: list[State] = field(default_factory=list)
    edges: list[list[Edge]] = field(default_factory=list)
    initial: list[int] = field(default_factory=list)
    final: list[bool] = field(default_factory=list)
    complete: bool = True
    cost_names: tuple[str, ...] = ()


class TooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"more than {limit:,} reachable states")
        self.limit = limit


def build(proto: ir.Protocol, max_states: int = 200_000) -> Graph:
    """Explore every reachable state (no faults) and keep the weighted graph.

    Raises :class:`TooLarge` past ``max_states``: path metrics over a partial
    graph would be wrong, so none are given.
    """
    model = Model(proto)
    g = Graph(model)
    index: dict[State, int] = {}
    names: set[str] = {n for s in proto.steps for n, _ in s.cost}
    g.cost_names = tuple(sorted(names))
    q: deque[int] = deque()
    for st in model.initial_states():
        if st not in index:
            index[st] = len(g.states)
            g.states.append(st)
            g.edges.append([])
            g.initial.append(index[st])
            q.append(index[st])
    while q:
        i = q.popleft()
        st = g.states[i]
        for tr, nxt in model.protocol_successors(st, record=True):
            j = index.get(nxt)
            if j is None:
                if len(g.states) >= max_states:
                    raise TooLarge(max_states)
                j = index[nxt] = len(g.states)
                g.states.append(nxt)
                g.edges.append([])
                q.append(j)
            msgs = sum(1 for ev in tr.events if ev[0] == "send")
            costs: dict[str, int] = {}
            for ev in tr.events:
                if ev[0] == "cost":
                    costs[ev[1]] = costs.get(ev[1], 0) + int(ev[2])
            steps = tr.parts or (tr,)
            actors = tuple(_name(model, p.actor) for p in steps if p.actor is not None)
            label = tr.label if not tr.parts else "; ".join(p.label for p in tr.parts)
            g.edges[i].append(Edge(j, label, actors, msgs, tuple(sorted(costs.items()))))
    g.final = [model.is_final(s) for s in g.states]
    return g


def _name(model: Model, inst: Any) -> str:
    r = model.proto.role_map[inst.role]
    return f"{inst.role}[{inst.idx}]" if r.indexed else inst.role
