"""The tutorial's specs give exactly the verdicts the tutorial states."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accord.checker.explicit import Config, check
from accord.checker.result import Verdict
from accord.dsl import load_text

DOC = Path(__file__).resolve().parent.parent / "docs" / "tutorial.md"
BLOCKS = re.findall(r"```accord\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)

# (section, expected verdict per property, distinct states, violated property's trace length)
EXPECTED = [
    ({"no_double_work": Verdict.VIOLATED, "all_done": Verdict.UNKNOWN}, 7),
    ({"no_double_work": Verdict.HOLDS, "all_done": Verdict.HOLDS}, None),
    ({"finished": Verdict.VIOLATED, "no_double_work": Verdict.HOLDS, "all_done": Verdict.HOLDS}, 5),
    ({"finished": Verdict.HOLDS, "no_double_work": Verdict.HOLDS, "all_done": Verdict.HOLDS}, None),
    ({"no_double_work": Verdict.VIOLATED}, 5),
]
EXIT = [12, 0, 13, 0, 12]


def test_five_sections():
    assert len(BLOCKS) == len(EXPECTED)


@pytest.mark.parametrize("i", range(len(EXPECTED)))
def test_section_verdicts(i):
    proto, diags = load_text(BLOCKS[i], f"tutorial-{i + 1}.accord")
    assert proto is not None, [d.render() for d in diags]
    expected, trace_len = EXPECTED[i]
    result = check(proto, Config(stop_at_first=(i == 0)))
    got = {r.name: r.verdict for r in result.results}
    for name, verdict in expected.items():
        assert got[name] is verdict, name
    assert result.exit_code() == EXIT[i]
    if trace_len is not None:
        first = result.first_violation
        assert first is not None and first.trace is not None
        assert first.trace.length == trace_len


def test_atomic_claim_state_count():
    proto, _ = load_text(BLOCKS[1])
    assert proto is not None
    result = check(proto, Config(stop_at_first=False))
    assert result.stats.distinct == 12 and result.stats.symmetry
