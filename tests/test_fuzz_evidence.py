"""Evidence: the broken twins in protocols/, at team sizes far beyond exhaustive search, are caught by the
fault search within 60 s and shrunk to short traces.

Each row: the twin, the constant raised, the seed (generation is deterministic for a seed, so the same
runs are drawn everywhere; only the seconds vary), the property caught, the longest shrunk trace
accepted (in states; where the shortest story grows with the team, the bound says how) and the fault
count the story needs. The shrunk trace of every row is 1-minimal: no single step can be deleted.

The default suite runs the first row; the rest are marked slow (under a minute on two idle cores).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.checker.fuzz.engine import FuzzConfig, fuzz
from accord.dsl import load_file

ROOT = Path(__file__).resolve().parent.parent

N = 20
#: (twin, constant, value, seed, property, longest shrunk trace, faults needed)
TWINS = [
    ("task_board_broken", "AGENTS", N, 1, "one_owner", 5, 0),
    ("task_board_snapshot_broken", "AGENTS", N, 1, "one_owner", 5, 0),
    ("competing_consumers_broken", "CONSUMERS", N, 1, "credited_once", 7, 1),
    ("lead_worker_reassign_broken", "WORKERS", N, 1, "accepted_once", 7, 1),
    ("leader_follower_broken", "WORKERS", N, 1, "deadlock", 4, 1),
    ("saga_broken", "STEPS", N, 1, "no_partial_effects", 5, 1),
    ("heartbeat_leader_broken", "NODES", N, 1, "deadlock", 2, 1),
    ("static_assignment_broken", "AGENTS", N, 1, "chain_on_one_agent", 2, 0),
    ("idempotent_tool_call_broken", "CALLS", N, 1, "at_most_once", 6, 1),
    ("majority_vote_broken_garbled", "VOTERS", N, 1, "valid_decision", N + 2, 0),
    # the story grows with the team: every receiver must be served before the sender waits
    ("reliable_broadcast_broken", "RECEIVERS", N, 1, "deadlock", 2 * N + 1, 1),
    ("reliable_broadcast_broken_dedupe", "RECEIVERS", N, 1, "delivered_once", 2 * N + 4, 1),
    # every other writer must vote yes (1 in 3 for each LLM answer): found thanks to sticky outcomes
    ("two_phase_commit_broken", "WRITERS", N, 1, "deadlock", 2 * N + 1, 1),
    ("two_phase_commit_broken_garbled", "WRITERS", N, 1, "complete_answer", 2 * N + 2, 0),
    # each turn enumerates every set of agents the LLM may name (2^(AGENTS-1) outcomes): 12, not 20
    ("handoff_chain_broken", "AGENTS", 12, 1, "control_not_doubled", 4, 0),
    # two disjoint quorums of 4 among 9 acceptors must each accept a different value
    ("paxos_broken", "ACCEPTORS", 9, 1, "one_value", 19, 0),
]


def caught(twin: str, const: str, value: int, seed: int):
    proto, diags = load_file(ROOT / "protocols" / f"{twin}.accord", {const: value})
    assert proto is not None, [d.render() for d in diags]
    return fuzz(proto, FuzzConfig(seed=seed, runs=100_000, max_seconds=60, shrink_seconds=20))


def check_row(twin, const, value, seed, prop, longest, faults):
    out = caught(twin, const, value, seed)
    info = out.info
    assert info.first is not None, f"{twin}: nothing found in {info.runs} runs ({info.seconds:.1f}s)"
    assert info.first.seconds < 60
    v = out.result.first_violation
    assert v is not None and v.name == prop
    found = info.found[prop]
    assert found.minimal
    assert v.trace.length == found.run.length <= longest
    assert found.run.faults == faults
    assert v.trace.length <= info.first.length


def test_a_twin_at_twenty_agents():
    check_row(*TWINS[0])


@pytest.mark.slow
@pytest.mark.parametrize("twin, const, value, seed, prop, longest, faults", TWINS[1:], ids=[t[0] for t in TWINS[1:]])
def test_broken_twins_beyond_exhaustive_search(twin, const, value, seed, prop, longest, faults):
    check_row(twin, const, value, seed, prop, longest, faults)
