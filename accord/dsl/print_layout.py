"""Where the formatter puts comments and blank lines.

The printed items form a tree that mirrors the source: the file holds
declarations (consecutive faults grouped in one ``faults { }`` block, the
environment's steps as top-level actions), a role holds its variables, steps and
``final`` clause, a step or a ``choose``/``for``/``if`` holds statements. Each
item knows its source lines from its span. A comment is attached by line:

* own-line: to the first item after it in the innermost block around it, or to
  the end of that block when nothing follows;
* after code: to the outermost item written wholly on its line, else to the
  deepest item starting on its line (printed at the end of that item's first
  line), else to the deepest block closing on its line (printed after the
  ``}``), else as an own-line comment.

Comments above ``protocol`` stay above it. Items and comments without spans
(IR built by hand) get no comments and no blank lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from accord import ir
from accord.dsl.comments import code_before


@dataclass(eq=False)
class _Anchor:
    obj: Any
    start: int | None
    end: int | None
    children: list[_Anchor] = field(default_factory=list)
    container: bool = False
    depth: int = 0


class CommentLayout:
    """Comment placement and blank lines for one protocol; queried by the printer per item."""

    @dataclass(eq=False)
    class FaultGroup:
        faults: tuple[ir.Fault, ...]

    @dataclass(eq=False)
    class Final:
        role: ir.Role

    @dataclass(eq=False)
    class ScheduleItem:
        span: Any

    def __init__(self, proto: ir.Protocol):
        self.proto = proto
        self.lines: list[str] | None = proto.source.text.split("\n") if proto.source is not None else None
        self._role_items: dict[int, list[Any]] = {}
        self.root_items = self._root_items()
        self.root = self  # the file is the root container
        self._before: dict[int, list[tuple[int, str]]] = {}
        self._trailing: dict[int, list[tuple[int, str]]] = {}
        self._eol: dict[int, str] = {}
        self._closing: dict[int, str] = {}
        self.header: list[str] = []
        self.protocol_eol: str | None = None
        self._assign()

    # ------------------------------------------------------------------ the item tree
    def _root_items(self) -> list[Any]:
        items: list[Any] = []
        group: list[ir.Fault] = []
        for d in self.proto.decls:
            if isinstance(d, ir.Fault):
                group.append(d)
                continue
            if group:
                items.append(self.FaultGroup(tuple(group)))
                group = []
            if isinstance(d, ir.Role) and d.implicit:
                items.extend(d.steps)
            else:
                items.append(d)
        if group:
            items.append(self.FaultGroup(tuple(group)))
        sp = self.proto.schedule_span
        if sp is not None or self.proto.schedule is not ir.Schedule.INTERLEAVING:
            sched = self.ScheduleItem(sp)
            at = len(items)
            if sp is not None:
                at = next((i for i, it in enumerate(items)
                           if (self._span_of(it) or (0, 0))[0] > sp.line), len(items))
            items.insert(at, sched)
        return items

    def role_items(self, r: ir.Role) -> list[Any]:
        """A role's printed items: variables, steps, then its ``final`` clause."""
        key = id(r)
        if key not in self._role_items:
            items: list[Any] = [*r.vars, *r.steps]
            if r.final is not None or r.final_always:
                items.append(self.Final(r))
            self._role_items[key] = items
        return self._role_items[key]

    def _children(self, obj: Any) -> list[Any] | None:
        """The items inside ``obj`` (None: ``obj`` is not a block)."""
        if obj is self:
            return self.root_items
        if isinstance(obj, ir.Role):
            return self.role_items(obj)
        if isinstance(obj, self.FaultGroup):
            return list(obj.faults)
        if isinstance(obj, (ir.Step, ir.Choose, ir.For)):
            return list(obj.body)
        if isinstance(obj, ir.If):
            return [*obj.then, *(obj.other or ())]
        return None

    def _span_of(self, obj: Any) -> tuple[int, int] | None:
        if isinstance(obj, self.FaultGroup):
            return self._fault_group_lines(obj)
        if isinstance(obj, self.Final):
            sp = obj.role.final_span
        elif isinstance(obj, self.ScheduleItem):
            sp = obj.span
        else:
            sp = getattr(obj, "span", None)
        if sp is None:
            return None
        return sp.line, sp.end_line

    def _fault_group_lines(self, g: CommentLayout.FaultGroup) -> tuple[int, int] | None:
        first, last = g.faults[0].span, g.faults[-1].span
        if first is None or last is None:
            return None
        start, end = first.line, last.end_line
        if self.lines is not None:
            for ln in range(first.line, 0, -1):  # back to the `faults` keyword
                text = code_before(self.lines[ln - 1])
                if ln == first.line:
                    text = text[: first.column - 1]
                if re.search(r"\bfaults\b", text):
                    start = ln
                    break
            for ln in range(last.end_line, len(self.lines) + 1):  # on to the closing brace
                text = code_before(self.lines[ln - 1])
                if ln == last.end_line:
                    text = text[last.end_column - 1:]
                if "}" in text:
                    end = ln
                    break
        return start, end

    def _tree(self, obj: Any, depth: int) -> _Anchor:
        lines = self._span_of(obj) if obj is not self else (1, 1 << 30)
        a = _Anchor(obj, lines[0] if lines else None, lines[1] if lines else None, depth=depth)
        kids = self._children(obj)
        if kids is not None:
            a.container = True
            a.children = [self._tree(k, depth + 1) for k in kids]
        return a

    # ------------------------------------------------------------------ attaching comments
    def _assign(self) -> None:
        root = self._tree(self, 0)
        flat: list[_Anchor] = []
        stack = [root]
        while stack:
            a = stack.pop()
            flat.append(a)
            stack.extend(a.children)
        first_code = self._first_code_line()
        for line, text in self.proto.comments:
            if first_code is not None and line < first_code:
                self.header.append(text)
                continue
            if self._after_code(line):
                starts = [a for a in flat if a is not root and a.start == line]
                whole = [a for a in starts if a.end == line]
                if whole:  # a one-line item (`on M { x := 1 }  # …`): the outermost one
                    self._eol[id(min(whole, key=lambda a: a.depth).obj)] = text
                    continue
                if starts:
                    self._eol[id(max(starts, key=lambda a: a.depth).obj)] = text
                    continue
                closes = [a for a in flat if a.container and a is not root and a.end == line
                          and not isinstance(a.obj, self.FaultGroup)]
                if closes:
                    self._closing[id(max(closes, key=lambda a: a.depth).obj)] = text
                    continue
                if line == first_code:
                    self.protocol_eol = text
                    continue
            self._own_line(root, line, text)

    def _own_line(self, root: _Anchor, line: int, text: str) -> None:
        block = root
        while True:
            inner = next((c for c in block.children if c.container and c.start is not None and c.end is not None
                          and c.start < line < c.end), None)
            if inner is None:
                break
            block = inner
        after = [(c.start, i, c) for i, c in enumerate(block.children) if c.start is not None and c.start > line]
        if after:
            self._before.setdefault(id(min(after)[2].obj), []).append((line, text))
        else:
            self._trailing.setdefault(id(block.obj), []).append((line, text))

    def _first_code_line(self) -> int | None:
        if self.lines is None:
            return None
        for i, ln in enumerate(self.lines, start=1):
            if code_before(ln).strip():
                return i
        return None

    def _after_code(self, line: int) -> bool:
        return self.lines is not None and bool(code_before(self.lines[line - 1]).strip())

    def _blank_above(self, line: int) -> bool:
        return self.lines is not None and line >= 2 and not self.lines[line - 2].strip()

    # ------------------------------------------------------------------ queries
    def before_comments(self, obj: Any) -> list[str]:
        return [t for _, t in self._before.get(id(obj), ())]

    def trailing_comments(self, container: Any) -> list[str]:
        return [t for _, t in self._trailing.get(id(container), ())] if container is not None else []

    def eol_comment(self, obj: Any) -> str | None:
        return self._eol.get(id(obj))

    def closing_comment(self, container: Any) -> str | None:
        return self._closing.get(id(container)) if container is not None else None

    def blank_before(self, obj: Any) -> bool:
        """Whether the source had a blank line above the item (or above its comments)."""
        lines = self._span_of(obj)
        if lines is None:
            return False
        first = min([lines[0], *(ln for ln, _ in self._before.get(id(obj), ()))])
        return self._blank_above(first)

    def blank_before_trailing(self, container: Any) -> bool:
        trailing = self._trailing.get(id(container))
        return trailing is not None and self._blank_above(trailing[0][0])


__all__ = ["CommentLayout"]
