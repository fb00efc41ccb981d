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
from accord.checker.explicit import Config, check as generic_check
from accord.checker.fast.channels import ChannelBound
from accord.checker.fast.codec import Unsupported
from accord.checker.fast.fragment import supported
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
            search = VectorSearch(proto, cfg, bounds=bounds)
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
    results = dict(search.results)
    complete = search.complete
    for p in proto.properties:
        if p.name in results:
            continue
        if p.kind in (ir.PropKind.INVARIANT, ir.PropKind.AGREEMENT, ir.PropKind.DEADLOCK):
            if p.kind is ir.PropKind.DEADLOCK and not search.check_deadlock:
                continue
            results[p.name] = PropertyResult(p.name, p.kind.value, Verdict.HOLDS if complete else Verdict.UNKNOWN,
                                             "" if complete else _partial(search), span=p.span)
        elif p.kind is ir.PropKind.REACHABLE:
            if p.name in search.reach_found:
                results[p.name] = PropertyResult(p.name, "reachable", Verdict.HOLDS, "a witness was found",
                                                 search.trace_to(search.reach_found[p.name]), p.span)
            elif complete:
                results[p.name] = PropertyResult(p.name, "reachable", Verdict.VIOLATED,
                                                 f"no reachable state satisfies `{p.name}`: the spec is vacuous "
                                                 "here", None, p.span)
            else:
                results[p.name] = PropertyResult(p.name, "reachable", Verdict.UNKNOWN, _partial(search), span=p.span)
    stats = search.stats
    stats.coverage_missing = [lab for lab in search.model.labels if lab not in search.fired] if complete else []
    ordered = [results[p.name] for p in proto.properties if p.name in results]
    ordered.extend(r for name, r in results.items() if r not in ordered)
    return CheckResult(proto.name, ordered, stats, complete, search.limit, dict(cfg.parameters), notes)


def _partial(search: Any) -> str:
    if search.stopped:
        return "not decided: the search stopped at the first violation (use --continue to go on)"
    why = {"states": "state limit", "seconds": "time limit", "memory": "memory limit", "depth": "depth limit"}
    reason = why.get(search.limit or "", "search stopped")
    return (f"no violation up to depth {search.explored_depth} ({search.total:,} states; "
            f"{reason} reached)")


__all__ = ["check_fast", "check_auto", "supported", "Unsupported"]
