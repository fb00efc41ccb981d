"""JUnit XML (parsed back with xml.etree) and the Markdown summary."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from reportkit import checked

from accord.report.junit import merge_junit, result_junit, suite_element
from accord.report.markdown import result_markdown


def junit_of(name: str, stop_at_first: bool = False) -> ET.Element:
    c = checked(name, stop_at_first)
    return ET.fromstring(result_junit(c.result, c.lay, c.spec).split("\n", 1)[1])


def test_one_testcase_per_property_with_the_counterexample_in_the_failure():
    root = junit_of("handoff")
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("4", "2", "0", "0")
    suite = root.find("testsuite")
    assert suite.get("name") == "specs/handoff.accord"
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["protocol"] == "Handoff" and props["const.WORKERS"] == "3" and props["distinct_states"] == "440"
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name"), c.get("line")) for c in cases] == [
        ("Handoff", "only_real_tasks", "45"), ("Handoff", "some_work_done", "46"), ("Handoff", "deadlock", "47"),
        ("Handoff", "termination", "48")]
    assert cases[0].find("failure") is None and len(cases[0]) == 0
    fail = cases[2].find("failure")
    assert fail.get("type") == "deadlock"
    assert fail.get("message") == "deadlock: no step is enabled and not every role is final"
    text = fail.text.splitlines()
    assert text[1] == "declared at specs/handoff.accord:47:1"
    assert text[2] == "counterexample: trace of 4 states"
    assert "  State 4: FAULT crash: Worker[0] crashes" in text
    lasso = cases[3].find("failure").text
    assert "counterexample: lasso of 4 states" in lasso and "-- the run stays in this last state forever --" in lasso


def test_undecided_properties_are_errors_not_passes():
    root = junit_of("handoff", stop_at_first=True)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "1", "2")
    err = root.find("testsuite/testcase[@name='only_real_tasks']/error")
    assert err.get("type") == "inconclusive"
    assert err.get("message").startswith("inconclusive: not decided: the search stopped at the first violation")


def test_suites_merge_with_totals():
    a, b = checked("handoff"), checked("boom")
    doc = merge_junit([suite_element(a.result, a.lay, a.spec), suite_element(b.result, b.lay, b.spec)])
    assert doc.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(doc.split("\n", 1)[1])
    assert [s.get("name") for s in root.findall("testsuite")] == ["specs/handoff.accord", "specs/boom.accord"]
    assert (root.get("tests"), root.get("failures")) == ("5", "3")
    boom = root.find("testsuite[@name='specs/boom.accord']/testcase")
    assert boom.get("name") == "assert at line 5" and boom.get("line") == "5"
    assert boom.find("failure").text.endswith("  Step: env: inc  <- violates the property")


def test_markdown_summary_table_and_collapsed_counterexamples():
    c = checked("handoff")
    md = result_markdown(c.result, c.lay, c.spec, diagrams=False)
    lines = md.splitlines()
    assert lines[0] == "### ❌ accord: `Handoff` violated"
    assert lines[2] == "Spec `specs/handoff.accord` with `WORKERS=3`, `TASKS=2`, `RETRIES=1`"
    assert "| ✅ | only_real_tasks | invariant | holds | 45 |  |" in lines
    assert "| ❌ | deadlock | deadlock | violated | 47 | deadlock: no step is enabled and not every role is final |" \
        in lines
    assert "440 distinct states (orbits under symmetry), depth 14, 1,361 generated," in md
    assert md.count("<details>") == md.count("</details>") == 2
    assert "<summary>Counterexample for <code>termination</code>: lasso of 4 states</summary>" in lines
    assert md.count("```text") == 2


def test_markdown_escapes_table_cells_and_says_when_incomplete():
    c = checked("boom")
    md = result_markdown(c.result, c.lay, c.spec, diagrams=False)
    assert "| ❌ | assert at line 5 | assert | violated | 5 | assert at line 5: assertion failed |" in md
    h = checked("handoff", stop_at_first=True)
    md = result_markdown(h.result, h.lay, h.spec, diagrams=False)
    assert "| ⚠️ | only_real_tasks | invariant | unknown | 45 |" in md
    assert "**incomplete** (stopped)" in md


def test_markdown_diagrams_when_the_mermaid_report_exists():
    c = checked("counter")
    md = result_markdown(c.result, c.lay, c.spec)
    try:
        import accord.report.mermaid  # noqa: F401
    except ImportError:
        assert "```mermaid" not in md and "```text" in md
    else:
        assert md.count("```mermaid") + md.count("```\nsequenceDiagram") >= 1
