"""Partial-order reduction for the explicit search (``--por``): stubborn sets over step instances.

The transitions are *units*: one step of one role instance (``Model.units``),
plus one pseudo-unit per fault declaration. Each unit has a static *footprint*
computed from the IR: the resources it reads, writes, and appends to. Resources
are a role instance's variable, a shared variable, a channel instance, a fault
budget, a role's crash flags, and ``K`` (the state constraint, read by every
unit and written by any unit that writes what a constraint reads).

Two units are *dependent* when one writes what the other reads or writes;
appends to the same ``set`` or ``bag`` channel without a capacity commute and
are not a conflict. In each state every unit is fired (so errors, deadlock and
coverage are judged on the full set of enabled steps), and the successors of a
*stubborn set* T are explored, built from a seed enabled protocol unit by closure:

* an enabled unit in T brings every unit dependent on it (D1: steps outside T
  never disable or change what T's steps do, and commute with them);
* a disabled unit in T brings every unit writing what it reads (D2: nothing
  outside T can enable it).

A disabled unit brings fewer units when the state says why it is disabled: a
handler whose incoming channels are all empty needs only the units sending on
them; an action with a false guard conjunct (one naming no parameter) needs only
the units writing what that conjunct reads; a crashed instance needs a restart.
The seed giving the fewest enabled units wins. T falls back to every enabled
transition when

* T holds an enabled *visible* unit: one that writes what an invariant,
  agreement or reachable property reads;
* the cycle proviso fails: some successor through T is already stored at a level
  no deeper than the state being expanded. Reduced edges then strictly deepen,
  so every cycle of the reduced graph has a fully expanded state (in BFS and DFS).

What is preserved: every reachable state with no enabled protocol step (so the
deadlock verdict), the violation of any invariant, agreement, assert or runtime
check, and reachable witnesses. The counts (distinct, depth, generated,
terminal) are those of the reduced graph: reports say "reduced", never the
full count. Liveness is not preserved: a spec with liveness properties runs
unreduced (see ``explicit.check``). Refused with a reason (:func:`por_problems`):
``schedule rounds``, ``on timeout`` steps (enabled when nothing else is), and
``sync`` channels (a send runs the receiver's handler inside the sender's step).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accord import ir
from accord.checker.footprint import Footprints, Opaque
from accord.ir.types import Inst
from accord.semantics.evaluate import Env
from accord.semantics.model import Model, State, StepError

if TYPE_CHECKING:
    from accord.checker.explicit import _Search

def por_problems(proto: ir.Protocol) -> list[str]:
    """Why partial-order reduction cannot run on ``proto`` (empty: it can)."""
    why = []
    if proto.schedule is ir.Schedule.ROUNDS:
        why.append("`schedule rounds` steps every agent at once")
    if any(s.kind is ir.StepKind.TIMEOUT for s in proto.steps):
        why.append("`on timeout` steps depend on every other step being disabled")
    if any(c.kind is ir.ChanKind.SYNC for c in proto.channels):
        why.append("`sync` channels run the receiver's step inside the sender's")
    if not why:
        try:
            Footprints(Model(proto), [])
        except Opaque as exc:
            why.append(str(exc))
    return why


class Reducer:
    """Chooses, in each state, the successors a stubborn set allows (see the module docstring)."""

    def __init__(self, model: Model, constraint_exprs: list[ir.Expr]):
        self.model = model
        fp = Footprints(model, constraint_exprs)
        self.fault_units = fp.fault_units
        units = fp.units
        n = len(units)
        writers: dict[int, int] = {}  # resource bit -> units writing or appending to it

        def writing(mask: int) -> int:
            out = 0
            while mask:
                low = mask & -mask
                mask ^= low
                found = writers.get(low)
                if found is None:
                    found = writers[low] = sum(1 << v for v, (_, w, a) in enumerate(units) if (w | a) & low)
                out |= found
            return out

        self.conf = [0] * n  # units dependent on u (u enabled)
        for u, (ru, wu, au) in enumerate(units):
            for v, (rv, wv, av) in enumerate(units):
                if v != u and ((wu & (rv | wv | av)) or (au & (rv | wv)) or (ru & (wv | av))):
                    self.conf[u] |= 1 << v
        self.nes = [writing(r) & ~(1 << u) for u, (r, _, _) in enumerate(units)]  # may enable u (disabled)
        # sharper reasons a disabled protocol unit stays disabled (see successors)
        lay = model.layout
        self.me = [lay.inst_slot(inst) for _, inst in model.units]
        self.crash_nes = [writing(fp._bit(("X", inst.role))) if inst.role in lay.crash_slot else 0
                          for _, inst in model.units]
        self.guards = [[(test, writing(reads)) for test, reads in conj] for conj, _, _ in fp.why_off]
        self.inboxes = [(slots, writing(chans)) for _, slots, chans in fp.why_off]
        self.visible = 0
        for u, (_, w, a) in enumerate(units):
            if (w | a) & fp.prop_reads:
                self.visible |= 1 << u
        self.proto_mask = (1 << fp.n_protocol) - 1
        self.expanded = 0
        self.reduced = 0

    def summary(self) -> str:
        return (f"partial-order reduction: {self.reduced:,} of {self.expanded:,} expanded states took a reduced "
                "set of steps; the counts are of the reduced state graph")

    def _enablers(self, u: int, st: State, crashed: int) -> int:
        """Units one of which must fire before the disabled unit ``u`` can be enabled in ``st``."""
        if u >= len(self.me):
            return self.nes[u]
        if crashed >> u & 1:
            return self.crash_nes[u]
        slots, chan_nes = self.inboxes[u]
        if slots and not any(st[sl] for sl in slots):
            return chan_nes
        best = self.nes[u]
        if self.guards[u]:
            env = Env(st, self.me[u], {}, self.model.layout)
            for test, nes in self.guards[u]:
                try:
                    off = not test(env)
                except Exception:
                    continue
                if off and nes.bit_count() < best.bit_count():
                    best = nes
        return best

    def _closure(self, seed: int, enabled: int, best: int, enablers: Any) -> int:
        """The enabled units of the stubborn set grown from ``seed`` (0: no better than ``best``)."""
        t = 1 << seed
        work = [seed]
        while work:
            u = work.pop()
            add = (self.conf[u] if enabled >> u & 1 else enablers(u)) & ~t
            if add:
                t |= add
                if t & enabled & self.visible or (t & enabled).bit_count() >= best:
                    return 0
                while add:
                    low = add & -add
                    work.append(low.bit_length() - 1)
                    add ^= low
        return t & enabled

    def choose(self, enabled: int, st: State, crashed: int) -> int:
        """The enabled units to explore (``enabled`` itself when no proper stubborn set exists)."""
        memo: dict[int, int] = {}

        def enablers(u: int) -> int:
            found = memo.get(u)
            if found is None:
                found = memo[u] = self._enablers(u, st, crashed)
            return found

        best, best_n = enabled, enabled.bit_count()
        seeds = enabled & self.proto_mask & ~self.visible
        while seeds and best_n > 1:
            low = seeds & -seeds
            seeds ^= low
            t = self._closure(low.bit_length() - 1, enabled, best_n, enablers)
            if t:
                best, best_n = t, t.bit_count()
        return best

    def successors(self, search: _Search, st: State, depth: int
                   ) -> tuple[bool, list[StepError], list[Any], set[int]]:
        """As ``_Search.successors``: (a protocol step is enabled, errors, successors, units taken)."""
        model = self.model
        lay = model.layout
        roles = model.proto.role_map
        errors: list[StepError] = []
        groups: list[tuple[int, list[Any]]] = []
        enabled = crashed = 0
        for cs in model.normal_steps:
            r = roles[cs.role]
            for i in range(r.count):
                inst = Inst(r.name, i)
                if lay.is_crashed(st, inst):
                    crashed |= 1 << model.unit_of[(cs.label, inst)]
                    continue
                n_err = len(errors)
                outs = list(cs.fire(st, inst, False, errors))
                if outs or len(errors) > n_err:
                    u = model.unit_of[(cs.label, inst)]
                    enabled |= 1 << u
                    if outs:
                        groups.append((u, outs))
        faults = model.fault_successors(st)
        for tr, nxt in faults:
            enabled |= 1 << self._fault_unit(st, nxt)
        taken = {u for u, _ in groups}
        proto_any = bool(enabled & self.proto_mask)
        self.expanded += 1
        pick = self.choose(enabled, st, crashed) if proto_any else enabled
        if pick != enabled:
            succ = [x for u, outs in groups if pick >> u & 1 for x in outs]
            succ += [(tr, nxt) for tr, nxt in faults if pick >> self._fault_unit(st, nxt) & 1]
            if self._proviso(search, succ, depth):
                self.reduced += 1
                return proto_any, errors, succ, taken
        succ = [x for _, outs in groups for x in outs]
        return proto_any, errors, succ + faults, taken

    def _fault_unit(self, st: State, nxt: State) -> int:
        for slot, u in self.fault_units:
            if nxt[slot] != st[slot]:
                return u
        raise AssertionError("a fault step that spends no budget")

    @staticmethod
    def _proviso(search: _Search, succ: list[Any], depth: int) -> bool:
        """Every successor through the stubborn set is new or one level deeper (cycle proviso)."""
        store, level = search.store, search.level
        for _, nxt in succ:
            c = search.canon(nxt)
            if search.constraints and not all(f(c) for f in search.constraints):
                continue  # never stored: it closes no cycle
            j = store.find(c)
            if j >= 0 and level[j] <= depth:
                return False
        return True


__all__ = ["Reducer", "por_problems"]
