"""The vector engine: exact breadth-first search over packed states, a frontier at a time (numpy).

``supported(proto, cfg) -> list[str]`` gives the reasons a spec is outside the
engine's fragment (see :mod:`.fragment`); ``check_fast(proto, cfg)`` checks a spec
inside it and returns the same :class:`CheckResult` as the generic engine
(:func:`accord.checker.explicit.check`) with ``Stats.engine == "explicit-vector"``:
the same distinct count, depth, generated and terminal counts, verdicts, and
counterexamples of the same length, each replayed by the reference semantics.
``check_auto`` runs the vector engine when it can and the generic engine otherwise.
"""

from __future__ import annotations

from typing import Any

from accord import ir
from accord.checker.explicit import Config
from accord.checker.explicit import check as generic_check
from accord.checker.fast.channels import ChannelBound
from accord.checker.fast.codec import Unsupported
from accord.checker.fast.fragment import LIVE, supported
from accord.checker.fast.graph import GraphView
from accord.checker.fast.search import VectorSearch
from accord.checker.result import CheckResult, PropertyResult, Verdict
from accord.checker.symmetry import symmetry_problems

DEFAULT_BOUND = 2  # packing bound of a channel without capacity, doubled while it overflows
MAX_BOUND = 32


def check_fast(proto: ir.Protocol, cfg: Config | None = None) -> CheckResult:
    """Check ``proto`` with the vector engine. Raises :class:`Unsupported` outside the fragment."""
    cfg = cfg or Config()
    why = supported(proto, cfg)
    if why:
        raise Unsupported("; ".join(why))
    notes: list[str] = []
    if cfg.symmetry and any(r.symmetric and r.count > 1 for r in proto.roles):
        problems = symmetry_problems(proto)
        if problems:
            notes.append("symmetry reduction is off: " + "; ".join(problems[:3]))
    bounds: dict[int, int] = {}
    while True:
        try:
            keep = cfg.keep_graph or (cfg.liveness and any(p.kind in LIVE for p in proto.properties))
            search = VectorSearch(proto, cfg, bounds=bounds, keep_graph=keep)
            search.run()
            return _result(proto, cfg, search, notes)
        except ChannelBound as exc:  # a channel without capacity outgrew its packing bound: widen it
            bound = 2 * search_bound(bounds, exc.slot)
            if bound > MAX_BOUND:
                raise Unsupported(f"{exc} (the vector engine packs at most {MAX_BOUND})") from None
            bounds[exc.slot] = bound


def search_bound(bounds: dict[int, int], slot: int) -> int:
    return bounds.get(slot, DEFAULT_BOUND)


def check_auto(proto: ir.Protocol, cfg: Config | None = None) -> CheckResult:
    """The vector engine when the spec is in its fragment, else the generic explicit engine."""
    cfg = cfg or Config()
    if not supported(proto, cfg):
        try:
            return check_fast(proto, cfg)
        except Unsupported:
            pass  # a construct met only while compiling or searching: the generic engine decides
    return generic_check(proto, cfg)


def _result(proto: ir.Protocol, cfg: Config, search: VectorSearch, notes: list[str]) -> CheckResult:
    """The CheckResult, assembled as the generic engine assembles its own."""
    from accord.checker.explicit import finish_result, judge_safety, liveness_blocked, partial_text
    from accord.checker.liveness import check_liveness

    results = dict(search.results)
    complete = search.complete
    partial = ("not decided: the search stopped at the first violation (use --continue to go on)" if search.stopped
               else partial_text(search.limit, search.explored_depth or 0, search.total))
    witnesses = {name: search.trace_to(gid) for name, gid in search.reach_found.items()}
    judge_safety(proto, results, complete, search.check_deadlock, witnesses, partial)
    live = [p for p in proto.properties if p.kind in LIVE]
    if live and cfg.liveness:
        view = GraphView(search) if complete and not search.stopped else None
        for p in live:
            if p.name in results:
                continue
            blocked = liveness_blocked(results)
            if view is None or blocked is not None:  # in the generic engine's order of reasons
                why = (partial if not complete else "not checked: the search stopped at the first violation") \
                    if view is None else blocked
                results[p.name] = PropertyResult(p.name, p.kind.value, Verdict.UNKNOWN, why or "", span=p.span)
            else:
                results[p.name] = check_liveness(view, p)  # type: ignore[arg-type]
    stats = search.stats
    if search.graph is not None:
        stats.transitions = search.graph.transitions()
    stats.coverage_missing = [lab for lab in search.model.labels if lab not in search.fired] if complete else []
    return finish_result(proto, cfg, results, stats, complete, search.limit, notes)


__all__ = ["Unsupported", "check_auto", "check_fast", "supported"]
