"""Counterexamples in the Informal Trace Format (ITF) of Apalache and Quint.

A trace is ``{"#meta", "vars", "states", "loop"?}``; every state is an object with
``"#meta": {"index": i, ...}`` and one entry per name in ``vars``. For a lasso,
``loop`` is the index of the state the cycle starts at and the last state steps back
to it: the run is ``states[:loop]`` then ``states[loop:]`` forever. (accord's own
traces repeat the cycle's first state at their end; here that copy is left out and the
step that closes the cycle is ``#meta.loop_step``.) A run that stays in its last state
forever has ``loop`` = the last index.

Variables, named as in the text report:

* a shared variable ``x`` is ``"x"``;
* a role variable is ``"Role.var"``: the value itself for a singleton role, a map
  from instance (``"Worker[0]"``) to value for an indexed role;
* a channel instance is ``"chan Leader->Worker[0]"``: a list of messages for ``fifo``
  and ``bag`` channels (a bag in canonical order), a set for ``set`` channels; on
  ``inbox`` and ``shared`` channels each item is ``{"from": sender, "msg": message}``;
* a fault budget is ``"budget crash Worker"``, crash flags ``"crashed Worker"`` (a set).

Values: ``bool`` as JSON booleans; integers as ``{"#bigint": "n"}``; enum members and
role instances as strings; records as objects; sets as ``{"#set": [...]}`` (sorted);
maps as ``{"#map": [[k, v], ...]}`` in key order; sequences as lists; options and
messages as Quint variants, ``{"tag": "None", "value": {}}`` / ``{"tag": "Some",
"value": v}`` and ``{"tag": "Assign", "value": {"task": ...}}``.

A step that raised the violation without producing a state (a failed ``assert``)
is not a state: it is described in the trace's ``#meta.violation``.
"""

from __future__ import annotations

from typing import Any

import accord
from accord import ir
from accord.checker.result import CheckResult, PropertyResult, Trace, Verdict
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
    Type,
    domain,
    render_value,
    sort_key,
)
from accord.semantics.layout import ChanInst, Layout

FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"
UNIT: dict[str, Any] = {}


def encode(t: Type, v: Any) -> Any:
    """An ITF expression for the runtime value ``v`` of type ``t``."""
    if isinstance(t, BoolType):
        return bool(v)
    if isinstance(t, IntType):
        return {"#bigint": str(v)}
    if isinstance(t, (EnumType, RoleType)):
        return render_value(t, v)
    if isinstance(t, RecordType):
        return {n: encode(ft, x) for (n, ft), x in zip(t.fields, v)}
    if isinstance(t, SetType):
        return {"#set": [encode(t.elem, x) for x in sorted(v, key=sort_key)]}
    if isinstance(t, MapType):
        return {"#map": [[encode(t.key, k), encode(t.value, x)] for k, x in zip(domain(t.key), v)]}
    if isinstance(t, SeqType):
        return [encode(t.elem, x) for x in v]
    if isinstance(t, OptionType):
        return {"tag": "None", "value": dict(UNIT)} if v is None else {"tag": "Some", "value": encode(t.inner, v)}
    return {"#unserializable": repr(v)}


def encode_message(lay: Layout, m: ir.Message) -> dict[str, Any]:
    decl = lay.proto.messages[m.name]
    return {"tag": m.name, "value": {n: encode(ft, a) for (n, ft), a in zip(decl.fields, m.args)}}


def _channel(lay: Layout, ci: ChanInst, items: Any) -> Any:
    seq = sorted(items, key=sort_key) if isinstance(items, frozenset) else list(items)
    src = lay.proto.role_map[ci.channel.src]
    if ci.channel.topology is ir.Topology.LINKS:
        enc = [encode_message(lay, it) for it in seq]
    else:
        enc = [{"from": f"{src.name}[{it[0]}]" if src.indexed else src.name, "msg": encode_message(lay, it[1])}
               for it in seq]
    return {"#set": enc} if ci.channel.kind is ir.ChanKind.SET else enc


