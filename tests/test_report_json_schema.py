"""The JSON report's contract: accord/schemas/report.schema.json (draft 2020-12) validates real reports."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest
from click.testing import CliRunner
from reportkit import SPECS, checked

from accord.cli.main import cli
from accord.report.json_report import result_json
from accord.schemas import load_schema

VALIDATOR = jsonschema.Draft202012Validator(load_schema("report"),
                                            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def errors(doc: dict) -> list[str]:
    """Every error, those inside `oneOf` branches included."""
    out: list[str] = []
    todo = list(VALIDATOR.iter_errors(doc))
    while todo:
        e = todo.pop()
        out.append(f"{list(e.absolute_path)}: {e.message}")
        todo.extend(e.context or [])
    return out


def cli_report(tmp_path, name: str, *args: str) -> tuple[int, dict]:
    spec = tmp_path / f"{name}.accord"
    spec.write_text(SPECS[name], encoding="utf-8")
    r = CliRunner().invoke(cli, ["check", str(spec), "--format", "json", *args])
    return r.exit_code, json.loads(r.stdout)


def test_the_schema_is_a_valid_2020_12_schema_shipped_in_the_package():
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"verdict", "property", "states", "depth", "trace_length"} <= set(schema["required"])


@pytest.mark.parametrize("name,args,code,verdict", [
    ("counter", (), 12, "violated"),                         # invariant, stops at the first violation
    ("counter", ("--continue",), 12, "violated"),            # plus a reachable witness
    ("counter", ("--const", "MAX=2"), 0, "holds"),
    ("counter", ("--max-states", "2"), 3, "unknown"),        # a limit: incomplete
    ("boom", (), 12, "violated"),                            # a step error: the last step has no state
    ("pingpong", (), 13, "violated"),                        # a lasso
    ("handoff", ("--continue",), 11, "violated"),            # deadlock and a stuttering lasso
    ("kinds", ("--continue",), 12, "violated"),              # every kind of value
])
def test_real_reports_validate(tmp_path, name, args, code, verdict):
    exit_code, doc = cli_report(tmp_path, name, *args)
    assert exit_code == code
    assert doc["verdict"] == verdict
    assert errors(doc) == []


def test_headline_figures_of_a_report():
    c = checked("counter")
    doc = json.loads(json.dumps(result_json(c.result, c.lay, c.spec)))
    assert errors(doc) == []
    assert (doc["verdict"], doc["property"], doc["states"]["distinct"], doc["depth"], doc["trace_length"]) == \
        ("violated", "small", 4, 4, 4)


@pytest.mark.parametrize("mutate,where", [
    (lambda d: d.pop("verdict"), "'verdict' is a required property"),
    (lambda d: d.update(verdict="passed"), "'passed' is not one of"),
    (lambda d: d.update(property=None), "None is not of type 'string'"),          # violated names a property
    (lambda d: d["states"].update(distinct=-1), "-1 is less than the minimum"),
    (lambda d: d["properties"][0].update(verdict="ok"), "'ok' is not one of"),
    (lambda d: d["properties"][0]["trace"]["steps"][0].update(step="Counter.inc"), "'initial' was expected"),
    (lambda d: d["properties"][0]["trace"]["steps"][1].update(kind="jump"), "'jump' is not one of"),
    (lambda d: d["properties"][0]["trace"]["steps"][1]["state"].update(x=3), "3 is not of type 'string'"),
])
def test_the_schema_catches_broken_reports(mutate, where):
    c = checked("counter")
    doc = copy.deepcopy(json.loads(json.dumps(result_json(c.result, c.lay, c.spec))))
    mutate(doc)
    found = errors(doc)
    assert any(where in e for e in found), found


def test_a_holding_report_must_be_complete():
    c = checked("counter")
    doc = json.loads(json.dumps(result_json(c.result, c.lay, c.spec)))
    doc.update(verdict="holds", property=None, trace_length=None, complete=False)
    assert any("True was expected" in e for e in errors(doc))
