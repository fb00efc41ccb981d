"""Every fault kind against hand-counted state spaces.

A fault is a step like any other: it consumes one unit of its budget (a slot of
the state) and appears in traces. Figures are (distinct, depth, initial).
"""

from __future__ import annotations

from semkit import figures, labels, run

ONE_SHOT = """
protocol OneShot
message M
channel A -> B {chan}
role A {{ var done: bool = false  action s when not done {{ send M to B  done := true }} }}
role B {{ var c: 0..2 = 0  on M {{ c := c + 1 }} }}
faults {{ {faults} }}
"""


def test_crash() -> None:
    # Without faults: (F,<>,0) -> (T,<M>,0) -> (T,<>,1).  `crash B` can hit in each of the
    # three, giving the same three with B crashed and the budget spent; crashed B receives
    # nothing, A still sends.  6 states; the deepest is send, receive, crash: level 4.
    # Terminal (no protocol step): (T,<>,1) live, (T,<M>,0) and (T,<>,1) crashed: 3.
    # generated = 1 + (2 + 2 + 1 + 1 + 0 + 0) = 7.
    res = run(ONE_SHOT.format(chan="fifo", faults="crash B at most 1"))
    assert figures(res) == (6, 4, 1)
    assert (res.stats.generated, res.stats.terminal) == (7, 3)


RESTART = """
protocol Restart
role B {
  persistent var p: bool = false
  var v: 0..1 %s
  action go when v == 0 { p := true  v := 1 }
}
faults { crash B at most 1  restart B at most 1 }
"""


def test_restart_keeps_persistent_vars() -> None:
    # State (p, v, crashed, crash budget, restart budget).  S0 = (F,0,-,1,1).
    # S0 -go-> (T,1,-,1,1) -crash-> (T,1,c,0,1) -restart-> (T,0,-,0,0): p survives, v resets
    # S0 -crash-> (F,0,c,0,1) -restart-> (F,0,-,0,0);  both (.,0,-,0,0) -go-> (T,1,-,0,0).
    # S0, (T,1,-,1,1), (T,1,c,0,1), (T,0,-,0,0), (F,0,c,0,1), (F,0,-,0,0), (T,1,-,0,0) = 7.
    # Depth 4 (e.g. go, crash, restart).  generated = 1 + (2+1+1+1+1+1+0) = 8.
    res = run(RESTART % "= 0")
    assert figures(res) == (7, 4, 1)
    assert res.stats.generated == 8


def test_restart_reinitialises_nondeterministic_vars() -> None:
    # v in {0, 1}: 2 initial states, and a restart may pick either value again.
    # I0=(F,0,-,1,1) I1=(F,1,-,1,1); (T,1,-,1,1); crashed: (F,0,c), (F,1,c), (T,1,c) (budgets 0,1);
    # restarted (budgets 0,0): (F,0,-) (F,1,-) (T,0,-) (T,1,-).  10 states, depth 4.
    # generated = 2 + I0: 2, I1: 1, (T,1,-,1,1): 1, three crashed: 2 each, (F,0,-): 1, (T,0,-): 1 = 14.
    res = run(RESTART % "in {0, 1}")
    assert figures(res) == (10, 4, 2)
    assert res.stats.generated == 14


LOSE = """
protocol Lose
message M(v: 0..2)
channel A -> B fifo
role A { var n: 0..2 = 0  action s when n < 2 { send M(n) to B  n := n + 1 } }
role B { var got: set of 0..2 = {}  on M(v) { got := got + {v} } }
faults { lose A -> B at most 1 }
"""


def test_lose() -> None:
    # A sends M(0) then M(1).  Each sent message is Received, in Flight or Lost, at most one
    # lost, and FIFO: M(1) received implies M(0) received or lost.
    # n=0: 1; n=1: F, R, L: 3; n=2: FF RF RR LF LR FL RL: 7.  Total 11, depth 5.
    # generated = 1 + n=0: 1 + n=1: (3 + 1 + 1) + n=2: (FF 3, RF 2, LF 1, FL 1) = 1 + 1 + 5 + 7 = 14.
    res = run(LOSE)
    assert figures(res) == (11, 5, 1)
    assert (res.stats.generated, res.stats.terminal) == (14, 3)


def test_duplicate() -> None:
    # (F,<>,0,1) -> (T,<M>,0,1) -dup-> (T,<M,M>,0,0) -> (T,<M>,1,0) -> (T,<>,2,0);
    # (T,<M>,0,1) -> (T,<>,1,1).  6 states, depth 5; terminal (T,<>,1,1) and (T,<>,2,0).
    res = run(ONE_SHOT.format(chan="fifo", faults="duplicate A -> B at most 1"))
    assert figures(res) == (6, 5, 1)
    assert (res.stats.generated, res.stats.terminal) == (6, 2)
    # the shortest run where B counts 2 receipts shows the fault
    assert res.stats.coverage_missing == []


