"""The command line: exit codes and outputs a user and a script rely on."""

from __future__ import annotations

import json

from click.testing import CliRunner

from accord.cli.main import cli

SPEC = """protocol Counter
const MAX = 3
var x: 0..MAX = 0
action inc when x < MAX { x := x + 1 }
invariant small: x <= 2
reachable top: x == MAX
"""


def run(args: list[str]) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, args)
    return r.exit_code, r.stdout, r.stderr


def test_check_safety_violation_json(tmp_path):
    f = tmp_path / "c.accord"
    f.write_text(SPEC)
    code, out, _ = run(["check", str(f), "--format", "json"])
    assert code == 12
    data = json.loads(out)
    assert data["verdict"] == "violated"
    assert data["property"] == "small"
    assert data["trace_length"] == 4  # x = 0, 1, 2, 3
    assert data["states"]["distinct"] == 4  # found at depth 4, all four states stored
    assert data["depth"] == 4


def test_check_const_override_makes_it_hold(tmp_path):
    f = tmp_path / "c.accord"
    f.write_text(SPEC)
    code, out, _ = run(["check", str(f), "--const", "MAX=2", "--format", "json"])
    assert code == 0, out
    data = json.loads(out)
    assert data["verdict"] == "holds"
    assert data["states"]["distinct"] == 3
    assert data["depth"] == 3
    assert data["parameters"] == {"MAX": 2}


def test_state_limit_is_inconclusive_never_holds(tmp_path):
    f = tmp_path / "c.accord"
    f.write_text(SPEC.replace("invariant small: x <= 2", "invariant small: x <= 3"))
    code, out, _ = run(["check", str(f), "--max-states", "2", "--format", "json"])
    data = json.loads(out)
    assert code == 3
    assert data["verdict"] == "unknown"
    assert data["complete"] is False


def test_unknown_const_is_a_usage_error(tmp_path):
    f = tmp_path / "c.accord"
    f.write_text(SPEC)
    code, _, err = run(["check", str(f), "--const", "MAXX=2"])
    assert code == 2
    assert "ACC401" in err and "did you mean `MAX`?" in err


def test_help_documents_exit_codes():
    code, out, _ = run(["--help"])
    assert code == 0
    for line in ("11  deadlock", "12  safety violation", "13  liveness violation", "3   inconclusive"):
        assert line in out


def test_version():
    code, out, _ = run(["--version"])
    assert code == 0 and "accord" in out
