"""Hash compaction (``--hash-compact``) and the memory figures of a search."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from accord.checker.compaction import CompactStore, FingerprintTable, caveat, fingerprint, omission_probability
from accord.checker.explicit import Config, check
from accord.cli.main import cli
from accord.dsl import load_file
from accord.ir.types import Inst, Message

ROOT = Path(__file__).parent.parent
GT = ROOT / "tests" / "corpus" / "groundtruth"


def test_fingerprints_are_canonical_and_tell_apart_what_python_hash_confuses():
    a = (frozenset({1, 2, 3}), ("x", -1))
    b = (frozenset({3, 2, 1}), ("x", -1))
    assert fingerprint(a) == fingerprint(b)
    # Python's hash(-1) == hash(-2): a tuple hash cannot tell these states apart, a fingerprint can
    assert hash((-1,)) == hash((-2,)) and fingerprint((-1,)) != fingerprint((-2,))
    assert fingerprint((True,)) != fingerprint((False,)) != 0
    st = (("working",), frozenset({(1, Message("Prepared", (Inst("RM", 1),)))}), None, 3)
    assert fingerprint(st) == fingerprint(tuple(st))


def test_fingerprints_are_the_same_in_every_process():
    st = "(('a', frozenset({'x', 'y', 'z'})), -3, None)"
    code = ("from accord.checker.compaction import fingerprint; "
            f"print(fingerprint({st}))")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip() for seed in ("1", "2")}
    assert outs == {str(fingerprint((("a", frozenset({"x", "y", "z"})), -3, None)))}


def test_the_fingerprint_table_grows_and_finds_everything():
    t = FingerprintTable(capacity=4)
    keys = [(i * 0x9E3779B97F4A7C15) % (1 << 64) or 1 for i in range(1, 5000)]
    for n, k in enumerate(keys):
        assert t.get(k) == -1
        t.put(k, n)
    assert len(t) == len(keys) and all(t.get(k) == n for n, k in enumerate(keys))
    assert t.nbytes >= len(keys) * 16 * 4 // 3


def test_the_omission_bound_is_the_birthday_bound():
    assert omission_probability(1 << 20) == 2.0 ** 40 / 2.0 ** 65
    assert omission_probability(1 << 40) == 1.0
    assert caveat(288).startswith("holds up to hash compaction: the probability that a state was missed is at most "
                                  "2.2e-15 (288 states")


@pytest.mark.parametrize("name,keep_going", [("T2", True), ("T1-DL", False), ("T15-INV", False), ("T13-DL", True),
                                             ("T2-S", True), ("T26", False)])
def test_compaction_gives_the_full_search_counts_and_traces(name, keep_going):
    proto, _ = load_file(GT / f"{name}.accord")
    cfg = {"stop_at_first": not keep_going, "liveness": False}
    full = check(proto, Config(**cfg))
    comp = check(proto, Config(hash_compaction=True, **cfg))
    f, c = full.stats, comp.stats
    assert (c.distinct, c.depth, c.generated, c.terminal, c.initial) == \
        (f.distinct, f.depth, f.generated, f.terminal, f.initial)
    assert (c.fingerprint_bits, f.fingerprint_bits) == (64, 0)
    assert c.omission_probability == omission_probability(c.distinct) and f.omission_probability is None
    for rf, rc in zip(full.results, comp.results):
        assert (rf.name, rf.verdict) == (rc.name, rc.verdict)
        if rf.trace is not None:  # the same shortest trace, rebuilt from fingerprints by replay
            assert [s.state for s in rc.trace.steps] == [s.state for s in rf.trace.steps]
        if rc.verdict.value == "holds" and rc.kind in ("invariant", "agreement", "deadlock"):
            assert rc.message == caveat(c.distinct)
    assert caveat(c.distinct) in comp.notes


def test_reports_carry_the_caveat_and_the_memory_figures(tmp_path):
    spec = str(GT / "T2.accord")
    r = CliRunner().invoke(cli, ["check", spec, "--hash-compact", "--format", "json"])
    doc = json.loads(r.stdout)
    assert r.exit_code == 0 and doc["verdict"] == "holds"
    assert doc["hash_compaction"] == {"fingerprint_bits": 64, "omission_probability": 288 ** 2 / 2 ** 65}
    assert doc["bytes_per_state"] is not None and doc["bytes_per_state"] >= 0
    r = CliRunner().invoke(cli, ["check", spec, "--hash-compact"])
    assert "verdict: holds (up to hash compaction: P(a state was missed) <= 2.2e-15)" in r.stdout
    r = CliRunner().invoke(cli, ["check", spec, "--format", "json"])
    doc = json.loads(r.stdout)
    assert doc["hash_compaction"] is None and doc["reduced"] is None and doc["workers"] == 1


def test_liveness_keeps_whole_states():
    proto, _ = load_file(GT / "T11-LV.accord")
    res = check(proto, Config(hash_compaction=True, stop_at_first=False))
    assert res.stats.fingerprint_bits == 0
    assert "hash compaction is off: liveness properties need the states themselves" in res.notes
    assert {r.name: r.verdict.value for r in res.results}["false_liveness"] == "violated"


@pytest.mark.slow
def test_bytes_per_state_of_a_larger_search():
    """Measured in a fresh process (the memory growth of a search is its store): TwoPhase 6 RMs."""
    code = ("from accord.dsl import load_file; from accord.checker.explicit import Config, check; "
            f"p, _ = load_file({str(GT / 'T2.accord')!r}, {{'RMS': 6}}); "
            "import sys; r = check(p, Config(hash_compaction=sys.argv[1] == 'c', stop_at_first=False)); "
            "print(r.stats.distinct, round(r.stats.bytes_per_state))")
    full = subprocess.run([sys.executable, "-c", code, "f"], capture_output=True, text=True, check=True).stdout.split()
    comp = subprocess.run([sys.executable, "-c", code, "c"], capture_output=True, text=True, check=True).stdout.split()
    assert full[0] == comp[0] == "50816"
    # measured: ~340 bytes per state whole, ~170 with fingerprints (the queue still holds whole states)
    assert int(comp[1]) < 0.6 * int(full[1])


def test_a_compact_store_keeps_parents_and_levels():
    s = CompactStore()
    assert s.add(("a",), -1, 1) == (0, True)
    assert s.add(("b",), 0, 2) == (1, True)
    assert s.add(("a",), 1, 3) == (0, False)
    assert (s.find(("b",)), s.find(("c",)), s.chain(1), list(s.level)) == (1, -1, [0, 1], [1, 2])
    assert s.key(1) == fingerprint(("b",)) == s.key_of(("b",))
