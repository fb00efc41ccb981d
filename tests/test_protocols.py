"""The protocol library (protocols/*.accord): every verdict, figure and counterexample, pinned.

For each spec, at its default constants: the verdict of every property and the distinct states and
depth of a full exploration (``accord check FILE --continue``, i.e. ``Config(stop_at_first=False)``;
with symmetric roles, states are orbits); the exit code of a plain ``accord check FILE``; and for the
broken twins the length (in states, TLC's convention) of every counterexample. Besides: each file's
header says what the checker says, the table of protocols/README.md and the generated parts of
docs/protocols/*.md are what protocols/make_readme.py produces now, and the library is complete
(every protocol has a twin, a page and ``reachable`` properties; every twin has its protocol).
"""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from accord.checker.result import Verdict
from accord.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
PROTOCOLS = ROOT / "protocols"


def _load_make_readme():  # type: ignore[no-untyped-def]
    name = "protocols_make_readme"  # protocols/ is not a package: load the script by path
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PROTOCOLS / "make_readme.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


mr = _load_make_readme()


@dataclass(frozen=True)
class Pin:
    exit: int  # of `accord check FILE` (stops at the first violation)
    states: int  # full exploration
    depth: int
    props: str  # every property, in the order the checker reports them
    violated: dict[str, int | None] = field(default_factory=dict)  # property -> counterexample length


PINS = {
    "competing_consumers": Pin(0, 81, 10,
        "credited_once only_published all_credited duplicate_absorbed deadlock termination"),
    "competing_consumers_broken": Pin(12, 81, 10,
        "credited_once only_published all_credited deadlock termination", {"credited_once": 7}),
    "critic_reviser": Pin(0, 16, 10,
        "ships_reviewed accepted_late escalated deadlock termination"),
    "critic_reviser_broken": Pin(13, 7, 5,
        "ships_reviewed accepted deadlock termination", {"termination": 6}),
    "debate": Pin(0, 159, 17,
        "one_ruling heard_before_ruling full_length forfeit deadlock termination"),
    "debate_broken": Pin(13, 55, 9,
        "one_ruling heard_before_ruling ruled forfeit deadlock termination", {"termination": 14}),
    "handoff_chain": Pin(0, 74, 10,
        "control_not_lost control_not_doubled user_answered long_chain refused_bad_pick deadlock termination"),
    "handoff_chain_broken": Pin(12, 286, 14,
        "control_not_lost control_not_doubled user_answered long_chain deadlock termination", {"control_not_lost": 4, "control_not_doubled": 4, "deadlock": 4, "termination": 4}),
    "heartbeat_leader": Pin(0, 1236, 19,
        "closed_by_leader normal_run replaced false_alarm leader_replaced converge deadlock termination"),
    "heartbeat_leader_broken": Pin(11, 56, 8,
        "closed_by_leader normal_run replaced leader_replaced converge deadlock termination", {"replaced": None, "leader_replaced": 2, "deadlock": 2, "termination": 2}),
    "hierarchical_supervisor": Pin(0, 210, 17,
        "settled_once done_is_real all_done rescued_by_other given_up deadlock termination"),
    "hierarchical_supervisor_broken": Pin(13, 384, 36,
        "done_is_real all_done rescued_by_other deadlock termination", {"termination": 23}),
    "hierarchical_supervisor_broken_unverified": Pin(12, 262, 17,
        "settled_once done_is_real all_done rescued_by_other given_up deadlock termination", {"done_is_real": 7}),
    "idempotent_tool_call": Pin(0, 16, 10,
        "at_most_once once_when_done all_done retried_after_loss deadlock termination"),
    "idempotent_tool_call_broken": Pin(12, 18, 10,
        "at_most_once once_when_done all_done deadlock termination", {"at_most_once": 6, "once_when_done": 10}),
    "lead_worker_reassign": Pin(0, 338, 13,
        "accepted_once done_released all_done late_result_refused recovered_crash deadlock termination"),
    "lead_worker_reassign_broken": Pin(12, 177, 11,
        "accepted_once done_released all_done recovered_crash deadlock termination", {"accepted_once": 6}),
    "leader_follower": Pin(0, 774, 17,
        "no_lost_task settled_once all_done reassigned gave_up deadlock termination"),
    "leader_follower_broken": Pin(11, 458, 14,
        "no_lost_task settled_once all_done gave_up deadlock termination", {"deadlock": 4, "termination": 4}),
    "majority_vote": Pin(0, 1733, 14,
        "same_decision valid_decision unanimous decided_after_crash no_majority deadlock termination"),
    "majority_vote_broken": Pin(12, 1660, 14,
        "same_decision valid_decision unanimous decided_after_crash no_majority deadlock termination", {"same_decision": 3}),
    "majority_vote_broken_garbled": Pin(12, 1651, 14,
        "same_decision valid_decision unanimous decided_after_crash no_majority deadlock termination", {"valid_decision": 4}),
    "paxos": Pin(0, 492, 15,
        "one_value chosen_some chosen_twice chosen_after_crash"),
    "paxos_broken": Pin(12, 698, 14,
        "one_value chosen_some chosen_twice chosen_after_crash", {"one_value": 7}),
    "reliable_broadcast": Pin(0, 41, 12,
        "delivered_once ack_means_delivered everyone_has_it recovered_loss deadlock termination"),
    "reliable_broadcast_broken": Pin(11, 26, 8,
        "delivered_once ack_means_delivered everyone_has_it deadlock termination", {"deadlock": 7, "termination": 7}),
    "reliable_broadcast_broken_dedupe": Pin(12, 42, 12,
        "delivered_once ack_means_delivered everyone_has_it recovered_loss deadlock termination", {"delivered_once": 9}),
    "saga": Pin(0, 135, 17,
        "no_partial_effects all_on_commit committed aborted_in_doubt deadlock termination"),
    "saga_broken": Pin(12, 83, 16,
        "no_partial_effects all_on_commit committed aborted_in_doubt deadlock termination", {"no_partial_effects": 5, "aborted_in_doubt": None}),
    "static_assignment": Pin(0, 11, 7,
        "deps_first chain_on_one_agent all_done both_busy deadlock termination"),
    "static_assignment_broken": Pin(12, 13, 7,
        "deps_first chain_on_one_agent all_done both_busy deadlock termination", {"deps_first": 3, "chain_on_one_agent": 2}),
    "task_board": Pin(0, 13, 5,
        "one_owner ran_once all_done shared_out deadlock termination"),
    "task_board_broken": Pin(12, 637, 19,
        "one_owner ran_once all_done shared_out deadlock termination", {"one_owner": 5, "ran_once": 7}),
    "task_board_snapshot": Pin(0, 66, 8,
        "one_owner ran_once all_done lost_a_race deadlock termination"),
    "task_board_snapshot_broken": Pin(12, 123, 11,
        "one_owner ran_once all_done deadlock termination", {"one_owner": 5, "ran_once": 7}),
    "two_phase_commit": Pin(0, 465, 12,
        "same_outcome complete_answer committed aborted_on_crash deadlock termination"),
    "two_phase_commit_broken": Pin(11, 462, 12,
        "same_outcome complete_answer committed deadlock termination", {"deadlock": 7, "termination": 7}),
    "two_phase_commit_broken_garbled": Pin(12, 750, 12,
        "same_outcome complete_answer committed aborted_on_crash deadlock termination", {"complete_answer": 8}),
}