def state_vars(lay: Layout, st: tuple[Any, ...]) -> dict[str, Any]:
    """Every part of a state as ITF variables (names and encodings: see the module doc)."""
    out: dict[str, Any] = {}
    proto = lay.proto
    for v in proto.shared:
        out[v.name] = encode(v.type, st[lay.shared_slot[v.name]])
    for r in proto.roles:
        base = lay.role_base[r.name]
        for k, v in enumerate(r.vars):
            if r.indexed:
                out[f"{r.name}.{v.name}"] = {"#map": [[f"{r.name}[{i}]", encode(v.type, st[base + i][k])]
                                                      for i in range(r.count)]}
            else:
                out[f"{r.name}.{v.name}"] = encode(v.type, st[base][k])
    for ci in lay.chan_insts:
        out[f"chan {ci.label}"] = _channel(lay, ci, st[ci.slot])
    for f, slot in zip(proto.faults, lay.fault_slot):
        out[f"budget {f.kind.value}{' ' + f.target if f.target else ''}"] = {"#bigint": str(st[slot])}
    for role, slot in lay.crash_slot.items():
        r = proto.role_map[role]
        out[f"crashed {role}"] = {"#set": [f"{role}[{i}]" if r.indexed else role
                                           for i, c in enumerate(st[slot]) if c]}
    return out


def _step_meta(index: int, tr: Any, lay: Layout) -> dict[str, Any]:
    meta: dict[str, Any] = {"index": index}
    if tr is None:
        meta["step"] = "initial"
        return meta
    meta["step"] = tr.label
    meta["kind"] = tr.kind
    meta["description"] = tr.render(lay)
    if tr.actor is not None:
        r = lay.proto.role_map[tr.actor.role]
        meta["actor"] = f"{tr.actor.role}[{tr.actor.idx}]" if r.indexed else tr.actor.role
    if tr.bindings:
        meta["bindings"] = dict(tr.bindings)
    if tr.message:
        meta["message"] = tr.message
    return meta


def trace_itf(trace: Trace, lay: Layout, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """One trace as an ITF object; ``meta`` is merged into the top-level ``#meta``."""
    head: dict[str, Any] = {"format": "ITF", "format-description": FORMAT_DESCRIPTION,
                            "description": f"generated by accord {accord.__version__}"}
    head.update(meta or {})
    states: list[dict[str, Any]] = []
    for step in trace.steps:
        if step.state is None:
            tr = step.transition
            head["violation"] = {"step": tr.label if tr is not None else None,
                                 "description": tr.render(lay) if tr is not None else None,
                                 "after_index": len(states) - 1}
            continue
        state = {"#meta": _step_meta(len(states), step.transition, lay)}
        state.update(state_vars(lay, step.state))
        states.append(state)
    loop = trace.loop_start
    if loop is not None and not trace.stutter and len(states) > loop + 1 and _same(states[-1], states[loop]):
        # accord's lasso ends where its cycle starts; ITF's ends on the state before it
        head["loop_step"] = states.pop()["#meta"]
    names = list(states[0].keys())[1:] if states else []
    out: dict[str, Any] = {"#meta": head, "vars": names, "states": states}
    if loop is not None:
        out["loop"] = min(loop, len(states) - 1)
    return out


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return {k: v for k, v in a.items() if k != "#meta"} == {k: v for k, v in b.items() if k != "#meta"}


def property_itf(r: PropertyResult, result: CheckResult, lay: Layout, spec: str) -> dict[str, Any]:
    """The ITF trace of one property's counterexample (or witness); the property must have a trace."""
    assert r.trace is not None
    meta = {"source": spec, "protocol": result.protocol, "property": r.name, "kind": r.kind,
            "verdict": r.verdict.value, "message": r.message, "parameters": dict(result.parameters)}
    if r.trace.fairness_note:
        meta["fairness"] = r.trace.fairness_note
    return trace_itf(r.trace, lay, meta)


def result_itf(result: CheckResult, lay: Layout, spec: str) -> dict[str, dict[str, Any]]:
    """Property name -> ITF trace, for every violated property that has a counterexample, in result order."""
    return {r.name: property_itf(r, result, lay, spec) for r in result.results
            if r.verdict is Verdict.VIOLATED and r.trace is not None}
