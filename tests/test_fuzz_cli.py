"""`accord fuzz`, `accord check --engine fuzz` and `accord replay`: exit codes, saved traces, replays."""

from __future__ import annotations

import json
import shlex

from click.testing import CliRunner

from accord.cli.main import cli

RACE = """protocol Race
const N = 3
var owner: option A = none
var claims: 0..N = 0
role A[N] symmetric {
  var seen: bool = false
  action look when owner == none and not seen { seen := true }
  action take when seen {
    owner := self
    claims := claims + 1
    seen := false
  }
}
faults { crash A at most 1 }
invariant one_claim: claims <= 1
"""

STUCK = """protocol Stuck
message M
channel S -> R fifo
role S {
  var n: 0..2 = 0
  action put when n < 2 {
    send M to R
    n := n + 1
  }
  final when n == 2
}
role R {
  var got: 0..4 = 0
  on M { got := got + 1 }
  final when got >= 2
}
faults { lose S -> R at most 1 }
check deadlock
"""

FINE = """protocol Fine
var x: 0..2 = 0
action inc when x < 2 { x := x + 1 }
invariant small: x <= 2
"""


def run(args: list[str]) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, args)
    return r.exit_code, r.stdout, r.stderr


def spec(tmp_path, text: str, name: str = "s.accord") -> str:
    f = tmp_path / name
    f.write_text(text)
    return str(f)


def test_fuzz_finds_saves_and_says_how_to_replay(tmp_path):
    f = spec(tmp_path, RACE)
    saved = tmp_path / "out" / "race.json"
    code, out, _ = run(["fuzz", f, "--const", "N=12", "--seed", "4", "--save", str(saved), "--format", "json"])
    assert code == 12
    data = json.loads(out)
    assert data["engine"] == "fuzz" and data["verdict"] == "violated" and data["property"] == "one_claim"
    assert data["trace_length"] == 5 and data["parameters"] == {"N": 12}
    notes = data["notes"]
    assert any(n.startswith("fuzz: seed 4,") for n in notes)
    rerun = next(n for n in notes if n.startswith("rerun: "))
    assert shlex.split(rerun[len("rerun: "):]) == ["accord", "fuzz", f, "--const", "N=12", "--seed", "4",
                                                     "--runs", "1000", "--depth", "200"]
    assert f"replay: accord replay {saved}" in notes
    doc = json.loads(saved.read_text())
    assert doc["fuzz"]["seed"] == 4 and doc["fuzz"]["consts"] == {"N": 12}
    assert doc["fuzz"]["first_failure"]["property"] == "one_claim"
    # the saved trace replays and reproduces the violation
    code, out, _ = run(["replay", str(saved)])
    assert code == 12, out
    assert "VIOLATED one_claim" in out and "trace of 5 states" in out


def test_the_rerun_command_finds_the_same_first_failure(tmp_path):
    f = spec(tmp_path, RACE)
    first = [run(["fuzz", f, "--const", "N=8", "--seed", "11", "--no-save", "--no-swarm", "--format", "json"])
             for _ in range(2)]
    notes = [json.loads(out)["notes"] for _, out, _ in first]
    found = [[n for n in ns if n.startswith("fuzz: first failure")] for ns in notes]
    assert found[0] and [x.split(" after ")[0] for x in found[0]] == [x.split(" after ")[0] for x in found[1]]
    assert "--no-swarm" in next(n for n in notes[0] if n.startswith("rerun: "))


def test_the_default_save_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = spec(tmp_path, RACE)
    code, out, _ = run(["fuzz", f, "--seed", "9"])
    assert code == 12
    saved = tmp_path / ".accord" / "fuzz" / "Race-9.json"
    assert saved.is_file() and "note: replay: accord replay .accord/fuzz/Race-9.json" in out
    assert run(["replay", str(saved)])[0] == 12


def test_nothing_found_is_exit_3_and_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = spec(tmp_path, FINE)
    code, out, _ = run(["fuzz", f, "--seed", "1", "--runs", "20", "--depth", "5"])
    assert code == 3
    assert "unknown  small" in out and "no violation in" in out and "of up to 5 steps" in out
    assert "verdict: unknown" in out
    assert not (tmp_path / ".accord").exists()


def test_deadlock_exit_and_fault_budget(tmp_path):
    f = spec(tmp_path, STUCK)
    code, out, _ = run(["fuzz", f, "--seed", "2", "--no-save", "--fault-budget", "lose=3", "--format", "json"])
    assert code == 11
    data = json.loads(out)
    assert data["property"] == "deadlock" and data["trace_length"] == 5  # put, lose, put, receive
    assert any("--fault-budget lose=3" in n for n in data["notes"])


def test_fault_budget_errors_are_usage_errors(tmp_path):
    f = spec(tmp_path, STUCK)
    code, _, err = run(["fuzz", f, "--fault-budget", "crash=2"])
    assert code == 2 and "declares no `crash` fault" in err
    code, _, err = run(["fuzz", f, "--fault-budget", "lose"])
    assert code == 2 and "KIND=N" in err