def test_duplicate_respects_capacity() -> None:
    # With capacity 1 the copy does not fit: the 3 fault-free states only.
    res = run(ONE_SHOT.format(chan="fifo capacity 1", faults="duplicate A -> B at most 1"))
    assert figures(res) == (3, 3, 1)


def test_reorder() -> None:
    # Fault-free: 6 states (n, k) with k <= n.  With <<M(0), M(1)>> queued, B may take M(1) first
    # (budget 1 -> 0): +(chan <<M(0)>>, got <<1>>) and then +(<<>>, <<1, 0>>): 8 states, depth 5.
    res = run(LOSE.replace("lose", "reorder").replace("var got: set of 0..2 = {}  on M(v) { got := got + {v} }",
                                                      "var got: seq of 0..2 max 2 = <<>>  "
                                                      "on M(v) { got := append(got, v) }"))
    assert figures(res) == (8, 5, 1)
    assert (res.stats.generated, res.stats.terminal) == (9, 2)


def test_corrupt() -> None:
    # A sends M(0) once.  In transit, v may become 1 or 2 (budget 1 -> 0).
    # (F,<>,{}), (T,<M0>,{}), (T,<M1>,{}), (T,<M2>,{}), then received {0}, {1}, {2}: 7, depth 4.
    text = """
    protocol Corrupt
    message M(v: 0..2)
    channel A -> B fifo
    role A { var done: bool = false  action s when not done { send M(0) to B  done := true } }
    role B { var got: set of 0..2 = {}  on M(v) { got := got + {v} } }
    faults { corrupt M.v at most 1 }
    invariant honest: B.got <= {0}
    """
    res = run(text)
    assert figures(res) == (7, 4, 1)
    # the shortest run breaking `honest`: send, corrupt, receive = 4 states
    bad = res.results[0]
    assert bad.verdict.value == "violated"
    assert labels(bad.trace) == ["init", "A.s", "corrupt", "B.on_M"]


TIMEOUT = """
protocol Timeout
enum St { wait, got, gave_up }
message Ping
channel S -> C fifo
role S {
  var sent: bool = false
  action ping when not sent { send Ping to C  sent := true }
  action quit when not sent { sent := true }
}
role C {
  var st: St = wait
  on Ping when st == wait { st := got }
  on timeout when st == wait { st := gave_up }
}
"""


def test_timeout_fires_only_when_nothing_else_can_happen() -> None:
    # (F,<>,wait): ping or quit are enabled, so no timeout.  ping -> (T,<P>,wait) -> (T,<>,got).
    # quit -> (T,<>,wait): nothing else is enabled, the timeout fires -> (T,<>,gave_up).
    # 5 states, depth 3; generated = 1 + 2 + 1 + 1 = 5.
    res = run(TIMEOUT)
    assert figures(res) == (5, 3, 1)
    assert (res.stats.generated, res.stats.terminal) == (5, 2)


def test_timeout_fault_allows_early_timeouts_within_budget() -> None:
    # `timeout C at most 1` lets C time out while something else is enabled, spending the budget:
    # budget 1: the 5 states above (the global timeout spends nothing);
    # budget 0: (F,<>,gave_up), then ping -> (T,<P>,gave_up), quit -> (T,<>,gave_up);
    #           and from (T,<P>,wait): early -> (T,<P>,gave_up) (already counted).  8 states, depth 3.
    # generated = 1 + init (2 + early) + (T,<P>,w) (recv + early) + (T,<>,w) 1 + (F,<>,gu,0) 2 = 9.
    res = run(TIMEOUT + "faults { timeout C at most 1 }")
    assert figures(res) == (8, 3, 1)
    assert (res.stats.generated, res.stats.terminal) == (9, 4)


def test_timeout_is_blocked_by_a_raising_step() -> None:
    # A step that raises a violation is enabled (it is a safety error, not waiting): the
    # timeout does not fire in its state.  x=0: `bad` raises (assert), so C cannot time out;
    # states: just the initial one, and the assert is reported.
    text = """
    protocol T2
    var x: 0..1 = 0
    action bad { assert x == 1 }
    role C { var out: bool = false  on timeout when not out { out := true } }
    """
    res = run(text)
    assert figures(res) == (1, 1, 1)
    assert [r.kind for r in res.results] == ["assert"]
