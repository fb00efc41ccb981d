"""`accord fmt`: the printer gives back the same protocol, is idempotent and keeps every comment."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from specgen import specs

from accord import ir
from accord.cli.main import cli
from accord.dsl import load_text
from accord.dsl.printer import print_protocol

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted([*ROOT.glob("protocols/**/*.accord"), *ROOT.glob("tests/corpus/groundtruth/*.accord")])


def load_ok(text: str, path: str = "<spec>") -> ir.Protocol:
    proto, diags = load_text(text, path)
    errors = [d.render() for d in diags if d.is_error]
    assert proto is not None and not errors, "\n".join(errors)
    return proto


def comment_texts(proto: ir.Protocol) -> Counter[str]:
    return Counter(text for _, text in proto.comments)


def assert_round_trip(text: str, path: str = "<spec>") -> str:
    """Format ``text``; check the IR, the comments and idempotence. Returns the formatted text."""
    proto = load_ok(text, path)
    out = print_protocol(proto)
    again = load_ok(out, path + " (formatted)")
    assert again == proto
    assert comment_texts(again) == comment_texts(proto)
    assert print_protocol(again) == out
    return out


def fmt(text: str) -> str:
    return print_protocol(load_ok(text))


# ---------------------------------------------------------------------------------- the corpus


def test_corpus_is_there():
    assert len(CORPUS) >= 10


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: str(p.relative_to(ROOT)))
def test_corpus_round_trip(path):
    assert_round_trip(path.read_text(encoding="utf-8"), str(path))


@settings(max_examples=200, derandomize=True, database=None, deadline=None,
          phases=(Phase.explicit, Phase.generate),  # a failing spec is printed whole; shrinking it is slow
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(specs())
def test_generated_specs_round_trip(text):
    assert_round_trip(text)


# ---------------------------------------------------------------------------------- canonical form

MESSY = """protocol   Tiny ;
const N=2 var x : 0..N-1=0;var s: set of 0..N-1 = {}
action   inc  when x<N-1 { x:=x+1 ; s := s + {x}; }
role R[N] symmetric { on timeout { skip } var y: bool = false  final when y
}
invariant  ok : x<=N-1
"""


def test_canonical_layout():
    assert fmt(MESSY) == """protocol Tiny

const N = 2
var x: 0..N-1 = 0
var s: set of 0..N-1 = {}

action inc when x < N - 1 {
  x := x + 1
  s := s + {x}
}

role R[N] symmetric {
  var y: bool = false
  on timeout {
    skip
  }
  final when y
}

invariant ok: x <= N - 1
"""


@pytest.mark.parametrize("source, printed", [
    ("(a + b) * c", "(a + b) * c"),
    ("a + (b * c)", "a + b * c"),
    ("a - (b - c)", "a - (b - c)"),
    ("(a - b) - c", "a - b - c"),
    ("- (-a)", "- -a"),
    ("-(a + b)", "-(a + b)"),
    ("abs(-a) % 2", "abs(-a) % 2"),
])
def test_arithmetic_parentheses(source, printed):
    text = f"protocol P\nvar a: 0..3 = 0\nvar b: 0..3 = 0\nvar c: 0..3 = 0\ninvariant i: {source} >= 0\n"
    assert fmt(text).splitlines()[-1] == f"invariant i: {printed} >= 0"
    assert_round_trip(text)


@pytest.mark.parametrize("source, printed", [
    ("(p and q) or r", "p and q or r"),
    ("p and (q or r)", "p and (q or r)"),
    ("not (p and q)", "not (p and q)"),
    ("(not p) and q", "not p and q"),
    ("(p => q) => r", "(p => q) => r"),
    ("p => (q => r)", "p => q => r"),
    ("(p == q) == r", "(p == q) == r"),
    ("(forall i in {0, 1, 2}: p) and q", "(forall i in {0, 1, 2}: p) and q"),
    ("q and (forall i in {0, 1, 2}: p)", "q and forall i in {0, 1, 2}: p"),
    ("(if p then q else r) or p", "(if p then q else r) or p"),
    ("(exists i, j in {0, 1, 2}: i < j) or (forall k in {1}: k > 0)",
     "(exists i, j in {0, 1, 2}: i < j) or forall k in {1}: k > 0"),
])
def test_logic_parentheses(source, printed):
    text = f"protocol P\nvar p: bool = true\nvar q: bool = true\nvar r: bool = true\ninvariant i: {source}\n"
    assert fmt(text).splitlines()[-1] == f"invariant i: {printed}"
    assert_round_trip(text)


def test_names_are_kept_for_constants_aliases_and_bounds():
    text = """protocol P
const N = 3
const CAP = N - 1
type Task = 0..N-1
type Alias = Task
enum Color { red, blue }
message M(t: Task)
channel A -> B fifo capacity CAP + 1 drops inbox
role A { action go(t in Task, c in Color) { send M(t) to B[N - 1] } }
role B[N] { var q: seq of Task max CAP = <<>>  on M(t) { q := append(q, t) } }
var all_tasks: set of Alias = all Task
faults { lose A -> B at most CAP }
"""
    out = assert_round_trip(text)
    assert "channel A -> B fifo capacity CAP + 1 drops inbox" in out
    assert "type Alias = Task" in out
    assert "action go(t in Task, c in Color) {" in out
    assert "send M(t) to B[N - 1]" in out
    assert "var q: seq of Task max CAP = <<>>" in out
    assert "var all_tasks: set of Alias = all Task" in out
    assert "lose A -> B at most CAP" in out


def test_agreement_prints_as_written():
    text = """protocol P
enum D { none_yet, yes, no }
role N[2] { var d: D = none_yet  var o: option D = none
  action y { d := yes }  action n { o := no } }
