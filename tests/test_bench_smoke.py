"""Smoke test of the side-by-side benchmark runner (bench/run.py) on the smallest sizes.

Runs the runner once with --quick (SPIN without partial-order reduction only, a small hash
table, one rep, to stay well under 30 s) and checks the table rows, accord's state counts,
and that accord's TwoPhase count equals SPIN's. The SPIN half is skipped, with the reason,
when spin or gcc is not installed or the Promela models are not available.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RUNNER = REPO / "bench" / "run.py"
SPIN_DIR = Path(os.environ.get("ACCORD_BENCH_SPIN_DIR", "/work/shared/bench/spin"))

#: accord's distinct states at each model's smallest size (twophase = groundtruth T2 with 3 RMs)
ACCORD_QUICK = {"twophase": (3, 288, "holds"), "twopc": (2, 113, "holds"), "leader": (2, 166, "holds"),
                "dining": (3, 35, "deadlock")}


def _spin_missing() -> str | None:
    if shutil.which("spin") is None:
        return "spin is not installed (apt-get install -y spin)"
    if shutil.which("gcc") is None:
        return "gcc is not installed: SPIN's pan cannot be built"
    if not SPIN_DIR.is_dir():
        return f"the Promela models directory {SPIN_DIR} is missing (set ACCORD_BENCH_SPIN_DIR)"
    return None


def _run(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, str(RUNNER), "--quick", "--reps", "1", "--spin-modes", "nopor", "--spin-hash", "18",
           "--timeout", "60", "--out", str(out), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=REPO)


def _rows(md: str) -> dict[tuple[str, int, str], list[str]]:
    """Table rows of RESULTS.md keyed by (model, N, tool)."""
    rows = {}
    for line in md.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 15 and cells[1].isdigit():
            rows[(cells[0], int(cells[1]), cells[2])] = cells
    return rows


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("bench")
    return _run(out), out


def test_quick_run_writes_the_table(quick: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    proc, out = quick
    assert proc.returncode == 0, proc.stderr
    md = (out / "RESULTS.md").read_text(encoding="utf-8")
    rows = _rows(md)
    tools = ["accord"] + ([] if _spin_missing() else ["SPIN (no POR)"])
    expected = {(m, n, t) for m, (n, _, _) in ACCORD_QUICK.items() for t in tools}
    assert set(rows) == expected
    for model, (n, states, verdict) in ACCORD_QUICK.items():
        row = rows[(model, n, "accord")]
        assert row[3] == "1/1"
        assert row[4] == verdict
        assert row[5] == f"{states:,}"
    assert "## Machine" in md and "- CPU: " in md and "- Python: " in md
    assert (out / "time_vs_n.svg").read_text(encoding="utf-8").startswith("<svg")
    runs = json.loads((out / "results.json").read_text(encoding="utf-8"))["points"]
    assert {(p["model"], p["n"], p["tool"]) for p in runs if p["tool"] == "accord"} == \
        {(m, n, "accord") for m, (n, _, _) in ACCORD_QUICK.items()}


def test_twophase_count_equals_spin(quick: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    reason = _spin_missing()
    if reason:
        pytest.skip(f"SPIN half skipped: {reason}")
    proc, out = quick
    points = json.loads((out / "results.json").read_text(encoding="utf-8"))["points"]
    by = {(p["model"], p["tool"]): p for p in points}
    assert by[("twophase", "accord")]["states"] == 288
    assert by[("twophase", "spin-nopor")]["states"] == 288
    rows = _rows((out / "RESULTS.md").read_text(encoding="utf-8"))
    assert rows[("twophase", 3, "SPIN (no POR)")][5] == "288"
    # the deadlocking model: SPIN must find the deadlock as well
    assert by[("dining", "spin-nopor")]["runs"][0]["verdict"].startswith("errors: ")


def test_runner_without_spin_still_runs_accord(tmp_path: Path) -> None:
    proc = _run(tmp_path, "--models", "twophase", "--spin-bin", str(tmp_path / "no-such-spin"))
    assert proc.returncode == 0, proc.stderr
    assert "SPIN not available" in proc.stderr and "Running accord only" in proc.stderr
    rows = _rows((tmp_path / "RESULTS.md").read_text(encoding="utf-8"))
    assert set(rows) == {("twophase", 3, "accord")}
    assert rows[("twophase", 3, "accord")][5] == "288"


def test_report_from_json_reproduces_the_table(quick: tuple[subprocess.CompletedProcess[str], Path],
                                               tmp_path: Path) -> None:
    _, out = quick
    proc = subprocess.run([sys.executable, str(RUNNER), "--report-from", str(out / "results.json"),
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "RESULTS.md").read_text(encoding="utf-8") == (out / "RESULTS.md").read_text(encoding="utf-8")
    assert not (tmp_path / "results.json").exists()
