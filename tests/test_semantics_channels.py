"""Channel kinds, capacities, full modes and topologies, against hand-counted state spaces.

Figures are (distinct states, depth, initial states); depth counts the initial
state as level 1 (TLC). ``generated`` is initial states plus every successor
produced (self-loops and duplicates included); ``terminal`` counts states with
no protocol step enabled.
"""

from __future__ import annotations

import pytest
from semkit import figures, labels, result, run, verdicts

# A sends two messages, each carrying a free choice of 0 or 1; B appends what it receives.
TWO_SENDS = """
protocol TwoSends
type V = 0..1
message M(v: V)
channel A -> B {chan}
role A {{
  var n: 0..2 = 0
  action s(v in V) when n < 2 {{ send M(v) to B  n := n + 1 }}
}}
role B {{
  var got: seq of V max 2 = <<>>
  on M(v) {{ got := append(got, v) }}
}}
check deadlock
"""


def test_fifo() -> None:
    # A state is fixed by the sent sequence s (|s| = n) and how many of it B took (k <= n):
    # got = s[:k], channel = s[k:].  n=0: 1;  n=1: 2 sequences x k in {0,1} = 4;
    # n=2: 4 sequences x k in {0,1,2} = 12.  Total 17; deepest: 2 sends + 2 receives = level 5.
    # generated = 1 initial + 2 sends from each of the 5 states with n < 2 (10)
    #             + 1 receive from each state with k < n (2 + 8 = 10) = 21.
    # Terminal: n = k = 2, 4 states; no `final` anywhere, so each is a deadlock (TLC meaning),
    # and the shortest one is 5 states long.
    res = run(TWO_SENDS.format(chan="fifo"))
    assert figures(res) == (17, 5, 1)
    assert (res.stats.generated, res.stats.terminal) == (21, 4)
    dl = result(res, "deadlock")
    assert dl.verdict.value == "violated" and dl.trace.length == 5
    assert labels(dl.trace) == ["init", "A.s", "A.s", "B.on_M", "B.on_M"]
    assert res.exit_code() == 11


def test_bag() -> None:
    # As fifo, but the channel is a multiset: for n=2, k=0 the channel is one of the bags
    # {0,0} {0,1} {1,1} (3, not 4); k=1: got <<x>>, channel {y}: 4; k=2: 4.  n=2: 11.
    # Total 1 + 4 + 11 = 16, depth 5.  Receives: one per distinct item:
    # n=1,k=0: 2; n=2,k=0: 1 + 2 + 1 = 4; n=2,k=1: 4 -> 10; generated = 1 + 10 + 10 = 21.
    res = run(TWO_SENDS.format(chan="bag"))
    assert figures(res) == (16, 5, 1)
    assert (res.stats.generated, res.stats.terminal) == (21, 4)


def test_sync_is_a_rendezvous() -> None:
    # Each send is delivered inside the sending step: the state is (n, got) only.
    # n=0: 1; n=1: 2; n=2: 4 -> 7 states, depth 3; generated = 1 + 3 states x 2 sends = 7.
    res = run(TWO_SENDS.format(chan="sync"))
    assert figures(res) == (7, 3, 1)
    assert (res.stats.generated, res.stats.terminal) == (7, 4)


def test_sync_blocks_when_the_receiver_refuses() -> None:
    # B only accepts M(0): sending M(1) has no partner, so that step is disabled.
    # States: n=0, (n=1, <<0>>), (n=2, <<0,0>>) -> 3, depth 3; generated = 1 + 1 + 1 = 3.
    text = TWO_SENDS.format(chan="sync").replace("on M(v) {", "on M(v) when v == 0 {")
    res = run(text)
    assert figures(res) == (3, 3, 1)
    assert res.stats.generated == 3
    assert res.stats.coverage_missing == []


