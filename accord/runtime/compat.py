"""Does a transport give what a spec assumes? Warnings for ``accord check --transport NAME``.

A spec's channels and faults say what it assumes of the network: a ``fifo``
channel assumes order; a channel no ``lose`` fault covers assumes no message is
lost; no ``duplicate`` fault, no duplicates (``set`` channels absorb them);
``crashed(…)`` / ``alive(…)`` in a step assumes a perfect failure detector.
Each assumption the transport's :class:`~accord.runtime.transport.ChannelSemantics`
does not give is a warning (ACC51x): the checked runs are then not all the runs
the deployed team can have.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from accord import ir
from accord.diagnostics import Diagnostic
from accord.runtime.transport import KNOWN, ChannelSemantics


def _covered(proto: ir.Protocol, kind: ir.FaultKind, ch: ir.Channel) -> bool:
    return any(f.kind is kind and f.target in (None, ch.name) and f.budget > 0 for f in proto.faults)


def _nodes(x: Any) -> Iterator[Any]:
    if isinstance(x, (tuple, list)):
        for y in x:
            yield from _nodes(y)
    elif dataclasses.is_dataclass(x) and not isinstance(x, type):
        yield x
        for f in dataclasses.fields(x):
            if f.name != "span":
                yield from _nodes(getattr(x, f.name))


def transport_warnings(proto: ir.Protocol, sem: ChannelSemantics | str) -> list[Diagnostic]:
    """What ``proto`` assumes that transport ``sem`` (or its name in KNOWN) does not provide."""
    if isinstance(sem, str):
        if sem not in KNOWN:
            raise ValueError(f"unknown transport {sem!r}; known: {', '.join(sorted(KNOWN))}")
        sem = KNOWN[sem]
    out: list[Diagnostic] = []
    for ch in proto.channels:
        if ch.kind is ir.ChanKind.FIFO and not sem.ordered:
            out.append(Diagnostic("ACC510", f"channel {ch.name} is fifo, but transport `{sem.name}` does not keep "
                                  "messages in order", ch.span, "warning",
                                  hint=f"declare it `bag` (any order), or check with `reorder {ch.name} at most N`"))
        if ch.kind is not ir.ChanKind.SYNC and not sem.lossless and not _covered(proto, ir.FaultKind.LOSE, ch):
            out.append(Diagnostic("ACC511", f"the spec assumes no message on {ch.name} is lost, but transport "
                                  f"`{sem.name}` may lose messages", ch.span, "warning",
                                  hint=f"add `lose {ch.name} at most 1` to the faults and check again"))
        if ch.kind in (ir.ChanKind.FIFO, ir.ChanKind.BAG) and not sem.no_duplicates and \
                not _covered(proto, ir.FaultKind.DUPLICATE, ch):
            out.append(Diagnostic("ACC512", f"the spec assumes no message on {ch.name} is delivered twice, but "
                                  f"transport `{sem.name}` may duplicate messages", ch.span, "warning",
                                  hint=f"add `duplicate {ch.name} at most 1` to the faults, or make receivers "
                                  "idempotent and the channel a `set`"))
    if sem.failure_detection != "perfect":
        for s in proto.steps:
            if any(isinstance(n, ir.Call) and n.fn in ("crashed", "alive") for n in _nodes((s.guard, s.body))):
                out.append(Diagnostic("ACC513", f"{s.label} reads crashed(…)/alive(…), which assumes a perfect "
                                      f"failure detector; transport `{sem.name}` detects failures "
                                      f"{'only eventually' if sem.failure_detection == 'eventual' else 'not at all'}",
                                      s.span, "warning",
                                      hint="replace the oracle with a timeout (`on timeout`) and a suspicion set"))
    return out


__all__ = ["transport_warnings"]
