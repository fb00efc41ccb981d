"""Synchronous rounds: the successor function under ``schedule rounds``.

A protocol step of the rounds schedule is a *round*. From a state ``S``:

1. **Options.** Each live agent instance (every instance of every role, the
   environment of top-level actions included; crashed ones sit out) lists its
   *options*: every outcome of every protocol step enabled for it in ``S``
   (one per binding, received message and ``choose`` branch), each evaluated
   on ``S`` alone. ``on timeout`` steps are options when no round of other
   steps is possible (everybody waits: then every agent whose timeout is
   enabled times out in the same round, spending no budget), or earlier while
   a ``timeout`` fault budget for the agent's role lasts (each early timeout
   spends one unit, and an agent that could only time out early may also keep
   waiting).
2. **Choice.** Every agent that has an option takes exactly one of them
   (nondeterministically: one round per combination). Agents read only ``S``:
   nothing one agent does in a round is visible to another until the next.
   When options of several agents compete for one resource (the same message
   of a ``shared`` queue, room in a ``blocks`` channel, a fault budget), a
   combination that over-uses it is not a round; an agent may then sit the
   round out, but only if *every* one of its options over-uses a resource
   given the others' choices (rounds are maximal).
3. **Merge.** The next state starts from ``S``:

   * each agent's local variables are the ones its step computed (only the
     owner writes them);
   * a shared variable written by one agent takes its value. Written by two or
     more agents in the round, it follows its declaration:
     ``merge union`` (a set): every writer's *changes* apply, i.e. the result
     is ``(S.x - R) + A`` with ``A`` the union of the elements writers added
     (``x_i - S.x``) and ``R`` the union of those they removed (``S.x - x_i``);
     no two changes can contradict each other, so this is well defined and
     equals the plain union of the new values when writers only add;
     ``merge last_writer``: the value of one writer wins, a separate round for
     each distinct value; ``conflict``, or no ``merge`` declared: the round
     is a safety violation, reported as ``concurrent write`` with its trace.
     A map merges entry by entry (an entry counts as written when its value
     changes): writers of different entries never collide, and the rule above
     applies to each entry written by several agents (a shared task board);
   * received messages leave their channels (``set`` pools keep them);
   * then the messages sent in the round enter their channels, in agent order
     (roles in declaration order, instances by index, each agent's sends in
     program order). Capacity is checked at that point: a ``blocks`` channel
     that cannot take them all makes the combination invalid (see 2.), a
     ``drops`` channel loses the excess, a ``fails`` channel is an overflow
     violation;
   * fault budgets spent by the round (early timeouts, out-of-order receives
     under a ``reorder`` fault) are subtracted.

Fault steps (crash, restart, lose, …) are not part of rounds: they interleave
between rounds, as single steps, exactly as under the interleaving schedule.
A state with no round is *terminal*: no agent can step (the deadlock check
then asks whether every live role is final). ``sync`` channels cannot be used
under rounds (a rendezvous would let one agent act inside another's step);
such a send is reported as a runtime error.

For fairness and coverage a round takes the unit of every step in it: the
first part's unit is ``Transition.unit``, the others are in ``joined``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from accord import ir
from accord.ir.types import Inst
from accord.semantics.exec import StepEnv, Violation, bag_insert

if TYPE_CHECKING:
    from accord.semantics.model import Model, State, StepError, Transition


@dataclass
class _Option:
    """One outcome of one agent's step, as an effect on the pre-round state."""

    inst: Inst
    tr: "Transition"
    env: StepEnv
    early: bool = False  # an early timeout: optional, the agent may keep waiting instead
    budget: dict[int, int] = field(default_factory=dict)  # fault slot -> units spent
    resources: set[int] = field(default_factory=set)  # slots competed for (channels, budgets)
    bounded: bool = False  # sends into a `blocks` channel with a capacity: may not fit even alone


class _Infeasible(Exception):
    """The chosen options over-use a resource: the combination is not a round."""