def test_check_engine_fuzz(tmp_path):
    f = spec(tmp_path, RACE)
    code, out, _ = run(["check", f, "--engine", "fuzz", "--const", "N=10", "--format", "json"])
    assert code == 12
    data = json.loads(out)
    assert data["engine"] == "fuzz" and data["property"] == "one_claim" and data["trace_length"] == 5
    assert any(n.startswith("rerun: accord fuzz ") for n in data["notes"])


def test_replay_of_an_explicit_check_report(tmp_path):
    f = spec(tmp_path, STUCK)
    report = tmp_path / "check.json"
    code, _, _ = run(["check", f, "--format", f"json={report}"])
    assert code == 11
    code, out, _ = run(["replay", str(report), "--format", "json"])
    assert code == 11
    data = json.loads(out)
    assert data["engine"] == "replay" and data["property"] == "deadlock"
    assert data["trace_length"] == json.loads(report.read_text())["trace_length"]


def test_replay_of_a_step_error(tmp_path):
    f = spec(tmp_path, "protocol Boom\nvar x: 0..2 = 0\naction up when x < 2 {\n  x := x + 1\n  assert x < 2\n}\n")
    report = tmp_path / "check.json"
    assert run(["check", f, "--format", f"json={report}"])[0] == 12
    code, out, _ = run(["replay", str(report)])
    assert code == 12 and "VIOLATED assert at line 5" in out


def test_replay_after_the_fix_does_not_reproduce(tmp_path):
    f = spec(tmp_path, RACE)
    report = tmp_path / "check.json"
    assert run(["check", f, "--format", f"json={report}"])[0] == 12
    fixed = spec(tmp_path, RACE.replace("claims <= 1", "claims <= 2"), "fixed.accord")
    code, out, _ = run(["replay", str(report), "--spec", fixed])
    assert code == 3 and "does not violate `one_claim`" in out


def test_replay_that_does_not_fit_the_spec(tmp_path):
    f = spec(tmp_path, RACE)
    report = tmp_path / "check.json"
    assert run(["check", f, "--format", f"json={report}"])[0] == 12
    other = spec(tmp_path, RACE.replace("action take when seen", "action take when seen and false"), "o.accord")
    code, _, err = run(["replay", str(report), "--spec", other])
    assert code == 2
    assert "step 3 (A[0]: take) is not enabled here; enabled:" in err


def test_replay_of_a_bare_trace_needs_a_spec(tmp_path):
    f = spec(tmp_path, STUCK)
    report = tmp_path / "check.json"
    assert run(["check", f, "--format", f"json={report}"])[0] == 11
    trace = json.loads(report.read_text())["properties"][0]["trace"]
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(trace))
    code, _, err = run(["replay", str(bare)])
    assert code == 2 and "--spec" in err
    code, out, _ = run(["replay", str(bare), "--spec", f])
    assert code == 11 and "VIOLATED deadlock" in out  # a bare trace names no property: its end is judged
    fixed = spec(tmp_path, STUCK.replace("final when got >= 2", "final when got >= 1"), "fixed.accord")
    code, out, _ = run(["replay", str(bare), "--spec", fixed])
    assert code == 3 and "the trace replays; its last state violates no invariant" in out


def test_replay_of_a_file_that_is_not_a_trace(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    code, _, err = run(["replay", str(bad)])
    assert code == 2 and "not an accord JSON report or trace" in err
    bad.write_text("{nope")
    code, _, err = run(["replay", str(bad)])
    assert code == 2 and "cannot read a JSON trace" in err


def test_fuzz_and_replay_reports_follow_the_json_schema(tmp_path):
    import jsonschema

    from accord.schemas import load_schema

    schema = load_schema()
    f = spec(tmp_path, STUCK)
    saved = tmp_path / "saved.json"
    code, out, _ = run(["fuzz", f, "--seed", "1", "--save", str(saved), "--format", "json"])
    assert code == 11
    jsonschema.validate(json.loads(out), schema)
    jsonschema.validate(json.loads(saved.read_text()), schema)  # with its extra `fuzz` section
    code, out, _ = run(["replay", str(saved), "--format", "json"])
    assert code == 11
    jsonschema.validate(json.loads(out), schema)
    code, out, _ = run(["fuzz", spec(tmp_path, FINE, "fine.accord"), "--seed", "1", "--runs", "5", "--format", "json"])
    assert code == 3
    data = json.loads(out)
    jsonschema.validate(data, schema)
    assert data["verdict"] == "unknown" and data["limit"] in ("runs", None) and data["complete"] is False


def test_every_report_format_takes_a_fuzz_result(tmp_path):
    f = spec(tmp_path, STUCK)
    for fmt, marker in [("mermaid", "sequenceDiagram"), ("sarif", '"version": "2.1.0"'), ("junit", "<testsuite"),
                        ("markdown", "deadlock"), ("itf", '"#meta"')]:
        code, out, _ = run(["fuzz", f, "--seed", "1", "--no-save", "--format", fmt])
        assert code == 11 and marker in out, fmt
