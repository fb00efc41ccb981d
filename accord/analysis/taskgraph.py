"""Task graphs: the work's own limits on speedup, next to what the protocol achieves.

A task graph is a constant relation ``before -> after`` over a finite task type,
declared in the spec as a typed constant, e.g.::

    const DEPS: set of record { before: Task, after: Task } = {{before: 0, after: 1}}

With every task taking one unit of time, the critical path (the longest chain,
counted in tasks) bounds the makespan from below; with ``n`` agents:

* Amdahl's bound: ``1 / ((1 - p) + p / n)`` with ``p = (tasks - critical path) / tasks``;
* the ideal bound: ``tasks / max(critical path, ceil(tasks / n))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx

from accord import ir
from accord.ir.types import domain


@dataclass
class TaskGraph:
    name: str
    tasks: list[object]
    edges: list[tuple[object, object]]
    cycle: list[object] | None
    critical_path: list[object]

    @property
    def size(self) -> int:
        return len(self.tasks)

    @property
    def parallel_fraction(self) -> float:
        return (self.size - len(self.critical_path)) / self.size if self.size else 0.0

    def amdahl(self, n: int) -> float:
        p = self.parallel_fraction
        return 1.0 / ((1.0 - p) + p / n)

    def ideal(self, n: int) -> float:
        return self.size / max(len(self.critical_path), math.ceil(self.size / n))


class NotATaskGraph(ValueError):
    pass


def task_graph(proto: ir.Protocol, const_name: str) -> TaskGraph:
    """Read the constant ``const_name`` as a task graph. Raises NotATaskGraph with the reason."""
    decl = next((c for c in proto.consts if c.name == const_name), None)
    if decl is None:
        raise NotATaskGraph(f"the spec declares no constant `{const_name}`")
    t = decl.type
    pair = t.elem if isinstance(t, ir.SetType) else None
    if isinstance(pair, ir.RecordType) and len(pair.fields) == 2 and pair.fields[0][1] == pair.fields[1][1]:
        task_t = pair.fields[0][1]
        edges = [(v[0], v[1]) for v in decl.value]
    elif isinstance(pair, ir.SeqType) and pair.max >= 2:
        task_t = pair.elem
        if any(len(v) != 2 for v in decl.value):
            raise NotATaskGraph(f"`{const_name}` must hold pairs <<before, after>>")
        edges = [(v[0], v[1]) for v in decl.value]
    else:
        raise NotATaskGraph(f"`{const_name}` must be a set of pairs: `set of record {{ before: T, after: T }}` "
                            "or `set of seq of T max 2`")
    tasks = list(domain(task_t))
    g = nx.DiGraph()
    g.add_nodes_from(tasks)
    g.add_edges_from(sorted(edges, key=repr))
    try:
        cyc = [u for u, _ in nx.find_cycle(g)]
    except nx.NetworkXNoCycle:
        cyc = None
    path = [] if cyc is not None else nx.dag_longest_path(g, topo_order=nx.lexicographical_topological_sort(g))
    if not path and tasks and cyc is None:
        path = [tasks[0]]
    return TaskGraph(const_name, tasks, edges, cyc, list(path))