def round_successors(model: "Model", st: "State", record: bool = False,
                     errors: list["StepError"] | None = None) -> list[tuple["Transition", "State"]]:
    """Every round from ``st`` (see the module docstring), as (transition, state) pairs.

    Violations raised by an agent's step or by merging a round (``concurrent
    write``, overflow of a ``fails`` channel) are raised as :class:`StepError`,
    or appended to ``errors`` when a list is given.
    """
    n_errors = len(errors) if errors is not None else 0
    lay = model.layout
    live = [Inst(r.name, i) for r in model.proto.roles for i in range(r.count)
            if not lay.is_crashed(st, Inst(r.name, i))]
    options = _normal_options(model, st, live, record, errors)
    if not model.timeout_steps:
        return _rounds(model, st, options, record, errors)
    merge_errors: list[StepError] | None = [] if errors is not None else None
    out = _rounds(model, st, options, record, merge_errors)
    if out or merge_errors or (errors is not None and len(errors) > n_errors):
        # something else can happen: timeouts only early, within a `timeout` fault budget
        if _add_timeouts(model, st, live, options, record, errors, early=True):
            return _rounds(model, st, options, record, errors)  # reports the merge errors again
        if errors is not None and merge_errors:
            errors.extend(merge_errors)
        return out
    # everybody waits: every agent whose timeout is enabled times out
    waiting: dict[Inst, list[_Option]] = {a: [] for a in live}
    _add_timeouts(model, st, live, waiting, record, errors, early=False)
    return _rounds(model, st, waiting, record, errors)


def _rounds(model: "Model", st: "State", options: dict[Inst, list[_Option]], record: bool,
            errors: list["StepError"] | None) -> list[tuple["Transition", "State"]]:
    """The maximal feasible combinations of one option per agent, merged."""
    agents = [a for a, opts in options.items() if opts]
    if not agents:
        return []
    users: dict[int, int] = {}
    for a in agents:
        for slot in set().union(*(o.resources for o in options[a])):
            users[slot] = users.get(slot, 0) + 1
    contested = {slot for slot, n in users.items() if n > 1}
    choices = [options[a] + ([None] if _may_sit_out(options[a], contested) else [])  # type: ignore[list-item]
               for a in agents]
    out: list[tuple[Transition, State]] = []
    for combo in itertools.product(*choices):
        chosen = [o for o in combo if o is not None]
        if not chosen or not _feasible(model, st, chosen):
            continue
        if len(chosen) < len(combo) and not _maximal(model, st, agents, combo, options):
            continue
        try:
            out.extend(_merge(model, st, chosen, record))
        except Violation as exc:
            _report(exc, chosen, errors)
    return out


def _may_sit_out(opts: list[_Option], contested: set[int]) -> bool:
    """Whether sitting the round out must be considered for an agent (maximality then decides).

    True when all it could do is time out early, when it competes with another agent for a
    resource, or when one of its sends may not fit in a bounded ``blocks`` channel.
    """
    return all(o.early for o in opts) or any(o.bounded or o.resources & contested for o in opts)


# ---------------------------------------------------------------------- options

def _normal_options(model: "Model", st: "State", live: list[Inst], record: bool,
                    errors: list["StepError"] | None) -> dict[Inst, list[_Option]]:
    options: dict[Inst, list[_Option]] = {a: [] for a in live}
    by_role: dict[str, list[Any]] = {}
    for cs in model.normal_steps:
        by_role.setdefault(cs.role, []).append(cs)
    for a in live:
        for cs in by_role.get(a.role, ()):
            for tr, env in cs.outcomes(st, a, record, errors, rounds=True):
                options[a].append(_option(model, st, a, tr, env))
    return options


def _add_timeouts(model: "Model", st: "State", live: list[Inst], options: dict[Inst, list[_Option]],
                  record: bool, errors: list["StepError"] | None, early: bool) -> bool:
    """Add the timeout options (early ones spend a budget); whether any was added."""
    added = False
    for cs in model.timeout_steps:
        budget_slot = None
        if early:
            budget_slot = next((slot for f, slot in model.faults if f.kind is ir.FaultKind.TIMEOUT
                                and f.target in (None, cs.role) and st[slot] > 0), None)
            if budget_slot is None:
                continue
        for a in live:
            if a.role != cs.role:
                continue
            for tr, env in cs.outcomes(st, a, record, errors, rounds=True):
                o = _option(model, st, a, tr, env)
                if budget_slot is not None:
                    o.tr = replace(tr, detail="early (timeout fault)")
                    o.early = True
                    o.budget[budget_slot] = o.budget.get(budget_slot, 0) + 1
                    o.resources.add(budget_slot)
                options[a].append(o)
                added = True
    return added


