"""Human-readable results: a verdict table and step-by-step counterexamples.

A trace lists, at each step, the step's name, the agent, the message and the
fault if any, then only the parts of the state that changed.
"""

from __future__ import annotations

from accord.checker.result import CheckResult, PropertyResult, Trace, Verdict
from accord.semantics.layout import Layout

MARK = {Verdict.HOLDS: "ok", Verdict.VIOLATED: "VIOLATED", Verdict.UNKNOWN: "unknown"}


def render_trace(trace: Trace, lay: Layout) -> str:
    lines: list[str] = []
    prev: dict[str, str] | None = None
    n = 0
    for i, step in enumerate(trace.steps):
        if trace.loop_start is not None and i == trace.loop_start and not trace.stutter:
            lines.append("  -- the cycle starts here --")
        if step.transition is None:
            n += 1
            lines.append(f"  State {n} (initial)")
        elif step.state is None:
            lines.append(f"  Step: {step.transition.render(lay)}  <- violates the property")
            continue
        else:
            n += 1
            lines.append(f"  State {n}: {step.transition.render(lay)}")
            for ev in step.transition.events:
                if ev[0] == "send":
                    lines.append(f"      sends {lay.render_msg(ev[4])} on {ev[1]}")
                elif ev[0] == "drop":
                    lines.append(f"      {lay.render_msg(ev[4])} is dropped: {ev[1]} is full")
                elif ev[0] == "choose":
                    lines.append(f"      chooses {ev[1]} = {lay.render_any(ev[2])}")
        assert step.state is not None
        cur = lay.describe(step.state)
        for key, value in cur.items():
            if prev is None:
                if key.startswith(("chan ", "budget ", "crashed ")) and value in ("{}", "<<>>", "0"):
                    continue
                lines.append(f"      {key} = {value}")
            elif prev.get(key) != value:
                lines.append(f"      {key} = {value}")
        prev = cur
    if trace.stutter:
        lines.append("  -- the run stays in this last state forever --")
    elif trace.loop_start is not None:
        lines.append("  -- back to the start of the cycle --")
    if trace.fairness_note:
        lines.append(f"  ({trace.fairness_note})")
    return "\n".join(lines)


def render_result(result: CheckResult, lay: Layout, show_traces: bool = True) -> str:
    s = result.stats
    out = [f"protocol {result.protocol}"]
    if result.parameters:
        out.append("  parameters: " + ", ".join(f"{k}={v}" for k, v in result.parameters.items()))
    for note in result.notes:
        out.append(f"  note: {note}")
    width = max((len(r.name) for r in result.results), default=8)
    for r in result.results:
        line = f"  {MARK[r.verdict]:<9}{r.name:<{width + 2}}{r.kind}"
        if r.message and r.verdict is not Verdict.HOLDS:
            line += f" - {r.message}"
        out.append(line)
    if not result.results:
        out.append("  (no properties declared: only exploring)")
    orbit = " (orbits under symmetry)" if s.symmetry else ""
    if getattr(s, "reduced", None) == "por":
        orbit += " (reduced by partial-order reduction, not the full count)"
    tail = "" if result.complete else " (incomplete)"
    if getattr(s, "workers", 1) > 1:
        tail += f" on {s.workers} processes"
    if s.engine.startswith("smt"):  # symbolic engines count no states
        what = f"bounded model checking: depth {s.depth}" if s.engine == "smt-bmc" else f"k-induction: k = {s.depth}"
        out.append(f"  SMT {what}, {s.seconds:.2f}s{tail}")
    else:
        out.append(f"  {s.distinct:,} distinct states{orbit}, depth {s.depth}, {s.generated:,} generated, "
                   f"{s.seconds:.2f}s ({s.states_per_second:,.0f} states/s){tail}")
    if getattr(s, "bytes_per_state", None) is not None and s.distinct >= 10_000:  # below, noise dominates
        store = "64-bit fingerprints" if s.fingerprint_bits else "whole states"
        out.append(f"  memory: {s.bytes_per_state:,.0f} bytes per stored state ({store}), "
                   f"peak {s.peak_memory_mb:,.0f} MB")
    if s.coverage_missing:
        out.append("  never taken: " + ", ".join(s.coverage_missing))
    verdict = result.verdict.value
    out.append(f"verdict: {verdict}" + (f" ({result.limit} limit reached)" if result.limit else "")
               + (f" (up to hash compaction: P(a state was missed) <= {s.omission_probability:.1e})"
                  if getattr(s, "omission_probability", None) is not None else ""))
    if show_traces:
        for r in result.results:
            if r.verdict is Verdict.VIOLATED and r.trace is not None:
                out.append("")
                out.append(_trace_header(r))
                out.append(render_trace(r.trace, lay))
    return "\n".join(out)


def _trace_header(r: PropertyResult) -> str:
    assert r.trace is not None
    kind = "lasso" if r.trace.loop_start is not None else "trace"
    step_error = r.kind in ("assert", "runtime", "overflow", "concurrent write")  # its name says the line
    where = f" (declared at line {r.span.line})" if r.span is not None and not step_error else ""
    n = r.trace.length
    return f"counterexample for `{r.name}`{where}: {kind} of {n} state{'' if n == 1 else 's'}"
