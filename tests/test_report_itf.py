"""ITF traces: written by accord, read back by an independent reader, equal to the checker's states."""

from __future__ import annotations

import json
from typing import Any

import pytest
from reportkit import checked

from accord import ir
from accord.ir.types import (
    BoolType,
    EnumType,
    IntType,
    MapType,
    OptionType,
    RecordType,
    RoleType,
    SeqType,
    SetType,
    domain,
)
from accord.report.itf import property_itf, result_itf, trace_itf

# ---------------------------------------------------------------------- a small ITF reader


class ITFError(ValueError):
    pass


def freeze(v: Any) -> Any:
    """A hashable copy of a decoded value (for set elements and map keys)."""
    if isinstance(v, dict):
        return ("record", tuple(sorted((k, freeze(x)) for k, x in v.items())))
    if isinstance(v, list):
        return tuple(freeze(x) for x in v)
    if isinstance(v, Map):
        return ("map", tuple((k, freeze(x)) for k, x in v.items()))
    return v


class Map(dict):
    """An ITF map (told apart from a record)."""


def decode(e: Any) -> Any:
    """ITF expression -> Python: int, bool, str, list, frozenset, Map, tuple (#tup), dict (record)."""
    if isinstance(e, (bool, str)):
        return e
    if isinstance(e, int):
        return e
    if isinstance(e, list):
        return [decode(x) for x in e]
    if not isinstance(e, dict):
        raise ITFError(f"not an ITF expression: {e!r}")
    special = [k for k in e if k.startswith("#")]
    if special:
        if len(e) != 1:
            raise ITFError(f"a {special[0]} object has other keys: {sorted(e)}")
        key, body = special[0], e[special[0]]
        if key == "#bigint":
            if not isinstance(body, str) or not body.lstrip("-").isdigit():
                raise ITFError(f"bad #bigint {body!r}")
            return int(body)
        if key == "#set":
            return frozenset(freeze(decode(x)) for x in body)
        if key == "#tup":
            return tuple(decode(x) for x in body)
        if key == "#map":
            out = Map()
            for pair in body:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise ITFError(f"a #map entry is not a pair: {pair!r}")
                out[freeze(decode(pair[0]))] = decode(pair[1])
            return out
        raise ITFError(f"unknown ITF form {key}")
    return {k: decode(x) for k, x in e.items()}


def read_itf(text: str) -> dict[str, Any]:
    """Parse and check an ITF document: ``{"meta", "vars", "states": [dict], "loop"}`` with decoded values."""
    doc = json.loads(text)
    for key in ("vars", "states"):
        if key not in doc:
            raise ITFError(f"missing {key}")
    names = doc["vars"]
    states = []
    for i, st in enumerate(doc["states"]):
        if st.get("#meta", {}).get("index") != i:
            raise ITFError(f"state {i} has #meta.index {st.get('#meta', {}).get('index')}")
        if set(st) - {"#meta"} != set(names):
            raise ITFError(f"state {i} defines {sorted(set(st) - {'#meta'})}, not the vars {sorted(names)}")
        states.append({n: decode(st[n]) for n in names})
    loop = doc.get("loop")
    if loop is not None and not (isinstance(loop, int) and 0 <= loop < len(states)):
        raise ITFError(f"loop {loop!r} is not an index of states")
    return {"meta": doc.get("#meta", {}), "vars": names, "states": states, "loop": loop,
            "state_meta": [st["#meta"] for st in doc["states"]]}


# ---------------------------------------------------------------------- what the states must read back as


def expected(t: ir.Type, v: Any) -> Any:
    """A runtime value as the reader must decode it (worked out from the types, not from the writer)."""
    if isinstance(t, (BoolType, IntType, EnumType)):
        return v
    if isinstance(t, RoleType):
        return f"{t.role}[{v.idx}]" if t.indexed else t.role
    if isinstance(t, RecordType):
        return {n: expected(ft, x) for (n, ft), x in zip(t.fields, v)}
    if isinstance(t, SetType):
        return frozenset(freeze(expected(t.elem, x)) for x in v)
    if isinstance(t, MapType):
        return Map({freeze(expected(t.key, k)): expected(t.value, x) for k, x in zip(domain(t.key), v)})
    if isinstance(t, SeqType):
        return [expected(t.elem, x) for x in v]
    if isinstance(t, OptionType):
        return {"tag": "None", "value": {}} if v is None else {"tag": "Some", "value": expected(t.inner, v)}
    raise AssertionError(t)


def expected_state(lay, st) -> dict[str, Any]:
    proto = lay.proto
    out: dict[str, Any] = {}
    for v in proto.shared:
        out[v.name] = expected(v.type, st[lay.shared_slot[v.name]])
    for r in proto.roles:
        for k, v in enumerate(r.vars):
            per = {f"{r.name}[{i}]": expected(v.type, st[lay.role_base[r.name] + i][k]) for i in range(r.count)}
            out[f"{r.name}.{v.name}"] = Map(per) if r.indexed else per[r.name + "[0]"]
    for ci in lay.chan_insts:
        def msg(m):
            fields = proto.messages[m.name].fields
            return {"tag": m.name, "value": {n: expected(ft, a) for (n, ft), a in zip(fields, m.args)}}
        items = st[ci.slot]
        if ci.channel.topology is not ir.Topology.LINKS:
            src = proto.role_map[ci.channel.src]
            enc = [{"from": f"{src.name}[{s}]" if src.indexed else src.name, "msg": msg(m)} for s, m in items]
        else:
            enc = [msg(m) for m in items]
        out[f"chan {ci.label}"] = frozenset(freeze(x) for x in enc) if ci.channel.kind is ir.ChanKind.SET else enc
    for f, slot in zip(proto.faults, lay.fault_slot):
        out[f"budget {f.kind.value}{' ' + f.target if f.target else ''}"] = st[slot]
    for role, slot in lay.crash_slot.items():
        out[f"crashed {role}"] = frozenset(f"{role}[{i}]" for i, c in enumerate(st[slot]) if c)
    return out


