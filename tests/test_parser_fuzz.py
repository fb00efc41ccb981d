"""Bad input never escapes as an exception: it ends in diagnostics, or in a protocol.

Hypothesis feeds random text, random bytes, token soup and mutations of every
valid spec we have (deleted, duplicated, swapped and replaced tokens); each test
counts the examples it ran, and the default run makes well over 2,000. Explicit
tests cover the inputs a fuzzer rarely builds: empty and binary files, invalid
UTF-8, 10 MB, nesting 10,000 deep, keywords of Python as names, non-ASCII names,
CRLF and tabs; for each, ``accord lint`` exits 2 (0 if valid) without a traceback.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.cli.main import cli
from accord.diagnostics import SourceFile
from accord.dsl import load_bytes, load_file, load_text
from accord.dsl.parse import MAX_DEPTH, MAX_SPEC_BYTES, parse_source

ROOT = Path(__file__).parent.parent


def fuzz(n: int) -> settings:
    """Deterministic, no example database, no deadline: the same ``n`` examples on every run."""
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


def _clean(path: Path) -> bool:
    proto, diags = load_file(path)
    return proto is not None and not any(d.is_error for d in diags)


SEED_FILES = [p for p in sorted([*ROOT.glob("protocols/*.accord"), *ROOT.glob("tests/corpus/**/*.accord")])
              if "bad" not in p.parts and _clean(p)]
SEEDS = [p.read_text(encoding="utf-8") for p in SEED_FILES]
TOKEN = re.compile(r"\s+|#[^\n]*|//[^\n]*|[A-Za-z_]\w*|\d+|:=|->|=>|\.\.|<<|>>|==|!=|<=|>=|.", re.DOTALL)
VOCAB = sorted({t for s in SEEDS for t in TOKEN.findall(s) if t.strip() and not t.startswith(("#", "//"))})
EXTRA = ["&&", "||", "!", "=", "~>", "→", "≤", "é", '"', "'", "$", "@", "\t", "\r\n", "\x00", "\ufeff", "(((", "}}}",
         "not not", "elif", "class", "def", "lambda", "9" * 30, "-", "<<", ">>", "..", "_"]


def outcome(proto: object, diags: list) -> None:
    """The contract: a protocol and no error, or no protocol and at least one error; all diagnostics render."""
    errors = [d for d in diags if d.is_error]
    assert (proto is None) == bool(errors), [d.render() for d in diags]
    for d in diags:
        rendered = d.render()
        assert rendered.startswith(f"{d.severity}[{d.code}]: ")
        assert re.fullmatch(r"ACC[1-4]\d\d", d.code)
        d.to_json()


def run_counted(test, n: int) -> int:  # type: ignore[no-untyped-def]
    """Run a hypothesis test function and return how many examples it executed."""
    ran = []
    test(ran)
    assert len(ran) >= n, f"only {len(ran)} examples ran"
    return len(ran)


def mutate(tokens: list[str], ops: list[tuple[int, int, int, int]]) -> str:
    """Apply (op, i, j, k) mutations to the non-blank tokens: 0 delete, 1 duplicate, 2 swap, 3 replace."""
    idx = [i for i, t in enumerate(tokens) if t.strip() and not t.startswith(("#", "//"))]
    out = list(tokens)
    for op, i, j, k in ops:
        a, b = idx[i % len(idx)], idx[j % len(idx)]
        if op == 0:
            out[a] = ""
        elif op == 1:
            out[a] = out[a] + " " + out[a]
        elif op == 2:
            out[a], out[b] = out[b], out[a]
        else:
            pool = VOCAB + EXTRA
            out[a] = pool[k % len(pool)]
    return "".join(out)


def test_seed_corpus_is_present() -> None:
    assert len(SEED_FILES) >= 20
    assert all(_clean(p) for p in SEED_FILES)


def test_mutated_specs() -> None:
    tokenized = [TOKEN.findall(s) for s in SEEDS]
    op = st.tuples(st.integers(0, 3), st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 10_000))

    @fuzz(1200)
    @given(st.integers(0, len(SEEDS) - 1), st.lists(op, min_size=1, max_size=3))
    def check(ran: list, seed: int, ops: list) -> None:  # type: ignore[type-arg]
        ran.append(1)
        outcome(*load_text(mutate(tokenized[seed], ops), "<mutant>"))

    run_counted(lambda ran: check(ran), 1200)


def test_random_text() -> None:
    @fuzz(500)
    @given(st.text(max_size=300))
    def check(ran: list, text: str) -> None:  # type: ignore[type-arg]
        ran.append(1)
        outcome(*load_text(text, "<text>"))
        outcome(*load_text("protocol P\n" + text, "<text>"))

    run_counted(lambda ran: check(ran), 500)


def test_random_bytes() -> None:
    @fuzz(400)
    @given(st.binary(max_size=400))
    def check(ran: list, data: bytes) -> None:  # type: ignore[type-arg]
        ran.append(1)
        outcome(*load_bytes(data, "<bytes>"))
        outcome(*load_bytes(b"protocol P\n" + data, "<bytes>"))

    run_counted(lambda ran: check(ran), 400)


def test_token_soup() -> None:
    """Sequences of real tokens reach far deeper into the parser than random characters do."""
    pool = VOCAB + EXTRA

    @fuzz(600)
    @given(st.lists(st.sampled_from(pool), max_size=60))
    def check(ran: list, toks: list[str]) -> None:  # type: ignore[type-arg]
        ran.append(1)
        outcome(*load_text("protocol P\n" + " ".join(toks), "<soup>"))

    run_counted(lambda ran: check(ran), 600)


# ---------------------------------------------------------------------------- inputs a fuzzer rarely builds

def lint(path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["lint", str(path), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    return result.exit_code, result.output


def codes(proto: object, diags: list) -> list[str]:  # type: ignore[type-arg]
    outcome(proto, diags)
    return [d.code for d in diags if d.is_error]


DEEP = 10_000
VALID = "protocol P\nvar x: 0..2 = 0\naction inc when x < 2 { x := x + 1 }\n"
BAD_FILES: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "ACC105"),
    "blank": (b"  \n\t\n# only a comment\n", "ACC105"),
    "nul": (b"\x00" * 64, "ACC102"),
    "invalid_utf8": (b"protocol P\nconst N = 3 # \xff\xfe\n", "ACC101"),
    "parens": ((VALID + "invariant i: " + "(" * DEEP + "x > 0" + ")" * DEEP + "\n").encode(), "ACC104"),
    "blocks": ((VALID + "action deep {" + " if x > 0 {" * DEEP + " skip" + " }" * DEEP + " }\n").encode(),
               "ACC104"),
    "nots": ((VALID + "invariant i: " + "not " * DEEP + "x > 0\n").encode(), "ACC104"),
    "sum": ((VALID + "invariant i: x" + " + 1" * DEEP + " > 0\n").encode(), "ACC104"),
    "negs": ((VALID + "invariant i: " + "- " * DEEP + "x > 0\n").encode(), "ACC104"),
    "seqs": ((VALID + "invariant i: " + "<<" * DEEP + "1" + ">>" * DEEP + " != <<>>\n").encode(), "ACC104"),
    "ands": ((VALID + "invariant i: x > 0" + " and x > 0" * DEEP + "\n").encode(), "ACC104"),
    "unclosed_block": ((VALID + "action a {\n  x := 1\n").encode(), "ACC119"),
    "non_ascii_name": ("protocol P\nvar Zähler: 0..3 = 0\n".encode(), "ACC130"),
    "crlf_error": (b"protocol P\r\nvar x: 0..1 = 0\r\naction a { x = 1 }\r\n", "ACC111"),
    "tab_error": (b"protocol P\nvar x: 0..1 = 0\naction a {\n\tx := 1 +\n}\n", "ACC123"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file(name: str, tmp_path: Path) -> None:
    data, code = BAD_FILES[name]
    path = tmp_path / f"{name}.accord"
    path.write_bytes(data)
    assert codes(*load_file(path)) == [code]
    exit_code, out = lint(path)
    assert exit_code == 2 and f"error[{code}]" in out and f"--> {path}:" in out, out
    if len(data) < 10_000:  # `check` loads the same way; once is enough for the 10,000-deep files
        result = CliRunner().invoke(cli, ["check", str(path)])
        assert result.exit_code == 2 and "Traceback" not in result.output


def test_ten_megabytes(tmp_path: Path) -> None:
    path = tmp_path / "huge.accord"
    path.write_bytes(b"protocol P\n" + b"# padding padding padding padding padding padding\n" * 200_000)
    assert path.stat().st_size > 10_000_000 > MAX_SPEC_BYTES
    assert codes(*load_file(path)) == ["ACC103"]
    assert codes(*load_text(path.read_text())) == ["ACC103"]
    exit_code, out = lint(path)
    assert exit_code == 2 and "error[ACC103]" in out


def test_deep_nesting_points_at_the_place() -> None:
    _, diags = load_text(VALID + "invariant i: " + "not " * DEEP + "x > 0\n")
    d = diags[0]
    assert d.code == "ACC104" and d.span is not None and d.span.line == 4 and d.hint


def nested(kind: str, k: int) -> str:
    """An expression about ``k`` levels deep (``k`` even)."""
    return {"not": "not " * k + "x >= 0", "sum": "x" + " + 1" * k + " > 0",
            "neg": "- " * k + "x >= 0", "seq": "<<" * k + "1" + ">>" * k + " != <<>>"}[kind]


@pytest.mark.parametrize("kind", ["not", "sum", "neg", "seq"])
def test_nesting_just_under_the_limit_works_everywhere(kind: str, tmp_path: Path) -> None:
    """At the depth limit, lint, check and fmt all run: no RecursionError anywhere behind the parser."""
    path = tmp_path / "near.accord"
    path.write_text(VALID + f"invariant i: {nested(kind, MAX_DEPTH - 6)}\n")
    assert codes(*load_file(path)) == []
    for cmd in (["lint"], ["check"], ["fmt", "--stdout"]):
        result = CliRunner().invoke(cli, [*cmd, str(path)])
        assert result.exit_code == 0, (cmd, result.output[-2000:])
    path.write_text(VALID + f"invariant i: {nested(kind, MAX_DEPTH + 2)}\n")  # past the limit: refused
    assert codes(*load_file(path)) == ["ACC104"]


VALID_FILES: dict[str, bytes] = {
    "python_keywords": b"""protocol class
