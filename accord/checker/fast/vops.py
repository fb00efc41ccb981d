"""Operations on eval values that are numpy arrays (one entry per row) or Python constants.

Constants stay constants (so expressions fold), arrays broadcast; booleans are bool
arrays, numbers int64, set masks uint64 (never mixed with int64: numpy would turn the
pair into floats).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from accord.checker.fast.codec_base import WORD

U64 = np.uint64
FULL = (1 << WORD) - 1


def is_arr(x: Any) -> bool:
    return isinstance(x, np.ndarray)


def land(a: Any, b: Any) -> Any:
    if a is True or (not is_arr(a) and a):
        return b if is_arr(b) else bool(b)
    if not is_arr(a):
        return False
    if not is_arr(b):
        return a if b else False
    return a & b


def lor(a: Any, b: Any) -> Any:
    if not is_arr(a):
        return True if a else (b if is_arr(b) else bool(b))
    if not is_arr(b):
        return True if b else a
    return a | b


def lnot(a: Any) -> Any:
    return ~a if is_arr(a) else not a


def bnot(m: Any) -> Any:
    return ~m if is_arr(m) else (int(m) ^ FULL)


def bit(p: Any) -> Any:
    """The mask with bit ``p`` set (``p`` an int or an int array in 0..63)."""
    if is_arr(p):
        return U64(1) << p.astype(U64)
    return 1 << int(p)


def popcount(m: Any) -> Any:
    if is_arr(m):
        return np.bitwise_count(m).astype(np.int64)
    return int(m).bit_count()


def has_bit(m: Any, p: Any) -> Any:
    """Whether bit ``p`` of mask ``m`` is set; positions outside 0..63 are never set."""
    if not is_arr(p):
        p = int(p)
        if not 0 <= p < WORD:
            return False
        if is_arr(m):
            return ((m >> U64(p)) & U64(1)).astype(bool)
        return bool(int(m) >> p & 1)
    ok = (p >= 0) & (p < WORD)
    q = np.where(ok, p, 0).astype(U64)
    mm = m if is_arr(m) else np.full(len(p), int(m), dtype=U64)
    return ok & ((mm >> q) & U64(1)).astype(bool)


def where(c: Any, a: Any, b: Any) -> Any:
    """``a`` where ``c`` else ``b``, tree-wise."""
    if isinstance(a, list):
        return [where(c, x, y) for x, y in zip(a, b)]
    if not is_arr(c):
        return a if c else b
    if is_arr(a) and a.dtype == U64 or is_arr(b) and b.dtype == U64:
        a = a if is_arr(a) else U64(int(a))
        b = b if is_arr(b) else U64(int(b))
    return np.where(c, a, b)


def take(v: Any, mask: np.ndarray) -> Any:
    if isinstance(v, list):
        return [take(x, mask) for x in v]
    return v[mask] if is_arr(v) else v


def widen(v: Any, n: int) -> Any:
    """A leaf as an array of ``n`` entries."""
    if is_arr(v):
        return v
    if isinstance(v, (bool, np.bool_)):
        return np.full(n, bool(v))
    if isinstance(v, np.unsignedinteger) or (isinstance(v, int) and v > (1 << 63) - 1):
        return np.full(n, int(v), dtype=U64)
    return np.full(n, int(v), dtype=np.int64)


def widen_mask(m: Any, n: int) -> np.ndarray:
    """A mask (array or constant) as a uint64 array of ``n`` entries."""
    if is_arr(m):
        return m.astype(U64, copy=False)
    return np.full(n, int(m), dtype=U64)


def eq(a: Any, b: Any) -> Any:
    """Equality of two eval trees."""
    if isinstance(a, list):
        out: Any = True
        for x, y in zip(a, b):
            out = land(out, eq(x, y))
        return out
    r = a == b
    return r if is_arr(r) else bool(r)


def select(idx: Any, options: list[Any]) -> Any:
    """``options[idx]`` tree-wise, ``idx`` an int or an int array (valid positions only)."""
    if not is_arr(idx):
        return options[int(idx)]
    out = options[0]
    for k in range(1, len(options)):
        out = where(idx == k, options[k], out)
    return out


def setop(op: str, a: Any, b: Any) -> Any:
    if is_arr(a) or is_arr(b):
        a = a.astype(U64, copy=False) if is_arr(a) else U64(int(a))
        b = b.astype(U64, copy=False) if is_arr(b) else U64(int(b))
    else:
        a, b = int(a), int(b)
    if op == "union":
        return a | b
    if op == "inter":
        return a & b
    if op == "diff":
        return a & bnot(b)
    if op in ("subseteq", "supseteq"):
        x, y = (a, b) if op == "subseteq" else (b, a)
        r = (x & bnot(y)) == 0
        return r if is_arr(r) else bool(r)
    x, y = (a, b) if op == "subset" else (b, a)
    r = land((x & bnot(y)) == 0, x != y)
    return r if is_arr(r) else bool(r)


__all__ = [
    "FULL",
    "bit",
    "bnot",
    "eq",
    "has_bit",
    "is_arr",
    "land",
    "lnot",
    "lor",
    "popcount",
    "select",
    "setop",
    "take",
    "where",
    "widen",
    "widen_mask",
]
