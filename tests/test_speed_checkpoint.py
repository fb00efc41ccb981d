"""Checkpoint and resume: a search cut by a limit and resumed ends exactly as an uninterrupted one."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from accord.checker.checkpoint import CheckpointError
from accord.checker.explicit import Config, check
from accord.cli.main import cli
from accord.dsl import load_file

GT = Path(__file__).parent / "corpus" / "groundtruth"


def summary(res):
    s = res.stats
    return (res.verdict.value, res.complete, s.distinct, s.depth, s.generated, s.initial, s.terminal,
            s.coverage_missing,
            [(r.name, r.verdict.value, [st.state for st in r.trace.steps] if r.trace else None) for r in res.results])


@pytest.mark.parametrize("opts", [{}, {"hash_compaction": True}, {"por": True}, {"strategy": "dfs"}],
                         ids=["plain", "compact", "por", "dfs"])
def test_a_resumed_search_ends_as_an_uninterrupted_one(tmp_path, opts):
    proto, _ = load_file(GT / "T13-DL.accord")
    ck = str(tmp_path / "search.ckpt")
    base = dict(stop_at_first=False, liveness=False, **opts)
    whole = check(proto, Config(**base))
    first = check(proto, Config(max_states=40, checkpoint=ck, **base))
    assert (first.limit, first.complete) == ("states", False) and Path(ck).exists()
    second = check(proto, Config(max_states=100, checkpoint=ck, resume=ck, **base))  # a second cut
    assert second.limit == "states" and first.stats.distinct < second.stats.distinct < whole.stats.distinct
    last = check(proto, Config(resume=ck, **base))
    assert summary(last) == summary(whole)


def test_a_checkpoint_from_another_search_is_refused(tmp_path):
    proto, _ = load_file(GT / "T2.accord")
    ck = str(tmp_path / "t2.ckpt")
    check(proto, Config(max_states=10, checkpoint=ck))
    other, _ = load_file(GT / "T2.accord", {"RMS": 4})
    with pytest.raises(CheckpointError, match="made for another spec, other constants or other search settings"):
        check(other, Config(resume=ck))
    with pytest.raises(CheckpointError, match="made for another"):
        check(proto, Config(resume=ck, hash_compaction=True))
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        check(proto, Config(resume=str(tmp_path / "missing")))
    (tmp_path / "junk").write_bytes(b"not a pickle")
    with pytest.raises(CheckpointError, match="not a readable accord checkpoint"):
        check(proto, Config(resume=str(tmp_path / "junk")))


def test_periodic_checkpoints_are_written_between_expansions(tmp_path):
    proto, _ = load_file(GT / "T2.accord")
    ck = tmp_path / "p.ckpt"
    res = check(proto, Config(checkpoint=str(ck), checkpoint_every=0.0))
    assert res.verdict.value == "holds" and ck.exists()  # written while searching (none at a complete end)
    again = check(proto, Config(resume=str(ck)))
    assert (again.verdict.value, again.stats.distinct, again.stats.depth) == ("holds", 288, 11)


def test_no_checkpoint_after_a_depth_limit(tmp_path):
    proto, _ = load_file(GT / "T2.accord")
    ck = tmp_path / "d.ckpt"
    res = check(proto, Config(max_depth=3, checkpoint=str(ck)))
    assert res.limit == "depth" and not ck.exists()


def test_cli_checkpoint_and_resume(tmp_path):
    spec = str(GT / "T1-DL.accord")
    ck = str(tmp_path / "c.ckpt")
    r = CliRunner().invoke(cli, ["check", spec, "--max-states", "10", "--checkpoint", ck])
    assert r.exit_code == 3
    r = CliRunner().invoke(cli, ["check", spec, "--resume", ck])
    assert r.exit_code == 11 and "counterexample for `deadlock`" in r.stdout
    r = CliRunner().invoke(cli, ["check", spec, "--resume", ck, "--const", "RMS=2"])
    assert r.exit_code == 2 and "made for another spec" in r.stderr
