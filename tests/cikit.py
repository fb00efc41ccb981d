"""Helpers for the CI file tests: the options of `accord check`, and reading shell snippets."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from pathlib import Path

from accord.cli.check import check as check_command
from accord.report.outputs import FORMATS

ROOT = Path(__file__).resolve().parent.parent


def check_options() -> set[str]:
    """Every option string `accord check` accepts (``--format``, ``-o``, ``--no-deadlock``, ...)."""
    out: set[str] = set()
    for p in check_command.params:
        out.update(p.opts)
        out.update(getattr(p, "secondary_opts", []))
    return out


def shell_commands(script: str, program: str) -> list[list[str]]:
    """The command lines of ``script`` that start with ``program`` (e.g. ``accord check``), split into words.

    Backslash-continued lines are joined; shell quoting is honoured; variables stay as written.
    """
    joined = re.sub(r"\\\n\s*", " ", script)
    out = []
    for line in joined.splitlines():
        code = line.strip()
        if not code.startswith(program + " "):
            continue
        words = shlex.split(code, comments=True)
        n = len(program.split())
        out.append(words[n:])
    return out


def bad_check_words(words: list[str]) -> list[str]:
    """Options in ``words`` that `accord check` does not have, and --format values it refuses."""
    known = check_options()
    bad = []
    for i, w in enumerate(words):
        if w.startswith("-") and w not in ("-",):
            name = w.split("=", 1)[0]
            if name not in known:
                bad.append(w)
            if name == "--format":
                value = w.split("=", 1)[1] if "=" in w else (words[i + 1] if i + 1 < len(words) else "")
                if value.split("=", 1)[0] not in FORMATS:
                    bad.append(f"--format {value}")
    return bad


def env_with_accord(bin_dir: Path) -> dict[str, str]:
    """The environment with `python` and `python3` (this interpreter, linked into ``bin_dir``) and `accord`
    first on PATH."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name in ("python", "python3"):
        link = bin_dir / name
        if not link.exists():
            link.symlink_to(sys.executable)
    env = dict(os.environ)
    found = shutil.which("accord") or str(Path(sys.executable).parent / "accord")
    env["PATH"] = os.pathsep.join([str(bin_dir), str(Path(found).parent), env.get("PATH", "")])
    return env
