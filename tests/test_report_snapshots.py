"""Snapshot tests of the text and Mermaid counterexample reports of three small models.

Each model ``tests/snapshots/NAME.accord`` is checked with ``--continue``; the text report
must equal ``NAME.txt`` (timings masked) and the Mermaid one ``NAME.mmd``, byte for byte.
Run with ``ACCORD_UPDATE_SNAPSHOTS=1`` to rewrite the files after an intended change
(and review the diff).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from accord.checker.explicit import Config, check
from accord.dsl import load_file
from accord.report.mermaid import result_mermaid
from accord.report.text import render_result
from accord.semantics.layout import Layout

SNAPSHOTS = Path(__file__).parent / "snapshots"
MODELS = ["lossy", "pingpong", "elect_rounds"]
TIMING = re.compile(r"[\d,]+\.\d\ds \([\d,]+ states/s\)")


def _render(name: str, fmt: str) -> str:
    proto, diags = load_file(SNAPSHOTS / f"{name}.accord")
    assert proto is not None and not any(d.is_error for d in diags)
    res = check(proto, Config(stop_at_first=False))
    lay = Layout.build(proto)
    if fmt == "txt":
        return TIMING.sub("<time>", render_result(res, lay)) + "\n"
    return result_mermaid(res, lay) + "\n"


@pytest.mark.parametrize("fmt", ["txt", "mmd"])
@pytest.mark.parametrize("name", MODELS)
def test_snapshot(name: str, fmt: str) -> None:
    got = _render(name, fmt)
    path = SNAPSHOTS / f"{name}.{fmt}"
    if os.environ.get("ACCORD_UPDATE_SNAPSHOTS") == "1":
        path.write_text(got, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: run with ACCORD_UPDATE_SNAPSHOTS=1 to create it"
    assert got == path.read_text(encoding="utf-8"), f"{path.name} differs (ACCORD_UPDATE_SNAPSHOTS=1 rewrites it)"


def test_rendering_is_deterministic() -> None:
    assert _render("pingpong", "mmd") == _render("pingpong", "mmd")
    assert _render("elect_rounds", "txt") == _render("elect_rounds", "txt")
