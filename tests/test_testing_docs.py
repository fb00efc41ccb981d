"""Every example of docs/fuzzing.md runs: the worked accord.testing example, the strategy example, and
the `accord fuzz` session it shows.

The Python blocks are the page's own text, run as a user would run them (the spec block saved as
``dispatch.accord`` in the working directory); each is followed by a ```text block with what it prints.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from click.testing import CliRunner

from accord.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "fuzzing.md"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)


def blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(PAGE.read_text(encoding="utf-8"))]


def python_examples() -> list[tuple[str, str]]:
    """(code, expected output) for each python block followed by a text block."""
    bs = blocks()
    return [(code, bs[i + 1][1]) for i, (kind, code) in enumerate(bs)
            if kind == "python" and i + 1 < len(bs) and bs[i + 1][0] == "text"]


def run_example(code: str, tmp_path: Path, monkeypatch) -> str:
    spec = next(text for kind, text in blocks() if kind == "accord")
    (tmp_path / "dispatch.accord").write_text(spec, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(PAGE), "exec"), {"__name__": "docs_example"})  # the page's own example code
    return out.getvalue()


def test_the_page_has_its_examples():
    examples = python_examples()
    assert len(examples) == 2
    assert any(kind == "accord" for kind, _ in blocks())


def test_the_worked_example_finds_the_missing_deduplication(tmp_path, monkeypatch):
    code, expected = python_examples()[0]
    got = run_example(code, tmp_path, monkeypatch).splitlines()
    want = expected.splitlines()
    assert got[0] == want[0] == "the implementation leaves the spec: Worker.done is 2, the spec says 1"
    # the shrunk steps depend on hypothesis' shrinker; their story does not
    assert re.fullmatch(r"after \d step\(s\):", got[1])
    assert any("FAULT duplicate: Work(" in line for line in got[2:])
    assert got[-1].split(". ", 1)[1] == got[-2].split(". ", 1)[1]
    assert got[-1].split(". ", 1)[1].startswith("Worker: on_Work receives Work(")


def test_the_strategy_example(tmp_path, monkeypatch):
    code, expected = python_examples()[1]
    assert run_example(code, tmp_path, monkeypatch) == expected


def test_the_fuzz_session_shown(tmp_path, monkeypatch):
    shown = next(text for kind, text in blocks() if kind == "" and "counterexample for `one_owner`" in text)
    monkeypatch.chdir(ROOT)
    r = CliRunner().invoke(cli, ["fuzz", "protocols/task_board_broken.accord", "--const", "AGENTS=20",
                                 "--seed", "1", "--save", str(tmp_path / "tb.json")])
    assert r.exit_code == 12
    for line in shown.splitlines():
        if line.startswith(("  State ", "counterexample", "  VIOLATED", "  unknown", "  parameters", "  note: rerun:")):
            assert line in r.stdout.splitlines(), line
    notes = [ln for ln in shown.splitlines() if ln.startswith("  note: fuzz:")]
    got = [ln for ln in r.stdout.splitlines() if ln.startswith("  note: fuzz:")]
    strip = re.compile(r"\d+\.\d+s")  # timings vary
    assert [strip.sub("_s", n) for n in notes] == [strip.sub("_s", n) for n in got]
