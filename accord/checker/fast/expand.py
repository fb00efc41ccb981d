"""One BFS level's worth of work over a batch of packed states: successors and predicates.

:class:`Expander` fires every step instance over a batch of parent rows and returns
the successors in the generic engine's discovery order, with per-parent facts the
search needs (has a successor, raised, which error sites, which step labels fired).
It also evaluates state predicates (invariants, reachables, final conditions) over a
batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from accord import ir
from accord.checker.fast.codec import Codec, Unsupported
from accord.checker.fast.vexpr import Ev, Frame, bitpos
from accord.checker.fast.vfaults import fault_instances, fire_fault
from accord.checker.fast.vops import has_bit, is_arr, land, lnot, lor, where
from accord.checker.fast.vstep import Runner, StepInst, step_instances
from accord.ir.types import Inst
from accord.semantics.layout import Layout

KEY_SPAN = 1 << 20  # distinct choice outcomes of one step instance
DISC_SHIFT = 40  # bits of a successor's discovery key below its parent row


@dataclass
class Batch:
    """The successors of a batch of parents that differ from their parent, grouped by step instance.

    ``disc`` orders them as the generic engine discovers them: the parent's row, then
    the step instance's rank, then the choices made (``parent << DISC_SHIFT | sub``).
    Self-loops are not listed (their parent is stored already) but are counted.
    """

    parent: np.ndarray  # int64, row of the parent in the batch
    disc: np.ndarray  # int64, discovery key (unique per successor)
    words: np.ndarray  # (n, W) uint64
    counts: np.ndarray  # per parent: number of protocol successors (self-loops included)
    has_err: np.ndarray  # per parent: some step raised
    fault_counts: np.ndarray  # per parent: number of fault successors (self-loops included)
    err_site: dict[Any, int] = field(default_factory=dict)  # site -> first parent row raising there
    fired: set[str] = field(default_factory=set)  # labels of steps that produced a successor
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)

    @property
    def has_succ(self) -> np.ndarray:
        return self.counts > 0


class Expander:
    def __init__(self, proto: ir.Protocol, lay: Layout, codec: Codec, labels: list[str], init_locals: Any):
        self.proto = proto
        self.lay = lay
        self.codec = codec
        insts = step_instances(proto, lay, codec, labels)
        self.faults = fault_instances(proto, lay, codec, init_locals, len(insts))
        if (len(insts) + len(self.faults)) * KEY_SPAN >= 1 << DISC_SHIFT:
            raise Unsupported(f"{len(insts) + len(self.faults)} step and fault instances")
        self.normal = [si for si in insts if not si.timeout]
        self.timeouts = [si for si in insts if si.timeout]
        for si in self.timeouts:  # `timeout` faults: a budget lets the timeout fire early
            si.budgets = [leaf for f, leaf in zip(proto.faults, codec.budget)
                          if f.kind is ir.FaultKind.TIMEOUT and f.target in (None, si.inst.role)]
        self.early = any(si.budgets for si in self.timeouts)
        self.runner = Runner(codec, lay)

    # ------------------------------------------------------------------ successors
    def expand(self, words: np.ndarray) -> Batch:
        n = len(words)
        rows = np.arange(n, dtype=np.int64)
        none = np.zeros(0, dtype=np.int64)
        b = Batch(none, none, np.zeros((0, self.codec.words), dtype=np.uint64),
                  np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64))
        cache: dict[int, Any] = {}
        self._fire_all(self.normal, words, rows, cache, b)
        if self.timeouts:
            stuck = (b.counts == 0) & ~b.has_err
            if stuck.any():
                self._fire_all(self.timeouts, words[stuck], rows[stuck], {}, b)
            if self.early and not stuck.all():
                self._fire_all(self.timeouts, words[~stuck], rows[~stuck], {}, b, early=True)
        for fi in self.faults:
            f = Frame(self.codec, words, rows)
            f.cache = cache
            g = fire_fault(fi, f, self.codec.crash, self.codec.locals)
            if g is not None:
                b.fault_counts[g.rows] += 1
                self._emit(b, g, fi.rank * KEY_SPAN)
        if b.parts:
            b.parent = np.concatenate([p[0] for p in b.parts])
            b.disc = (b.parent << DISC_SHIFT) | np.concatenate([p[1] for p in b.parts])
            b.words = np.concatenate([p[2] for p in b.parts])
            b.parts = []
        return b

    def _fire_all(self, insts: list[StepInst], words: np.ndarray, rows: np.ndarray, cache: dict[int, Any],
                  b: Batch, early: bool = False) -> None:
        """Fire step instances over rows; ``early``: timeouts before the system waits, each spending
        a `timeout` fault budget (instances without one do not fire)."""
        runner = self.runner
        dead: dict[tuple[int, Inst], np.ndarray] = {}  # rows whose parameter domains raised, per step
        for si in insts:
            runner.errors = []
            if early and not si.budgets:
                continue
            outs = self._fire(si, words, rows, cache, dead.setdefault((id(si.step), si.inst), np.zeros(
                len(b.counts), dtype=bool)) if si.member else None, early)
            for err_rows, site in runner.errors:
                b.has_err[err_rows] = True
                first = int(err_rows.min())
                if site not in b.err_site or first < b.err_site[site]:
                    b.err_site[site] = first
            keys = sorted({k for _, k in outs})
            rank = {k: i for i, k in enumerate(keys)}
            for f, k in outs:
                if f.n == 0:
                    continue
                assert f.rows is not None and f.words is not None
                b.counts[f.rows] += 1
                b.fired.add(si.label)
                if early or si.at:
                    spend(f, si.budgets)
                self._emit(b, f, si.rank * KEY_SPAN + rank[k])

    def _emit(self, b: Batch, f: Frame, sub: int) -> None:
        """Pack an outcome frame; keep the successors that differ from their parent."""
        if not f.over:
            return
        assert f.words is not None and f.rows is not None
        out = f.words.copy()
        for leaf_id, val in f.over.items():
            self.codec.write(out, self.codec.leaves[leaf_id], val)
        moved = (out != f.words).any(axis=1) if out.shape[1] > 1 else out[:, 0] != f.words[:, 0]
        if not moved.all():
            out, prow = out[moved], f.rows[moved]
        else:
            prow = f.rows
        if len(prow):
            b.parts.append((prow, np.full(len(prow), sub, dtype=np.int64), out))

    def _fire(self, si: StepInst, words: np.ndarray, rows: np.ndarray, cache: dict[int, Any],
              dead: np.ndarray | None, early: bool = False) -> list[Any]:
        """The outcomes of one step instance over rows. ``dead``: rows (of the batch) where an earlier
        binding of the same step raised in a parameter domain; the generic engine binds no more
        parameters there, and rows raising here are added to it."""
        runner = self.runner
        f: Frame | None = Frame(self.codec, words, rows, si.inst, si.bound, None, si.sender)
        assert f is not None
        f.cache = cache
        flags = self.codec.crash.get(si.inst.role)
        if flags is not None:
            f = runner.filter(f, ~f.read(flags[si.inst.idx]))
        if f is not None and (early or si.at):
            f = runner.filter(f, has_budget(f, si.budgets))
        if f is not None and si.chan is not None:
            slot, k = si.chan
            cc = self.codec.chans[slot]
            if si.at:  # out of order: the first position holding this item, under a reorder budget
                f = runner.filter(f, land(cc.first_at(f, si.at), f.read(cc.slots[si.at]) == k))
                if f is not None:
                    cc.remove_at(f, si.at)
            else:
                f = runner.filter(f, cc.holds(f, k))
                if f is not None and cc.mask is None:
                    cc.take(f, k)
        if f is not None and dead is not None and dead.any():
            f = runner.filter(f, ~dead[f.rows])
        for name, dom in si.member:
            if f is None:
                return []
            ev = Ev(f)
            d = ev.ev(dom)
            if dead is not None and ev.err is not False:
                dead[f.rows if ev.err is True else f.rows[ev.err]] = True
            g = runner.drop_errors(f, ev.err, si.step)
            if g is None:
                return []
            if g is not f:
                d = d[~ev.err] if is_arr(d) else d
            assert isinstance(dom.type, ir.SetType)
            f = runner.filter(g, has_bit(d, bitpos(dom.type.elem, g.bound[name])))
        for c in si.conds:
            if f is None:
                return []
            f = runner.cond(f, c, si.step)
        if f is None:
            return []
        return runner.block(si.step.body, [(f, ())])

    # ------------------------------------------------------------------ predicates
    def predicate(self, words: np.ndarray, e: ir.Expr) -> tuple[np.ndarray, np.ndarray]:
        """(holds, raises) of a state predicate over rows of packed states."""
        n = len(words)
        f = Frame(self.codec, words, np.arange(n, dtype=np.int64))
        ev = Ev(f)
        v = ev.ev(e)
        return _full(v, n), _full(ev.err, n)

    def final(self, words: np.ndarray) -> np.ndarray:
        """Whether every live instance of every role satisfies its final condition."""
        n = len(words)
        out: Any = True
        for r in self.proto.roles:
            if r.implicit or r.final_always:
                continue
            for i in range(r.count):
                f = Frame(self.codec, words, np.arange(n, dtype=np.int64), Inst(r.name, i))
                ok: Any = False if r.final is None else Ev(f).ev(r.final)
                flags = self.codec.crash.get(r.name)
                if flags is not None:
                    ok = lor(ok, f.read(flags[i]))
                out = land(out, ok)
        return _full(out, n)


def has_budget(f: Frame, budgets: list[Any]) -> Any:
    out: Any = False
    for leaf in budgets:
        out = lor(out, f.read(leaf) > 0)
    return out


def spend(f: Frame, budgets: list[Any]) -> None:
    """Take one unit from the first budget with some left (every row has one)."""
    done: Any = False
    for leaf in budgets:
        v = f.read(leaf)
        use = land(lnot(done), v > 0)
        f.over[leaf.id] = where(use, v - 1, v)
        done = lor(done, use)


def _full(v: Any, n: int) -> np.ndarray:
    if is_arr(v):
        return v.astype(bool)
    return np.full(n, bool(v))


__all__ = ["Batch", "Expander", "Unsupported"]
