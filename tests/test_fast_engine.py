"""The vector engine (accord.checker.fast) against the generic explicit engine.

On every spec of the ground-truth corpus, of tests/corpus/vector/ (written to exercise the
fragment: maps with dynamic keys, records, sets, parameters over state-dependent sets, choose,
for, reply, patterns, timeouts, final, steps that raise) and of protocols/ that is inside the
fragment, both engines must give the same figures (distinct, depth, generated, initial, terminal,
queue), the same verdicts and messages, and the same counterexamples state for state (the vector
engine reproduces the generic engine's discovery order), with and without ``--continue``.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from accord.checker.explicit import Config, check
from accord.checker.fast import Unsupported, check_auto, check_fast, supported
from accord.checker.fast.codec import Codec
from accord.checker.fast.fragment import universes
from accord.checker.result import CheckResult
from accord.cli.main import cli
from accord.dsl import load_file, load_text
from accord.semantics.model import Model

ROOT = Path(__file__).parent.parent
GT = ROOT / "tests" / "corpus" / "groundtruth"
VEC = ROOT / "tests" / "corpus" / "vector"

# (file, constants, heavy): heavy cases (the generic engine needs seconds) run with --runslow
CASES = [
    *[(f"groundtruth/{n}", {}, False) for n in
      ("T1", "T1-DL", "T2", "T9", "T11", "T11-DL", "T11-LV", "T13", "T13-DL", "T15-DL", "T15-INV", "T2-S",
       "T25")],
    ("groundtruth/T15", {}, True),
    ("groundtruth/T15-LV", {}, True),
    ("groundtruth/T2-5", {}, True),
    ("groundtruth/T17", {}, True),
    ("groundtruth/T2-S5", {}, True),
    ("vector/features", {"N": 2}, False),
    ("vector/features", {}, True),
    ("vector/errors", {}, False),
    ("vector/waits", {}, False),
    ("vector/options", {"W": 1}, False),
    ("vector/options", {}, True),
]
OUTSIDE = {"groundtruth/T19": "state constraints", "groundtruth/T26": "non-scalar"}


def load(rel: str, consts: dict[str, int] | None = None) -> Any:
    path = ROOT / "tests" / "corpus" / f"{rel}.accord" if not rel.startswith("protocols/") else ROOT / f"{rel}.accord"
    proto, diags = load_file(path, consts or None)
    errors = [d.render() for d in diags if d.is_error]
    assert proto is not None and not errors, "\n".join(errors)
    return proto


def summary(r: CheckResult) -> tuple[Any, ...]:
    s = r.stats
    props = tuple((x.name, x.kind, x.verdict.value, x.message, x.trace.length if x.trace else None,
                   tuple(st.state for st in x.trace.steps) if x.trace else None,
                   (x.trace.loop_start, x.trace.stutter) if x.trace else None) for x in r.results)
    return (s.distinct, s.depth, s.generated, s.initial, s.terminal, s.queue, s.transitions, r.complete, r.limit,
            props, tuple(s.coverage_missing), tuple(r.notes))


def _params() -> list[Any]:
    return [pytest.param(rel, consts, id=f"{rel}{'-' + str(consts) if consts else ''}",
                         marks=[pytest.mark.slow] if heavy else []) for rel, consts, heavy in CASES]


@pytest.mark.parametrize("rel,consts", _params())
@pytest.mark.parametrize("stop", [True, False], ids=["stop", "continue"])
def test_same_results_as_the_generic_engine(rel: str, consts: dict[str, int], stop: bool) -> None:
    # liveness included (the same graph goes to the same liveness checker), E!= counted
    proto = load(rel, consts)
    cfg = {"stop_at_first": stop, "symmetry": False, "keep_graph": True}
    assert supported(proto, Config(**cfg)) == []
    fast = check_fast(proto, Config(**cfg))
    assert fast.stats.engine == "explicit-vector"
    assert summary(fast) == summary(check(proto, Config(**cfg)))


PROTOCOLS = sorted(p.stem for p in (ROOT / "protocols").glob("*.accord"))


SLOW_PROTOCOLS = {"majority_vote", "majority_vote_broken", "majority_vote_broken_garbled", "paxos", "paxos_broken"}


@pytest.mark.parametrize("name,stop", [pytest.param(n, stop, marks=[pytest.mark.slow] if n in SLOW_PROTOCOLS else [])
                                       for n in PROTOCOLS for stop in (False, True) if not stop or "broken" in n])
def test_protocols_agree(name: str, stop: bool) -> None:
    # every protocol of the library is inside the fragment (symmetry reduction aside)
    proto = load(f"protocols/{name}")
    cfg = {"stop_at_first": stop, "symmetry": False}
    assert supported(proto, Config(**cfg)) == []
    assert summary(check_fast(proto, Config(**cfg))) == summary(check(proto, Config(**cfg)))


@pytest.mark.parametrize("rel,word", sorted(OUTSIDE.items()))
def test_outside_the_fragment_gives_reasons(rel: str, word: str) -> None:
    proto = load(rel)
    why = supported(proto, Config(liveness=False, symmetry=False))
    assert any(word in w for w in why), why
    with pytest.raises(Unsupported):
        check_fast(proto, Config())
    assert check_auto(proto, Config(stop_at_first=False)).stats.engine == "explicit-bfs"


def test_configuration_reasons() -> None:
    sym = load("groundtruth/T2-S")
    assert supported(sym, Config()) == ["symmetry reduction (use --no-symmetry)"]
    assert supported(sym, Config(symmetry=False)) == []
    t11 = load("groundtruth/T11")
    assert supported(t11, Config()) == []  # liveness runs on the vector engine's graph
    assert supported(t11, Config(strategy="dfs", liveness=False)) == ["strategy dfs (breadth-first only)"]
    assert supported(t11, Config(keep_graph=True, liveness=False)) == []  # the vector engine keeps one too
    assert supported(t11, Config(liveness=False, por=True, hash_compaction=True, workers=2)) == [
        "partial-order reduction", "hash compaction", "several workers"]
    text = "protocol F\nmessage M\nchannel A -> B sync\nrole A { action go { send M to B } }\nrole B { on M { skip } }\n"
    sync = load_text(text, "<t>")[0]
    assert supported(sync, Config()) == ["channel A->B is `sync` (rendezvous)"]
    rounds = load_text(text.replace("sync", "fifo") + "schedule rounds\n", "<t>")[0]
    assert supported(rounds, Config()) == ["`schedule rounds`"]
    # the automatic choice: the vector engine inside the fragment, the generic one outside
    assert check_auto(sym, Config()).stats.engine == "explicit-bfs"
    assert check_auto(sym, Config(symmetry=False)).stats.engine == "explicit-vector"


@pytest.mark.parametrize("limits", [{"max_states": 1_000}, {"max_states": 4_321}, {"max_depth": 6},
                                    {"max_depth": 1}, {"max_states": 1}])
def test_limits_cut_where_the_generic_engine_cuts(limits: dict[str, int]) -> None:
    proto = load("vector/features", {"N": 2})
    cfg = {"stop_at_first": False, **limits}
    fast, generic = check_fast(proto, Config(**cfg)), check(proto, Config(**cfg))
    assert summary(fast) == summary(generic)
    assert not fast.complete


def test_twophase_seven_resource_managers() -> None:
    # the generic engine gives the same figures (about a minute of CPU; see the report in docs)
    res = check_fast(load("groundtruth/T2", {"RMS": 7}), Config())
    assert (res.stats.distinct, res.stats.depth, res.stats.generated) == (296_448, 23, 2_744_706)
    assert res.complete and [r.verdict.value for r in res.results] == ["holds", "holds"]


@pytest.mark.slow
def test_twophase_eight_resource_managers() -> None:
    res = check_fast(load("groundtruth/T2", {"RMS": 8}), Config())
    assert (res.stats.distinct, res.stats.depth, res.stats.generated) == (1_745_408, 26, 18_507_778)


# ---------------------------------------------------------------------- packing
def _codec(proto: Any) -> tuple[Codec, Model]:
    model = Model(proto)
    return Codec(proto, model.layout, universes(proto, model.layout)), model


def _reachable(model: Model) -> list[Any]:
    seen = dict.fromkeys(model.initial_states())
    todo = list(seen)
    while todo:
        for _, nxt in model.successors(todo.pop(), errors=[]):
            if nxt not in seen:
                seen[nxt] = None
                todo.append(nxt)
    return list(seen)


@pytest.mark.parametrize("rel,consts", [("groundtruth/T2", {}), ("vector/options", {"W": 1}),
                                        ("groundtruth/T13", {}), ("vector/errors", {})])
def test_pack_unpack_round_trip(rel: str, consts: dict[str, int]) -> None:
    codec, model = _codec(load(rel, consts))
    states = _reachable(model)
    rows = np.stack([codec.pack(s) for s in states])
    assert [codec.unpack(r) for r in rows] == states
    assert len({r.tobytes() for r in rows}) == len(states)  # equal packs only for equal states


def test_bit_layout_of_twophase() -> None:
    codec, _ = _codec(load("groundtruth/T2", {"RMS": 8}))
    # TM: state 2 bits + prepared 8; RMs 8 x 2; RM->TM inbox: Prepared(self) from each RM, 8 bits;
    # TM->RM: {Commit, Abort} on each of 8 links, 2 bits each
    assert (codec.bits, codec.words) == (50, 1)
    inbox = [ci for ci in codec.lay.chan_insts if ci.channel.name == "RM->TM"]
    assert [len(codec.universe[ci.slot]) for ci in inbox] == [8]
    spans = sorted((lf.word * 64 + lf.shift, lf.bits) for lf in codec.leaves if lf.bits)
    for (a, n), (b, _) in itertools.pairwise(spans):
        assert a + n <= b  # fields never overlap
    assert all(lf.shift + lf.bits <= 64 for lf in codec.leaves)


def test_wide_states_use_several_words() -> None:
    text = ("protocol Wide\nconst N = 40\ntype I = 0..N-1\nvar a: map I -> 0..3 = [i -> 0]\n"
            "role R { action go(i in I) when a[i] < 3 { a[i] := a[i] + 1 } }\n"
            "invariant small: forall i in I: a[i] < 3 or i > 0\n")
    proto = load_text(text, "<t>")[0]
    codec, _ = _codec(proto)
    assert codec.words == 2  # 40 fields of 2 bits
    cfg = Config(max_states=3_000, stop_at_first=False)
    assert summary(check_fast(proto, cfg)) == summary(check(proto, cfg))


# ---------------------------------------------------------------------- command line
def _json(args: list[str]) -> tuple[int, dict[str, Any]]:
    out = CliRunner().invoke(cli, ["check", *args, "--format", "json"])
    return out.exit_code, json.loads(out.stdout)


def test_cli_engine_choice() -> None:
    t2 = str(GT / "T2.accord")
    code, rep = _json([t2])
    assert (code, rep["engine"], rep["states"]["distinct"]) == (0, "explicit-vector", 288)
    code, rep = _json([t2, "--engine", "explicit-generic"])
    assert (code, rep["engine"], rep["states"]["distinct"]) == (0, "explicit-bfs", 288)
    code, rep = _json([t2, "--engine", "vector", "--const", "RMS=5"])
    assert (code, rep["engine"], rep["states"]["distinct"], rep["depth"]) == (0, "explicit-vector", 8_832, 17)
    code, rep = _json([str(GT / "T19.accord")])
    assert rep["engine"] == "explicit-bfs"
    out = CliRunner().invoke(cli, ["check", t2, "--engine", "vector", "--strategy", "dfs"])
    assert out.exit_code == 2
    assert "strategy dfs" in out.stderr


def test_expressions_agree() -> None:
    """Each property of vector/exprs.accord, evaluated by both evaluators on 4,000 reachable states."""
    from accord.checker.fast.expand import Expander

    proto = load("vector/exprs")
    codec, model = _codec(proto)
    seen = dict.fromkeys(model.initial_states())
    todo = list(seen)
    while todo and len(seen) < 4_000:
        for _, nxt in model.successors(todo.pop(0), errors=[]):
            seen.setdefault(nxt, None)
            todo.append(nxt)
    states = list(seen)
    rows = np.stack([codec.pack(s) for s in states])
    exp = Expander(proto, model.layout, codec, model.labels, model._init_locals)
    checked, raised = 0, 0
    for p in proto.properties:
        pred = model.compile_property_expr(p.expr)
        want_holds, want_raises = [], []
        for st in states:
            try:
                want_holds.append(bool(pred(st)))
                want_raises.append(False)
            except Exception:  # noqa: BLE001 -- any error: the generic evaluation raises
                want_holds.append(False)
                want_raises.append(True)
        holds, raises = exp.predicate(rows, p.expr)
        assert list(raises) == want_raises, p.name
        assert [h for h, r in zip(holds, raises) if not r] == [h for h, r in zip(want_holds, want_raises) if not r], \
            p.name
        checked += 1
        raised += sum(want_raises)
    assert checked == 25
    assert raised > 0  # e19: 12 / a[1] raises where a[1] == 0
