"""Counterexamples as Mermaid sequence diagrams (``accord check --format mermaid``).

One ``sequenceDiagram`` per violated property that has a trace, each preceded by
a ``%%`` comment naming the property. The diagram reads like the text trace:

* every role instance in the trace is a participant (declaration order);
* an action or timeout step is a note over its agent; a received message is a
  solid arrow from its sender to its receiver, drawn when it is *received*
  (``sync`` messages when sent, since they arrive at once);
* a message lost by a ``lose`` fault is an ``-x`` arrow drawn when it is lost,
  one dropped by a full ``drops`` channel an ``-x`` arrow when it is sent;
  a message still in transit when the trace ends is a dotted arrow drawn when
  it was sent;
* duplications and corruptions of messages in transit, crashes and restarts
  are notes; a duplicated copy is marked "(copy)" when it is received;
* a synchronous round with several agents is a ``par`` block, one section per
  agent;
* the cycle of a lasso is wrapped in ``loop`` … ``end``; a run that stays in its
  last state forever ends with a note saying so;
* the step that violates a safety property (it has no next state) ends the
  diagram with a note.

Traces must have been rebuilt with events (:mod:`accord.checker.trace` does
this), since sends, choices and message faults are read from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from accord import ir
from accord.checker.result import CheckResult, PropertyResult, Trace, Verdict
from accord.ir.types import Inst
from accord.semantics.layout import Layout

_KEYWORDS = {"end", "loop", "par", "and", "alt", "else", "opt", "note", "participant", "actor", "rect",
             "critical", "break", "box", "activate", "deactivate", "autonumber", "title", "create",
             "destroy", "links", "link", "over", "left", "right", "of", "as", "option"}


def result_mermaid(result: CheckResult, layout: Layout) -> str:
    """Mermaid text for every counterexample of ``result`` (a comment when there is none)."""
    blocks = [trace_mermaid(r.trace, layout, _title(r), r.name) for r in result.results
              if r.verdict is Verdict.VIOLATED and r.trace is not None and r.trace.steps]
    if not blocks:
        return f"%% protocol {result.protocol}: no counterexample to draw"
    return "\n\n".join(blocks)


def _title(r: PropertyResult) -> str:
    assert r.trace is not None
    kind = "lasso" if r.trace.loop_start is not None else "trace"
    return f"counterexample for {r.name} ({r.kind}): {kind} of {r.trace.length} states"


def trace_mermaid(trace: Trace, layout: Layout, title: str = "", prop: str = "the property") -> str:
    """One sequence diagram for one trace; ``prop`` names what a final violating step violates."""
    return _Diagram(layout).draw(trace, title, prop)


@dataclass
class _Msg:
    """A message in transit, from its send until it is received or lost."""

    src: Inst
    dst: Inst | None  # None: a shared queue (any receiver)
    msg: ir.Message
    label: str  # the channel instance's label
    fate: str | None = None  # None (in transit), "delivered", "lost"
    copy: bool = False


Line = str | Callable[[], str | None]


class _Diagram:
    def __init__(self, lay: Layout):
        self.lay = lay
        self.lines: list[Line] = []
        self.used: set[Inst] = set()
        self.transit: dict[str, list[_Msg]] = {}
        self.chan_by_label = {ci.label: ci for ci in lay.chan_insts}
        self.indent = 1

    # ------------------------------------------------------------------ output
    def draw(self, trace: Trace, title: str, prop: str) -> str:
        steps = trace.steps
        cyclic = trace.loop_start is not None and not trace.stutter and trace.loop_start + 1 < len(steps)
        for i, step in enumerate(steps):
            if cyclic and i == trace.loop_start + 1:  # type: ignore[operator]
                self.emit("loop the cycle repeats forever")
                self.indent += 1
            tr = step.transition
            if tr is None:
                continue
            self.transition(tr)
            if step.state is None:
                who = self.over(list(self._actors(tr)))
                self.emit(f"Note over {who}: {_esc('this step violates ' + prop)}")
        if cyclic:
            self.indent -= 1
            self.emit("end")
        if trace.stutter:
            self.emit(f"Note over {self.over(self._everyone())}: the run stays here forever")
        body = [x() if callable(x) else x for x in self.lines]
        head = [f"%% {_esc_comment(title)}"] if title else []
        if trace.fairness_note:
            head.append(f"%% {_esc_comment(trace.fairness_note)}")
        head.append("sequenceDiagram")
        for p in self._participants():
            pid, name = self.pid(p), self.name(p)
            head.append(f"    participant {pid}" if pid == name else f"    participant {pid} as {name}")
        return "\n".join(head + [b for b in body if b is not None])

    def emit(self, text: str) -> None:
        self.lines.append("    " * self.indent + text)

    def defer(self, fn: Callable[[], str | None]) -> None:
        pad = "    " * self.indent

        def line() -> str | None:
            out = fn()
            return None if out is None else pad + out

        self.lines.append(line)

    # ------------------------------------------------------------------ participants
    def name(self, inst: Inst) -> str:
        r = self.lay.proto.role_map[inst.role]
        return f"{inst.role}[{inst.idx}]" if r.indexed else inst.role

    def pid(self, inst: Inst) -> str:
        r = self.lay.proto.role_map[inst.role]
        pid = f"{inst.role}_{inst.idx}" if r.indexed else inst.role
        return f"p_{pid}" if pid.lower() in _KEYWORDS else pid

    def use(self, inst: Inst) -> str:
        self.used.add(inst)
        return self.pid(inst)

    def over(self, insts: list[Inst]) -> str:
        """The span of a note over ``insts`` (everyone in the diagram when empty)."""
        order = {p: k for k, p in enumerate(self._all())}
        span = sorted(set(insts) or set(self._everyone()), key=lambda x: order[x])
        first, last = self.use(span[0]), self.use(span[-1])
        return first if first == last else f"{first},{last}"

    def _all(self) -> list[Inst]:
        return [Inst(r.name, i) for r in self.lay.proto.roles for i in range(r.count)]

    def _everyone(self) -> list[Inst]:
        return [p for p in self._all() if p in self.used] or self._all()[:1]

    def _participants(self) -> list[Inst]:
        return [p for p in self._all() if p in self.used]

    # ------------------------------------------------------------------ transitions
    def _actors(self, tr: Any) -> list[Inst]:
        if tr.kind == "round":
            return [p.actor for p in tr.parts if p.actor is not None]
        return [tr.actor] if tr.actor is not None else []

    def transition(self, tr: Any) -> None:
        if tr.kind == "fault":
            self.fault(tr)
        elif tr.kind == "round":
            parts = tr.parts
            if len(parts) > 1:
                self.emit("par")
                self.indent += 1
            for k, part in enumerate(parts):
                if k:
                    self.indent -= 1
                    self.emit("and")
                    self.indent += 1
                mine = [ev for ev in tr.events[sum(len(p.events) for p in parts):]
                        if ev[0] in ("send", "drop") and ev[2] == part.actor]
                self.step(part, list(part.events) + mine)
            if len(parts) > 1:
                self.indent -= 1
                self.emit("end")
        else:
            self.step(tr, list(tr.events))

    def step(self, tr: Any, events: list[Any]) -> None:
        actor = tr.actor
        short = tr.label.split(".", 1)[-1]
        if tr.message is not None and tr.channel is not None:
            self.receive(tr)
        else:
            args = ", ".join(f"{k}={v}" for k, v in tr.bindings)
            text = "timeout" if short == "timeout" else short + (f"({args})" if args else "")
            if tr.detail:
                text += f" ({tr.detail})"
            self.emit(f"Note over {self.use(actor)}: {_esc(text)}")
        for ev in events:
            if ev[0] == "choose":
                self.emit(f"Note over {self.use(actor)}: {_esc(f'chooses {ev[1]} = {self.value(ev[2])}')}")
            elif ev[0] == "send":
                self.send(ev)
            elif ev[0] == "drop":
                src, m = ev[2], ev[4]
                dst = self._dest_of(ev[1])
                text = _esc(f"{self.lay.render_msg(m)} (dropped: {ev[1]} is full)")
                if dst is None:
                    self.emit(f"Note over {self.use(src)}: {text}")
                else:
                    self.emit(f"{self.use(src)}-x{self.use(dst)}: {text}")

    def send(self, ev: Any) -> None:
        _, label, src, dst, m = ev
        if label.endswith("(sync)"):
            self.emit(f"{self.use(src)}->>{self.use(dst)}: {_esc(self.lay.render_msg(m) + ' (sync)')}")
            return
        entry = _Msg(src, dst, m, label)
        self.transit.setdefault(label, []).append(entry)
        self.use(src)
        if dst is not None:
            self.use(dst)
        # drawn now only if it is never received nor lost later in the trace
        self.defer(lambda: self._in_transit(entry))

    def _in_transit(self, entry: _Msg) -> str | None:
        if entry.fate is not None:
            return None
        text = _esc(f"{self.lay.render_msg(entry.msg)} (in transit)")
        if entry.dst is None:
            return f"Note over {self.pid(entry.src)}: {text} on {_esc(entry.label)}"
        return f"{self.pid(entry.src)}-->>{self.pid(entry.dst)}: {text}"

    def receive(self, tr: Any) -> None:
        ci = self.chan_by_label.get(tr.channel)
        shared_set = ci is not None and ci.channel.kind is ir.ChanKind.SET
        entry = self._find(tr.channel, lambda e: self.lay.render_msg(e.msg) == tr.message, any_fate=shared_set)
        text = tr.message
        if entry is None:  # not sent within the trace (cannot happen from an initial state)
            self.emit(f"Note over {self.use(tr.actor)}: {_esc('receives ' + text)}")
            return
        if not shared_set:
            self.transit[tr.channel].remove(entry)
        entry.fate = "delivered"
        if entry.copy:
            text += " (copy)"
        if tr.detail:
            text += f" ({tr.detail})"
        self.emit(f"{self.use(entry.src)}->>{self.use(tr.actor)}: {_esc(text)}")

    def fault(self, tr: Any) -> None:
        if tr.label in ("crash", "restart") and tr.actor is not None:
            self.emit(f"Note over {self.use(tr.actor)}: {_FAULT_NOTE[tr.label]}")
            return
        for ev in tr.events:
            kind, label, m = ev[0], ev[1], ev[2]
            entry = self._find(label, lambda e, m=m: e.msg == m)
            if entry is None:
                continue
            ends = [entry.src] + ([entry.dst] if entry.dst is not None else [])
            text = self.lay.render_msg(m)
            if kind == "lose":
                self.transit[label].remove(entry)
                entry.fate = "lost"
                if entry.dst is None:
                    self.emit(f"Note over {self.use(entry.src)}: {_esc(text + ' is lost on ' + label)}")
                else:
                    self.emit(f"{self.use(entry.src)}-x{self.use(entry.dst)}: {_esc(text + ' (lost)')}")
            elif kind == "duplicate":
                queue = self.transit[label]
                queue.insert(queue.index(entry) + 1, _Msg(entry.src, entry.dst, entry.msg, label, copy=True))
                self.emit(f"Note over {self.over(ends)}: {_esc(text + ' is duplicated on ' + label)}")
            elif kind == "corrupt":
                entry.msg = ev[3]
                new = self.lay.render_msg(ev[3])
                self.emit(f"Note over {self.over(ends)}: {_esc(f'{text} becomes {new} on {label}')}")

    # ------------------------------------------------------------------ helpers
    def _find(self, label: str, pred: Callable[[_Msg], bool], any_fate: bool = False) -> _Msg | None:
        for e in self.transit.get(label, ()):
            if (any_fate or e.fate is None) and pred(e):
                return e
        return None

    def _dest_of(self, label: str) -> Inst | None:
        ci = self.chan_by_label.get(label)
        if ci is None or ci.dst_idx is None:
            return None
        return Inst(ci.channel.dst, ci.dst_idx)

    def value(self, v: Any) -> str:
        return self.lay.render_any(v)


_FAULT_NOTE = {"crash": "crashes", "restart": "restarts"}
_ENTITIES = {"#": "#35;", ";": "#59;"}


def _esc(text: str) -> str:
    """Text safe inside a Mermaid message or note (``#`` and ``;`` as entity codes)."""
    return re.sub(r"[#;]", lambda m: _ENTITIES[m.group()], text)


def _esc_comment(text: str) -> str:
    return text.replace("\n", " ")


__all__ = ["result_mermaid", "trace_mermaid"]
