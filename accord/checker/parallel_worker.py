"""The worker side of the multi-process search: see :mod:`accord.checker.parallel` for the protocol."""

from __future__ import annotations

import bisect
import pickle
import time
import traceback
from array import array
from typing import Any

from accord import ir
from accord.checker.compaction import fingerprint
from accord.checker.explicit import Config, _peak_mb, _Search
from accord.checker.store import rss_bytes
from accord.semantics.model import State

_J = 24  # bits of j in an encoded key


def _enc(r: int, j: int) -> int:
    if j >= 1 << _J:
        raise RuntimeError("a state with more than 16 million successors")
    return (r + 1) << _J | j


class _Worker:
    def __init__(self, w: int, k: int, proto: ir.Protocol, cfg: Config, use_sym: bool, compact: bool,
                 by_hash: bool = False):
        self.w, self.k = w, k
        self.by_hash = by_hash and not compact  # owner by Python's hash (forked processes share it)
        self.search = s = _Search(proto, cfg, use_sym, keep_graph=False, compact=compact)
        self.compact = compact
        self.model = s.model
        self.frontier: list[tuple[int, int, State]] = []  # (rank, local number, state), by rank
        self.next: dict[State, tuple[int, int, int]] = {}  # candidate -> (key, parent, fingerprint)
        self.pending: list[tuple[State, tuple[int, int, int]]] = []
        self.events: dict[tuple[str, str], tuple[Any, ...]] = {}
        self.known: set[str] = set()
        self.units: set[int] = set()
        self.ledger: list[tuple[int, int, int, bool]] = []  # (rank, key of its checks, generated, terminal)

    def gid(self, local: int) -> int:
        return local * self.k + self.w

    # ------------------------------------------------------------------ events
    def _event(self, key: int, tag: str, name: str, data: Any) -> None:
        old = self.events.get((tag, name))
        if old is None or key < old[0]:
            self.events[(tag, name)] = (key, tag, name, data)

    def _violation(self, key: int, p: ir.Property | None, kind: str, name: str, message: str,
                   where: tuple[Any, ...], span: Any = None) -> None:
        if name not in self.known:
            self._event(key, "violation", name, (kind, message, where, p.span if p is not None else span))

    def _judge(self, key: int, st: State, where: tuple[Any, ...], stored: bool) -> None:
        """As ``_Search.check_state`` (stored) or ``_check_outside`` (not stored), as events."""
        for p, pred in self.search.invariants:
            if p.name in self.known:
                continue
            try:
                ok = pred(st)
            except Exception as exc:  # an EvalError inside a property is a violation of it
                self._violation(key, p, p.kind.value, p.name, f"cannot evaluate: {exc}", where)
                continue
            if not ok:
                self._violation(key, p, p.kind.value, p.name, f"{p.kind.value} `{p.name}` is violated", where)
        for p, pred in self.search.reachables:
            if p.name in self.known:
                continue
            try:
                hit = pred(st)
            except Exception:
                continue
            if hit:
                self._event(key, "reach" if stored else "outside", p.name, where[1] if stored else where)

    # ------------------------------------------------------------------ the level protocol
    def _offer(self, st: State, key: int, parent: int, fp: int) -> None:
        store = self.search.store
        if (store.table.get(fp) if self.compact else store.find(st)) >= 0:
            return
        old = self.next.get(st)
        if old is None or key < old[0]:
            self.next[st] = (key, parent, fp)

    def deliver(self, blobs: list[bytes]) -> tuple[Any, ...]:
        for blob in blobs:
            for st, key, parent, fp in pickle.loads(blob):
                self._offer(st, key, parent, fp)
        self.pending = sorted(self.next.items(), key=lambda kv: kv[1][0])
        self.next = {}
        base = len(self.search.store)
        for pos, (st, (key, _, _)) in enumerate(self.pending):
            self._judge(key, st, ("at", self.gid(base + pos)), True)
        keys = array("q", (v[0] for _, v in self.pending))
        return ("candidates", keys.tobytes(), self._take_events())

    def _take_events(self) -> list[tuple[Any, ...]]:
        out = list(self.events.values())
        self.events = {}
        return out

    def commit(self, level: int, ranks: bytes, cut: int | None, known: list[str]) -> tuple[Any, ...]:
        self.known.update(known)
        rank = array("q")
        rank.frombytes(ranks)
        keys = [v[0] for _, v in self.pending]
        n = len(keys) if cut is None else bisect.bisect_right(keys, cut)
        store = self.search.store
        frontier = []
        for pos in range(n):
            st, (_, parent, fp) = self.pending[pos]
            idx, _ = store.add(st, parent, level, fp) if self.compact else store.add(st, parent, level)
            frontier.append((rank[pos], idx, st))
        generated = terminal = 0
        for _, key, gen, term in self.ledger:
            if cut is None or key <= cut:
                generated += gen
                terminal += term
        left = sum(1 for r, _, _ in self.frontier if cut is not None and _enc(r, 0) > cut)
        self.frontier, self.pending, self.ledger = frontier, [], []
        return ("committed", n, generated, terminal, left)

    def expand(self, level: int, deadline: float | None) -> tuple[Any, ...]:
        s = self.search
        model, k, w = self.model, self.k, self.w
        outboxes: list[dict[State, tuple[int, int, int]]] = [{} for _ in range(k)]
        stopped_at = None
        for n, (r, idx, st) in enumerate(self.frontier):
            if n % 64 == 0 and ((deadline is not None and time.monotonic() > deadline) or self._over_memory()):
                stopped_at = r
                break
            gid = self.gid(idx)
            enabled, errors, succ, _ = s.successors(st, level)
            j = 0
            for exc in errors:
                self._step_error(_enc(r, j), gid, exc)
                j += 1
            key = _enc(r, j)
            term = not enabled and not errors
            self.ledger.append((r, key, len(succ), term))
            if term and s.check_deadlock and (not model.has_final or not model.is_final(st)):
                p = next((p for p in s.proto.properties if p.kind is ir.PropKind.DEADLOCK), None)
                self._violation(key, p, "deadlock", "deadlock",
                                "deadlock: no step is enabled and not every role is final", ("at", gid))
            for tr, nxt in succ:
                j += 1
                if tr.unit >= 0:
                    self.units.add(tr.unit)
                    self.units.update(tr.joined)
                c = s.canon(nxt)
                if s.constraints and not all(f(c) for f in s.constraints):
                    self._judge(_enc(r, j), c, ("via", gid, c), False)
                    continue
                if self.by_hash:
                    fp = 0
                    owner = hash(c) % k
                else:
                    fp = fingerprint(c)
                    owner = fp % k
                if owner == w:
                    self._offer(c, _enc(r, j), gid, fp)
                else:
                    box = outboxes[owner]
                    old = box.get(c)
                    if old is None or _enc(r, j) < old[0]:
                        box[c] = (_enc(r, j), gid, fp)
        blobs = [pickle.dumps([(st, *v) for st, v in box.items()], protocol=pickle.HIGHEST_PROTOCOL)
                 if i != w else b"" for i, box in enumerate(outboxes)]
        return ("expanded", blobs, stopped_at, self._take_events())

    def _over_memory(self) -> bool:
        limit = self.search.cfg.max_memory_mb
        return limit is not None and _peak_mb() > limit / self.k

    def _step_error(self, key: int, gid: int, exc: Any) -> None:
        v = exc.violation
        kind = getattr(v, "kind", "runtime")
        where = f" at line {v.span.line}" if getattr(v, "span", None) is not None else ""
        name = {"assert": "assert", "overflow": "channel overflow", "concurrent write": "concurrent write"}.get(
            kind, "runtime error")
        self._violation(key, None, "assert" if kind == "assert" else kind, f"{name}{where}",
                        f"{name}{where}: {v}", ("error", gid, exc.transition, str(v)), getattr(v, "span", None))

    def chain(self, gid: int) -> list[tuple[Any, int]]:
        store = self.search.store
        out = []
        while gid >= 0 and gid % self.k == self.w:
            local = gid // self.k
            gid = store.parent[local]
            out.append((store.key(local), gid))
        return out

    def serve(self, conn: Any) -> None:
        level_cpu = 0.0
        while True:
            msg = conn.recv()
            op = msg[0]
            started = time.process_time()
            if op == "deliver":
                reply = self.deliver(msg[1])
                level_cpu += time.process_time() - started
                conn.send(reply)
            elif op == "commit":
                reply = self.commit(*msg[1:])
                conn.send((*reply, level_cpu + time.process_time() - started))
                level_cpu = 0.0
            elif op == "expand":
                reply = self.expand(*msg[1:])
                level_cpu += time.process_time() - started
                conn.send(reply)
            elif op == "chain":
                conn.send(("chain", self.chain(msg[1])))
            elif op == "finish":
                conn.send(("finished", self.units, max(0, rss_bytes() - self.search.rss0), _peak_mb()))
                return


def _worker_main(conn: Any, w: int, k: int, proto: ir.Protocol, cfg: Config, use_sym: bool, compact: bool,
                 by_hash: bool) -> None:
    try:
        _Worker(w, k, proto, cfg, use_sym, compact, by_hash).serve(conn)
    except Exception:  # report, so the coordinator fails loudly instead of waiting forever
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()
