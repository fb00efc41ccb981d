"""Replay a saved trace through the semantics and judge where it ends.

Input: the JSON report of ``accord check --format json`` or ``accord fuzz`` (a
``properties`` list whose entries carry a ``trace``), or a bare trace (``{"steps":
[...]}``). Each step is matched by re-generating the successors of the current state
and keeping the one whose rendered transition is the step's (kind, step label, agent,
bindings, message, channel, detail and the messages it sends, as
:func:`accord.report.json_report.trace_json` writes them); when several match, the
step's recorded ``state`` decides. The initial state is matched by its ``state``.

Verdicts (a :class:`~accord.checker.result.CheckResult` with one property):

* the last step has no state (a step that raised): ``violated`` when the same step
  raises again;
* invariant / agreement: ``violated`` when the last state violates it;
* deadlock: ``violated`` when no protocol step is enabled at the end and not every
  role is final;
* reachable: ``holds`` when the last state satisfies it;
* termination / leads_to: ``unknown`` — the lasso is replayed and its cycle checked
  to close, but fairness is not re-judged here;
* a bare trace (no property named): the first invariant its last state violates, else
  a raising step or a deadlock there;
* a trace that replays but no longer violates its property: ``unknown`` (a replay is
  one run, never a proof).

A step that cannot be matched is a :class:`ReplayMismatch` (the trace does not fit
this spec), reported with the step's number and what was enabled instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from accord import ir
from accord.checker.fuzz.stepper import Failure, Judge, Stepper
from accord.checker.result import CheckResult, PropertyResult, Stats, Step, Trace, Verdict
from accord.report.json_report import trace_json
from accord.semantics.model import Model, State, StepError, Transition


class ReplayMismatch(ValueError):
    """The saved trace does not fit the spec (a step is not enabled, or the file is not a trace)."""


@dataclass
class SavedTrace:
    """What a replay needs from a saved JSON document."""

    steps: list[dict[str, Any]]
    prop: str | None = None  # the property the trace is about
    kind: str | None = None
    loop_start: int | None = None
    stutter: bool = False
    spec: str | None = None
    consts: dict[str, Any] = field(default_factory=dict)
    fault_budget: dict[str, int] = field(default_factory=dict)


def read_saved(doc: Any, prop: str | None = None) -> SavedTrace:
    """The trace of ``prop`` (default: the reported violation, else the first trace) in a JSON document."""
    if not isinstance(doc, dict):
        raise ReplayMismatch("not an accord JSON report or trace: the top level is not an object")
    if "steps" in doc and "properties" not in doc:
        return SavedTrace(list(doc["steps"]), prop, None, doc.get("loop_start"), bool(doc.get("stutter")))
    props = doc.get("properties")
    if not isinstance(props, list):
        raise ReplayMismatch("not an accord JSON report or trace: no `properties` and no `steps`")
    with_trace = [p for p in props if isinstance(p, dict) and isinstance(p.get("trace"), dict)]
    if prop is not None:
        chosen = next((p for p in with_trace if p.get("name") == prop), None)
        if chosen is None:
            names = ", ".join(str(p.get("name")) for p in with_trace) or "none"
            raise ReplayMismatch(f"no trace for property `{prop}` in the file (traces: {names})")
    else:
        chosen = (next((p for p in with_trace if p.get("name") == doc.get("property")), None)
                  or next((p for p in with_trace if p.get("verdict") == "violated"), None)
                  or (with_trace[0] if with_trace else None))
        if chosen is None:
            raise ReplayMismatch("the file holds no trace (nothing was violated or witnessed)")
    tr = chosen["trace"]
    fz: dict[str, Any] = doc["fuzz"] if isinstance(doc.get("fuzz"), dict) else {}
    consts: dict[str, Any] = fz["consts"] if isinstance(fz.get("consts"), dict) else doc.get("parameters") or {}
    return SavedTrace(list(tr.get("steps") or []), chosen.get("name"), chosen.get("kind"), tr.get("loop_start"),
                      bool(tr.get("stutter")), doc.get("spec"), dict(consts), dict(fz.get("fault_budget") or {}))


def _entry(model: Model, tr: Transition) -> dict[str, Any]:
    """A transition as the JSON report writes it, without the state."""
    e = trace_json(Trace([Step(tr, None)]), model.layout)["steps"][0]
    e.pop("state", None)
    return e


def _fits(saved: dict[str, Any], cand: dict[str, Any]) -> bool:
    keys = set(saved) - {"state"}
    if "sends" not in saved:
        keys.discard("sends")
    return all(saved.get(k) == cand.get(k) for k in keys | (set(cand) - {"sends"}))


def _describe(step: dict[str, Any]) -> str:
    """A saved step as :meth:`Transition.render` writes it."""
    if step.get("kind") == "fault":
        return f"FAULT {step.get('step')}: {step.get('detail')}"
    who = step.get("agent") or "env"
    text = f"{who}: {str(step.get('step')).split('.', 1)[-1]}"
    if step.get("message"):
        text += f" receives {step['message']}"
    if step.get("bindings"):
        text += " (" + ", ".join(f"{k}={v}" for k, v in step["bindings"].items()) + ")"
    if step.get("detail"):
        text += f" [{step['detail']}]"
    return text


def replay_steps(model: Model, steps: list[dict[str, Any]]) -> tuple[Trace, StepError | None]:
    """The trace rebuilt by matching each saved step (see the module doc), and the error raised by its
    last step when that step has no state."""
    lay = model.layout
    if not steps or steps[0].get("step") != "initial":
        raise ReplayMismatch("the trace does not start with its initial state")
    want = steps[0].get("state")
    inits = model.initial_states()
    first = next((s for s in inits if lay.describe(s) == want), None)
    if first is None:
        raise ReplayMismatch("step 0: the initial state is not an initial state of this spec")
    trace = Trace([Step(None, first)])
    cur: State = first
    for n, saved in enumerate(steps[1:], start=1):
        errs: list[StepError] = []
        succ = model.successors(cur, record=True, errors=errs)
        if saved.get("state") is None:  # a step that raised
            hit = next((e for e in errs if _fits(saved, _entry(model, e.transition))), None)
            if hit is None:
                raise ReplayMismatch(f"step {n} ({_describe(saved)}) was saved as raising, and no enabled "
                                     "step raises that way here")
            if n != len(steps) - 1:
                raise ReplayMismatch(f"step {n} raised, yet the trace goes on")
            trace.steps.append(Step(hit.transition, None))
            return trace, hit
        fits = [(t, s) for t, s in succ if _fits(saved, _entry(model, t))]
        if len(fits) > 1:
            fits = [(t, s) for t, s in fits if lay.describe(s) == saved.get("state")] or fits[:1]
        if not fits:
            enabled = sorted({t.render(lay) for t, _ in succ})
            shown = "; ".join(enabled[:8]) + (f"; … ({len(enabled)} in all)" if len(enabled) > 8 else "")
            raise ReplayMismatch(f"step {n} ({_describe(saved)}) is not enabled here; enabled: {shown or 'nothing'}")
        tr, cur = fits[0]
        trace.steps.append(Step(tr, cur))
    return trace, None


def replay(proto: ir.Protocol, saved: SavedTrace) -> CheckResult:
    """Replay ``saved`` on ``proto`` and judge its property at the end (see the module doc).
    ``ReplayMismatch`` when the trace does not fit."""
    started = time.monotonic()
    model = Model(proto)
    judge = Judge(model, deadlock=True if saved.kind == "deadlock" else None)
    stepper = Stepper(model, judge)
    trace, err = replay_steps(model, saved.steps)
    trace.loop_start, trace.stutter = saved.loop_start, saved.stutter
    last = next(s.state for s in reversed(trace.steps) if s.state is not None)
    name = saved.prop or "trace"
    kind = saved.kind or "invariant"
    decl = next((p for p in proto.properties if p.name == name), None)
    span = decl.span if decl is not None else None
    verdict, message = Verdict.UNKNOWN, ""
    f: Failure | None
    if err is not None:
        f = judge.step_failure(err)
        verdict, message, kind = Verdict.VIOLATED, f.message, f.kind
    elif saved.kind is None:  # a bare trace: whatever safety property its end violates
        f = judge.violated(last) or stepper.stuck(last)
        if f is not None:
            verdict, message, kind, name, span = Verdict.VIOLATED, f.message, f.kind, f.name, f.span
        else:
            message = "the trace replays; its last state violates no invariant and is not a deadlock"
    elif kind in ("invariant", "agreement"):
        if decl is None:
            raise ReplayMismatch(f"the spec has no property `{name}`")
        f = judge.violated(last)
        if f is not None and f.name == name:
            verdict, message = Verdict.VIOLATED, f.message
        else:
            message = f"the trace replays, but its last state does not violate `{name}`"
    elif kind == "deadlock":
        f = stepper.stuck(last)
        if f is not None and f.kind == "deadlock":
            verdict, message = Verdict.VIOLATED, f.message
        else:
            message = "the trace replays, but its last state is not a deadlock"
    elif kind == "reachable":
        pred = next((p for n, p in judge.reachables if n == name), None)
        if pred is not None and pred(last):
            verdict, message = Verdict.HOLDS, "the trace reaches it"
        else:
            message = f"the trace replays, but its last state does not satisfy `{name}`"
    else:
        closes = saved.stutter or (saved.loop_start is not None and 0 <= saved.loop_start < len(trace.steps)
                                   and trace.steps[saved.loop_start].state == last)
        message = ("the lasso replays and its cycle closes; fairness is not re-judged by replay (use accord check)"
                   if closes else "the trace replays, but its cycle does not close")
    stats = Stats(distinct=len({s.state for s in trace.steps if s.state is not None}), depth=trace.length,
                  generated=len(trace.steps) - 1, initial=1, seconds=time.monotonic() - started, engine="replay")
    result = PropertyResult(name, kind, verdict, message, trace, span)
    parameters = {c.name: c.value for c in proto.consts if not c.declared}
    return CheckResult(proto.name, [result], stats, False, None, parameters)


__all__ = ["ReplayMismatch", "SavedTrace", "read_saved", "replay_steps", "replay"]
