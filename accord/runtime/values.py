"""Values crossing the runtime boundary: JSON (logs, ``decide``) and typed Python (generated classes).

The interpreter's representation (see :mod:`accord.ir.types`) stays inside the
runtime. Outside it a value is either

* **JSON** (:func:`accord.ir.types.to_json` / :func:`from_json`): what the event
  log records and what ``decide`` receives and answers — enum members as strings,
  role instances as ``"Worker[1]"`` (or ``"Leader"`` for a singleton), sets and
  sequences as lists, maps as objects keyed by the rendered key, records as
  objects, ``none`` as ``null``; or
* **typed Python** (:func:`to_py` / :func:`from_py`): what the generated classes
  hold — ``frozenset`` for sets, :class:`FrozenMap` (an immutable, hashable
  ``Mapping``) for maps and for records (by field name), ``tuple`` for sequences, :class:`~accord.ir.types.Inst` for role instances,
  ``None`` for ``none``.

:func:`from_json` and :func:`from_py` validate: a value outside its type raises
:class:`ValueError` (the runtime turns it into a protocol violation).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

from accord import ir
from accord.ir.types import Inst, contains, domain, render_value, sort_key, to_json

K = TypeVar("K")
V = TypeVar("V")


class FrozenMap(Mapping[K, V]):
    """An immutable, hashable mapping: the typed-Python form of maps and records (they may sit in sets)."""

    __slots__ = ("_d", "_h")

    def __init__(self, items: Mapping[K, V] | None = None):
        self._d: dict[K, V] = dict(items or {})
        self._h: int | None = None

    def __getitem__(self, key: K) -> V:
        return self._d[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __hash__(self) -> int:
        if self._h is None:
            self._h = hash(frozenset(self._d.items()))
        return self._h

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._d) == dict(other)

    def __repr__(self) -> str:
        return f"FrozenMap({self._d!r})"


_INST = re.compile(r"^([A-Za-z_][A-Za-z_0-9]*)(?:\[([0-9]+)\])?$")

__all__ = ["FrozenMap", "from_json", "from_py", "json_schema", "same_json", "to_json", "to_py"]


def from_json(t: ir.Type, j: Any) -> Any:
    """The runtime value of ``j`` (JSON as :func:`to_json` writes it) at type ``t``; ValueError if outside."""
    v = _from_json(t, j)
    if not contains(t, v):
        raise ValueError(f"{j!r} is not a value of {ir.render_type(t)}")
    return v


def _from_json(t: ir.Type, j: Any) -> Any:
    if isinstance(t, ir.BoolType):
        if not isinstance(j, bool):
            raise ValueError(f"{j!r} is not true or false")
        return j
    if isinstance(t, ir.IntType):
        if isinstance(j, bool) or not isinstance(j, int):
            raise ValueError(f"{j!r} is not a whole number")
        return j
    if isinstance(t, ir.EnumType):
        if not isinstance(j, str):
            raise ValueError(f"{j!r} is not a member of {t.name}")
        return j
    if isinstance(t, ir.RoleType):
        return _inst(t, j)
    if isinstance(t, ir.RecordType):
        if not isinstance(j, dict) or set(j) != {n for n, _ in t.fields}:
            raise ValueError(f"{j!r} does not have the fields {[n for n, _ in t.fields]}")
        return tuple(_from_json(ft, j[n]) for n, ft in t.fields)
    if isinstance(t, ir.SetType):
        if not isinstance(j, list):
            raise ValueError(f"{j!r} is not a list")
        return frozenset(_from_json(t.elem, x) for x in j)
    if isinstance(t, ir.MapType):
        if not isinstance(j, dict):
            raise ValueError(f"{j!r} is not an object")
        keys = domain(t.key)
        names = [render_value(t.key, k) for k in keys]
        if set(j) != set(names):
            raise ValueError(f"{j!r} does not have exactly the keys {names}")
        return tuple(_from_json(t.value, j[n]) for n in names)
    if isinstance(t, ir.SeqType):
        if not isinstance(j, list):
            raise ValueError(f"{j!r} is not a list")
        return tuple(_from_json(t.elem, x) for x in j)
    if isinstance(t, ir.OptionType):
        return None if j is None else _from_json(t.inner, j)
    raise ValueError(f"no JSON form for {ir.render_type(t)}")


def _inst(t: ir.RoleType, j: Any) -> Inst:
    if isinstance(j, Inst):
        return j
    m = _INST.match(j) if isinstance(j, str) else None
    if m is None or m.group(1) != t.role:
        raise ValueError(f"{j!r} is not an instance of {t.role}")
    idx = int(m.group(2)) if m.group(2) is not None else 0
    if m.group(2) is None and t.indexed:
        raise ValueError(f"{j!r}: say which {t.role}, e.g. {t.role}[0]")
    return Inst(t.role, idx)


def same_json(t: ir.Type, a: Any, b: Any) -> bool:
    """Whether two JSON values denote the same value of ``t`` (lists of sets compare as sets)."""
    try:
        return bool(from_json(t, a) == from_json(t, b))
    except ValueError:
        return False


def to_py(t: ir.Type, v: Any) -> Any:
    """The typed-Python form of runtime value ``v`` (see the module docstring)."""
    if isinstance(t, ir.RecordType):
        return FrozenMap({n: to_py(ft, x) for (n, ft), x in zip(t.fields, v)})
    if isinstance(t, ir.SetType):
        return frozenset(to_py(t.elem, x) for x in v)
    if isinstance(t, ir.MapType):
        return FrozenMap({to_py(t.key, k): to_py(t.value, x) for k, x in zip(domain(t.key), v)})
    if isinstance(t, ir.SeqType):
        return tuple(to_py(t.elem, x) for x in v)
    if isinstance(t, ir.OptionType):
        return None if v is None else to_py(t.inner, v)
    return v


def from_py(t: ir.Type, p: Any) -> Any:
    """The runtime value of typed-Python ``p`` at type ``t``; ValueError if it is not one."""
    v = _from_py(t, p)
    if not contains(t, v):
        raise ValueError(f"{p!r} is not a value of {ir.render_type(t)}")
    return v


def _from_py(t: ir.Type, p: Any) -> Any:
    if isinstance(t, ir.RecordType):
        if not isinstance(p, Mapping) or set(p) != {n for n, _ in t.fields}:
            raise ValueError(f"{p!r} does not have the fields {[n for n, _ in t.fields]}")
        return tuple(_from_py(ft, p[n]) for n, ft in t.fields)
    if isinstance(t, ir.SetType):
        if not isinstance(p, (set, frozenset)):
            raise ValueError(f"{p!r} is not a set")
        return frozenset(_from_py(t.elem, x) for x in p)
    if isinstance(t, ir.MapType):
        keys = domain(t.key)
        if not isinstance(p, Mapping) or set(p) != set(keys):
            raise ValueError(f"{p!r} is not a map over {ir.render_type(t.key)}")
        return tuple(_from_py(t.value, p[k]) for k in keys)
    if isinstance(t, ir.SeqType):
        if not isinstance(p, (tuple, list)):
            raise ValueError(f"{p!r} is not a sequence")
        return tuple(_from_py(t.elem, x) for x in p)
    if isinstance(t, ir.OptionType):
        return None if p is None else _from_py(t.inner, p)
    if isinstance(t, ir.RoleType):
        return _inst(t, p)
    return p


def json_schema(t: ir.Type) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12 vocabulary) of the JSON form of ``t``'s values."""
    if isinstance(t, ir.BoolType):
        return {"type": "boolean"}
    if isinstance(t, ir.IntType):
        return {"type": "integer", "minimum": t.lo, "maximum": t.hi}
    if isinstance(t, ir.EnumType):
        return {"type": "string", "enum": list(t.members)}
    if isinstance(t, ir.RoleType):
        return {"type": "string", "enum": [render_value(t, i) for i in domain(t)]}
    if isinstance(t, ir.RecordType):
        return {"type": "object", "properties": {n: json_schema(ft) for n, ft in t.fields},
                "required": [n for n, _ in t.fields], "additionalProperties": False}
    if isinstance(t, ir.SetType):
        return {"type": "array", "items": json_schema(t.elem), "uniqueItems": True}
    if isinstance(t, ir.MapType):
        keys = [render_value(t.key, k) for k in domain(t.key)]
        return {"type": "object", "properties": {k: json_schema(t.value) for k in keys},
                "required": keys, "additionalProperties": False}
    if isinstance(t, ir.SeqType):
        return {"type": "array", "items": json_schema(t.elem), "maxItems": t.max}
    if isinstance(t, ir.OptionType):
        return {"anyOf": [{"type": "null"}, json_schema(t.inner)]}
    return {}


def options_schema(point: str, t: ir.Type | None, options: list[Any]) -> dict[str, Any]:
    """The schema handed to ``decide``: the value's type, narrowed to exactly ``options``."""
    schema: dict[str, Any] = {"title": point}
    if t is not None:
        schema.update(json_schema(t))
        schema["description"] = f"a value of {ir.render_type(t)}"
    schema["enum"] = options
    return schema


def sorted_values(values: Any) -> list[Any]:
    """Runtime values in canonical order."""
    return sorted(values, key=sort_key)
