"""Between a spec's runs and a user's implementation: what happened, and what the implementation shows.

* :class:`Event` is one step of a spec run as an implementation's adapter sees it:
  plain strings and values, no IR.
* :class:`Observer` turns an implementation's observation — a mapping from a
  variable's name as traces print it (``"board"``, ``"Worker[2].busy"``,
  ``"Leader.done"``) to a plain Python value — into the spec's runtime values, and
  writes it over a spec state, so that the spec's properties can be judged on what
  the implementation holds.

Plain values: ``bool``; ``int`` for ranges; ``str`` for enum members; ``"Role[i]"``,
``("Role", i)`` or an :class:`~accord.ir.types.Inst` for role instances; any
iterable for a set; a ``dict`` for a map (every key) and for a record; a list or
tuple for a sequence; ``None`` or the value for an option.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accord import ir
from accord.ir.types import Inst, domain
from accord.semantics.layout import Layout
from accord.semantics.model import State, Transition


@dataclass(frozen=True)
class Event:
    """One step of a spec run, for an implementation to perform."""

    kind: str  # "step" | "fault"
    label: str  # "Worker.on_Job", "Leader.assign", or the fault: "crash", "lose", …
    agent: str | None  # "Worker[2]", "Leader"; None for environment actions and message faults
    role: str | None
    index: int | None
    bindings: Mapping[str, str]  # parameters and message fields, as traces print them
    message: str | None = None  # the message received (or hit by a fault), as traces print it
    channel: str | None = None
    detail: str | None = None
    choices: tuple[tuple[str, Any], ...] = ()  # `choose x in S` outcomes, as runtime values
    sends: tuple[str, ...] = ()  # the messages the step sent, as traces print them

    @property
    def name(self) -> str:
        """The step's name within its role (``"on_Job"``), or the fault's."""
        return self.label.split(".", 1)[-1]

    @classmethod
    def of(cls, tr: Transition, lay: Layout) -> Event:
        actor = tr.actor
        agent = None
        if actor is not None:
            agent = f"{actor.role}[{actor.idx}]" if lay.proto.role_map[actor.role].indexed else actor.role
        choices = tuple((ev[1], ev[2]) for ev in tr.events if ev[0] == "choose")
        sends = tuple(lay.render_msg(ev[4]) for ev in tr.events if ev[0] == "send")
        return cls(tr.kind, tr.label, agent, actor.role if actor else None, actor.idx if actor else None,
                   dict(tr.bindings), tr.message, tr.channel, tr.detail, choices, sends)


def from_plain(t: ir.Type, v: Any, role_map: Mapping[str, ir.Role] | None = None) -> Any:
    """A plain Python value as the runtime value of type ``t`` (see the module doc). ``ValueError`` if
    it cannot be one."""
    if isinstance(t, ir.BoolType):
        if not isinstance(v, bool):
            raise ValueError(f"expected a bool, got {v!r}")
        return v
    if isinstance(t, ir.IntType):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"expected an int, got {v!r}")
        return v
    if isinstance(t, ir.EnumType):
        if v not in t.members:
            raise ValueError(f"expected one of {', '.join(t.members)}, got {v!r}")
        return v
    if isinstance(t, ir.RoleType):
        return _inst(t, v)
    if isinstance(t, ir.SetType):
        return frozenset(from_plain(t.elem, x) for x in v)
    if isinstance(t, ir.MapType):
        if not isinstance(v, Mapping):
            raise ValueError(f"expected a dict for a map, got {v!r}")
        got = {from_plain(t.key, k): x for k, x in v.items()}
        missing = [k for k in domain(t.key) if k not in got]
        if missing:
            raise ValueError(f"the map has no value for key {missing[0]!r}")
        return tuple(from_plain(t.value, got[k]) for k in domain(t.key))
    if isinstance(t, ir.SeqType):
        return tuple(from_plain(t.elem, x) for x in v)
    if isinstance(t, ir.OptionType):
        return None if v is None else from_plain(t.inner, v)
    if isinstance(t, ir.RecordType):
        if isinstance(v, Mapping):
            return tuple(from_plain(ft, v[n]) for n, ft in t.fields)
        return tuple(from_plain(ft, x) for (_, ft), x in zip(t.fields, v))
    raise ValueError(f"cannot read a value of this type from {v!r}")


def _inst(t: ir.RoleType, v: Any) -> Inst:
    if isinstance(v, tuple) and len(v) == 2:
        return Inst(str(v[0]), int(v[1]))
    if isinstance(v, str):
        name, _, rest = v.partition("[")
        idx = int(rest.rstrip("]")) if rest else 0
        if name == t.role and 0 <= idx < t.count:
            return Inst(name, idx)
    raise ValueError(f"expected an instance of {t.role} such as '{t.role}[0]', got {v!r}")


class Observer:
    """Writes an implementation's observation over a spec state (see the module doc)."""

    def __init__(self, lay: Layout):
        self.lay = lay
        proto = lay.proto
        #: name -> (slot, position in the instance tuple or None for a shared variable, type)
        self.where: dict[str, tuple[int, int | None, ir.Type]] = {}
        for v in proto.shared:
            self.where[v.name] = (lay.shared_slot[v.name], None, v.type)
        for r in proto.roles:
            for i in range(r.count):
                who = f"{r.name}[{i}]" if r.indexed else r.name
                for pos, v in enumerate(r.vars):
                    self.where[f"{who}.{v.name}"] = (lay.role_base[r.name] + i, pos, v.type)

    def lift(self, st: State, observed: Mapping[str, Any]) -> tuple[State, list[str]]:
        """``st`` with the observed values written over it, and the names whose value differs from ``st``'s
        (sorted). ``ValueError`` for an unknown name or a value that does not fit its variable."""
        out = list(st)
        differs = []
        for name, plain in observed.items():
            spot = self.where.get(name)
            if spot is None:
                known = ", ".join(sorted(self.where)[:6])
                raise ValueError(f"the spec has no variable `{name}` (names look like: {known}, …)")
            slot, pos, t = spot
            try:
                value = from_plain(t, plain)
            except ValueError as exc:
                raise ValueError(f"`{name}`: {exc}") from None
            if pos is None:
                old = out[slot]
                out[slot] = value
            else:
                old = out[slot][pos]
                out[slot] = out[slot][:pos] + (value,) + out[slot][pos + 1:]
            if old != value:
                differs.append(name)
        return tuple(out), sorted(differs)


__all__ = ["Event", "Observer", "from_plain"]
