"""Hash compaction: a search that stores a 64-bit fingerprint per state instead of the state.

``--hash-compact`` (``Config.hash_compaction``) swaps the search's
:class:`~accord.checker.store.FullStore` for :class:`CompactStore`: a table of
fingerprints (open addressing over ``array('Q')``) plus, per state number, its
fingerprint, parent number and level. States still waiting in the queue are kept
whole until they are expanded; nothing else is.

Fingerprints are BLAKE2b (8 bytes) of a canonical encoding of the state
(:func:`fingerprint`): the same in every process and on every machine, which
the multi-process search relies on to split states among workers.

What it costs: two different states with the same fingerprint are taken for one,
so the second is never explored. With ``n`` stored states and uniformly
distributed 64-bit fingerprints, the probability that this happened at all is at
most ``n(n-1)/2 / 2^64 < n^2 / 2^65`` (the birthday bound,
:func:`omission_probability`). A violation found under compaction is certain (its
trace is replayed by the semantics); a property that *holds* does so up to that
probability, and every report says so ("holds up to hash compaction: ...").

Traces: the parent links survive, so a path of fingerprints is known; it is
followed again from the initial states by replaying each step and picking the
successor with the next fingerprint (:class:`~accord.checker.store.Tracer`).
"""

from __future__ import annotations

import hashlib
import marshal
from array import array
from typing import Any

from accord.ir.types import sort_key
from accord.semantics.model import State

BITS = 64
_MASK = (1 << BITS) - 1


def fingerprint(st: State) -> int:
    """A 64-bit fingerprint of ``st``, never 0, identical across processes and machines.

    The encoding is canonical: each slot goes through :func:`sort_key` (sets become
    sorted tuples), and ``marshal`` version 2 writes no back-references.
    """
    data = marshal.dumps(tuple(map(sort_key, st)), 2)
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little") or 1


def omission_probability(n: int) -> float:
    """Upper bound on the probability that a fingerprint collision hid a state among ``n``."""
    return min(1.0, n * n / float(1 << (BITS + 1)))


def caveat(n: int) -> str:
    """The sentence printed with a verdict reached under hash compaction."""
    return (f"holds up to hash compaction: the probability that a state was missed is at most "
            f"{omission_probability(n):.1e} ({n:,} states as 64-bit fingerprints, bound n^2/2^65)")


class FingerprintTable:
    """fingerprint -> state number: open addressing, linear probing, 0 marks an empty slot."""

    def __init__(self, capacity: int = 1 << 12):
        cap = 1
        while cap < capacity:
            cap <<= 1
        self._keys = array("Q", bytes(8 * cap))
        self._vals = array("q", bytes(8 * cap))
        self._mask = cap - 1
        self._used = 0

    def __len__(self) -> int:
        return self._used

    @property
    def nbytes(self) -> int:
        return (self._mask + 1) * 16

    def get(self, fp: int) -> int:
        keys, mask = self._keys, self._mask
        i = fp & mask
        while True:
            k = keys[i]
            if k == fp:
                return self._vals[i]
            if k == 0:
                return -1
            i = (i + 1) & mask

    def put(self, fp: int, value: int) -> None:
        """Insert ``fp`` (absent) with ``value``."""
        if (self._used + 1) * 4 > (self._mask + 1) * 3:  # keep the load under 3/4
            self._grow()
        keys, mask = self._keys, self._mask
        i = fp & mask
        while keys[i] != 0:
            i = (i + 1) & mask
        keys[i] = fp
        self._vals[i] = value
        self._used += 1

    def _grow(self) -> None:
        old_k, old_v = self._keys, self._vals
        cap = (self._mask + 1) * 2
        self._keys = keys = array("Q", bytes(8 * cap))
        self._vals = vals = array("q", bytes(8 * cap))
        self._mask = mask = cap - 1
        for k, v in zip(old_k, old_v):
            if k:
                i = k & mask
                while keys[i] != 0:
                    i = (i + 1) & mask
                keys[i] = k
                vals[i] = v


class CompactStore:
    """A store of fingerprints: the same interface as :class:`~accord.checker.store.FullStore`."""

    kind = "compact"

    def __init__(self) -> None:
        self.table = FingerprintTable()
        self.fps = array("Q")
        self.parent = array("q")
        self.level = array("I")

    def __len__(self) -> int:
        return len(self.parent)

    def find(self, st: State) -> int:
        return self.table.get(fingerprint(st))

    def add(self, st: State, parent: int, level: int, fp: int | None = None) -> tuple[int, bool]:
        if fp is None:
            fp = fingerprint(st)
        idx = self.table.get(fp)
        if idx >= 0:
            return idx, False
        idx = len(self.parent)
        self.table.put(fp, idx)
        self.fps.append(fp)
        self.parent.append(parent)
        self.level.append(level)
        return idx, True

    def key(self, idx: int) -> Any:
        return self.fps[idx]

    @staticmethod
    def key_of(st: State) -> Any:
        return fingerprint(st)

    def chain(self, idx: int) -> list[int]:
        out = []
        while idx >= 0:
            out.append(idx)
            idx = self.parent[idx]
        out.reverse()
        return out

    @property
    def nbytes(self) -> int:
        """Bytes held by the store's arrays (the table at its current size included)."""
        return self.table.nbytes + len(self.parent) * (8 + 8 + 4)


__all__ = ["BITS", "CompactStore", "FingerprintTable", "caveat", "fingerprint", "omission_probability"]