const def = 2
type lambda = 0..def
message import(x: lambda)
channel try -> while fifo
role try { var pass: bool = false  action yield when not pass { send import(1) to while  pass := true } }
role while { var None: lambda = 0  on import(x) { None := x } final always }
invariant is: while.None <= def
""",
    "crlf": VALID.replace("\n", "\r\n").encode() + b"invariant i: x <= 2\r\n",
    "lone_cr": VALID.replace("\n", "\r").encode() + b"invariant i: x <= 2\r",
    "tabs": b"protocol P\n\tvar x: 0..2 = 0\n\taction inc when x < 2 {\n\t\tx := x + 1\n\t}\ninvariant i: x <= 2\n",
    "bom": b"\xef\xbb\xbf" + VALID.encode() + b"invariant i: x <= 2\n",
    "unicode_comments": ("protocol P  # déjà vu, 日本語, → ≤\n" + VALID[11:] + "invariant i: x <= 2 // ✓\n").encode(),
    "no_trailing_newline": (VALID + "invariant i: x <= 2").encode(),
}


@pytest.mark.parametrize("name", sorted(VALID_FILES))
def test_valid_file(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.accord"
    path.write_bytes(VALID_FILES[name])
    assert codes(*load_file(path)) == []
    exit_code, out = lint(path, "--no-warnings")
    assert exit_code == 0 and "ok" in out, out
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("data,where", [
    (b"protocol P\r\nvar x: 0..1 = 0\r\n\r\naction a { x = 1 }\r\n", (4, 14)),
    (b"protocol P\rvar x: 0..1 = 0\raction a { x = 1 }\r", (3, 14)),  # old Mac line ends count as lines
    (b"protocol P\nvar x: 0..1 = 0\n\taction a {\tx = 1 }\n", (3, 15)),  # a tab is one column
])
def test_line_ends_and_tabs_keep_positions(data: bytes, where: tuple[int, int], tmp_path: Path) -> None:
    path = tmp_path / "pos.accord"
    path.write_bytes(data)
    _, diags = load_file(path)
    assert [(d.code, d.span.line, d.span.column) for d in diags] == [("ACC111", *where)]  # type: ignore[union-attr]
    exit_code, out = lint(path)
    assert exit_code == 2
    lines = out.split("\n")
    row = next(i for i, ln in enumerate(lines) if ln.startswith(f"  {where[0]} | "))
    assert "\r" not in lines[row]
    assert lines[row + 1].index("^") == len(f"  {where[0]} | ") + where[1] - 1


def test_largest_spec_parses_quickly() -> None:
    """A generated 2,000-line spec: parse and lower it, and report the time (bound is generous for CI)."""
    parts = ["protocol Big", "const N = 2", "type Slot = 0..3", "enum Phase { idle, busy, done }",
             "message Job(slot: Slot)", "message Ack(slot: Slot, ok: bool)"]
    roles = 90
    for i in range(roles):
        parts.append(f"channel Boss -> W{i} fifo capacity 2")
        parts.append(f"channel W{i} -> Boss bag")
    parts.append("role Boss {\n  var sent: set of Slot = {}\n  var acks: 0..100 = 0")
    for i in range(roles):
        parts.append(f"  action give{i}(s in Slot) when s not in sent {{\n    send Job(s) to W{i}\n"
                     f"    sent := sent + {{s}}\n  }}")
    parts.append("  on Ack(s, ok) when acks < 100 {\n    if ok { acks := acks + 1 } else { sent := sent - {s} }\n  }")
    parts.append("}")
    for i in range(roles):
        parts.append(f"""role W{i} {{
  var phase: Phase = idle
  var last: Slot = 0
  var count: 0..N = 0
  on Job(s) when phase == idle {{
    last := s
    phase := busy
  }}
  action work when phase == busy and count < N {{
    count := count + 1
    choose ok in {{true, false}} {{
      send Ack(last, ok) to Boss
    }}
    phase := idle
  }}
  final when phase != busy
}}""")
    parts.append("invariant bounded: Boss.acks <= 100")
    parts.append("check deadlock")
    text = "\n".join(parts) + "\n"
    lines = text.count("\n")
    assert lines >= 2000
    src = SourceFile("<big>", text)
    t0 = time.perf_counter()
    tree, diags = parse_source(src)
    t1 = time.perf_counter()
    proto, diags = load_text(text, "<big>")
    t2 = time.perf_counter()
    assert tree is not None and proto is not None, [d.render() for d in diags]
    print(f"\n{lines} lines: parse {t1 - t0:.3f}s, parse+lower {t2 - t1:.3f}s")
    assert t1 - t0 < 10 and t2 - t1 < 20
