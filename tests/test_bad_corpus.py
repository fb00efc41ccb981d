"""The bad-input corpus: every file in ``tests/corpus/bad/`` states what accord must say about it.

Each file opens with comment lines::

    # expect: ACC204 5:11        one line per diagnostic: code and line:column of its primary span
    # expect: ACC401             (a diagnostic without a place in the file, e.g. about --const)
    # const: N=5                 optional: run with --const N=5

The loader must report exactly those diagnostics (errors and warnings, in any
order), each with a message and a hint; and ``accord lint FILE`` must exit 2
(0 for a file with warnings only) and print ``error[ACC…]``, ``--> file:line:col``,
the source line and a caret under the offending column, never a traceback.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from accord.cli.main import cli
from accord.dsl import load_file

CORPUS = Path(__file__).parent / "corpus" / "bad"
FILES = sorted(CORPUS.glob("*.accord"))

Expect = tuple[str, int | None, int | None]


def header(path: Path) -> tuple[list[Expect], list[str]]:
    """The ``# expect:`` lines and ``# const:`` arguments at the top of a corpus file."""
    expected: list[Expect] = []
    consts: list[str] = []
    for line in path.read_bytes().decode("utf-8", errors="replace").split("\n"):
        m = re.fullmatch(r"# expect: (ACC\d{3})(?: (\d+):(\d+))?\s*", line)
        if m:
            expected.append((m[1], int(m[2]) if m[2] else None, int(m[3]) if m[3] else None))
            continue
        m = re.fullmatch(r"# const: (\w+=\S+)\s*", line)
        if m:
            consts.append(m[1])
            continue
        break
    return expected, consts


def overrides(consts: list[str]) -> dict[str, int | bool]:
    out: dict[str, int | bool] = {}
    for c in consts:
        name, value = c.split("=", 1)
        out[name] = value == "true" if value in ("true", "false") else int(value)
    return out


def source_line(path: Path, number: int) -> str:
    """Line ``number`` as the renderer shows it: lines end at LF, control characters drawn as pictures."""
    text = path.read_bytes().decode("utf-8", errors="replace").removeprefix("\ufeff")
    line = text.split("\n")[number - 1].removesuffix("\r")
    return "".join(chr(0x2400 + ord(c)) if c < " " and c != "\t" else c for c in line).expandtabs(1)


def test_corpus_is_broad() -> None:
    assert len(FILES) >= 70
    codes = {code for f in FILES for code, _, _ in header(f)[0]}
    # syntax, names, types, steps, constants, channels/faults/fairness, --const, warnings
    for family in ("ACC10", "ACC11", "ACC12", "ACC13", "ACC20", "ACC21", "ACC22", "ACC23", "ACC30", "ACC40",
                   "ACC25"):
        assert any(c.startswith(family) for c in codes), family
    assert len(codes) >= 60


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_diagnostics(path: Path) -> None:
    expected, consts = header(path)
    assert expected, f"{path.name} states no `# expect:` line"
    proto, diags = load_file(path, overrides(consts))
    got = [(d.code, d.span.line if d.span else None, d.span.column if d.span else None) for d in diags]
    assert sorted(got, key=str) == sorted(expected, key=str), "\n".join(d.render() for d in diags)
    for d in diags:
        assert d.message and d.hint, f"{d.code} needs a message and a hint:\n{d.render()}"
        assert "Tree(" not in d.message and "Token(" not in d.message and "None" not in d.message
    if any(d.is_error for d in diags):
        assert proto is None
    else:
        assert proto is not None


def _lint(path: Path, consts: list[str]):  # type: ignore[no-untyped-def]
    args = ["lint", str(path)]
    for c in consts:
        args += ["--const", c]
    return CliRunner().invoke(cli, args)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_lint_output(path: Path) -> None:
    expected, consts = header(path)
    result = _lint(path, consts)
    out = result.output
    assert "Traceback" not in out and "internal error" not in out
    assert result.exception is None or isinstance(result.exception, SystemExit), out
    _, diags = load_file(path, overrides(consts))
    errors = [d for d in diags if d.is_error]
    assert result.exit_code == (2 if errors else 0), out
    for d in diags:
        assert f"{d.severity}[{d.code}]: " in out
    lines = out.split("\n")
    for code, line, col in expected:
        if line is None:
            continue
        assert f"--> {path}:{line}:{col}" in out, out
        shown = source_line(path, line)
        gutter = f"  {line} | "
        at = [i for i, ln in enumerate(lines) if ln.startswith(gutter)]
        assert at, f"source line {line} not shown:\n{out}"
        text_line, caret_line = lines[at[0]], lines[at[0] + 1]
        assert "^" in caret_line
        if len(shown) <= 200:  # longer lines are shown as a window around the span
            assert text_line == gutter + shown
            assert caret_line.index("^") == len(gutter) + col - 1, f"caret misplaced:\n{text_line}\n{caret_line}"


@pytest.mark.parametrize("name", ["syn_nul_bytes", "syn_assign_with_eq", "const_override_unknown",
                                  "warn_sent_without_handler"])
def test_lint_as_a_process(name: str) -> None:
    """The installed entry point, not just the click object: exit code and stderr as a user sees them."""
    path = CORPUS / f"{name}.accord"
    expected, consts = header(path)
    args = [sys.executable, "-m", "accord.cli.main", "lint", str(path)]
    for c in consts:
        args += ["--const", c]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert "Traceback" not in proc.stderr
    severity = "warning" if name.startswith("warn_") else "error"
    assert proc.returncode == (0 if severity == "warning" else 2)
    for code, line, col in expected:
        assert f"{severity}[{code}]" in proc.stderr
        if line is not None:
            assert f"--> {path}:{line}:{col}" in proc.stderr
