"""What the vector engine supports, and the finite universe of messages of each `set` channel.

:func:`supported` lists the reasons a protocol (under a search configuration) is
outside the fragment; an empty list means :func:`accord.checker.fast.check_fast`
accepts it. The fragment: interleaving schedule; `set` channels (any topology,
capacity with blocks/drops/fails); shared and local variables of packable types
(bool, ranges, enums, role instances, sets of those with at most 64 values, maps
with scalar keys, records); actions with parameters, handlers with patterns and
`from`, `on timeout`; every statement but those on sequences; invariants,
agreement, reachable, deadlock; breadth-first search without symmetry reduction,
state constraints, liveness or faults.

:func:`universes` bounds, per channel instance, the items that can ever travel on
it, by evaluating each send's arguments with the sender known: an argument that is
a constant (possibly through ``self``) contributes its value, any other argument
every value of its field's type.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from typing import Any

from accord import ir
from accord.checker.fast.codec_base import set_elem_ok, type_problem
from accord.ir.types import Inst, domain
from accord.semantics.evaluate import Env, compile_expr
from accord.semantics.layout import Layout

LIVE = (ir.PropKind.TERMINATION, ir.PropKind.LEADS_TO)
GENERIC_ONLY = (("por", "partial-order reduction"), ("hash_compaction", "hash compaction"),
                ("checkpoint", "checkpoints"), ("resume", "resuming from a checkpoint"))


def supported(proto: ir.Protocol, cfg: Any = None) -> list[str]:
    """Why ``proto`` (searched with ``cfg``, an explicit ``Config``) is outside the fragment ([] = inside)."""
    why: list[str] = []
    if proto.schedule is ir.Schedule.ROUNDS:
        why.append("`schedule rounds`")
    for c in proto.channels:
        if c.kind is ir.ChanKind.SYNC:
            why.append(f"channel {c.name} is `sync` (rendezvous)")
    if proto.constraints:
        why.append("state constraints")
    if cfg is not None:
        if cfg.strategy != "bfs":
            why.append(f"strategy {cfg.strategy} (breadth-first only)")
        if cfg.symmetry and _uses_symmetry(proto):
            why.append("symmetry reduction (use --no-symmetry)")
        for attr, what in GENERIC_ONLY:  # search options only the generic engine implements
            if getattr(cfg, attr, None):
                why.append(what)
        if getattr(cfg, "workers", 1) > 1:
            why.append("several workers")
    for v in proto.shared:
        _type(why, v.type, f"variable `{v.name}`")
    for r in proto.roles:
        for v in r.vars:
            _type(why, v.type, f"variable `{r.name}.{v.name}`")
    for m in proto.messages.values():
        for fname, ft in m.fields:
            _type(why, ft, f"field `{m.name}.{fname}`")
    for s in proto.steps:
        for _, dom in s.params:
            if isinstance(dom.type, ir.SetType):
                _type(why, dom.type.elem, f"a parameter of {s.label}", scalar_only=True)
    for node in walk(proto):
        if isinstance(node, (ir.SeqLit, ir.SetComp)) and isinstance(node.type, ir.SeqType):
            why.append("sequences")
        elif isinstance(node, ir.Call) and node.fn in ("head", "tail", "append", "len"):
            why.append(f"`{node.fn}` (sequences)")
        elif isinstance(node, (ir.Quant, ir.SetComp, ir.Choose, ir.For)):
            doms = node.binders if isinstance(node, ir.Quant) else [(None, node.domain)]
            for _, d in doms:
                if isinstance(d.type, ir.SeqType):
                    why.append("iteration over a sequence")
                elif isinstance(d.type, ir.SetType) and not isinstance(d, ir.AllOf):
                    _type(why, d.type.elem, "an iterated set", scalar_only=True)
    return list(dict.fromkeys(why))


def _uses_symmetry(proto: ir.Protocol) -> bool:
    from accord.checker.symmetry import symmetry_problems

    has = any(r.symmetric and r.count > 1 for r in proto.roles)
    return has and not symmetry_problems(proto)


def _type(why: list[str], t: ir.Type, what: str, scalar_only: bool = False) -> None:
    if scalar_only:  # elements of a set: they need a bit in a mask
        problem = set_elem_ok(t)
        if problem:
            why.append(f"{what} ranges over {problem.removeprefix('a ')}")
        return
    problem = type_problem(t)
    if problem:
        why.append(f"{what} holds {problem}")


def walk(node: Any) -> Iterator[Any]:
    """Every IR node (expressions, statements, declarations) reachable from ``node``."""
    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, (tuple, list)):
            stack.extend(x)
            continue
        if not dataclasses.is_dataclass(x) or isinstance(x, (type, ir.Type)):
            continue
        yield x
        for f in dataclasses.fields(x):
            if f.name in ("span", "type", "source", "count_src", "capacity_src", "budget_src"):
                continue
            stack.append(getattr(x, f.name))
    return


# ---------------------------------------------------------------------- universes
def universes(proto: ir.Protocol, lay: Layout) -> dict[int, set[Any]]:
    """Channel slot -> every item that can be on that channel instance (a sound over-approximation)."""
    out: dict[int, set[Any]] = {ci.slot: set() for ci in lay.chan_insts}
    for r in proto.roles:
        for s in r.steps:
            for node in walk(s.body):
                if not isinstance(node, (ir.Send, ir.Broadcast, ir.Reply)):
                    continue
                ch = proto.channel_map[node.channel]
                if ch.kind is ir.ChanKind.SYNC:
                    continue
                decl = proto.messages[node.msg.msg]
                links = ch.topology is ir.Topology.LINKS
                dst = proto.role_map[ch.dst]
                for i in range(r.count):
                    me = Inst(r.name, i)
                    args = [_possible(lay, a, me, ft) for a, (_, ft) in zip(node.msg.args, decl.fields)]
                    msgs = [ir.Message(decl.name, tuple(vals)) for vals in itertools.product(*args)]
                    for d in _dests(lay, node, ch, me, dst):
                        ci = lay.channel_for(ch, i, d)
                        for m in msgs:
                            out[ci.slot].add(m if links else (i, m))
    for f in proto.faults:
        if f.kind is ir.FaultKind.CORRUPT:
            for ci in lay.chan_insts:
                links = ci.channel.topology is ir.Topology.LINKS
                out[ci.slot] = _corrupted(proto, out[ci.slot], f, links)
    return out


def _corrupted(proto: ir.Protocol, items: set[Any], f: ir.Fault, links: bool) -> set[Any]:
    """``items`` closed under ``f.budget`` corruptions (one field of one message changed each)."""
    target_msg, _, target_field = (f.target or "").partition(".")
    frontier = set(items)
    for _ in range(f.budget):
        new = set()
        for item in frontier:
            m = item if links else item[1]
            if f.target is not None and target_msg != m.name:
                continue
            for k, (fname, ftype) in enumerate(proto.messages[m.name].fields):
                if target_field and fname != target_field:
                    continue
                for v in domain(ftype):
                    bad = ir.Message(m.name, m.args[:k] + (v,) + m.args[k + 1:])
                    new.add(bad if links else (item[0], bad))
        frontier = new - items
        items |= frontier
    return items


def _dests(lay: Layout, node: Any, ch: ir.Channel, me: Inst, dst: ir.Role) -> list[int | None]:
    if ch.topology is ir.Topology.SHARED:
        return [None]
    if isinstance(node, ir.Broadcast):
        return [j for j in range(dst.count) if Inst(dst.name, j) != me]
    if isinstance(node, ir.Send):
        v = _static(lay, node.dest, me)
        if v is not None:
            return [v.idx]
    return list(range(dst.count))


def _possible(lay: Layout, e: ir.Expr, me: Inst, ft: ir.Type) -> list[Any]:
    v = _static(lay, e, me)
    return [v] if v is not None else list(domain(ft))




def _static(lay: Layout, e: ir.Expr, me: Inst) -> Any:
    """The value of ``e`` if it depends on nothing but the acting instance (else None)."""
    try:
        return compile_expr(e, lay)(Env((), lay.inst_slot(me), {}, lay))
    except Exception:  # noqa: BLE001 -- reads the state or a bound name: not static
        return None


__all__ = ["supported", "universes", "walk"]
