"""Analysis results as text, JSON and a plot (SVG always; PNG when matplotlib is installed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accord.analysis.metrics import Analysis, Extremes
from accord.analysis.sweep import Sweep


def _ext(e: Extremes, bounded: bool) -> str:
    lo = "-" if e.low is None else str(e.low)
    hi = "unbounded" if not bounded else ("-" if e.high is None else str(e.high))
    return f"{lo} .. {hi}"


def analysis_text(a: Analysis) -> str:
    if a.error:
        return f"protocol {a.protocol}: {a.error}"
    out = [f"protocol {a.protocol}" + (f"  ({', '.join(f'{k}={v}' for k, v in a.parameters.items())})"
                                       if a.parameters else "")]
    out.append(f"  reachable states: {a.states:,}; final states reached: {a.final_states:,}")
    if not a.terminates:
        out.append("  no run reaches a state where every role is final: termination is impossible")
        return "\n".join(out)
    if not a.always_terminates:
        out.append(f"  warning: {a.stuck_states:,} reachable state(s) can never reach termination "
                   "(see `accord check` for the run)")
    out.append(f"  {a.unit} to termination (best .. worst): {_ext(a.steps, a.bounded)}")
    out.append(f"  messages sent (fewest .. most):      {_ext(a.messages, a.bounded)}")
    for name, e in a.costs.items():
        out.append(f"  cost {name} (cheapest .. dearest):   {_ext(e, a.bounded)}")
    if not a.bounded:
        out.append("  termination is not bounded: a run can repeat this cycle and still terminate later:")
        out.append("    " + " -> ".join(a.cycle))
    else:
        out.append(f"  budget for the runtime: {a.budget} {a.unit} (the worst case; set the framework's turn "
                   "or recursion limit at least this high)")
    if a.best_path:
        if a.unit == "rounds":
            out.append("  agents busy per round on the quickest run: " + " ".join(map(str, a.busy_per_step)))
        else:
            out.append("  quickest run: " + ", ".join(f"{who[0] if who else 'env'}.{label.split('.', 1)[-1]}"
                                                       for who, label in a.best_path))
        if a.idle:
            out.append("  idle " + a.unit + " per agent on it: " + ", ".join(f"{k}={v}" for k, v in a.idle.items()))
    return "\n".join(out)


def analysis_json(a: Analysis) -> dict[str, Any]:
    def ext(e: Extremes) -> dict[str, Any]:
        return {"fewest": e.low, "most": e.high if a.bounded else None}

    return {
        "protocol": a.protocol, "parameters": a.parameters, "unit": a.unit, "states": a.states,
        "terminates": a.terminates, "always_terminates": a.always_terminates, "bounded": a.bounded,
        "steps": ext(a.steps), "messages": ext(a.messages), "costs": {k: ext(v) for k, v in a.costs.items()},
        "budget": a.budget, "cycle": a.cycle, "stuck_states": a.stuck_states,
        "quickest_run": [{"agents": list(x), "step": s} for x, s in a.best_path],
        "busy_per_step": a.busy_per_step, "idle": a.idle, "error": a.error,
    }


def sweep_text(sw: Sweep) -> str:
    unit = sw.rows[0].unit if sw.rows else "steps"
    cost_names = sorted({k for a in sw.rows for k in a.costs})
    head = [sw.name, "states", f"best {unit}", f"worst {unit}", "speedup", "idle", "messages"] + cost_names
    rows = []
    for i, (v, a) in enumerate(zip(sw.values, sw.rows)):
        sp = sw.speedup(i)
        if a.error:
            rows.append([str(v), f"> {a.states:,}", "too large", "too large", "-", "-", "-"] + ["-" for _ in cost_names])
            continue
        rows.append([str(v), f"{a.states:,}", _n(a.steps.low), _n(a.steps.high) if a.bounded else "unbounded",
                     "-" if sp is None else f"{sp:.2f}x", str(sum(a.idle.values())),
                     _n(a.messages.high if a.bounded else a.messages.low)]
                    + [_n(a.costs[c].high if c in a.costs and a.bounded else None) for c in cost_names])
    widths = [max(len(h), *(len(r[k]) for r in rows)) for k, h in enumerate(head)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(c.rjust(w) for c, w in zip(r, widths)) + " |")
    for metric in ["messages", *cost_names]:
        k = sw.exponent(metric)
        if k is not None:
            lines.append(f"{metric} grow as {sw.name}^{k:.2f}")
    return "\n".join(lines)


def _n(x: int | None) -> str:
    return "-" if x is None else str(x)


def sweep_svg(sw: Sweep) -> str:
    """A small line chart of best/worst steps and messages against the swept value."""
    w, h, pad = 480, 300, 40
    series = {
        "best": [a.steps.low for a in sw.rows],
        "worst": [a.steps.high if a.bounded else None for a in sw.rows],
        "messages": [a.messages.high if a.bounded else None for a in sw.rows],
    }
    ys = [y for s in series.values() for y in s if y is not None] or [1]
    xmax, xmin = max(sw.values), min(sw.values)
    ymax = max(ys)

    def px(x: int) -> float:
        return pad + (x - xmin) / max(1, xmax - xmin) * (w - 2 * pad)

    def py(y: int) -> float:
        return h - pad - y / max(1, ymax) * (h - 2 * pad)

    colors = {"best": "#1f77b4", "worst": "#d62728", "messages": "#2ca02c"}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" '
             f'font-size="11">', f'<rect width="{w}" height="{h}" fill="white"/>',
             f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="black"/>',
             f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{h - pad}" stroke="black"/>',
             f'<text x="{w / 2}" y="{h - 8}" text-anchor="middle">{sw.name}</text>']
    for x in sw.values:
        parts.append(f'<text x="{px(x):.1f}" y="{h - pad + 14}" text-anchor="middle">{x}</text>')
    parts.append(f'<text x="{pad - 4}" y="{py(ymax):.1f}" text-anchor="end">{ymax}</text>')
    for k, (name, vals) in enumerate(series.items()):
        pts = [(px(x), py(y)) for x, y in zip(sw.values, vals) if y is not None]
        if pts:
            parts.append(f'<polyline fill="none" stroke="{colors[name]}" stroke-width="2" points="'
                         + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
        parts.append(f'<text x="{w - pad - 60}" y="{pad + 14 * k}" fill="{colors[name]}">{name}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def write_plots(sw: Sweep, stem: Path) -> list[Path]:
    """Write ``stem.svg`` (always) and ``stem.png`` (when matplotlib is available)."""
    written = []
    svg = stem.with_suffix(".svg")
    svg.write_text(sweep_svg(sw), encoding="utf-8")
    written.append(svg)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return written
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(sw.values, [a.steps.low for a in sw.rows], marker="o", label=f"best {sw.rows[0].unit}")
    ax.plot(sw.values, [a.steps.high if a.bounded else None for a in sw.rows], marker="o", label="worst")
    ax.plot(sw.values, [a.messages.high if a.bounded else None for a in sw.rows], marker="o", label="messages")
    ax.set_xlabel(sw.name)
    ax.legend()
    fig.tight_layout()
    png = stem.with_suffix(".png")
    fig.savefig(png, dpi=100)
    plt.close(fig)
    written.append(png)
    return written


def taskgraph_text(g: Any, values: list[int], sw: Sweep | None = None) -> str:
    """Critical path and the bounds per team size, beside the achieved speedup when swept."""
    out = [f"task graph `{g.name}`: {g.size} tasks, critical path {len(g.critical_path)} "
           f"({' -> '.join(map(str, g.critical_path))}), parallel fraction p = {g.parallel_fraction:.3f}"]
    ns = values or list(range(1, 5))
    head = "| n | Amdahl bound | ideal bound |" + (" achieved |" if sw else "")
    out += [head, "|---|---|---|" + ("---|" if sw else "")]
    for i, n in enumerate(ns):
        row = f"| {n} | {g.amdahl(n):.2f}x | {g.ideal(n):.2f}x |"
        if sw is not None:
            sp = sw.speedup(i)
            row += f" {'-' if sp is None else f'{sp:.2f}x'} |"
        out.append(row)
    return "\n".join(out)


def taskgraph_json(g: Any, values: list[int], sw: Sweep | None = None) -> dict[str, Any]:
    ns = values or list(range(1, 5))
    return {
        "name": g.name, "tasks": g.size, "critical_path": [str(t) for t in g.critical_path],
        "parallel_fraction": g.parallel_fraction,
        "bounds": [{"n": n, "amdahl": g.amdahl(n), "ideal": g.ideal(n),
                    "achieved": sw.speedup(i) if sw is not None else None} for i, n in enumerate(ns)],
    }
