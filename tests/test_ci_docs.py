"""docs/ci.md stays true: its snippets parse, and every option, input, hook and format it names exists."""

from __future__ import annotations

import re
import subprocess
import tomllib

import pytest
import yaml
from cikit import ROOT, bad_check_words, env_with_accord, shell_commands
from reportkit import SPECS

from accord import pytest_plugin
from accord.pytest_plugin import header_args, header_expectations, search_options
from accord.report.outputs import FORMATS

DOC = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
HOOK_IDS = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}


def blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", DOC, flags=re.DOTALL | re.MULTILINE)


def table(first_header: str) -> list[list[str]]:
    """The rows of the Markdown table whose first column is headed ``first_header``."""
    lines = DOC.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


def test_every_snippet_kind_is_present():
    assert len(blocks("yaml")) == 3 and len(blocks("sh")) == 2 and len(blocks("toml")) == 1
    assert len(blocks("accord")) == 2


def test_workflow_uses_the_action_with_real_inputs():
    wf = yaml.safe_load(blocks("yaml")[0])
    assert wf["permissions"]["security-events"] == "write"
    steps = wf["jobs"]["verify"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    assert steps[1]["uses"] == "OWNER/accord@REF"
    assert set(steps[1]["with"]) <= set(ACTION["inputs"])
    args = steps[1]["with"]["args"].split()
    assert bad_check_words(args) == []


def test_inputs_table_matches_the_action():
    rows = table("input")
    assert [r[0].strip("`") for r in rows] == list(ACTION["inputs"])
    for name, default, _ in rows:
        want = ACTION["inputs"][name.strip("`")]["default"]
        assert default == (f"`{want}`" if want else "(none)"), name


def test_formats_table_lists_every_format():
    assert [r[0].strip("`") for r in table("format")] == list(FORMATS)


def test_pre_commit_configs_name_real_hooks():
    remote, local = (yaml.safe_load(b) for b in blocks("yaml")[1:])
    ids = [h["id"] for h in remote["repos"][0]["hooks"]]
    assert set(ids) == HOOK_IDS
    check_args = remote["repos"][0]["hooks"][1]["args"]
    assert bad_check_words(check_args) == []
    hook = local["repos"][0]["hooks"][0]
    assert hook["entry"].startswith("accord lint") and re.search(hook["files"], "a.accord")


def test_pytest_settings_exist():
    names: set[str] = set()

    class Recorder:
        def getgroup(self, *a, **k):
            return self

        def addoption(self, *opts, **k):
            names.update(opts)

        def addini(self, name, *a, **k):
            names.add(name)

    pytest_plugin.pytest_addoption(Recorder())  # type: ignore[arg-type]
    ini = tomllib.loads(blocks("toml")[0])["tool"]["pytest"]["ini_options"]
    assert set(ini) <= names
    assert "--accord" in names and "pytest --accord" in blocks("sh")[1]
    search_options(ini["accord_args"].split())  # valid `accord check` options


def test_spec_headers_parse():
    header, expect = blocks("accord")
    assert search_options(header_args(header))["max_states"] == 200000
    assert header_expectations(expect) == {"deadlock": "violated", "termination": "violated"}


def test_the_shell_recipe_runs(tmp_path):
    """The "without the action" commands, run for real on a copy of a spec with a counterexample."""
    script = blocks("sh")[0]
    calls = shell_commands(script, "accord check")
    assert calls and all(bad_check_words(c) == [] for c in calls)
    (tmp_path / "protocols").mkdir()
    (tmp_path / "protocols" / "leader_follower.accord").write_text(SPECS["handoff"], encoding="utf-8")
    env = env_with_accord(tmp_path / "bin")
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False, env=env, cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "results"
    assert sorted(p.name for p in out.iterdir()) == ["accord.sarif", "leader_follower.md", "leader_follower.sarif",
                                                      "leader_follower.xml", "traces"]
    assert sorted(p.name for p in (out / "traces").iterdir()) == ["deadlock.itf.json", "termination.itf.json"]


@pytest.mark.parametrize("code", ["0", "3", "11", "12", "13", "2"])
def test_exit_codes_named_in_the_doc(code):
    assert f"`{code}`" in DOC