def round_trip(doc: dict) -> dict:
    return read_itf(json.dumps(doc))


# ---------------------------------------------------------------------- tests


@pytest.mark.parametrize("name,prop", [("kinds", "not_both"), ("kinds", "noted"), ("kinds", "all_seen"),
                                       ("handoff", "deadlock"), ("counter", "small"), ("counter", "top")])
def test_states_read_back_equal_to_the_checkers(name, prop):
    c = checked(name)
    r = c.prop(prop)
    back = round_trip(property_itf(r, c.result, c.lay, c.spec))
    states = [s.state for s in r.trace.steps if s.state is not None]
    assert len(back["states"]) == len(states) == r.trace.length
    for got, st in zip(back["states"], states):
        assert got == expected_state(c.lay, st)
    assert back["loop"] is None


def test_every_encoding_appears_in_the_kinds_witness():
    c = checked("kinds")
    doc = property_itf(c.prop("noted"), c.result, c.lay, c.spec)
    last = doc["states"][-1]
    assert last["last"]["tag"] == "Some" and last["last"]["value"] in ("Node[0]", "Node[1]")
    assert last["rec"]["phase"] == "busy" and last["rec"]["count"] == {"#bigint": "1"}
    assert last["table"]["#map"][0][0] == {"#bigint": "0"}
    assert isinstance(last["log"], list) and "#set" in last["seen"]
    assert "#map" in last["Node.got"] and last["Node.got"]["#map"][0][0] == "Node[0]"
    assert doc["states"][0]["last"] == {"tag": "None", "value": {}}
    assert doc["states"][0]["crashed Node"] == {"#set": []}
    assert doc["states"][0]["budget crash Node"] == {"#bigint": "1"}
    assert doc["vars"] == ["log", "seen", "table", "last", "rec", "Hub.sent", "Node.got", "chan Hub->Node[0]",
                           "chan Hub->Node[1]", "chan Node->Hub", "budget crash Node", "crashed Node"]


def test_meta_names_the_property_and_each_step():
    c = checked("counter")
    doc = property_itf(c.prop("small"), c.result, c.lay, c.spec)
    meta = doc["#meta"]
    assert meta["format"] == "ITF" and meta["source"] == "specs/counter.accord"
    assert (meta["protocol"], meta["property"], meta["kind"], meta["verdict"]) == \
        ("Counter", "small", "invariant", "violated")
    assert meta["parameters"] == {"MAX": 3}
    assert [s["#meta"]["step"] for s in doc["states"]] == ["initial", "env.inc", "env.inc", "env.inc"]
    assert [s["#meta"]["index"] for s in doc["states"]] == [0, 1, 2, 3]
    assert [s["x"] for s in doc["states"]] == [{"#bigint": str(i)} for i in range(4)]


def test_lasso_cycle_gives_loop_and_drops_the_repeated_state():
    c = checked("pingpong")
    r = c.prop("termination")
    assert r.trace.loop_start == 0 and r.trace.length == 3  # x = 0, 1, 0: back where the cycle starts
    back = round_trip(property_itf(r, c.result, c.lay, c.spec))
    assert back["loop"] == 0
    assert [s["x"] for s in back["states"]] == [0, 1]
    assert back["meta"]["loop_step"]["step"] == "A.flip"


def test_stuttering_lasso_loops_on_its_last_state():
    c = checked("handoff")
    r = c.prop("termination")
    back = round_trip(property_itf(r, c.result, c.lay, c.spec))
    assert len(back["states"]) == 4 and back["loop"] == 3
    assert back["meta"]["fairness"].startswith("the run stays in this state forever")


def test_a_failing_step_is_meta_not_a_state():
    c = checked("boom")
    back = round_trip(property_itf(c.prop("assert at line 5"), c.result, c.lay, c.spec))
    assert [s["x"] for s in back["states"]] == [0, 1]
    assert back["meta"]["violation"] == {"step": "env.inc", "description": "env: inc", "after_index": 1}


def test_result_itf_has_one_trace_per_counterexample():
    c = checked("handoff")
    assert list(result_itf(c.result, c.lay, c.spec)) == ["deadlock", "termination"]
    k = checked("kinds")
    assert list(result_itf(k.result, k.lay, k.spec)) == ["not_both"]  # witnesses of `reachable` are not written


def test_the_reader_rejects_malformed_traces():
    c = checked("counter")
    good = trace_itf(c.prop("small").trace, c.lay)
    for bad, why in [
        ({**good, "states": [{**good["states"][0], "#meta": {"index": 5}}]}, "#meta.index"),
        ({**good, "loop": 9}, "loop"),
        ({**good, "vars": ["x", "y"]}, "not the vars"),
        ({**good, "states": [{"#meta": {"index": 0}, "x": {"#bigint": "1", "y": 2}}]}, "other keys"),
    ]:
        with pytest.raises(ITFError, match=why):
            round_trip(bad)
