"""The pre-commit hooks and the GitHub Action: well-formed, using real options, and working when run."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import yaml
from cikit import ROOT, bad_check_words, env_with_accord, shell_commands
from reportkit import SPECS

HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
SARIF_SCHEMA = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

# the keys pre-commit (4.x) accepts in a hook of .pre-commit-hooks.yaml, and its stage names
HOOK_KEYS = {"id", "name", "entry", "language", "alias", "files", "exclude", "types", "types_or", "exclude_types",
             "additional_dependencies", "args", "always_run", "fail_fast", "pass_filenames", "description",
             "language_version", "log_file", "minimum_pre_commit_version", "require_serial", "stages", "verbose"}
STAGES = {"commit-msg", "post-checkout", "post-commit", "post-merge", "post-rewrite", "pre-commit",
          "pre-merge-commit", "pre-push", "pre-rebase", "prepare-commit-msg", "manual"}

HOLDS = SPECS["counter"].replace("x <= 2", "x <= 3")


def hook(hook_id: str) -> dict:
    return next(h for h in HOOKS if h["id"] == hook_id)


def run_hook(hook_id: str, args: list[str], files: list[Path], tmp_path: Path) -> subprocess.CompletedProcess:
    """Run a hook as pre-commit does: its entry, then its args, then the file names."""
    h = hook(hook_id)
    cmd = [*shlex.split(h["entry"]), *h.get("args", []), *args, *map(str, files)]
    return subprocess.run(cmd, capture_output=True, text=True, check=False, env=env_with_accord(tmp_path / "bin"), timeout=120,
                          cwd=tmp_path)


@pytest.fixture
def specs(tmp_path):
    out = {}
    for name, text in {"holds": HOLDS, "handoff": SPECS["handoff"], "broken": "protocol P\nvar x: 0..3 = y\n"}.items():
        out[name] = tmp_path / f"{name}.accord"
        out[name].write_text(text, encoding="utf-8")
    return out


# ---------------------------------------------------------------------- pre-commit


def test_hook_manifest_is_well_formed():
    assert [h["id"] for h in HOOKS] == ["accord-lint", "accord-check"]
    for h in HOOKS:
        assert set(h) <= HOOK_KEYS, set(h) - HOOK_KEYS
        assert {"id", "name", "entry", "language"} <= set(h)
        assert h["language"] == "python"
        assert re.search(h["files"], "protocols/leader_follower.accord")
        assert not re.search(h["files"], "notes.accord.md")
        assert set(h.get("stages", [])) <= STAGES
    assert "pre-push" in hook("accord-check")["stages"]
    assert "stages" not in hook("accord-lint")  # every commit


def test_lint_hook_passes_good_specs_and_fails_bad_ones(specs, tmp_path):
    r = run_hook("accord-lint", [], [specs["holds"], specs["handoff"]], tmp_path)
    assert r.returncode == 0, r.stderr
    r = run_hook("accord-lint", [], [specs["holds"], specs["broken"]], tmp_path)
    assert r.returncode == 2
    assert "error[ACC201]" in r.stderr and "broken.accord:2:15" in r.stderr


def test_check_hook_checks_every_file_with_the_args(specs, tmp_path):
    r = run_hook("accord-check", [], [specs["holds"]], tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verdict: holds" in r.stdout
    # a failing spec first: the hook goes on to the next one and fails at the end; with --no-deadlock the
    # handoff spec fails on termination only (exit 13, not 11), which shows the args reached the check
    r = run_hook("accord-check", ["--no-deadlock"], [specs["handoff"], specs["holds"]], tmp_path)
    assert r.returncode == 13
    assert r.stdout.count("verdict:") == 2 and "VIOLATED deadlock" not in r.stdout
    r = run_hook("accord-check", ["--max-states", "2"], [specs["holds"]], tmp_path)
    assert r.returncode == 3


# ---------------------------------------------------------------------- the GitHub Action


def steps() -> list[dict]:
    return ACTION["runs"]["steps"]


def step(name: str) -> dict:
    return next(s for s in steps() if s.get("name") == name)


def test_action_metadata():
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {"specs", "args", "accord-version", "python-version", "output-dir",
                                     "upload-sarif", "sarif-category", "upload-artifact", "artifact-name", "fail-on"}
    for name, spec in ACTION["inputs"].items():
        assert spec["description"] and "default" in spec and spec["required"] is False, name
    for name, spec in ACTION["outputs"].items():
        assert spec["value"].startswith("${{ steps.check.outputs."), name
    uses = [s["uses"].split("@")[0] for s in steps() if "uses" in s]
    assert uses == ["actions/setup-python", "github/codeql-action/upload-sarif", "actions/upload-artifact"]
    assert step("Upload SARIF to code scanning")["with"]["sarif_file"] == "${{ steps.check.outputs.sarif-file }}"


def test_action_inputs_are_all_used_and_none_is_unknown():
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"inputs\.([a-z-]+)", text))
    assert used == set(ACTION["inputs"])


def test_run_scripts_take_inputs_from_env_only():
    """`${{ }}` inside a script is a script-injection hole; inputs reach scripts as environment variables."""
    for s in steps():
        if "run" in s:
            assert "${{" not in s["run"], s["name"]
            assert s["shell"] == "bash"


def test_action_uses_real_accord_options_and_formats():
    script = step("Check specs")["run"]
    calls = shell_commands(script, "accord check")
    assert len(calls) == 1
    assert bad_check_words(calls[0]) == []
    formats = [w.split("=")[0] for prev, w in zip(calls[0], calls[0][1:]) if prev == "--format"]
    assert formats == ["text", "sarif", "junit", "json", "markdown", "itf"]
    assert "--continue" in calls[0]
    assert shell_commands(script, "python3 -m accord.report.sarif merge")
    assert "GITHUB_STEP_SUMMARY" in script and "GITHUB_OUTPUT" in script


def run_step(name: str, env: dict[str, str], cwd: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    full = env_with_accord(tmp_path / "bin")
    full.update(env)
    return subprocess.run(["bash", "-c", step(name)["run"]], capture_output=True, text=True, check=False, env=full, cwd=cwd,
                          timeout=300)


def test_check_step_writes_every_report(tmp_path):
    work = tmp_path / "repo"
    (work / "specs" / "deep").mkdir(parents=True)
    (work / "specs" / "holds.accord").write_text(HOLDS, encoding="utf-8")
    (work / "specs" / "deep" / "handoff.accord").write_text(SPECS["handoff"], encoding="utf-8")
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    r = run_step("Check specs", {"ACCORD_SPECS": "specs/**/*.accord specs/holds.accord", "ACCORD_ARGS": "",
                                 "ACCORD_OUT": "results", "GITHUB_STEP_SUMMARY": str(summary),
                                 "GITHUB_OUTPUT": str(outputs)}, work, tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert dict(line.split("=", 1) for line in outputs.read_text().splitlines()) == {
        "sarif-file": "results/accord.sarif", "verdict": "violated", "exit-code": "11"}
    assert "::error file=specs/deep/handoff.accord::specs/deep/handoff.accord has a counterexample" in r.stdout
    assert r.stdout.count("::group::accord check") == 2  # the duplicate pattern is checked once
    out = work / "results"
    merged = json.loads((out / "accord.sarif").read_text())
    assert not list(jsonschema.Draft4Validator(SARIF_SCHEMA).iter_errors(merged))
    run = merged["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["deadlock", "termination"]
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "specs/deep/handoff.accord"
    assert sorted(p.name for p in (out / "traces" / "specs__deep__handoff").iterdir()) == \
        ["deadlock.itf.json", "termination.itf.json"]
    assert ET.parse(out / "junit" / "specs__deep__handoff.xml").getroot().get("failures") == "2"
    text = summary.read_text()
    assert "### ❌ accord: `Handoff` violated" in text and "### ✅ accord: `Counter` holds" in text


def test_check_step_with_no_spec_reports_an_error(tmp_path):
    outputs = tmp_path / "outputs.txt"
    r = run_step("Check specs", {"ACCORD_SPECS": "nothing/*.accord", "ACCORD_ARGS": "", "ACCORD_OUT": "results",
                                 "GITHUB_STEP_SUMMARY": str(tmp_path / "s.md"), "GITHUB_OUTPUT": str(outputs)},
                 tmp_path, tmp_path)
    assert r.returncode == 0 and "::error::no spec matches" in r.stdout
    assert "verdict=error" in outputs.read_text()


@pytest.mark.parametrize("fail_on,verdict,code", [
    ("inconclusive", "holds", 0), ("inconclusive", "unknown", 1), ("inconclusive", "violated", 1),
    ("violation", "unknown", 0), ("violation", "violated", 1), ("violation", "error", 1),
    ("never", "violated", 0), ("inconclusive", "", 1),
])
def test_verdict_step(tmp_path, fail_on, verdict, code):
    r = run_step("Verdict", {"ACCORD_VERDICT": verdict, "ACCORD_FAIL_ON": fail_on}, tmp_path, tmp_path)
    assert r.returncode == code
