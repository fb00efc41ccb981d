"""JUnit XML: one test case per property of a spec, for CI test reporters.

``<testsuites>`` holds one ``<testsuite>`` named after the spec file, with the
check's constants as ``<properties>``. Each property is a ``<testcase>`` whose
``classname`` is the protocol and ``name`` the property:

* ``holds``: a passing test case;
* ``violated``: a ``<failure>`` whose ``message`` is the checker's message and whose
  text is the readable counterexample, as ``accord check`` prints it;
* ``unknown``: an ``<error type="inconclusive">``: nothing was found, but the search
  was cut short, and that is never reported as a pass.

A spec that declares no property yields one ``exploration`` test case, so a run
always reports at least one test. Suites from several specs combine with
:func:`merge_junit`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from accord.checker.result import CheckResult, PropertyResult, Verdict
from accord.report.text import render_trace
from accord.semantics.layout import Layout


def _counterexample(r: PropertyResult, lay: Layout) -> str:
    lines = [f"{r.kind} `{r.name}`: {r.message}" if r.message else f"{r.kind} `{r.name}` is violated"]
    if r.span is not None:
        lines.append(f"declared at {r.span}")
    if r.trace is not None:
        shape = "lasso" if r.trace.loop_start is not None else "trace"
        lines.append(f"counterexample: {shape} of {r.trace.length} states")
        lines.append(render_trace(r.trace, lay))
    return "\n".join(lines)


def suite_element(result: CheckResult, lay: Layout, spec: str) -> ET.Element:
    """The ``<testsuite>`` of one check (see the module doc)."""
    s = result.stats
    cases = list(result.results)
    # no timestamp or hostname: the same check gives the same document
    suite = ET.Element("testsuite", {"name": spec, "time": f"{s.seconds:.3f}"})
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", {"name": "protocol", "value": result.protocol})
    for k, v in result.parameters.items():
        ET.SubElement(props, "property", {"name": f"const.{k}", "value": str(v).lower() if isinstance(v, bool)
                                          else str(v)})
    ET.SubElement(props, "property", {"name": "engine", "value": s.engine})
    ET.SubElement(props, "property", {"name": "distinct_states", "value": str(s.distinct)})
    ET.SubElement(props, "property", {"name": "depth", "value": str(s.depth)})
    ET.SubElement(props, "property", {"name": "complete", "value": str(result.complete).lower()})
    failures = errors = 0
    for r in cases:
        attrs = {"classname": result.protocol, "name": r.name, "file": spec, "time": "0"}
        if r.span is not None:
            attrs["line"] = str(r.span.line)
        case = ET.SubElement(suite, "testcase", attrs)
        if r.verdict is Verdict.VIOLATED:
            failures += 1
            fail = ET.SubElement(case, "failure", {"message": r.message or f"{r.kind} `{r.name}` is violated",
                                                   "type": r.kind})
            fail.text = _counterexample(r, lay)
        elif r.verdict is Verdict.UNKNOWN:
            errors += 1
            err = ET.SubElement(case, "error", {"message": f"inconclusive: {r.message}", "type": "inconclusive"})
            err.text = f"{r.kind} `{r.name}` could not be decided: {r.message}"
    if not cases:
        case = ET.SubElement(suite, "testcase", {"classname": result.protocol, "name": "exploration",
                                                 "file": spec, "time": "0"})
        if not result.complete:
            errors += 1
            ET.SubElement(case, "error", {"message": f"inconclusive: {result.limit} limit reached",
                                          "type": "inconclusive"})
    suite.set("tests", str(max(len(cases), 1)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", "0")
    return suite


def merge_junit(suites: Sequence[ET.Element], name: str = "accord") -> str:
    """``<testsuites>`` around ``suites``, with the totals, as an XML document."""
    root = ET.Element("testsuites", {"name": name})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    seconds = 0.0
    for suite in suites:
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
        seconds += float(suite.get("time", "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{seconds:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def result_junit(result: CheckResult, lay: Layout, spec: str) -> str:
    """The JUnit XML document of one check of the spec at ``spec``."""
    return merge_junit([suite_element(result, lay, spec)])
