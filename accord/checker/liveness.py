"""Liveness over the reachable graph: termination and ``P leads_to Q`` under fairness.

Semantics follow TLA+: a step that leaves the state unchanged is stuttering,
which any run may do forever unless fairness forbids it. Fairness is declared
per *unit*: by default every step of every agent instance is weakly fair
(an agent that can keep taking a step eventually takes it); ``fair strong``
makes units strongly fair, ``fair no`` removes them, and ``fair weak Role``
groups all steps of each instance of Role into one unit. Faults are never fair.

A violation is a reachable ``P and not Q`` state from which a fair run can stay
in ``not Q`` forever. Fair runs that stay in a set of states are found with
strongly connected components and the Emerson–Lei refinement for strong
fairness (remove states where an untaken strong unit is enabled, recompute).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

import networkx as nx

from accord import ir
from accord.checker.result import PropertyResult, Step, Trace, Verdict

if TYPE_CHECKING:
    from accord.checker.explicit import _Search


class Fairness:
    """Fairness groups: each is (kind, set of unit ids), kind "weak" or "strong"."""

    def __init__(self, search: "_Search", default_kind: str | None):
        model = search.model
        proto = search.proto
        units = model.units  # (label, inst)
        # start from the default: every protocol step instance weakly fair
        kind_of: dict[int, str | None] = {u: (default_kind or "weak") for u in range(len(units))}
        group_key: dict[int, Any] = {u: u for u in range(len(units))}
        step_name = {}
        for cs in model.steps:
            step_name[cs.label] = cs.step.name
        for f in proto.fairness:
            for role, step in f.targets:
                for u, (label, inst) in enumerate(units):
                    if inst.role != role:
                        continue
                    if step is not None and step_name.get(label) != step:
                        continue
                    kind_of[u] = None if f.kind == "no" else f.kind
                    group_key[u] = (role, inst.idx) if step is None else u
        groups: dict[Any, tuple[str, set[int]]] = {}
        for u, k in kind_of.items():
            if k is None:
                continue
            key = (k, group_key[u])
            groups.setdefault(key, (k, set()))[1].add(u)
        self.groups = list(groups.values())
        self.unit_groups: dict[int, list[int]] = {}
        for gi, (_, us) in enumerate(self.groups):
            for u in us:
                self.unit_groups.setdefault(u, []).append(gi)


def check_liveness(search: "_Search", prop: ir.Property) -> PropertyResult:
    model = search.model
    states = search.states
    n = len(states)
    if prop.kind is ir.PropKind.TERMINATION:
        if model.has_final:
            done = [model.is_final(s) for s in states]
        else:  # no `final` anywhere: terminating means reaching a state with no step (as for deadlock)
            stuck = set(search.terminal)
            done = [i in stuck for i in range(n)]
        goal = done
        start = [i for i in range(n) if search.parent[i] == -1]
        p_holds = None
        what = "termination"
    else:
        assert prop.expr is not None and prop.target is not None
        fp = model.compile_property_expr(prop.expr)
        fq = model.compile_property_expr(prop.target)
        goal = [fq(s) for s in states]
        p_holds = [fp(s) for s in states]
        start = [i for i in range(n) if p_holds[i] and not goal[i]]
        what = f"`{prop.name}`"
    fairness = Fairness(search, prop.fairness)
    edges = search.edges
    # enabled groups per state (non-stuttering successors only)
    enabled: list[set[int]] = []
    for i in range(n):
        gs: set[int] = set()
        for _, u in edges[i]:
            gs.update(fairness.unit_groups.get(u, ()))
        enabled.append(gs)
    bad = [i for i in range(n) if not goal[i]]
    bad_set = set(bad)
    # only fair behaviours reachable (inside `bad`) from a start state matter: a fair
    # component elsewhere in `bad` must not hide one that a start state does reach
    live = _forward(bad_set, edges, [s for s in start if s in bad_set])
    found = _fair_component(live, edges, enabled, fairness)
    if found is None:
        return PropertyResult(prop.name, prop.kind.value, Verdict.HOLDS, span=prop.span)
    comp, cycle_nodes, note = found
    # a start state that can reach the fair component without meeting the goal
    reach_back = _backward(bad_set, edges, set(comp))
    origin = next((s for s in sorted(start) if s in reach_back), None)
    if origin is None:
        return PropertyResult(prop.name, prop.kind.value, Verdict.HOLDS, span=prop.span)
    trace = _lasso(search, origin, comp, cycle_nodes, bad_set, note)
    if prop.kind is ir.PropKind.TERMINATION:
        msg = "termination fails: a fair run never reaches a state where every role is final"
    else:
        msg = f"{what} fails: after the left side holds, a fair run never reaches the right side"
    return PropertyResult(prop.name, prop.kind.value, Verdict.VIOLATED, msg, trace, prop.span)


def _fair_component(nodes: set[int], edges: list[list[tuple[int, int]]], enabled: list[set[int]],
                    fairness: Fairness) -> tuple[list[int], list[Any], str] | None:
    """A set of states in ``nodes`` a fair run can stay in forever, or None.

    Returns (component, waypoints of the cycle, explanation). A waypoint is a state (int) the
    cycle must visit, or a transition ``(s, t)`` it must take: one per fairness group taken in
    the component, so that the cycle shown is itself fair.
    """
    groups = fairness.groups
    # 1. stuttering forever in one state is fair when no fair group is enabled there
    for s in sorted(nodes):
        if not enabled[s]:
            return [s], [s], "the run stays in this state forever: no fairly scheduled step is enabled here"
    # 2. cycles
    work = [set(nodes)]
    while work:
        part = work.pop()
        g = nx.DiGraph()
        g.add_nodes_from(part)
        for s in part:
            for t, u in edges[s]:
                if t in part:
                    g.add_edge(s, t)
        for comp_set in nx.strongly_connected_components(g):
            if len(comp_set) == 1:
                s = next(iter(comp_set))
                if not any(t == s for t, _ in edges[s]):
                    continue
            taken: set[int] = set()
            for s in comp_set:
                for t, u in edges[s]:
                    if t in comp_set:
                        taken.update(fairness.unit_groups.get(u, ()))
            ok = True
            remove: set[int] = set()
            for gi, (kind, _) in enumerate(groups):
                if gi in taken:
                    continue
                en_states = [s for s in comp_set if gi in enabled[s]]
                if not en_states:
                    continue
                if kind == "weak":
                    if len(en_states) == len(comp_set):
                        ok = False
                        break
                else:
                    remove.update(en_states)
            if not ok:
                continue
            if remove:
                rest = comp_set - remove
                if rest:
                    work.append(rest)
                continue
            visit = []
            for gi, (kind, _) in enumerate(groups):
                if gi in taken:
                    continue
                dis = [s for s in comp_set if gi not in enabled[s]]
                if dis:
                    visit.append(min(dis))
            need = set(taken)
            steps: list[tuple[int, int]] = []
            for s in sorted(comp_set):
                for t, u in edges[s]:
                    gs = fairness.unit_groups.get(u, ())
                    if t in comp_set and need.intersection(gs):
                        steps.append((s, t))
                        need.difference_update(gs)
            note = _explain(groups, taken, comp_set, enabled)
            return sorted(comp_set), [*sorted(set(visit)), *steps], note
    return None


def _explain(groups: list[tuple[str, set[int]]], taken: set[int], comp: set[int], enabled: list[set[int]]) -> str:
    weak_dis = sum(1 for gi, (k, _) in enumerate(groups)
                   if gi not in taken and k == "weak" and any(gi in enabled[s] for s in comp))
    parts = ["the cycle is fair"]
    if taken:
        parts.append(f"it takes {len(taken)} fairly scheduled step(s) infinitely often")
    if weak_dis:
        parts.append(f"{weak_dis} other step(s) are enabled on it but not continuously (disabled at some "
                     "state of the cycle), so weak fairness does not force them")
    return "; ".join(parts)


def _forward(nodes: set[int], edges: list[list[tuple[int, int]]], sources: list[int]) -> set[int]:
    """The states of ``nodes`` reachable from ``sources`` without leaving ``nodes``."""
    seen = set(sources)
    q = deque(sources)
    while q:
        s = q.popleft()
        for t, _ in edges[s]:
            if t in nodes and t not in seen:
                seen.add(t)
                q.append(t)
    return seen


def _backward(nodes: set[int], edges: list[list[tuple[int, int]]], targets: set[int]) -> set[int]:
    rev: dict[int, list[int]] = {}
    for s in nodes:
        for t, _ in edges[s]:
            if t in nodes:
                rev.setdefault(t, []).append(s)
    seen = set(targets)
    q = deque(targets)
    while q:
        t = q.popleft()
        for s in rev.get(t, ()):
            if s not in seen:
                seen.add(s)
                q.append(s)
    return seen


def _path(edges: list[list[tuple[int, int]]], src: int, dst: set[int], within: set[int]) -> list[int]:
    """Shortest path from src to any state of dst inside ``within`` (both ends included)."""
    if src in dst:
        return [src]
    prev = {src: -1}
    q = deque([src])
    while q:
        s = q.popleft()
        for t, _ in edges[s]:
            if t in within and t not in prev:
                prev[t] = s
                if t in dst:
                    path = [t]
                    while prev[path[-1]] != -1:
                        path.append(prev[path[-1]])
                    return path[::-1]
                q.append(t)
    raise RuntimeError("no path inside the component")


def _lasso(search: "_Search", origin: int, comp: list[int], visit: list[Any], bad: set[int], note: str) -> Trace:
    from accord.checker.trace import rebuild

    edges = search.edges
    comp_set = set(comp)
    # prefix: BFS parents to origin, then a path inside `bad` to the component
    chain = []
    i = origin
    while i >= 0:
        chain.append(i)
        i = search.parent[i]
    chain.reverse()
    to_comp = _path(edges, origin, comp_set, bad)
    prefix = chain + to_comp[1:]
    entry = prefix[-1]
    if len(comp) == 1 and not any(t == entry for t, _ in edges[entry]):
        trace = rebuild(search.model, [search.states[k] for k in prefix], search.canon)
        trace.loop_start = len(trace.steps) - 1
        trace.stutter = True
        trace.fairness_note = note
        return trace
    # cycle: from entry through every required state and back to entry
    cycle = [entry]
    for target in visit:
        if isinstance(target, tuple):  # a transition the cycle must take
            cycle += _path(edges, cycle[-1], {target[0]}, comp_set)[1:]
            cycle.append(target[1])
        else:
            cycle += _path(edges, cycle[-1], {target}, comp_set)[1:]
    if len(cycle) == 1 or cycle[-1] != entry:  # the required visits may already have closed the cycle
        back = _path_cycle(edges, cycle[-1], entry, comp_set)
        cycle += back[1:]
    full = prefix + cycle[1:]
    trace = rebuild(search.model, [search.states[k] for k in full], search.canon)
    trace.loop_start = len(prefix) - 1
    trace.fairness_note = note
    return trace


def _path_cycle(edges: list[list[tuple[int, int]]], src: int, dst: int, within: set[int]) -> list[int]:
    """A path of at least one step from src back to dst."""
    if src != dst:
        return _path(edges, src, {dst}, within)
    for t, _ in edges[src]:
        if t == src:
            return [src, src]
    best = None
    for t, _ in edges[src]:
        if t in within:
            p = _path(edges, t, {dst}, within)
            if best is None or len(p) < len(best):
                best = p
    assert best is not None
    return [src] + best


__all__ = ["check_liveness", "Step"]