def _option(model: "Model", st: "State", inst: Inst, tr: "Transition", env: StepEnv) -> _Option:
    o = _Option(inst, tr, env)
    for _, slot in model.faults:  # budgets spent inside the step (out-of-order receives)
        if env.st[slot] != st[slot]:
            o.budget[slot] = st[slot] - env.st[slot]
            o.resources.add(slot)
    if env.took is not None:
        o.resources.add(env.took[0])
    for ci, _, _, _ in env.outbox or ():
        if ci.channel.capacity is not None and ci.channel.full is ir.FullMode.BLOCKS:
            o.resources.add(ci.slot)
            o.bounded = True
    return o


# ---------------------------------------------------------------------- merging

def _merge(model: "Model", st: "State", chosen: list[_Option], record: bool
           ) -> list[tuple["Transition", "State"]]:
    """The states a feasible combination of options leads to (several under ``merge last_writer``)."""
    lay = model.layout
    new = list(st)
    for o in chosen:
        me = lay.inst_slot(o.inst)
        new[me] = o.env.st[me]
    events = _budgets_and_channels(model, st, new, chosen)
    variants = _shared(model, st, new, chosen)
    tr = _round_transition(chosen, events if record else None)
    return [(tr, tuple(v)) for v in variants]


def _feasible(model: "Model", st: "State", chosen: list[_Option]) -> bool:
    """Whether the options fit together: budgets, messages taken, room in ``blocks`` channels."""
    try:
        _budgets_and_channels(model, st, list(st), chosen)
    except _Infeasible:
        return False
    except Violation:  # an overflow of a `fails` channel: the round happens, and fails
        return True
    return True


def _budgets_and_channels(model: "Model", st: "State", new: list[Any], chosen: list[_Option]) -> list[Any]:
    for o in chosen:
        for slot, spent in o.budget.items():
            new[slot] -= spent
            if new[slot] < 0:
                raise _Infeasible()
    return _channels(model, st, new, chosen)


def _channels(model: "Model", st: "State", new: list[Any], chosen: list[_Option]) -> list[Any]:
    """Apply receives, then sends in agent order; returns the delivery events."""
    taken: dict[int, list[tuple[int, Any]]] = {}
    for o in chosen:
        if o.env.took is not None:
            slot, pos, item = o.env.took
            taken.setdefault(slot, []).append((pos, item))
    for ci in model.layout.chan_insts:
        if ci.slot not in taken:
            continue
        items = st[ci.slot]
        if ci.channel.kind is ir.ChanKind.FIFO:
            positions = [p for p, _ in taken[ci.slot]]
            if len(set(positions)) < len(positions):
                raise _Infeasible()  # two agents took the same message
            new[ci.slot] = tuple(x for k, x in enumerate(items) if k not in positions)
        else:  # bag: remove one copy per receipt
            rest = list(items)
            for _, item in taken[ci.slot]:
                if item not in rest:
                    raise _Infeasible()
                rest.remove(item)
            new[ci.slot] = tuple(rest)
    events: list[Any] = []
    for o in chosen:
        for ci, item, m, dest in o.env.outbox or ():
            ch = ci.channel
            old = new[ci.slot]
            fits = ch.capacity is None or len(old) < ch.capacity
            if ch.kind is ir.ChanKind.SET:
                if item in old:
                    events.append(("send", ci.label, o.inst, dest, m))
                    continue
                if fits:
                    new[ci.slot] = old | {item}
            elif fits:
                new[ci.slot] = old + (item,) if ch.kind is ir.ChanKind.FIFO else bag_insert(old, item)
            if fits:
                events.append(("send", ci.label, o.inst, dest, m))
            elif ch.full is ir.FullMode.BLOCKS:
                raise _Infeasible()
            elif ch.full is ir.FullMode.DROPS:
                events.append(("drop", ci.label, o.inst, None, m))
            else:
                raise Violation("overflow", f"channel {ci.label} is full (capacity {ch.capacity})", ch.span)
    return events


