"""Mermaid sequence diagrams of counterexamples: one exact diagram per feature."""

from __future__ import annotations

from semkit import load, run

from accord.report.mermaid import result_mermaid
from accord.semantics.layout import Layout


def mermaid(text: str) -> str:
    return result_mermaid(run(text), Layout.build(load(text)))


def test_crash_and_restart_are_notes() -> None:
    # The shortest run to p and not v: go, crash, restart (v is reset, p persists).
    text = """
    protocol R
    role B {
      persistent var p: bool = false
      var v: bool = false
      action go when not v { p := true  v := true }
    }
    faults { crash B at most 1  restart B at most 1 }
    invariant fresh: not (B.p and not B.v)
    """
    assert mermaid(text) == """\
%% counterexample for fresh (invariant): trace of 4 states
sequenceDiagram
    participant B
    Note over B: go
    Note over B: crashes
    Note over B: restarts"""


def test_corruption_and_drops() -> None:
    text = """
    protocol K
    message M(v: 0..2)
    channel A -> B fifo capacity 1 drops
    role A { var n: 0..2 = 0  action s when n < 2 { send M(n) to B  n := n + 1 } }
    role B { var got: set of 0..2 = {}  on M(v) { got := got + {v} } }
    faults { corrupt M.v at most 1 }
    invariant honest: B.got <= {0, 1}
    invariant no_drop: A.n < 2 or B.got != {0}
    """
    assert mermaid(text) == """\
%% counterexample for honest (invariant): trace of 4 states
sequenceDiagram
    participant A
    participant B
    Note over A: s
    Note over A,B: M(0) becomes M(2) on A->B
    A->>B: M(2)

%% counterexample for no_drop (invariant): trace of 4 states
sequenceDiagram
    participant A
    participant B
    Note over A: s
    Note over A: s
    A-xB: M(1) (dropped: A->B is full)
    A->>B: M(0)"""


def test_sync_shared_queue_and_timeout() -> None:
    # The sync message arrives in the sending step; the shared-queue message is taken by C[0];
    # D times out when nothing else can happen.
    text = """
    protocol S
    message M
    channel A -> B sync
    channel A -> C fifo shared
    role A { var d: bool = false  action s when not d { send M to B  send M to C  d := true } }
    role B { on M { skip } }
    role C[2] { on M { skip } }
    role D { var t: bool = false  on timeout when not t { t := true } }
    invariant x: not D.t
    """
    assert mermaid(text) == """\
%% counterexample for x (invariant): trace of 4 states
sequenceDiagram
    participant A
    participant B
    participant C_0 as C[0]
    participant D
    Note over A: s
    A->>B: M (sync)
    A->>C_0: M
    Note over D: timeout"""


def test_violating_step_and_escaping() -> None:
    # `#` and `;` would end a Mermaid statement: they are written as entity codes.  Role and
    # step names that are Mermaid keywords get a prefixed participant id.
    text = """
    protocol E
    message Msg(t: 0..1)
    channel A -> end fifo
    role A { var d: bool = false  action go(x in {0, 1}) when not d { send Msg(x) to end  d := true } }
    role end { on Msg(t) { assert t == 0 } }
    """
    out = mermaid(text)
    assert out == """\
%% counterexample for assert at line 6 (assert): trace of 2 states
sequenceDiagram
    participant A
    participant p_end as end
    Note over A: go(x=1)
    A->>p_end: Msg(1)
    Note over p_end: this step violates assert at line 6"""


def test_no_counterexample() -> None:
    assert mermaid("protocol N\nvar x: 0..1 = 0\naction a when x == 0 { x := 1 }\ninvariant ok: x <= 1\n") == \
        "%% protocol N: no counterexample to draw"


def test_escape() -> None:
    from accord.report.mermaid import _esc

    assert _esc("a;b#c") == "a#59;b#35;c"
