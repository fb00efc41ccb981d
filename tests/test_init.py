"""`accord init`: scaffold specs, CI and hooks from the library; the scaffold checks as its README says."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from accord.cli.main import cli
from accord.library import entries, get

ROOT = Path(__file__).resolve().parents[1]
FILES = [".github/workflows/accord.yml", ".pre-commit-config.yaml", "specs/README.md"]


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def verdicts(spec: Path) -> tuple[int, dict[str, tuple[str, str]]]:
    result = run("check", str(spec), "--continue", "--format", "json")
    report = json.loads(result.stdout)
    return result.exit_code, {p["name"]: (p["kind"], p["verdict"]) for p in report["properties"]}


def test_list_names_every_library_pattern_with_its_title():
    result = run("init", "--list")
    assert result.exit_code == 0
    bases = sorted(p.stem for p in (ROOT / "protocols").glob("*.accord") if "_broken" not in p.stem)
    assert len(bases) >= 17
    lines = result.output.splitlines()
    assert lines[0] == "Library protocols (accord init --from NAME):"
    listed = [ln.split()[0] for ln in lines[1:-1]]
    assert listed == bases
    assert ("  two_phase_commit         Two-phase commit over agents that each write one part of a single "
            "answer  [2 broken twins]") in lines


def test_init_scaffolds_a_spec_that_checks_as_documented(tmp_path: Path):
    result = run("init", str(tmp_path))
    assert result.exit_code == 0, result.output
    spec = tmp_path / "specs" / "leader_follower.accord"
    assert spec.read_text(encoding="utf-8") == (ROOT / "protocols" / "leader_follower.accord").read_text(
        encoding="utf-8")
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        [*FILES, "specs/leader_follower.accord"])
    code, got = verdicts(spec)
    assert code == 0
    assert got == get("leader_follower").expected
    assert len(got) == 7 and all(v == "holds" for _, v in got.values())
    readme = (tmp_path / "specs" / "README.md").read_text(encoding="utf-8")
    assert "deadlock      deadlock     holds\n" in readme and "@@" not in readme
    assert "accord check specs/leader_follower.accord\n" in readme


def test_init_from_a_broken_twin_fails_as_its_header_says(tmp_path: Path):
    assert run("init", "--from", "two_phase_commit_broken.accord", str(tmp_path)).exit_code == 0
    code, got = verdicts(tmp_path / "specs" / "two_phase_commit_broken.accord")
    assert code == 11
    assert got == get("two_phase_commit_broken").expected
    assert got["deadlock"] == ("deadlock", "violated")


def test_yaml_files_parse_and_the_hooks_match_the_published_ones(tmp_path: Path):
    assert run("init", "--from", "saga", "--requirement", "accord @ git+https://example.org/accord@v1",
               str(tmp_path)).exit_code == 0
    wf = yaml.safe_load((tmp_path / ".github/workflows/accord.yml").read_text(encoding="utf-8"))
    assert wf["permissions"]["security-events"] == "write"
    assert set(wf[True]) == {"push", "pull_request"}  # YAML 1.1 reads the key `on` as true
    steps = wf["jobs"]["verify"]["steps"]
    assert [s.get("uses", s.get("name")) for s in steps] == [
        "actions/checkout@v4", "actions/setup-python@v5", "Install accord", "Check specs",
        "github/codeql-action/upload-sarif@v3"]
    assert steps[2]["run"] == 'python -m pip install "accord @ git+https://example.org/accord@v1"'
    assert "for spec in specs/*.accord; do" in steps[3]["run"]

    config = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (repo,) = config["repos"]
    published = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    keys = ("id", "name", "entry", "files", "stages", "require_serial")
    assert repo["repo"] == "local"
    assert [{k: h.get(k) for k in keys} for h in repo["hooks"]] == [
        {k: h.get(k) if k != "require_serial" or h.get("stages") else None for k in keys} for h in published]
    assert all(h["language"] == "system" for h in repo["hooks"])


def _workflow_script(root: Path) -> str:
    wf = yaml.safe_load((root / ".github/workflows/accord.yml").read_text(encoding="utf-8"))
    return next(s["run"] for s in wf["jobs"]["verify"]["steps"] if s.get("name") == "Check specs")


def test_the_workflow_check_step_and_the_hooks_run_green_on_the_scaffold(tmp_path: Path):
    assert run("init", "--from", "two_phase_commit", str(tmp_path)).exit_code == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    step = subprocess.run(["bash", "-e", "-c", _workflow_script(tmp_path)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert step.returncode == 0, step.stderr
    sarif = json.loads((tmp_path / "accord-results" / "accord.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0" and len(sarif["runs"]) == 1 and sarif["runs"][0]["results"] == []

    hooks = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"][0]["hooks"]
    spec = "specs/two_phase_commit.accord"
    for hook in hooks:  # as pre-commit runs them: the entry, then the args, then the file names
        cmd = [*shlex.split(hook["entry"]), *hook.get("args", []), spec]
        done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, (hook["id"], done.stderr)


def test_init_never_overwrites_without_force(tmp_path: Path):
    assert run("init", str(tmp_path)).exit_code == 0
    readme = tmp_path / "specs" / "README.md"
    readme.write_text("mine\n", encoding="utf-8")
    (tmp_path / ".pre-commit-config.yaml").unlink()
    again = run("init", str(tmp_path))
    assert again.exit_code == 2
    assert again.stderr.splitlines() == [
        f"error: refusing to overwrite 3 existing file(s) in {tmp_path}:",
        "  specs/leader_follower.accord", "  specs/README.md", "  .github/workflows/accord.yml",
        ("nothing was written; move them aside, skip them (--no-ci, --no-pre-commit), or pass --force to "
         "overwrite them")]
    assert readme.read_text(encoding="utf-8") == "mine\n"
    assert not (tmp_path / ".pre-commit-config.yaml").exists()  # nothing at all was written
    forced = run("init", "--force", str(tmp_path))
    assert forced.exit_code == 0
    assert "overwrote " + str(readme) in forced.output and "created " + str(tmp_path / ".pre-commit-config.yaml") \
        in forced.output
    assert readme.read_text(encoding="utf-8").startswith("# Protocol specs\n")


def test_init_beside_existing_ci_with_no_ci_and_no_pre_commit(tmp_path: Path):
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n", encoding="utf-8")
    result = run("init", "--from", "paxos", "--no-ci", "--no-pre-commit", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [
        ".pre-commit-config.yaml", "specs/README.md", "specs/paxos.accord"]
    assert (tmp_path / ".pre-commit-config.yaml").read_text(encoding="utf-8") == "repos: []\n"


def test_unknown_protocol_is_refused_with_a_suggestion(tmp_path: Path):
    result = run("init", "--from", "two_phase_comit", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == "error: no library protocol `two_phase_comit`; did you mean `two_phase_commit`?\n"
    assert list(tmp_path.iterdir()) == []


def test_every_library_header_documents_its_verdicts():
    assert all(e.expected for e in entries())


@pytest.mark.slow
def test_a_built_wheel_ships_the_library_and_the_templates(tmp_path: Path):
    src = tmp_path / "src"  # build from a copy, so the build leaves nothing in the work tree
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "accord", src / "accord", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "protocols", src / "protocols", ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
                            str(src)], capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("accord-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    specs = sorted(p.name for p in (ROOT / "protocols").glob("*.accord"))
    assert sorted(n.removeprefix("accord/library/") for n in names
                  if n.startswith("accord/library/") and n.endswith(".accord")) == specs
    assert {"accord/templates/init/workflow.yml", "accord/templates/init/pre-commit-config.yaml",
            "accord/templates/init/README.md", "accord/lsp/server.py"} <= names
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    probe = ("import accord.library as L; e = L.get('paxos'); "
             "print(L._folder().parent.name, L._folder().name, len(L.entries()), e.title)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(target)},
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert out == f"accord library {len(specs)} Single-decree Paxos: agents agree on one value although " \
                  "acceptors may crash\n"
