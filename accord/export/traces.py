"""Checker traces as plain JSON, for the replay tests of a generated package.

Each trace names its property and what replaying it must give (``expect``):
``ok`` for a witness or a lasso, ``stuck`` for a deadlock, ``violation`` for a
safety counterexample. Steps are recorded as the checker renders them (label,
agent, bindings, channel, message, the ``choose`` answers as JSON) with the
global state after each, as :meth:`accord.semantics.layout.Layout.describe`
writes it.
"""

from __future__ import annotations

from typing import Any

from accord import ir
from accord.checker.explicit import Config, check
from accord.checker.result import PropertyResult, Trace, Verdict
from accord.ir.types import to_json
from accord.runtime.step import choose_types
from accord.semantics.model import Model


def collect(proto: ir.Protocol, max_states: int = 200_000, max_seconds: float = 60.0) -> tuple[list[dict[str, Any]],
                                                                                                bool]:
    """Every trace the checker gives for ``proto``, and whether every safety property holds (and no deadlock).

    A trace's ``expect`` is what a team replaying it must end in: ``violation`` if a step
    raises or a state breaks an invariant or agreement property (the monitor stops the
    team there), else ``stuck`` if no step is enabled at the end and the team is not
    final, else ``ok``.
    """
    result = check(proto, Config(stop_at_first=False, max_states=max_states, max_seconds=max_seconds))
    model = Model(proto)
    out = []
    for pr in result.results:
        if pr.trace is not None and pr.trace.steps:
            out.append(trace_json(model, pr, pr.trace))
    safe = result.complete and all(pr.verdict is Verdict.HOLDS for pr in result.results
                                   if pr.kind in ("invariant", "agreement", "assert", "deadlock"))
    return out, safe


def trace_json(model: Model, pr: PropertyResult, trace: Trace) -> dict[str, Any]:
    lay = model.layout
    steps = []
    props = [model.compile_property_expr(p.expr) for p in model.proto.properties
             if p.kind in (ir.PropKind.INVARIANT, ir.PropKind.AGREEMENT) and p.expr is not None]
    expect = ""
    first = trace.steps[0].state
    assert first is not None
    if not all(f(first) for f in props):
        expect = "violation"
    for step in trace.steps[1:]:
        tr = step.transition
        rec: dict[str, Any] = {"kind": "fault" if tr.kind == "fault" else "step", "label": tr.label,
                               "agent": _inst(model, tr.actor)}
        if tr.kind == "fault":
            rec["detail"] = tr.detail
        else:
            rec["bindings"] = dict(tr.bindings)
            if tr.channel is not None:
                rec["channel"] = tr.channel
                rec["message"] = tr.message
            cs = next(c for c in model.steps if c.label == tr.label)
            types = choose_types(cs.step)
            rec["choices"] = [to_json(types[e[1]], e[2]) if e[1] in types else e[2]
                              for e in tr.events if e[0] == "choose"]
            if tr.detail and tr.detail.startswith("early"):
                rec["early"] = True
        rec["state"] = lay.describe(step.state) if step.state is not None else None
        steps.append(rec)
        if not expect and (step.state is None or not all(f(step.state) for f in props)):
            expect = "violation"  # the step raised, or its state breaks an invariant: the monitor stops here
    if not expect:
        last = trace.steps[-1].state
        assert last is not None
        stuck = not model.protocol_successors(last, errors=[]) and not (model.has_final and model.is_final(last))
        expect = "stuck" if stuck else "ok"
    return {"property": pr.name, "kind": pr.kind, "verdict": pr.verdict.value, "expect": expect,
            "initial": lay.describe(first), "steps": steps}


def _inst(model: Model, inst: Any) -> str | None:
    if inst is None:
        return None
    r = model.proto.role_map[inst.role]
    return f"{inst.role}[{inst.idx}]" if r.indexed else inst.role


__all__ = ["collect", "trace_json"]
