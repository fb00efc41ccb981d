"""``--fault-budget KIND=N``: the budgets of a spec's faults, raised (or lowered) for a search.

A budget is part of the spec (``crash Worker at most 1``); exhaustive search needs it
small, random search does not. An override sets the budget of every declared fault
of that kind; a kind the spec does not declare is an error, because where a fault
may strike (which role, which channel) is the spec's to say.

>>> parse_fault_budgets(["crash=3", "lose=2"])
{'crash': 3, 'lose': 2}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from accord import ir

KINDS = tuple(k.value for k in ir.FaultKind)


def parse_fault_budgets(items: Iterable[str]) -> dict[str, int]:
    """``["crash=3"]`` -> ``{"crash": 3}``. ``ValueError`` with a message for the user otherwise."""
    out: dict[str, int] = {}
    for item in items:
        kind, sep, raw = item.partition("=")
        kind = kind.strip().lower()
        if not sep or kind not in KINDS:
            raise ValueError(f"--fault-budget {item!r}: write KIND=N with KIND one of {', '.join(KINDS)}, "
                             "e.g. --fault-budget crash=3")
        try:
            n = int(raw.strip())
        except ValueError:
            n = -1
        if n < 0:
            raise ValueError(f"--fault-budget {item!r}: the budget must be a whole number >= 0")
        out[kind] = n
    return out


def apply_fault_budgets(proto: ir.Protocol, budgets: dict[str, int]) -> tuple[ir.Protocol, list[str]]:
    """The protocol with every fault of each given kind at the given budget, and the problems
    (a kind the spec does not declare). With problems the protocol is returned unchanged."""
    declared = {f.kind.value for f in proto.faults}
    problems = [f"the spec declares no `{k}` fault, so --fault-budget {k}=… has nothing to raise; "
                f"declare one first, e.g. `faults {{ {k} … at most 1 }}`" for k in budgets if k not in declared]
    if problems or not budgets:
        return proto, problems
    decls = tuple(dataclasses.replace(d, budget=budgets[d.kind.value])
                  if isinstance(d, ir.Fault) and d.kind.value in budgets else d for d in proto.decls)
    return dataclasses.replace(proto, decls=decls), []


__all__ = ["KINDS", "parse_fault_budgets", "apply_fault_budgets"]