def test_sync_to_a_crashed_receiver_blocks() -> None:
    # A rendezvous needs a live partner.  States (sent, B.got, crashed B, budget):
    # (F,F,-,1) -send-> (T,T,-,1) -crash-> (T,T,c,0);  (F,F,-,1) -crash-> (F,F,c,0), where the
    # send is disabled.  4 states, depth 3.
    text = """
    protocol SyncCrash
    message M
    channel A -> B sync
    role A { var sent: bool = false  action s when not sent { send M to B  sent := true } }
    role B { var got: bool = false  on M { got := true } }
    faults { crash B at most 1 }
    """
    res = run(text)
    assert figures(res) == (4, 3, 1)
    assert res.stats.terminal == 3  # (T,T,-,1), (T,T,c,0) and (F,F,c,0): faults are not protocol steps


def test_fifo_capacity_blocks() -> None:
    # At most one message in transit: states (s, k) with n - k <= 1.
    # n=0: 1; n=1: 4; n=2: k in {1,2}: 8 -> 13, depth 5.
    # Sends from states with n < 2 and an empty channel (n=0: 1, n=1,k=1: 2) = 3 x 2 = 6;
    # receives from states with a message (n=1,k=0: 2, n=2,k=1: 4) = 6; generated 1 + 12 = 13.
    res = run(TWO_SENDS.format(chan="fifo capacity 1"))
    assert figures(res) == (13, 5, 1)
    assert res.stats.generated == 13
    assert labels(result(res, "deadlock").trace) == ["init", "A.s", "B.on_M", "A.s", "B.on_M"]


@pytest.mark.parametrize("kind", ["fifo", "bag"])
def test_capacity_drops(kind: str) -> None:
    # A send to a full channel succeeds and the message is lost.  n=2 states:
    # b sent after a was taken: (chan <<b>>, got <<a>>) 4 and (chan <<>>, got <<a,b>>) 4;
    # b sent while a waits (dropped): (chan <<a>>, got <<>>) 2 and (chan <<>>, got <<a>>) 2.
    # Total 1 + 4 + 12 = 17, depth 5.  Terminal: n=2 with an empty channel: 4 + 2 = 6.
    # generated = 1 + 5 x 2 sends + 8 receives (n=1: 2, n=2: 4 + 2) = 19.
    res = run(TWO_SENDS.format(chan=f"{kind} capacity 1 drops"))
    assert figures(res) == (17, 5, 1)
    assert (res.stats.generated, res.stats.terminal) == (19, 6)
    # the shortest deadlock drops a message: send, send (dropped), receive = 4 states
    trace = result(res, "deadlock").trace
    assert trace.length == 4
    assert [ev[0] for ev in trace.steps[2].transition.events] == ["drop"]


def test_capacity_fails_is_a_safety_violation() -> None:
    # The second send, while the first message waits, overflows the channel: the shortest
    # trace is init, send, then the failing send (2 states + the violating step); exit 12.
    res = run(TWO_SENDS.format(chan="fifo capacity 1 fails"), stop_at_first=True)
    over = result(res, "channel overflow at line 5")
    assert over.verdict.value == "violated" and over.kind == "overflow"
    assert over.trace.length == 2 and labels(over.trace) == ["init", "A.s", "A.s"]
    assert over.trace.steps[-1].state is None
    assert res.exit_code() == 12


def test_capacity_fails_continue_explores_the_other_steps() -> None:
    # With --continue the failing send yields no state but the other steps still run,
    # so the state space is the `blocks` one (13 states, depth 5).
    res = run(TWO_SENDS.format(chan="fifo capacity 1 fails"))
    assert figures(res) == (13, 5, 1)
    assert verdicts(res) == {"deadlock": "violated", "channel overflow at line 5": "violated"}


# A pool of messages that receive does not remove: B records each value once.
SET_POOL = """
protocol Pool
type V = 0..1
message M(v: V)
channel A -> B set{cap}
role A {{
  var n: 0..2 = 0
  action s(v in V) when n < 2 {{ send M(v) to B  n := n + 1 }}
}}
role B {{
  var got: set of V = {{}}
  on M(v) when v not in got {{ got := got + {{v}} }}
}}
"""