BASES = sorted(s for s in PINS if "_broken" not in s)
TWINS = sorted(s for s in PINS if "_broken" in s)


@functools.cache
def checked(stem: str):  # type: ignore[no-untyped-def]
    return mr.run(PROTOCOLS / f"{stem}.accord")


def test_every_spec_is_pinned():
    assert sorted(p.stem for p in mr.spec_files()) == sorted(PINS)
    assert len(BASES) >= 16 and len(TWINS) >= len(BASES)


@pytest.mark.parametrize("stem", sorted(PINS))
def test_verdicts_states_and_depth(stem):
    pin, result = PINS[stem], checked(stem).result
    assert result.complete
    assert [r.name for r in result.results] == pin.props.split()
    verdicts = {r.name: r.verdict.value for r in result.results}
    assert verdicts == {n: "violated" if n in pin.violated else "holds" for n in pin.props.split()}
    assert (result.stats.distinct, result.stats.depth) == (pin.states, pin.depth)


@pytest.mark.parametrize("stem", TWINS)
def test_twin_counterexamples(stem):
    result = checked(stem).result
    lengths = {r.name: (r.trace.length if r.trace is not None else None)
               for r in result.results if r.verdict is Verdict.VIOLATED}
    assert lengths == PINS[stem].violated
    assert all(n is None or n <= 25 for n in lengths.values()), "a twin's counterexample should be short"


@pytest.mark.parametrize("stem", sorted(PINS))
def test_exit_code_of_accord_check(stem):
    run = CliRunner().invoke(cli, ["check", str(PROTOCOLS / f"{stem}.accord")])
    assert run.exit_code == PINS[stem].exit, run.output


@pytest.mark.parametrize("stem", sorted(PINS))
def test_header_states_the_verdicts(stem):
    c = checked(stem)
    said = mr.header_expectations(c.path.read_text(encoding="utf-8"))
    assert said == mr.verdicts(c)


@pytest.mark.parametrize("stem", BASES)
def test_protocol_has_twin_page_and_witnesses(stem):
    assert any(t.startswith(stem + "_broken") for t in TWINS)
    c = checked(stem)
    assert any(r.kind == "reachable" for r in c.result.results), "a `reachable` keeps the spec from being vacuous"
    assert not any(r.verdict is not Verdict.HOLDS for r in c.result.results)
    pages = [p for p in mr.pages() if f"protocols/{stem}.accord" in p.read_text(encoding="utf-8")]
    assert pages, f"no page of docs/protocols/ covers {stem}.accord"


@pytest.mark.parametrize("stem", TWINS)
def test_twin_has_protocol(stem):
    base = re.sub(r"_broken.*$", "", stem)
    assert base in BASES
    text = (PROTOCOLS / f"{stem}.accord").read_text(encoding="utf-8")
    assert text.startswith(f"# Twin of {base}.accord: ")


def test_readme_table_matches_the_checker():
    fresh = mr.render_table([checked(p.stem) for p in mr.spec_files()])
    committed = mr.table_in(mr.README.read_text(encoding="utf-8"))
    assert mr.without_times(committed) == mr.without_times(fresh), "run `python protocols/make_readme.py`"


@pytest.mark.parametrize("page", mr.pages(), ids=lambda p: p.name)
def test_docs_page_matches_the_checker(page):
    text = page.read_text(encoding="utf-8")
    lookup = {p.name: checked(p.stem) for p in mr.spec_files() if p.name in text}
    assert mr.fill_page(text, lookup) == text, "run `python protocols/make_readme.py`"
