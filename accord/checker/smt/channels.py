"""Channel contents as Z3 terms, over a channel instance's concrete item list.

The items a channel instance can hold are enumerated once (every message sent
on the channel, every value of its fields, and for ``inbox``/``shared``
channels every sender index), exactly as the explicit layout stores them:
``Message`` for ``links`` channels, ``(sender index, Message)`` otherwise.

* ``set``  — one Bool per item (a grow-only pool: receiving does not remove);
* ``bag``  — one Int count per item (a multiset);
* ``fifo`` — a length and ``capacity`` slots, each an item's position in the
  list; slots past the length hold 0 so that equal queues have equal terms.

A channel without a ``capacity`` is unbounded in the semantics; here it gets
``bound`` slots (fifo) or at most ``bound`` copies of each item (bag). A send
that would go past the bound is not blocked: the encoding reports it as an
*escape* (``over``), a run the engine cannot follow, so no answer is given
beyond it.

A ``put`` takes the candidate items with the condition that the sent message
is that item, and returns the new contents with the condition under which the
channel was full (what happens then is the channel's ``blocks|drops|fails``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import z3

from accord import ir
from accord.checker.smt.values import FALSE, TRUE, Chan, mk_and, mk_not, mk_or
from accord.ir.types import sort_key

Cand = list[tuple[Any, Any]]  # (item, the condition that the message sent is this item)


def _sum(terms: list[Any]) -> Any:
    if not terms:
        return z3.IntVal(0)
    return terms[0] if len(terms) == 1 else z3.Sum(*terms)


class SetChan(Chan):
    def __init__(self, bits: dict[Any, Any]):
        self.bits = bits

    def eq(self, other: SetChan) -> Any:  # type: ignore[override]
        return mk_and(*(a == b for a, b in zip(self.bits.values(), other.bits.values()) if not a.eq(b)))

    def ite(self, c: Any, other: SetChan) -> SetChan:  # type: ignore[override]
        return SetChan({k: (a if a.eq(b) else z3.If(c, a, b)) for (k, a), b in zip(self.bits.items(),
                                                                                    other.bits.values())})

    def leaves(self) -> Iterable[Any]:
        return self.bits.values()

    def size(self) -> Any:
        return _sum([z3.If(b, 1, 0) for b in self.bits.values() if not z3.is_false(b)])

    def put(self, cands: Cand, cap: int | None) -> tuple[SetChan, Any]:
        present = mk_or(*(mk_and(m, self.bits[it]) for it, m in cands))
        full = FALSE if cap is None else mk_and(mk_not(present), self.size() >= cap)
        bits = dict(self.bits)
        room = mk_not(full)
        for it, m in cands:
            bits[it] = mk_or(bits[it], mk_and(m, room))
        return SetChan(bits), full

    def has(self, item: Any) -> Any:
        return self.bits[item]

    def over(self, cands: Cand, bound: int) -> Any:
        return FALSE

    def take(self, item: Any) -> SetChan:
        return self

    def holds(self, items: Any) -> Any:
        """The condition that these contents are exactly the explicit ``items``."""
        return mk_and(*(b if k in items else mk_not(b) for k, b in self.bits.items()))

    def decode(self, m: z3.ModelRef) -> Any:
        return frozenset(k for k, b in self.bits.items() if z3.is_true(m.eval(b, model_completion=True)))


class BagChan(Chan):
    def __init__(self, counts: dict[Any, Any]):
        self.counts = counts

    def eq(self, other: BagChan) -> Any:  # type: ignore[override]
        return mk_and(*(a == b for a, b in zip(self.counts.values(), other.counts.values()) if not a.eq(b)))

    def ite(self, c: Any, other: BagChan) -> BagChan:  # type: ignore[override]
        return BagChan({k: (a if a.eq(b) else z3.If(c, a, b)) for (k, a), b in zip(self.counts.items(),
                                                                                    other.counts.values())})

    def leaves(self) -> Iterable[Any]:
        return self.counts.values()

    def size(self) -> Any:
        return _sum(list(self.counts.values()))

    def put(self, cands: Cand, cap: int | None) -> tuple[BagChan, Any]:
        full = FALSE if cap is None else self.size() >= cap
        room = mk_not(full)
        counts = dict(self.counts)
        for it, m in cands:
            counts[it] = counts[it] + z3.If(mk_and(m, room), 1, 0)
        return BagChan(counts), full

    def has(self, item: Any) -> Any:
        return self.counts[item] > 0

    def over(self, cands: Cand, bound: int) -> Any:
        """Adding the message would put more than ``bound`` copies of one item in the bag."""
        return mk_or(*(mk_and(m, self.counts[it] >= bound) for it, m in cands))

    def take(self, item: Any) -> BagChan:
        counts = dict(self.counts)
        counts[item] = counts[item] - 1
        return BagChan(counts)

    def add(self, item: Any) -> BagChan:
        counts = dict(self.counts)
        counts[item] = counts[item] + 1
        return BagChan(counts)

    def holds(self, items: Any) -> Any:
        return mk_and(*(n == items.count(k) for k, n in self.counts.items()))

    def decode(self, m: z3.ModelRef) -> Any:
        out: list[Any] = []
        for k in sorted(self.counts, key=sort_key):
            out.extend([k] * m.eval(self.counts[k], model_completion=True).as_long())
        return tuple(out)


class FifoChan(Chan):
    def __init__(self, length: Any, slots: tuple[Any, ...], items: tuple[Any, ...], index: dict[Any, int]):
        self.length = length
        self.slots = slots
        self.items = items
        self.index = index

    def _new(self, length: Any, slots: tuple[Any, ...]) -> FifoChan:
        return FifoChan(length, slots, self.items, self.index)

    def eq(self, other: FifoChan) -> Any:  # type: ignore[override]
        pairs = [(self.length, other.length), *zip(self.slots, other.slots)]
        return mk_and(*(a == b for a, b in pairs if not a.eq(b)))

    def ite(self, c: Any, other: FifoChan) -> FifoChan:  # type: ignore[override]
        def pick(a: Any, b: Any) -> Any:
            return a if a.eq(b) else z3.If(c, a, b)
        return self._new(pick(self.length, other.length),
                         tuple(pick(a, b) for a, b in zip(self.slots, other.slots)))

    def leaves(self) -> Iterable[Any]:
        return (self.length, *self.slots)

    def size(self) -> Any:
        return self.length

    def put(self, cands: Cand, cap: int | None) -> tuple[FifoChan, Any]:
        full = self.length >= len(self.slots)
        room = mk_not(full)
        code = _sum([z3.If(m, self.index[it], 0) for it, m in cands if self.index[it] != 0])
        slots = tuple(z3.If(mk_and(room, self.length == i), code, s) for i, s in enumerate(self.slots))
        return self._new(z3.If(room, self.length + 1, self.length), slots), full

    def head_is(self, item: Any) -> Any:
        return mk_and(self.length > 0, self.slots[0] == self.index[item]) if self.slots else FALSE

    has = head_is

    def over(self, cands: Cand, bound: int) -> Any:
        return self.length >= len(self.slots)

    def remove_at(self, pos: int) -> FifoChan:
        """The queue without its element at ``pos`` (which must exist)."""
        slots = self.slots[:pos] + self.slots[pos + 1:] + (z3.IntVal(0),)
        return self._new(self.length - 1, slots)

    def take(self, item: Any) -> FifoChan:
        return self.remove_at(0)

    def first_at(self, pos: int) -> Any:
        """Position ``pos`` holds an element whose value does not occur earlier (the explicit fault order)."""
        return mk_and(self.length > pos, *(self.slots[pos] != self.slots[q] for q in range(pos)))

    def duplicate_at(self, pos: int) -> FifoChan:
        slots = (self.slots[:pos + 1] + (self.slots[pos],) + self.slots[pos + 1:])[:len(self.slots)]
        return self._new(self.length + 1, slots)

    def replace_at(self, pos: int, item: Any) -> FifoChan:
        slots = self.slots[:pos] + (z3.IntVal(self.index[item]),) + self.slots[pos + 1:]
        return self._new(self.length, slots)

    def holds(self, items: Any) -> Any:
        codes = [self.index[it] for it in items] + [0] * (len(self.slots) - len(items))
        return mk_and(self.length == len(items), *(s == c for s, c in zip(self.slots, codes)))

    def decode(self, m: z3.ModelRef) -> Any:
        n = m.eval(self.length, model_completion=True).as_long()
        return tuple(self.items[m.eval(self.slots[i], model_completion=True).as_long()] for i in range(n))


def fresh_chan(ch: ir.Channel, items: tuple[Any, ...], name: str, out: list[Any], bound: int) -> Chan:
    """Fresh contents of one channel instance; well-formedness constraints go to ``out``.

    ``bound`` stands in for the capacity of a channel that has none."""
    if ch.kind is ir.ChanKind.SET:
        return SetChan({it: z3.Bool(f"{name}{{{i}}}") for i, it in enumerate(items)})
    if ch.kind is ir.ChanKind.BAG:
        counts = {it: z3.Int(f"{name}#{i}") for i, it in enumerate(items)}
        out.extend(c >= 0 for c in counts.values())
        bag = BagChan(counts)
        out.extend(c <= (ch.capacity if ch.capacity is not None else bound) for c in counts.values())
        if ch.capacity is not None:
            out.append(bag.size() <= ch.capacity)
        return bag
    assert ch.kind is ir.ChanKind.FIFO
    cap = ch.capacity if ch.capacity is not None else bound
    length = z3.Int(f"{name}.len")
    slots = tuple(z3.Int(f"{name}[{i}]") for i in range(cap))
    out.extend([length >= 0, length <= (cap if items else 0)])
    for i, s in enumerate(slots):
        out.extend([s >= 0, s < max(len(items), 1), z3.Or(length > i, s == 0)])
    return FifoChan(length, slots, items, {it: i for i, it in enumerate(items)})


def empty_chan(c: Chan) -> Any:
    """The condition that channel contents ``c`` are empty (the initial state)."""
    if isinstance(c, SetChan):
        return mk_and(*(mk_not(b) for b in c.bits.values()))
    if isinstance(c, BagChan):
        return mk_and(*(n == 0 for n in c.counts.values()))
    assert isinstance(c, FifoChan)
    return c.length == 0


__all__ = ["TRUE", "BagChan", "FifoChan", "SetChan", "empty_chan", "fresh_chan"]