def test_set_pool() -> None:
    # got is a subset of the pool.  n=0: 1; n=1: pool {v}, got {} or {v}: 4;
    # n=2: pool {0}: 2, pool {1}: 2, pool {0,1}: 4 subsets -> 8.  Total 13, depth 5.
    # generated = 1 + 5 x 2 sends + receives (n=1: 2; n=2: 1 + 1 + (2 + 1 + 1)) = 1 + 10 + 8 = 19.
    # Terminal: n=2 and got = pool: 3.
    res = run(SET_POOL.format(cap=""))
    assert figures(res) == (13, 5, 1)
    assert (res.stats.generated, res.stats.terminal) == (19, 3)


def test_set_capacity_blocks_new_messages_only() -> None:
    # Capacity 1: the pool holds one distinct message; sending it again is fine, another blocks.
    # n=0: 1; n=1: 4; n=2: pool {v} (same value twice), got {} or {v}: 4 -> 9.
    # Deepest: s(v), receive, s(v) = level 4.  Terminal: n=2, got = pool: 2.
    res = run(SET_POOL.format(cap=" capacity 1"))
    assert figures(res) == (9, 4, 1)
    assert res.stats.terminal == 2


# Two senders A[0], A[1] each send one M; the receiver records who sent it.
TOPOLOGY = """
protocol Topo
message M
channel A -> B {chan}
role A[2] {{
  var done: bool = false
  action s when not done {{ send M to {dest}  done := true }}
}}
role B[2] {{
  var heard: set of A = {{}}
  on M from x {{ heard := heard + {{x}} }}
}}
"""


def test_links_one_channel_per_pair() -> None:
    # Each A: not sent / in its own channel A[i]->B[0] / received: 3 x 3 = 9, depth 5.
    # generated = 1 + 6 sends (each A unsent in 3 states) + 6 receives = 13.
    res = run(TOPOLOGY.format(chan="fifo links", dest="B[0]"))
    assert figures(res) == (9, 5, 1)
    assert res.stats.generated == 13


def test_inbox_fifo_keeps_arrival_order() -> None:
    # One queue into B[0] for both senders: as links, plus the order of the two in-flight
    # messages (2 orders instead of 1): 9 + 1 = 10, depth 5.
    res = run(TOPOLOGY.format(chan="fifo inbox", dest="B[0]"))
    assert figures(res) == (10, 5, 1)


def test_inbox_bag() -> None:
    # A bag inbox has no order: 9 states, depth 5.
    res = run(TOPOLOGY.format(chan="bag inbox", dest="B[0]"))
    assert figures(res) == (9, 5, 1)


def test_shared_fifo_any_receiver_takes() -> None:
    # One queue for the role pair; B[0] or B[1] takes the head.  Each A: not sent / queued /
    # received by B[0] / by B[1]: 16, plus the second order of two queued messages: 17, depth 5.
    # Terminal: both received, each by one of two B's: 4.
    res = run(TOPOLOGY.format(chan="fifo shared", dest="B"))
    assert figures(res) == (17, 5, 1)
    assert res.stats.terminal == 4


def test_shared_bag() -> None:
    # As shared fifo without the order: 16 states.
    res = run(TOPOLOGY.format(chan="bag shared", dest="B"))
    assert figures(res) == (16, 5, 1)


def test_broadcast_skips_the_sender_and_reply_answers_it() -> None:
    # P[0] broadcasts Hello to the other P's (P[1], P[2]: not itself); each answers with `reply`.
    # States: hello in flight to P[1] / P[2] (each: queued, or answered with Ack queued, or Ack
    # received): after the broadcast each of the two peers is in one of 3 phases: 9, plus the
    # initial state: 10.  Depth 1 + 1 + 2 + 2 = 6.  P[0] ends with acks = {P[1], P[2]}.
    text = """
    protocol Bcast
    message Hello
    message Ack
    channel P -> P fifo
    role P[3] {
      var said: bool = false
      var acks: set of P = {}
      action hello when self == P[0] and not said { broadcast Hello to P  said := true }
      on Hello { reply Ack }
      on Ack from x { acks := acks + {x} }
    }
    invariant not_self: P[0] not in P[0].acks
    reachable all_acked: P[0].acks == {P[1], P[2]}
    """
    res = run(text)
    assert figures(res) == (10, 6, 1)
    assert verdicts(res) == {"not_self": "holds", "all_acked": "holds"}
