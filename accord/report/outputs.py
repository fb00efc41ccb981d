"""Which report goes where: the ``--format NAME[=PATH]`` and ``-o PATH`` options of ``accord check``.

Rules (:func:`plan_outputs`):

* ``--format NAME=PATH`` writes that report to PATH (``-`` is standard output);
  ``--format NAME`` alone writes it to standard output, or to ``-o PATH`` when exactly
  one machine-readable format has no path of its own (``text`` takes ``-o`` only when it
  is the only format without a path);
* no ``--format`` at all means ``text``;
* ``text`` with no path goes to standard output when nothing else does, else to
  standard error, so that standard output stays machine-readable;
* ``itf`` writes one trace: the first counterexample. When its PATH ends with ``/`` or
  is an existing directory, it writes every counterexample there instead, one file
  per property, ``<property>.itf.json``;
* two reports may not share a file.

:func:`render_outputs` turns a plan into ``(destination, text)`` pairs; the caller
writes them. Renderers return values and never write.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.checker.result import CheckResult
from accord.semantics.layout import Layout

FORMATS = ("text", "json", "sarif", "junit", "itf", "markdown", "mermaid")
STDOUT = "-"
STDERR = "<stderr>"


@dataclass(frozen=True)
class Output:
    fmt: str
    dest: str  # a file path, STDOUT or STDERR

    @property
    def is_dir(self) -> bool:
        return self.fmt == "itf" and self.dest not in (STDOUT, STDERR) and (
            self.dest.endswith(("/", os.sep)) or Path(self.dest).is_dir())


def parse_format(spec: str) -> tuple[str, str | None]:
    """``"sarif=out.sarif"`` -> ``("sarif", "out.sarif")``; ``"json"`` -> ``("json", None)``.

    Raises ``ValueError`` with a message for the user on an unknown format or an empty path.
    """
    name, sep, path = spec.partition("=")
    name = name.strip().lower()
    if name not in FORMATS:
        raise ValueError(f"unknown format `{name}`; choose from {', '.join(FORMATS)} "
                         "(optionally NAME=PATH, e.g. --format sarif=accord.sarif)")
    if sep and not path:
        raise ValueError(f"--format {spec}: give a file after `=`, or `-` for standard output")
    return name, (path if sep else None)


def plan_outputs(specs: Sequence[str], output: str | None = None) -> list[Output]:
    """The destinations of the reports asked for (see the module doc). ``ValueError`` on a conflict."""
    parsed = [parse_format(s) for s in specs] or [("text", None)]
    pathless = [i for i, (_, p) in enumerate(parsed) if p is None]
    if output is not None:
        machine = [i for i in pathless if parsed[i][0] != "text"]
        takers = machine or pathless
        if not takers:
            raise ValueError("-o has no report to take: every --format names its own file")
        if len(takers) > 1:
            names = ", ".join(parsed[i][0] for i in takers)
            raise ValueError(f"-o can take one report, not {names}; give each its own file, "
                             "e.g. --format json=out.json --format sarif=out.sarif")
        parsed[takers[0]] = (parsed[takers[0]][0], output)
    dests = [p if p is not None else STDOUT for _, p in parsed]
    on_stdout = [i for i, d in enumerate(dests) if d == STDOUT]
    if any(parsed[i][0] != "text" for i in on_stdout):
        dests = [STDERR if (parsed[i][0] == "text" and d == STDOUT) else d for i, d in enumerate(dests)]
    seen: dict[str, str] = {}
    plan: list[Output] = []
    for (fmt, _), dest in zip(parsed, dests):
        if dest not in (STDOUT, STDERR):
            key = os.path.normcase(os.path.abspath(dest))
            if key in seen:
                raise ValueError(f"{seen[key]} and {fmt} would both be written to {dest}")
            seen[key] = fmt
        out = Output(fmt, dest)
        if out not in plan:
            plan.append(out)
    return plan


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "property"


def render(fmt: str, result: CheckResult, lay: Layout, spec: str) -> str | None:
    """One report as text (None: ``itf`` with no counterexample to write)."""
    if fmt == "text":
        from accord.report.text import render_result

        return render_result(result, lay)
    if fmt == "json":
        from accord.report.json_report import result_json

        return json.dumps(result_json(result, lay, spec), indent=2)
    if fmt == "sarif":
        from accord.report.sarif import result_sarif

        return json.dumps(result_sarif(result, lay, spec), indent=2)
    if fmt == "junit":
        from accord.report.junit import result_junit

        return result_junit(result, lay, spec)
    if fmt == "markdown":
        from accord.report.markdown import result_markdown

        return result_markdown(result, lay, spec)
    if fmt == "mermaid":
        from accord.report.mermaid import result_mermaid

        return result_mermaid(result, lay)
    if fmt == "itf":
        from accord.report.itf import result_itf

        traces = result_itf(result, lay, spec)
        return json.dumps(next(iter(traces.values())), indent=2) if traces else None
    raise ValueError(f"unknown format `{fmt}`")


def render_outputs(plan: Sequence[Output], result: CheckResult, lay: Layout, spec: str
                   ) -> tuple[list[tuple[str, str]], list[str]]:
    """``([(destination, text), ...], notes)``: what to write where, and what to tell the user."""
    writes: list[tuple[str, str]] = []
    notes: list[str] = []
    for out in plan:
        if out.is_dir:
            from accord.report.itf import result_itf

            traces: dict[str, Any] = result_itf(result, lay, spec)
            used: set[str] = set()
            for name, trace in traces.items():
                base = stem = _safe_name(name)
                n = 1
                while stem in used:  # two names that read the same once made safe for a file system
                    n += 1
                    stem = f"{base}-{n}"
                used.add(stem)
                writes.append((str(Path(out.dest) / f"{stem}.itf.json"), json.dumps(trace, indent=2)))
            if not traces:
                notes.append(f"no counterexample: no ITF trace written to {out.dest}")
            continue
        text = render(out.fmt, result, lay, spec)
        if text is None:
            notes.append("no counterexample: no ITF trace written"
                         + (f" to {out.dest}" if out.dest not in (STDOUT, STDERR) else ""))
            continue
        writes.append((out.dest, text))
    return writes, notes
