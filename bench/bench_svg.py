"""A dependency-free SVG plot: median wall time against N, one panel per model, log-scale time axis.

``svg(panels)`` takes ``{panel title: {series name: [(n, seconds), …]}}`` and returns the SVG
text; missing points (timeouts, errors) are simply absent from a series.
"""

from __future__ import annotations

import math
from html import escape

COLORS = {"accord": "#c0392b", "SPIN (POR)": "#2471a3", "SPIN (no POR)": "#229954"}
PANEL_W, PANEL_H = 380, 270
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 62, 16, 34, 44


def _decades(lo: float, hi: float) -> tuple[int, int]:
    a = math.floor(math.log10(lo))
    b = math.ceil(math.log10(hi))
    return a, max(b, a + 1)


def _panel(title: str, series: dict[str, list[tuple[int, float]]], ox: float, oy: float) -> list[str]:
    pts = [(n, s) for ser in series.values() for n, s in ser if s > 0]
    out = [f'<g transform="translate({ox},{oy})">',
           f'<text x="{PANEL_W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">'
           f'{escape(title)}</text>']
    w = PANEL_W - MARGIN_L - MARGIN_R
    h = PANEL_H - MARGIN_T - MARGIN_B
    out.append(f'<rect x="{MARGIN_L}" y="{MARGIN_T}" width="{w}" height="{h}" fill="none" stroke="#888"/>')
    if not pts:
        out.append(f'<text x="{PANEL_W / 2}" y="{PANEL_H / 2}" text-anchor="middle" font-size="12">no data</text>')
        return out + ["</g>"]
    ns = sorted({n for n, _ in pts})
    n0, n1 = ns[0], ns[-1]
    d0, d1 = _decades(min(s for _, s in pts), max(s for _, s in pts))

    def x(n: float) -> float:
        return MARGIN_L + (w / 2 if n1 == n0 else (n - n0) / (n1 - n0) * w)

    def y(s: float) -> float:
        return MARGIN_T + h - (math.log10(s) - d0) / (d1 - d0) * h

    for d in range(d0, d1 + 1):
        yy = y(10.0 ** d)
        out.append(f'<line x1="{MARGIN_L}" y1="{yy:.1f}" x2="{MARGIN_L + w}" y2="{yy:.1f}" stroke="#ddd"/>')
        label = f"{10.0 ** d:g}"
        out.append(f'<text x="{MARGIN_L - 6}" y="{yy + 4:.1f}" text-anchor="end" font-size="11">{label}</text>')
    for n in ns:
        out.append(f'<text x="{x(n):.1f}" y="{MARGIN_T + h + 16}" text-anchor="middle" font-size="11">{n}</text>')
    out.append(f'<text x="{MARGIN_L + w / 2}" y="{PANEL_H - 8}" text-anchor="middle" font-size="11">N</text>')
    out.append(f'<text x="14" y="{MARGIN_T + h / 2}" text-anchor="middle" font-size="11" '
               f'transform="rotate(-90 14 {MARGIN_T + h / 2})">wall seconds (log)</text>')
    for k, (name, ser) in enumerate(series.items()):
        color = COLORS.get(name, "#555")
        good = sorted((n, s) for n, s in ser if s > 0)
        if len(good) > 1:
            path = " ".join(f"{x(n):.1f},{y(s):.1f}" for n, s in good)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for n, s in good:
            out.append(f'<circle cx="{x(n):.1f}" cy="{y(s):.1f}" r="3.5" fill="{color}"/>')
        ly = MARGIN_T + 14 + 15 * k
        out.append(f'<line x1="{MARGIN_L + 8}" y1="{ly - 4}" x2="{MARGIN_L + 26}" y2="{ly - 4}" '
                   f'stroke="{color}" stroke-width="2"/>')
        out.append(f'<text x="{MARGIN_L + 30}" y="{ly}" font-size="11">{escape(name)}</text>')
    return out + ["</g>"]


def svg(panels: dict[str, dict[str, list[tuple[int, float]]]], columns: int = 2) -> str:
    """The whole figure: panels laid out ``columns`` to a row."""
    k = max(len(panels), 1)
    cols = min(columns, k)
    rows = math.ceil(k / cols)
    width, height = cols * PANEL_W, rows * PANEL_H
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    for i, (title, series) in enumerate(panels.items()):
        out.extend(_panel(title, series, (i % cols) * PANEL_W, (i // cols) * PANEL_H))
    out.append("</svg>")
    return "\n".join(out) + "\n"
