"""A trace as a list of plain step records, shared by the structured reports (SARIF, ITF meta).

Each record says what happened (the step's title and events, in the words of the
text report) and which parts of the state changed. The text report stays the
reference rendering; this module only restructures the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from accord.checker.result import Trace
from accord.semantics.layout import Layout


@dataclass
class StepView:
    index: int  # position in trace.steps
    number: int | None  # "State n" of the text report; None for a violating step without a state
    title: str  # "State 2: Leader: assign (t=0, w=Worker[0])"
    transition: Any  # Transition | None (the initial state)
    events: list[str] = field(default_factory=list)  # "sends Assign(0) on Leader->Worker[0]"
    changes: dict[str, str] = field(default_factory=dict)  # name -> new value (the whole state at first)
    cycle_start: bool = False  # a lasso's cycle starts at this state
    violating: bool = False  # the step raised the violation and produced no state


def step_views(trace: Trace, lay: Layout) -> list[StepView]:
    """The steps of ``trace`` with what each one changed (the first lists every non-empty part)."""
    out: list[StepView] = []
    prev: dict[str, str] | None = None
    n = 0
    for i, step in enumerate(trace.steps):
        tr = step.transition
        if step.state is None:
            title = f"Step: {tr.render(lay)} (violates the property)" if tr is not None else "Step"
            out.append(StepView(i, None, title, tr, _events(tr, lay), violating=True))
            continue
        n += 1
        title = f"State {n} (initial)" if tr is None else f"State {n}: {tr.render(lay)}"
        cur = lay.describe(step.state)
        if prev is None:
            changes = {k: v for k, v in cur.items()
                       if not (k.startswith(("chan ", "budget ", "crashed ")) and v in ("{}", "<<>>", "0"))}
        else:
            changes = {k: v for k, v in cur.items() if prev.get(k) != v}
        prev = cur
        out.append(StepView(i, n, title, tr, _events(tr, lay), changes,
                            cycle_start=trace.loop_start is not None and i == trace.loop_start))
    return out


def _events(tr: Any, lay: Layout) -> list[str]:
    if tr is None:
        return []
    out = []
    for ev in tr.events:
        if ev[0] == "send":
            out.append(f"sends {lay.render_msg(ev[4])} on {ev[1]}")
        elif ev[0] == "drop":
            out.append(f"{lay.render_msg(ev[4])} is dropped: {ev[1]} is full")
        elif ev[0] == "choose":
            out.append(f"chooses {ev[1]} = {lay.render_any(ev[2])}")
    return out
