"""The event log: one JSON object per receive, decide, send, step, fault and end.

A step of an agent is written as its ``receive`` (handlers only), its
``decide`` answers, its ``send``\\ s, then the ``step`` itself, which closes the
group with the bindings and the agent's variables after the step. Faults the
runtime injects (or a transport suffers) are ``fault`` events; ``end`` closes
a run. Every event carries ``seq``, its position in the run. Messages are
written as ``{"message": name, "fields": {...}}`` with field values in JSON form
(:mod:`accord.runtime.values`).

The same dicts feed the online monitor and the JSONL file that
``accord monitor SPEC events.jsonl`` validates offline.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from accord import ir
from accord.runtime.values import from_json

Event = dict[str, Any]
Sink = Callable[[Event], None]


def message_from_json(proto: ir.Protocol, j: Any) -> ir.Message:
    """The interpreter's message from its JSON form; ValueError if it is not a message of ``proto``."""
    if not isinstance(j, dict) or not isinstance(j.get("message"), str):
        raise ValueError(f"{j!r} is not a message (expected {{\"message\": NAME, \"fields\": {{...}}}})")
    decl = proto.messages.get(j["message"])
    if decl is None:
        raise ValueError(f"the protocol has no message {j['message']!r}")
    fields = j.get("fields", {})
    if not isinstance(fields, dict) or set(fields) != {n for n, _ in decl.fields}:
        raise ValueError(f"message {decl.name} has the fields {[n for n, _ in decl.fields]}, got {fields!r}")
    return ir.Message(decl.name, tuple(from_json(t, fields[n]) for n, t in decl.fields))


class JsonlWriter:
    """A sink writing each event as one line of JSON (keys sorted, so logs diff cleanly)."""

    def __init__(self, stream: IO[str]):
        self.stream = stream

    def __call__(self, event: Event) -> None:
        self.stream.write(json.dumps(event, sort_keys=True) + "\n")
        self.stream.flush()


def read_jsonl(path: str | Path) -> Iterator[tuple[int, Event | str]]:
    """``(line number, event)`` per non-blank line; an unreadable line gives its error text instead."""
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                ev = json.loads(line)
            except json.JSONDecodeError as exc:
                yield n, f"not JSON: {exc.msg} (column {exc.colno})"
                continue
            if not isinstance(ev, dict) or not isinstance(ev.get("event"), str):
                yield n, "not an event: expected an object with an \"event\" field"
                continue
            yield n, ev


__all__ = ["Event", "JsonlWriter", "Sink", "message_from_json", "read_jsonl"]
