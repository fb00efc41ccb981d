"""A Markdown summary of a check, for CI job summaries and pull-request comments.

A heading with the protocol and the verdict, a table of every property (verdict,
kind, line), the search figures, then each counterexample in a collapsed
``<details>`` block: as a Mermaid sequence diagram when
:mod:`accord.report.mermaid` provides ``result_mermaid``, always followed by the
step-by-step text trace. Summaries of several specs can simply be concatenated.
"""

from __future__ import annotations

from collections.abc import Callable

from accord.checker.result import CheckResult, PropertyResult, Verdict
from accord.report.text import render_trace
from accord.semantics.layout import Layout

ICON = {Verdict.HOLDS: "✅", Verdict.VIOLATED: "❌", Verdict.UNKNOWN: "⚠️"}


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else f"`` {text} ``"


def _mermaid_renderer() -> Callable[[CheckResult, Layout], str] | None:
    try:
        from accord.report.mermaid import result_mermaid
    except ImportError:
        return None
    return result_mermaid


def _fenced(text: str, lang: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{lang}\n{text}\n{fence}"


def _diagram(result: CheckResult, r: PropertyResult, lay: Layout) -> str | None:
    """The Mermaid diagram of ``r``'s counterexample, if the Mermaid report is available."""
    render = _mermaid_renderer()
    if render is None:
        return None
    only = CheckResult(result.protocol, [r], result.stats, result.complete, result.limit, result.parameters,
                       result.notes)
    try:
        text = render(only, lay).strip()
    except Exception:  # noqa: BLE001 - a summary must not fail because a diagram could not be drawn
        return None
    if not text:
        return None
    return text if text.startswith("```") else _fenced(text, "mermaid")


def result_markdown(result: CheckResult, lay: Layout, spec: str, diagrams: bool = True) -> str:
    """The summary (see the module doc); ``diagrams=False`` leaves out the Mermaid diagrams."""
    s = result.stats
    verdict = result.verdict
    out = [f"### {ICON[verdict]} accord: {_code(result.protocol)} {verdict.value}", ""]
    line = f"Spec {_code(spec)}"
    if result.parameters:
        line += " with " + ", ".join(f"{_code(f'{k}={v}')}" for k, v in result.parameters.items())
    out += [line, ""]
    if result.results:
        out += ["| | Property | Kind | Verdict | Line | Detail |", "|---|---|---|---|---|---|"]
        for r in result.results:
            where = str(r.span.line) if r.span is not None else ""
            detail = r.message if r.verdict is not Verdict.HOLDS else ""
            out.append(f"| {ICON[r.verdict]} | {_cell(r.name)} | {_cell(r.kind)} | {r.verdict.value} | {where} "
                       f"| {_cell(detail)} |")
    else:
        out.append("No properties declared: the state space was only explored.")
    orbit = " (orbits under symmetry)" if s.symmetry else ""
    tail = "" if result.complete else f"; **incomplete** ({result.limit or 'stopped'})"
    out += ["", (f"{s.distinct:,} distinct states{orbit}, depth {s.depth}, {s.generated:,} generated, "
                 f"{s.seconds:.2f} s{tail}.")]
    for note in result.notes:
        out.append(f"> {note}")
    for r in result.results:
        if r.verdict is not Verdict.VIOLATED or r.trace is None:
            continue
        shape = "lasso" if r.trace.loop_start is not None else "trace"
        summary = f"<summary>Counterexample for <code>{_html(r.name)}</code>: {shape} of {r.trace.length} states</summary>"
        out += ["", "<details>", summary, ""]
        diagram = _diagram(result, r, lay) if diagrams else None
        if diagram is not None:
            out += [diagram, ""]
        out += [_fenced(render_trace(r.trace, lay), "text"), "", "</details>"]
    return "\n".join(out)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