agreement a1: N.d ignoring none_yet
agreement a2: N.d ignoring {none_yet, no}
agreement a3: N.o
agreement a4: N.o ignoring none
"""
    out = assert_round_trip(text)
    assert out.endswith("agreement a1: N.d ignoring none_yet\nagreement a2: N.d ignoring {none_yet, no}\n"
                        "agreement a3: N.o\nagreement a4: N.o ignoring none\n")


def test_environment_actions_print_at_the_top_level():
    text = "protocol P\nvar x: 0..2 = 0\naction a when x < 2 { x := x + 1 }\ninvariant i: x <= 2\n" \
           "action b { x := 0 }\n"
    out = assert_round_trip(text)
    assert "role env" not in out
    assert out.count("\naction ") == 2


def test_long_conditions_break_before_logical_operators():
    conds = " and ".join(f"flag{i}" for i in range(14))
    decls = "".join(f"var flag{i}: bool = true\n" for i in range(14))
    out = assert_round_trip(f"protocol P\n{decls}action a when {conds} {{ flag0 := false }}\n")
    head = out[out.index("action a"):].splitlines()
    assert all(len(line) <= 100 for line in head)
    assert head[1].startswith("    and flag")


def test_schedule_keeps_its_place():
    out = assert_round_trip("protocol P\nvar x: bool = true\nschedule rounds\ninvariant i: x\n")
    assert out.splitlines()[-2:] == ["schedule rounds", "invariant i: x"]


def test_semicolons_are_separators_not_statements():
    a = load_ok("protocol P\nvar x: 0..1 = 0\naction a { x := 1; }\n")
    b = load_ok("protocol P\nvar x: 0..1 = 0\naction a { x := 1 }\n")
    assert a == b


# ---------------------------------------------------------------------------------- comments

COMMENTED = """# header: what this spec is about
// second header line
protocol C  # the name

# constants
const N = 2  # instances

role R[N] {  # the replicas
  # how far it got
  var n: 0..3 = 0

  action step when n < 3 {  # advance
    # one at a time
    n := n + 1
    if n == 2 {
      n := 3  # jump
    } else if n == 1 {
      skip
      # nothing else to do
    }  # end of the if
    # last words of the step
  }
  # before final
  final always
}  # end of R

faults {
  # the only fault
  crash R at most 1
}
invariant small: forall r in R:
  # a comment inside an expression moves below it
  r.n <= 3
# trailing comment of the file
"""


def test_comments_stay_where_they_were():
    assert fmt(COMMENTED) == """# header: what this spec is about
// second header line
protocol C  # the name

# constants
const N = 2  # instances

role R[N] {  # the replicas
  # how far it got
  var n: 0..3 = 0

  action step when n < 3 {  # advance
    # one at a time
    n := n + 1
    if n == 2 {
      n := 3  # jump
    } else if n == 1 {
      skip
      # nothing else to do
    }  # end of the if
    # last words of the step
  }
  # before final
  final always
}  # end of R

faults {
  # the only fault
  crash R at most 1
}

invariant small: forall r in R: r.n <= 3
# a comment inside an expression moves below it
# trailing comment of the file
"""
    assert_round_trip(COMMENTED)


def test_comments_follow_items_that_move():
    text = """protocol M
role A {
  action go { skip }  # runs first
  # the counter
  var c: 0..1 = 0
}
"""
    assert fmt(text) == """protocol M

role A {
  # the counter
  var c: 0..1 = 0
  action go {  # runs first
    skip
  }
}
"""
    assert_round_trip(text)


def test_comment_on_an_empty_block_keeps_its_brace():
    text = "protocol E\nvar x: bool = true\naction a {  # opens\n}  # closes\n"
    assert fmt(text) == "protocol E\n\nvar x: bool = true\n\naction a {  # opens\n}  # closes\n"
    assert_round_trip(text)


def test_else_block_with_own_comment_is_not_folded_into_else_if():
    text = """protocol I
var x: 0..2 = 0
action a {
  if x == 0 { x := 1 } else {
    # only from 1
    if x == 1 { x := 2 }
  }
}
"""
    out = assert_round_trip(text)
    assert "} else {\n    # only from 1\n    if x == 1 {" in out


# ---------------------------------------------------------------------------------- the command


def run(args: list[str]) -> tuple[int, str]:
    r = CliRunner().invoke(cli, args)
    return r.exit_code, r.stdout + r.stderr


def test_fmt_check_exit_codes(tmp_path):
    messy = tmp_path / "messy.accord"
    messy.write_text(MESSY)
    code, out = run(["fmt", "--check", str(messy)])
    assert code == 1 and "would reformat" in out
    assert messy.read_text() == MESSY  # --check changes nothing
    code, _ = run(["fmt", str(messy)])
    assert code == 0
    assert messy.read_text() == fmt(MESSY)
    code, _ = run(["fmt", "--check", str(messy)])
    assert code == 0


def test_fmt_stdout_prints_without_writing(tmp_path):
    f = tmp_path / "s.accord"
    f.write_text(MESSY)
    code, out = run(["fmt", "--stdout", str(f)])
    assert code == 0 and out == fmt(MESSY)
    assert f.read_text() == MESSY


def test_fmt_never_touches_a_file_with_errors(tmp_path):
    bad = tmp_path / "bad.accord"
    text = "protocol B\nvar x: 0..3 = 0\naction a { x = 1 }\n"
    bad.write_text(text)
    for args in (["fmt", str(bad)], ["fmt", "--check", str(bad)]):
        code, out = run(args)
        assert code == 2
        assert "ACC111" in out
        assert bad.read_text() == text
