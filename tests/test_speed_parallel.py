"""The multi-process search (``--workers K``) gives exactly the one-process results.

Not only the verdicts: the distinct, generated, initial and terminal counts, the depth, the
queue left when a limit or a first violation stops the search, coverage, and the very same
counterexamples (state by state), because every level is cut and ordered as the
one-process breadth-first search would have done it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from accord.checker.explicit import Config, check
from accord.cli.main import cli
from accord.dsl import load_file

ROOT = Path(__file__).parent.parent
GT = ROOT / "tests" / "corpus" / "groundtruth"


def summary(res):
    s = res.stats
    return (res.verdict.value, res.complete, res.limit, s.distinct, s.depth, s.generated, s.initial, s.terminal,
            s.queue, s.coverage_missing,
            [(r.name, r.kind, r.verdict.value, r.message,
              [(st.transition.label if st.transition else None, st.state) for st in r.trace.steps]
              if r.trace else None) for r in res.results])


def _both(path: Path, workers: int = 2, **cfg):
    proto, _ = load_file(path)
    one = check(proto, Config(liveness=False, **cfg))
    many = check(proto, Config(liveness=False, workers=workers, **cfg))
    assert many.stats.workers == workers and one.stats.workers == 1
    return one, many


FILES = [GT / "T1-DL.accord", GT / "T11-DL.accord", GT / "T13-DL.accord", GT / "T2-S.accord",
         ROOT / "protocols" / "paxos_broken.accord"]


@pytest.mark.parametrize("cfg", [{"stop_at_first": False}, {}, {"max_states": 50}, {"max_depth": 4}],
                         ids=["continue", "first", "max-states", "max-depth"])
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_two_workers_give_the_one_process_results(path, cfg):
    one, many = _both(path, **cfg)
    assert summary(many) == summary(one)


def test_figures_of_a_stopped_parallel_search():
    # T1-DL stops at its deadlock at depth 4 (trace of 4 states) after storing 30 states, 3 still queued
    _one, many = _both(GT / "T1-DL.accord")
    assert summary(many)[:9] == ("violated", False, None, 30, 5, 85, 1, 1, 3)


def test_three_workers_with_fingerprints():
    one, many = _both(GT / "T13-DL.accord", workers=3, hash_compaction=True, stop_at_first=False)
    assert summary(many) == summary(one)
    assert many.stats.fingerprint_bits == 64 and many.stats.distinct == 137


def test_a_time_limit_stops_every_worker():
    proto, _ = load_file(GT / "T2-5.accord")
    res = check(proto, Config(workers=2, max_seconds=0))
    assert (res.verdict.value, res.limit, res.complete) == ("unknown", "seconds", False)
    assert res.stats.distinct < 8_832


def test_what_runs_in_one_process():
    proto, _ = load_file(GT / "T11-LV.accord")
    res = check(proto, Config(workers=2, stop_at_first=False))
    assert res.stats.workers == 1
    assert "the search runs in one process: liveness properties need the whole state graph in one process" \
        in res.notes
    res = check(proto, Config(workers=2, liveness=False, por=True, max_states=5))
    assert res.stats.workers == 1 and "the search runs in one process: partial-order reduction runs in one " \
        "process" in res.notes


def test_cli_workers(tmp_path):
    spec = str(GT / "T2.accord")
    r = CliRunner().invoke(cli, ["check", spec, "--workers", "2", "--format", "json"])
    doc = json.loads(r.stdout)
    assert (r.exit_code, doc["workers"], doc["states"]["distinct"], doc["depth"]) == (0, 2, 288, 11)
    r = CliRunner().invoke(cli, ["check", spec, "--workers", "2"])
    assert "on 2 processes" in r.stdout
