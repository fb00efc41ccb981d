"""Packed channel instances and their vectorised operations.

Items are numbered by their position in the channel instance's universe (sorted by
``sort_key``, the generic delivery order). The packed forms are canonical:

* ``set``: one bit per item (``mask``);
* ``bag``: one counter per item (``counts``), each in ``0..bound``;
* ``fifo``: a length in ``0..bound`` and ``bound`` slots of item numbers, slots past
  the length holding 0.

``bound`` is the channel's ``capacity``; a channel without one gets a packing bound,
and a send that would pass it raises :class:`ChannelBound` (the search restarts with
a larger bound). Operations take a frame and write its ``over`` fields in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from accord import ir
from accord.checker.fast.codec_base import Leaf, Unsupported
from accord.checker.fast.vops import is_arr, land, lnot, lor, popcount, where
from accord.semantics.layout import ChanInst

U64 = np.uint64


class ChannelBound(Unsupported):
    """A channel without capacity holds more items than its packing bound."""

    def __init__(self, slot: int, label: str, bound: int):
        super().__init__(f"channel {label} holds more than {bound} messages")
        self.slot = slot


def _bits(n_values: int) -> int:
    return max(0, (n_values - 1).bit_length())


class ChanCodec:
    def __init__(self, ci: ChanInst, items: list[Any], bound: int, leaf: Callable[..., Leaf]):
        self.ci = ci
        self.kind = ci.channel.kind
        self.items = items
        self.pos = {it: k for k, it in enumerate(items)}
        self.cap = ci.channel.capacity
        self.bound = self.cap if self.cap is not None else bound
        self.mask: Leaf | None = None
        self.counts: list[Leaf] = []
        self.len: Leaf | None = None
        self.slots: list[Leaf] = []
        if self.kind is ir.ChanKind.SET:
            if len(items) > 64:
                raise Unsupported(f"channel {ci.label} may hold {len(items)} distinct messages (at most 64)")
            self.mask = leaf("chan", len(items))
        elif self.kind is ir.ChanKind.BAG:
            self.counts = [leaf("count", _bits(self.bound + 1)) for _ in items]
        elif self.kind is ir.ChanKind.FIFO:
            self.len = leaf("count", _bits(self.bound + 1))
            self.slots = [leaf("count", _bits(len(items))) for _ in range(self.bound)]
        else:
            raise Unsupported(f"a `{self.kind.value}` channel")

    # ------------------------------------------------------------------ whole values
    def codes(self, value: Any) -> list[tuple[Leaf, int]]:
        """The (leaf, code) pairs packing one generic channel value."""
        try:
            nums = [self.pos[it] for it in value]
        except KeyError:
            raise Unsupported(f"a message outside the universe of {self.ci.label}") from None
        if self.mask is not None:
            return [(self.mask, sum(1 << k for k in nums))]
        if len(nums) > self.bound:
            raise ChannelBound(self.ci.slot, self.ci.label, self.bound)
        if self.kind is ir.ChanKind.BAG:
            return [(lf, nums.count(k)) for k, lf in enumerate(self.counts)]
        assert self.len is not None
        return [(self.len, len(nums))] + [(lf, nums[k] if k < len(nums) else 0) for k, lf in enumerate(self.slots)]

    def value(self, get: Callable[[Leaf], int]) -> Any:
        """The generic channel value from the codes of its leaves."""
        if self.mask is not None:
            m = get(self.mask)
            return frozenset(self.items[k] for k in range(len(self.items)) if m >> k & 1)
        if self.kind is ir.ChanKind.BAG:
            return tuple(it for lf, it in zip(self.counts, self.items) for _ in range(get(lf)))
        assert self.len is not None
        return tuple(self.items[get(lf)] for lf in self.slots[:get(self.len)])

    # ------------------------------------------------------------------ vectorised
    def holds(self, f: Any, k: int) -> Any:
        """Rows where item ``k`` can be received now (fifo: it is at the head)."""
        if self.mask is not None:
            return ((f.read(self.mask) >> U64(k)) & U64(1)).astype(bool)
        if self.kind is ir.ChanKind.BAG:
            return f.read(self.counts[k]) > 0
        assert self.len is not None
        return land(f.read(self.len) > 0, f.read(self.slots[0]) == k) if self.slots else False

    def take(self, f: Any, k: int) -> None:
        """Remove item ``k`` (present in every row) as a receive does (sets keep it)."""
        if self.kind is ir.ChanKind.BAG:
            f.over[self.counts[k].id] = f.read(self.counts[k]) - 1
        elif self.len is not None:
            self.remove_at(f, 0)

    def remove_at(self, f: Any, p: int) -> None:
        """Fifo: drop the item at position ``p`` (present in every row)."""
        assert self.len is not None
        vals = [f.read(lf) for lf in self.slots]
        for j in range(p, len(self.slots)):
            f.over[self.slots[j].id] = vals[j + 1] if j + 1 < len(vals) else 0
        f.over[self.len.id] = f.read(self.len) - 1

    def first_at(self, f: Any, p: int) -> Any:
        """Fifo: rows holding an item at position ``p`` that no earlier position holds."""
        assert self.len is not None
        ok = f.read(self.len) > p
        here = f.read(self.slots[p])
        for j in range(p):
            ok = land(ok, f.read(self.slots[j]) != here)
        return ok

    def insert_at(self, f: Any, p: int, q: Any) -> None:
        """Fifo: insert item ``q`` at position ``p`` (every row holds at least ``p`` items)."""
        assert self.len is not None
        n = f.read(self.len)
        self._check(n >= self.bound)
        vals = [f.read(lf) for lf in self.slots]
        for j in range(p + 1, len(self.slots)):
            f.over[self.slots[j].id] = vals[j - 1]
        f.over[self.slots[p].id] = q
        f.over[self.len.id] = n + 1

    def size(self, f: Any) -> Any:
        if self.mask is not None:
            return popcount(f.read(self.mask))
        if self.kind is ir.ChanKind.BAG:
            out: Any = 0
            for lf in self.counts:
                out = out + f.read(lf)
            return out
        assert self.len is not None
        return f.read(self.len)

    def put(self, f: Any, q: Any, sel: Any) -> tuple[Any, Any]:
        """Send item number ``q`` (int or array) in rows ``sel``. Returns (rows found full, rows that
        enter the channel); full rows are left unchanged."""
        cap = self.cap
        if self.mask is not None:
            old = f.read(self.mask)
            want = (U64(1) << q.astype(U64)) if is_arr(q) else U64(1 << int(q))
            new = old | want
            full: Any = False
            if cap is not None:
                full = land(sel, land(popcount(old) >= cap, (old & want) == 0))
                new = where(full, old, new)
            f.over[self.mask.id] = where(sel, new, old)
            return full, land(sel, lnot(full))
        full = land(sel, self.size(f) >= cap) if cap is not None else False
        ok = land(sel, lnot(full))
        if self.kind is ir.ChanKind.BAG:
            for k, lf in enumerate(self.counts):
                c = f.read(lf)
                inc = land(ok, q == k)
                if not is_arr(inc) and not inc:
                    continue
                self._check(land(inc, c >= self.bound))
                f.over[lf.id] = where(inc, c + 1, c)
            return full, ok
        assert self.len is not None
        n = f.read(self.len)
        self._check(land(ok, n >= self.bound))
        for j, lf in enumerate(self.slots):
            at = land(ok, n == j)
            if is_arr(at) and not at.any() or not is_arr(at) and not at:
                continue
            f.over[lf.id] = where(at, q, f.read(lf))
        f.over[self.len.id] = where(ok, n + 1, n)
        return full, ok

    def _check(self, over: Any) -> None:
        if (is_arr(over) and over.any()) or (not is_arr(over) and over):
            raise ChannelBound(self.ci.slot, self.ci.label, self.bound)


def item_number(cc: ChanCodec, msg: str, args: list[Any], sender: int | None, fields: list[ir.Type],
                to_eval: Callable[[ir.Type, Any], Any], eq: Callable[[Any, Any], Any]) -> tuple[Any, Any]:
    """(item number, rows matched) of ``msg(args)`` from instance ``sender`` (None: links)."""
    q: Any = 0
    matched: Any = False
    for k, item in enumerate(cc.items):
        m = item if sender is None else item[1]
        if m.name != msg or (sender is not None and item[0] != sender):
            continue
        hit: Any = True
        for a, ft, x in zip(args, fields, m.args):
            hit = land(hit, eq(a, to_eval(ft, x)))
            if not is_arr(hit) and not hit:
                break
        if not is_arr(hit) and not hit:
            continue
        q = where(hit, k, q) if is_arr(hit) else k
        matched = lor(matched, hit)
    return q, matched


__all__ = ["ChanCodec", "ChannelBound", "item_number"]
