"""Verdicts from what a search saw: the parts of ``explicit.check`` every search strategy shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord import ir
from accord.checker.result import CheckResult, PropertyResult, Stats, Trace, Verdict
from accord.semantics.model import Model

if TYPE_CHECKING:
    from accord.checker.explicit import Config


def speed_options(proto: ir.Protocol, cfg: Config, want_live: bool, notes: list[str]) -> tuple[bool, bool]:
    """Whether partial-order reduction and hash compaction apply; notes say why not."""
    use_por, use_compact = cfg.por, cfg.hash_compaction
    if use_por:
        from accord.checker.por import por_problems

        why = ["the spec has liveness properties, which are checked on the unreduced state space"] \
            if want_live else por_problems(proto)
        if why:
            use_por = False
            notes.append("partial-order reduction is off: " + "; ".join(why[:3]))
    if use_compact and want_live:
        use_compact = False
        notes.append("hash compaction is off: liveness properties need the states themselves")
    return use_por, use_compact


def judge_safety(proto: ir.Protocol, results: dict[str, PropertyResult], complete: bool, check_deadlock: bool,
                 witnesses: dict[str, Trace], partial: str) -> None:
    """Fill in the verdicts of invariants, agreement, deadlock and reachable not violated by the search."""
    for p in proto.properties:
        if p.name in results:
            continue
        if p.kind in (ir.PropKind.INVARIANT, ir.PropKind.AGREEMENT, ir.PropKind.DEADLOCK):
            if p.kind is ir.PropKind.DEADLOCK and not check_deadlock:
                continue
            results[p.name] = PropertyResult(p.name, p.kind.value, Verdict.HOLDS if complete else Verdict.UNKNOWN,
                                             "" if complete else partial, span=p.span)
        elif p.kind is ir.PropKind.REACHABLE:
            if p.name in witnesses:
                results[p.name] = PropertyResult(p.name, "reachable", Verdict.HOLDS, "a witness was found",
                                                 witnesses[p.name], p.span)
            elif complete:
                results[p.name] = PropertyResult(p.name, "reachable", Verdict.VIOLATED,
                                                 f"no reachable state satisfies `{p.name}`: the spec is vacuous "
                                                 "here", None, p.span)
            else:
                results[p.name] = PropertyResult(p.name, "reachable", Verdict.UNKNOWN, partial, span=p.span)


def finish_result(proto: ir.Protocol, cfg: Config, results: dict[str, PropertyResult], stats: Stats,
                  complete: bool, limit: str | None, notes: list[str]) -> CheckResult:
    """The CheckResult, properties in declaration order; under hash compaction every verdict
    that rests on the search having seen every state carries the omission probability."""
    if stats.fingerprint_bits:
        from accord.checker.compaction import caveat, omission_probability

        stats.omission_probability = omission_probability(stats.distinct)
        text = caveat(stats.distinct)
        for r in results.values():
            if r.kind in ("invariant", "agreement", "deadlock") and r.verdict is Verdict.HOLDS:
                r.message = text
            elif r.kind == "reachable" and r.verdict is Verdict.VIOLATED:
                r.message += f" ({text.replace('holds ', '', 1)})"
        notes.append(text)
    ordered = [results[p.name] for p in proto.properties if p.name in results]
    ordered.extend(r for name, r in results.items() if r not in ordered)
    return CheckResult(proto.name, ordered, stats, complete, limit, dict(cfg.parameters), notes)


def partial_text(limit: str | None, explored_depth: int, count: int) -> str:
    why = {"states": "state limit", "seconds": "time limit", "memory": "memory limit", "depth": "depth limit"}
    reason = why.get(limit or "", "search stopped")
    return f"no violation up to depth {explored_depth} ({count:,} states; {reason} reached)"


def coverage(model: Model, taken_units: set[int]) -> list[str]:
    """The step labels no explored transition took."""
    seen_labels = {model.units[u][0] for u in taken_units}
    return [label for label in model.labels if label not in seen_labels]
