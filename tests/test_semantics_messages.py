"""Message fields are range-checked when a message is built, like assignments."""

from __future__ import annotations

from accord.checker.explicit import Config, check
from accord.dsl import load_text

SPEC = """protocol MF
message M(v: 0..1)
channel A -> B fifo capacity 1
role A { var x: 0..3 = X  var sent: bool = false
  action go when not sent { sent := true  send M(x) to B } }
role B { var got: 0..3 = 0  on M(v) { got := v } }
const X = 3
reachable big: B.got == 3
"""


def test_out_of_range_field_is_a_runtime_violation_at_the_send():
    proto, diags = load_text(SPEC)
    assert proto is not None, [d.render() for d in diags]
    r = check(proto, Config())
    v = r.first_violation
    assert v is not None and v.kind == "runtime"
    assert "field `v` of `M` would be 3, outside 0..1" in v.message
    assert v.span is not None and v.span.line == 5
    assert r.exit_code() == 12


def test_in_range_value_travels():
    proto, _ = load_text(SPEC, overrides={"X": 1})
    assert proto is not None
    r = check(proto, Config(stop_at_first=False))
    assert r.first_violation is not None and r.first_violation.name == "big"  # 3 is never received
    assert r.stats.distinct == 3  # sent, in transit, received


def test_error_in_a_parameter_domain_is_a_violation_not_a_crash():
    spec = """protocol P
type Idx = 1..2
var m: map Idx -> set of Idx = [n -> {}]
role A[2] {
  action a(i in m[index(self)]) { skip }
}
"""
    proto, diags = load_text(spec)
    assert proto is not None, [d.render() for d in diags]
    r = check(proto, Config())
    v = r.first_violation
    assert v is not None and v.kind == "runtime" and "key 0 is outside the map's domain" in v.message
    assert r.exit_code() == 12


def test_liveness_is_not_decided_from_states_whose_step_raised():
    spec = """protocol ErrorOnlyStep
var n: 0..1 = 0
role A {
  action bump { n := n + 1 }
  final when n == 2
}
check termination under weak fairness
check deadlock
"""
    proto, _ = load_text(spec)
    assert proto is not None
    r = check(proto, Config(stop_at_first=False))
    got = {x.name: x.verdict.value for x in r.results}
    assert got == {"termination": "unknown", "deadlock": "holds", "runtime error at line 4": "violated"}
    assert r.exit_code() == 12