def _shared(model: "Model", st: "State", new: list[Any], chosen: list[_Option]) -> list[list[Any]]:
    """Merge the shared-variable writes; one state per combination of `last_writer` winners."""
    lay = model.layout
    variants = [new]
    for v in model.proto.shared:
        slot = lay.shared_slot[v.name]
        writers = [o for o in chosen if o.env.writes and v.name in o.env.writes]
        if not writers:
            continue
        values = [o.env.st[slot] for o in writers]
        if len(writers) > 1 and isinstance(v.type, ir.MapType):
            picks = _merge_map(v, st[slot], values, writers, lay)
        elif len(writers) == 1:
            picks = values
        elif v.merge is ir.MergeKind.UNION:
            old = st[slot]
            added = frozenset().union(*(x - old for x in values))
            removed = frozenset().union(*(old - x for x in values))
            picks = [(old - removed) | added]
        elif v.merge is ir.MergeKind.LAST_WRITER:
            picks = list(dict.fromkeys(values))
        else:
            who = " and ".join(_name(lay, o.inst) for o in writers)
            how = "declared `conflict`" if v.merge is ir.MergeKind.CONFLICT else "no `merge` declared"
            raise Violation("concurrent write", f"`{v.name}` is written by {who} in the same round ({how})",
                            v.span)
        nxt = []
        for base in variants:
            for x in picks:
                c = list(base)
                c[slot] = x
                nxt.append(c)
        variants = nxt
    return variants


def _merge_map(v: ir.VarDecl, old: tuple[Any, ...], values: list[Any], writers: list[Any], lay: Any
               ) -> list[tuple[Any, ...]]:
    """Maps merge entry by entry: an entry changed by one writer takes its value; an entry changed by
    several follows the declaration (``last_writer``: one round per distinct value; ``conflict`` or no
    ``merge``: a concurrent write). Writers that change different entries never collide."""
    per_key: list[list[Any]] = []
    for k, before in enumerate(old):
        changed = [(o, x[k]) for o, x in zip(writers, values) if x[k] != before]
        distinct = list(dict.fromkeys(val for _, val in changed))
        if len(changed) > 1 and v.merge is not ir.MergeKind.LAST_WRITER:
            if v.merge is ir.MergeKind.UNION and all(isinstance(val, frozenset) for val in distinct):
                added = frozenset().union(*(val - before for val in distinct))
                removed = frozenset().union(*(before - val for val in distinct))
                per_key.append([(before - removed) | added])
                continue
            who = " and ".join(_name(lay, o.inst) for o, _ in changed)
            how = "declared `conflict`" if v.merge is ir.MergeKind.CONFLICT else "no `merge` declared"
            raise Violation("concurrent write", f"entry {k} of `{v.name}` is written by {who} in the same round "
                            f"({how})", v.span)
        per_key.append(distinct or [before])
    out = [()]
    for options in per_key:
        out = [prefix + (x,) for prefix in out for x in options]
    return [tuple(x) for x in out]


def _maximal(model: "Model", st: "State", agents: list[Inst], combo: tuple[Any, ...],
             options: dict[Inst, list[_Option]]) -> bool:
    """No agent sitting out could have taken one of its options alongside the others."""
    for k, o in enumerate(combo):
        if o is not None or all(x.early for x in options[agents[k]]):
            continue
        others = [x for x in combo if x is not None]
        if any(_feasible(model, st, others + [alt]) for alt in options[agents[k]]):
            return False
    return True


# ---------------------------------------------------------------------- transitions

def _round_transition(chosen: list[_Option], events: list[Any] | None) -> "Transition":
    from accord.semantics.model import Transition

    parts = tuple(o.tr for o in chosen)
    units = [u for p in parts for u in (p.unit, *p.joined)]
    evs: tuple[Any, ...] = ()
    if events is not None:
        evs = tuple(e for p in parts for e in p.events) + tuple(events)
    return Transition("round", "round", None, unit=units[0], events=evs, joined=tuple(units[1:]), parts=parts)


def _report(exc: Violation, chosen: list[_Option], errors: list["StepError"] | None) -> None:
    from accord.semantics.model import StepError

    err = StepError(exc, _round_transition(chosen, None))
    if errors is None:
        raise err
    errors.append(err)


def _name(lay: Any, inst: Inst) -> str:
    r = lay.proto.role_map[inst.role]
    return f"{inst.role}[{inst.idx}]" if r.indexed else inst.role


__all__ = ["round_successors"]
