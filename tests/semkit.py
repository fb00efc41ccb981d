"""Helpers for the semantics tests: load an inline spec, run the checker, read figures back.

Every test that uses these states its expected figures, worked out by hand in a comment.
"""

from __future__ import annotations

from typing import Any

from accord import ir
from accord.checker.explicit import Config, check
from accord.checker.result import CheckResult, Trace
from accord.dsl import load_text
from accord.semantics.layout import Layout
from accord.semantics.model import Model


def load(text: str, **consts: int | bool) -> ir.Protocol:
    """The IR of ``text``; fails the test on any error diagnostic."""
    proto, diags = load_text(text, "<test>", consts or None)
    errors = [d.render() for d in diags if d.is_error]
    assert proto is not None and not errors, "\n".join(errors)
    return proto


def run(text: str, consts: dict[str, int | bool] | None = None, **cfg: Any) -> CheckResult:
    """Check ``text`` with ``Config(**cfg)`` (``--continue`` by default, so every property is judged)."""
    cfg.setdefault("stop_at_first", False)
    return check(load(text, **(consts or {})), Config(**cfg))


def figures(res: CheckResult) -> tuple[int, int, int]:
    """(distinct states, depth, initial states)."""
    return res.stats.distinct, res.stats.depth, res.stats.initial


def verdicts(res: CheckResult) -> dict[str, str]:
    return {r.name: r.verdict.value for r in res.results}


def result(res: CheckResult, name: str) -> Any:
    for r in res.results:
        if r.name == name:
            return r
    raise KeyError(f"no result named {name!r}; have {[r.name for r in res.results]}")


def labels(trace: Trace) -> list[str]:
    """The transition labels of a trace (``None`` for the initial state)."""
    return [s.transition.label if s.transition is not None else "init" for s in trace.steps]


def reachable(text: str, **consts: int | bool) -> list[tuple[Any, ...]]:
    """Every reachable state of ``text`` by a plain BFS over the model (no checker, no symmetry)."""
    model = Model(load(text, **consts))
    seen = {s: None for s in model.initial_states()}
    todo = list(seen)
    while todo:
        st = todo.pop()
        for _, nxt in model.successors(st):
            if nxt not in seen:
                seen[nxt] = None
                todo.append(nxt)
    return list(seen)


def describe(text: str, st: tuple[Any, ...]) -> dict[str, str]:
    return Layout.build(load(text)).describe(st)
