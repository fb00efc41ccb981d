"""Sweeps: the same analysis for each team size, with speedup and growth exponents."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from accord import ir
from accord.analysis.metrics import Analysis, analyze
from accord.diagnostics import Diagnostic
from accord.dsl import load_file


@dataclass
class Sweep:
    name: str
    values: list[int]
    rows: list[Analysis] = field(default_factory=list)

    def speedup(self, i: int) -> float | None:
        """Fewest steps at the first value divided by fewest steps at value i."""
        base = self.rows[0].steps.low if self.rows else None
        cur = self.rows[i].steps.low
        if not base or not cur:
            return None
        return base / cur

    def exponent(self, metric: str) -> float | None:
        """Least-squares slope of log(metric) against log(value): how it grows with the team."""
        pts = []
        for v, a in zip(self.values, self.rows):
            y = _metric(a, metric)
            if y and y > 0 and v > 0:
                pts.append((math.log(v), math.log(y)))
        if len(pts) < 2:
            return None
        mx = sum(x for x, _ in pts) / len(pts)
        my = sum(y for _, y in pts) / len(pts)
        sxx = sum((x - mx) ** 2 for x, _ in pts)
        if sxx == 0:
            return None
        return sum((x - mx) * (y - my) for x, y in pts) / sxx


def _metric(a: Analysis, metric: str) -> int | None:
    if metric == "messages":
        return a.messages.high if a.messages.high is not None else a.messages.low
    if metric == "steps":
        return a.steps.low
    ext = a.costs.get(metric)
    return None if ext is None else (ext.high if ext.high is not None else ext.low)


def parse_range(text: str) -> tuple[str, list[int]]:
    """``WORKERS=1..6`` or ``WORKERS=1,2,4`` -> (name, values)."""
    name, sep, rest = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise ValueError(f"--sweep {text!r}: write NAME=LO..HI, e.g. WORKERS=1..6")
    rest = rest.strip()
    try:
        if ".." in rest:
            lo, hi = (int(x) for x in rest.split("..", 1))
            if hi < lo or hi - lo > 64:
                raise ValueError
            return name.strip(), list(range(lo, hi + 1))
        return name.strip(), [int(x) for x in rest.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"--sweep {text!r}: the range must be LO..HI with LO <= HI (at most 65 values), "
                         "or a comma-separated list") from None


def sweep(path: str, name: str, values: list[int], overrides: dict[str, int | bool],
          max_states: int) -> tuple[Sweep | None, list[Diagnostic]]:
    out = Sweep(name, values)
    for v in values:
        proto, diags = load_file(path, {**overrides, name: v})
        errs = [d for d in diags if d.is_error]
        if proto is None or errs:
            return None, errs or diags
        out.rows.append(analyze(proto, max_states))
    return out, []


__all__ = ["Sweep", "sweep", "parse_range", "ir"]
