"""`accord check --format NAME[=PATH]` and `-o`: several reports to several files in one run."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from reportkit import SPECS

from accord.cli.main import cli
from accord.report.outputs import STDERR, STDOUT, Output, plan_outputs


def run(args: list[str]) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, args)
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def spec(tmp_path):
    f = tmp_path / "handoff.accord"
    f.write_text(SPECS["handoff"], encoding="utf-8")
    return f


def test_plan_rules():
    assert plan_outputs([]) == [Output("text", STDOUT)]
    assert plan_outputs(["json"]) == [Output("json", STDOUT)]
    assert plan_outputs(["text", "json"]) == [Output("text", STDERR), Output("json", STDOUT)]
    assert plan_outputs(["json"], "r.json") == [Output("json", "r.json")]
    assert plan_outputs(["text"], "r.txt") == [Output("text", "r.txt")]
    assert plan_outputs(["text", "sarif=s.sarif", "json"], "r.json") == [
        Output("text", STDOUT), Output("sarif", "s.sarif"), Output("json", "r.json")]
    assert plan_outputs(["SARIF=-"]) == [Output("sarif", STDOUT)]
    assert Output("itf", "traces/").is_dir and not Output("itf", "t.itf.json").is_dir


@pytest.mark.parametrize("specs,output,message", [
    (["json", "sarif"], "out", "-o can take one report, not json, sarif"),
    (["json=a.json"], "out", "-o has no report to take"),
    (["json=a.out", "sarif=a.out"], None, "json and sarif would both be written to a.out"),
    (["yaml"], None, "unknown format `yaml`"),
    (["json="], None, "give a file after `=`"),
])
def test_plan_conflicts(specs, output, message):
    with pytest.raises(ValueError, match=message):
        plan_outputs(specs, output)


def test_several_reports_to_several_files_in_one_run(spec, tmp_path):
    out = tmp_path / "out"
    code, stdout, _ = run(["check", str(spec), "--continue",
                                "--format", f"json={out / 'r.json'}", "--format", f"sarif={out / 'r.sarif'}",
                                "--format", f"junit={out / 'r.xml'}", "--format", f"markdown={out / 'r.md'}",
                                "--format", f"itf={out / 'traces'}/"])
    assert code == 11
    assert stdout == ""
    assert json.loads((out / "r.json").read_text())["property"] == "deadlock"
    assert json.loads((out / "r.sarif").read_text())["runs"][0]["results"][0]["ruleId"] == "deadlock"
    assert ET.parse(out / "r.xml").getroot().get("failures") == "2"
    assert (out / "r.md").read_text().startswith("### ❌ accord: `Handoff` violated")
    assert sorted(p.name for p in (out / "traces").iterdir()) == ["deadlock.itf.json", "termination.itf.json"]


def test_json_to_stdout_and_text_to_stderr(spec):
    code, stdout, stderr = run(["check", str(spec), "--format", "text", "--format", "json"])
    assert code == 11
    assert json.loads(stdout)["verdict"] == "violated"
    assert "verdict: violated" in stderr


def test_o_still_takes_the_single_report(spec, tmp_path):
    code, stdout, _ = run(["check", str(spec), "--format", "sarif", "-o", str(tmp_path / "x.sarif")])
    assert code == 11 and stdout == ""
    assert json.loads((tmp_path / "x.sarif").read_text())["version"] == "2.1.0"


def test_conflicts_are_usage_errors_before_any_search(spec):
    code, _, err = run(["check", str(spec), "--format", "json", "--format", "sarif", "-o", "x"])
    assert code == 2 and "-o can take one report" in err
    code, _, err = run(["check", str(spec), "--format", "pdf"])
    assert code == 2 and "unknown format `pdf`" in err


def test_itf_to_a_file_is_the_first_counterexample_and_nothing_when_none(tmp_path, spec):
    code, _, _ = run(["check", str(spec), "--continue", "--format", f"itf={tmp_path / 't.itf.json'}"])
    assert code == 11
    assert json.loads((tmp_path / "t.itf.json").read_text())["#meta"]["property"] == "deadlock"
    ok = tmp_path / "ok.accord"
    ok.write_text(SPECS["counter"].replace("x <= 2", "x <= 3"), encoding="utf-8")
    code, stdout, err = run(["check", str(ok), "--format", f"itf={tmp_path / 'none.itf.json'}"])
    assert code == 0 and stdout == ""
    assert "note: no counterexample: no ITF trace written to" in err
    assert not (tmp_path / "none.itf.json").exists()
