"""One-step agreement between the encoding and the explicit semantics.

For a concrete state, :func:`smt_successors` enumerates every successor the
transition relation allows (one solver call per successor), and
:func:`smt_errors` the violation names the encoding says a step raises. Tests
compare them with :meth:`accord.semantics.model.Model.successors` on every
reachable state of small specs: the strongest check that the encoding follows
the semantics, step by step.
"""

from __future__ import annotations

from typing import Any

import z3

from accord.checker.smt.encode import Encoding

State = tuple[Any, ...]


def smt_successors(enc: Encoding, st: State, limit: int = 10_000) -> set[State]:
    """Every state T allows after ``st`` (faults included)."""
    pre, pre_l, wf_pre = enc.state("pre")
    post, post_l, wf_post = enc.state("post")
    sel = z3.Int("pick")
    s = z3.Solver()
    s.add(wf_pre, wf_post, enc.equals(pre, st), enc.trans(pre_l, post_l, sel))
    out: set[State] = set()
    while s.check() == z3.sat and len(out) < limit:
        nxt = enc.decode(post, s.model())
        out.add(nxt)
        s.add(z3.Not(enc.equals(post, nxt)))
    return out


def smt_facts(enc: Encoding, st: State) -> dict[str, Any]:
    """What the encoding says of ``st``: error names raised, enabled, deadlock, final, escape."""
    pre, pre_l, wf = enc.state("pre")
    s = z3.Solver()
    s.add(wf, enc.equals(pre, st))
    assert s.check() == z3.sat
    m = s.model()

    def val(f: Any) -> bool:
        return z3.is_true(m.eval(enc.at(f, pre_l), model_completion=True))

    return {
        "errors": {name for name, (_, cond) in enc.errors.items() if val(cond)},
        "enabled": val(enc.enabled),
        "deadlock": val(enc.deadlock),
        "final": val(enc.final),
        "escape": val(enc.escape),
        "invariants": {name for name, f in enc.invariants.items() if val(f)},
    }
