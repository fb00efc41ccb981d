"""Statements compiled into runners over a working state.

A runner takes a :class:`StepEnv` and returns the list of environments that
continue (one per branch of ``choose``; none when the step blocks, e.g. on a
full channel or an empty choice). Deterministic statements update the
environment in place; branching forks it.
"""

from __future__ import annotations

import bisect
from typing import Any, Callable

from accord import ir
from accord.ir.types import Inst, contains, key_index, render_type, render_value, sort_key, within
from accord.semantics.evaluate import Env, EvalError, compile_expr

Runner = Callable[["StepEnv"], list["StepEnv"]]


class Violation(Exception):
    """A safety violation raised while executing a step (assert, range, overflow, concurrent write)."""

    def __init__(self, kind: str, message: str, span: Any = None):
        super().__init__(message)
        self.kind = kind  # "assert" | "runtime" | "overflow" | "concurrent write"
        self.span = span


class StepEnv(Env):
    __slots__ = ("sender", "log", "writes", "joined", "outbox", "took")

    def __init__(self, st: list[Any], me: int, b: dict[str, Any], layout: Any,
                 sender: Inst | None = None, log: list[Any] | None = None):
        super().__init__(st, me, b, layout)
        self.sender = sender
        self.log = log
        self.writes: set[str] | None = None
        self.joined: tuple[int, ...] = ()  # fairness units of sync handlers run inside this step
        # synchronous rounds (accord.semantics.rounds): sends are collected here as
        # (channel instance, item, message, dest) instead of entering the channel, and
        # `took` is the (slot, position, item) a handler received
        self.outbox: list[tuple[Any, Any, ir.Message, Inst | None]] | None = None
        self.took: tuple[int, int, Any] | None = None

    def fork(self) -> "StepEnv":
        e = StepEnv(list(self.st), self.me, dict(self.b), self.layout, self.sender,
                    list(self.log) if self.log is not None else None)
        e.writes = set(self.writes) if self.writes is not None else None
        e.joined = self.joined
        e.outbox = list(self.outbox) if self.outbox is not None else None
        e.took = self.took
        return e


def sorted_domain(values: Any) -> list[Any]:
    if isinstance(values, frozenset):
        return sorted(values, key=sort_key)
    return list(values)


def bag_insert(items: tuple[Any, ...], item: Any) -> tuple[Any, ...]:
    keys = [sort_key(x) for x in items]
    i = bisect.bisect_right(keys, sort_key(item))
    return items[:i] + (item,) + items[i:]


class Compiler:
    """Compiles the statements of one role's steps. ``sync`` receivers are bound late."""

    def __init__(self, lay: Any, role: str, sync_receivers: dict[tuple[str, str], list[Any]]):
        self.lay = lay
        self.role = role
        self.sync = sync_receivers

    def expr(self, e: ir.Expr) -> Callable[[Env], Any]:
        return compile_expr(e, self.lay)

    def block(self, stmts: tuple[ir.Stmt, ...]) -> Runner:
        runners = [self.stmt(s) for s in stmts]
        if not runners:
            return lambda env: [env]
        if len(runners) == 1:
            return runners[0]

        def run(env: StepEnv) -> list[StepEnv]:
            envs = [env]
            for r in runners:
                if len(envs) == 1:
                    envs = r(envs[0])
                else:
                    nxt: list[StepEnv] = []
                    for e in envs:
                        nxt.extend(r(e))
                    envs = nxt
                if not envs:
                    return envs
            return envs

        return run

    def stmt(self, s: ir.Stmt) -> Runner:
        return getattr(self, "s_" + type(s).__name__)(s)

    def s_Skip(self, s: ir.Skip) -> Runner:
        return lambda env: [env]

    def s_Let(self, s: ir.Let) -> Runner:
        f = self.expr(s.value)
        var = s.var

        def run(env: StepEnv) -> list[StepEnv]:
            env.b[var] = f(env)
            return [env]

        return run

    def s_Assert(self, s: ir.Assert) -> Runner:
        f = self.expr(s.cond)
        span = s.span

        def run(env: StepEnv) -> list[StepEnv]:
            if not f(env):
                raise Violation("assert", "assertion failed", span)
            return [env]

        return run

    def s_If(self, s: ir.If) -> Runner:
        c = self.expr(s.cond)
        a = self.block(s.then)
        b = self.block(s.other) if s.other is not None else None

        def run(env: StepEnv) -> list[StepEnv]:
            if c(env):
                return a(env)
            return b(env) if b is not None else [env]

        return run

    def s_Choose(self, s: ir.Choose) -> Runner:
        dom = self.expr(s.domain)
        body = self.block(s.body)
        var = s.var

        def run(env: StepEnv) -> list[StepEnv]:
            values = sorted_domain(dom(env))
            out: list[StepEnv] = []
            for i, x in enumerate(values):
                e = env if i == len(values) - 1 else env.fork()
                e.b[var] = x
                if e.log is not None:
                    e.log.append(("choose", var, x))
                out.extend(body(e))
            return out

        return run

    def s_For(self, s: ir.For) -> Runner:
        dom = self.expr(s.domain)
        body = self.block(s.body)
        var = s.var

        def run(env: StepEnv) -> list[StepEnv]:
            envs = [env]
            for x in sorted_domain(dom(env)):
                nxt: list[StepEnv] = []
                for e in envs:
                    e.b[var] = x
                    nxt.extend(body(e))
                envs = nxt
            for e in envs:
                e.b.pop(var, None)
            return envs

        return run

    # ------------------------------------------------------------------ assignment
    def s_Assign(self, s: ir.Assign) -> Runner:
        t = s.target
        value = self.expr(s.value)
        check = not within(s.value.type, t.type)
        target_t = t.type
        span = s.span
        name = t.name
        path = []
        cur = t.root_type
        for step in t.path:
            if isinstance(step, str):
                assert isinstance(cur, ir.RecordType)
                path.append(("field", cur.field_index(step), None))
                cur = cur.field_type(step)
            elif isinstance(cur, ir.MapType):
                path.append(("map", self.expr(step), key_index(cur.key)))
                cur = cur.value
            else:
                assert isinstance(cur, ir.SeqType)
                path.append(("seq", self.expr(step), None))
                cur = cur.elem

        def update(env: StepEnv, old: Any, i: int, new: Any) -> Any:
            if i == len(path):
                return new
            kind, key, index = path[i]
            if kind == "field":
                pos = key
            elif kind == "map":
                k = key(env)
                try:
                    pos = index[k]
                except KeyError:
                    raise Violation("runtime", f"key {k!r} is outside the domain of `{name}`", span) from None
            else:
                pos = key(env)
                if not 0 <= pos < len(old):
                    raise Violation("runtime", f"index {pos} is outside `{name}` (length {len(old)})", span)
            return old[:pos] + (update(env, old[pos], i + 1, new),) + old[pos + 1:]

        def checked(env: StepEnv) -> Any:
            v = value(env)
            if check and not contains(target_t, v):
                raise Violation("runtime", f"`{name}` would be {render_value_safe(target_t, v)}, outside "
                                f"{render_type(target_t)}", span)
            return v

        if t.scope is ir.Scope.SHARED:
            slot = self.lay.shared_slot[name]
            if not path:
                def run_shared(env: StepEnv) -> list[StepEnv]:
                    env.st[slot] = checked(env)
                    if env.writes is not None:
                        env.writes.add(name)
                    return [env]
                return run_shared

            def run_shared_path(env: StepEnv) -> list[StepEnv]:
                v = checked(env)
                env.st[slot] = update(env, env.st[slot], 0, v)
                if env.writes is not None:
                    env.writes.add(name)
                return [env]
            return run_shared_path

        k = self.lay.local_pos[name]

        def run_local(env: StepEnv) -> list[StepEnv]:
            v = checked(env)
            mine = env.st[env.me]
            newv = update(env, mine[k], 0, v) if path else v
            env.st[env.me] = mine[:k] + (newv,) + mine[k + 1:]
            return [env]

        return run_local

    # ------------------------------------------------------------------ messages
    def _deliver(self, ch: ir.Channel) -> Callable[[StepEnv, ir.Message, Inst | None], list[StepEnv]]:
        """A function putting one message on ``ch`` towards an instance (None: the shared queue)."""
        lay = self.lay
        links = ch.topology is ir.Topology.LINKS
        cap = ch.capacity
        full = ch.full
        kind = ch.kind

        if kind is ir.ChanKind.SYNC:
            receivers = self.sync.setdefault((ch.dst, ch.name), [])

            def rendezvous(env: StepEnv, m: ir.Message, dest: Inst | None) -> list[StepEnv]:
                assert dest is not None
                if env.outbox is not None:
                    raise Violation("runtime", f"`sync` channel {ch.name} cannot be used under `schedule rounds`: "
                                    "in a round, messages are delivered after every agent has stepped", ch.span)
                if lay.is_crashed(env.st, dest):
                    return []
                me_inst = lay.inst_of_slot[env.me]
                out: list[StepEnv] = []
                for recv in receivers:
                    out.extend(recv.rendezvous(env, m, me_inst, dest))
                return out

            return rendezvous

        def deliver(env: StepEnv, m: ir.Message, dest: Inst | None) -> list[StepEnv]:
            me_idx = lay.inst_of_slot[env.me].idx
            ci = lay.channel_for(ch, me_idx, dest.idx if dest is not None else None)
            item = m if links else (me_idx, m)
            if env.outbox is not None:  # a round: delivered (and checked against capacity) after the round
                env.outbox.append((ci, item, m, dest))
                return [env]
            old = env.st[ci.slot]
            if kind is ir.ChanKind.SET:
                if item in old:
                    new = old
                elif cap is not None and len(old) >= cap:
                    return _full(env, full, ci, m)
                else:
                    new = old | {item}
            else:
                if cap is not None and len(old) >= cap:
                    return _full(env, full, ci, m)
                new = old + (item,) if kind is ir.ChanKind.FIFO else bag_insert(old, item)
            env.st[ci.slot] = new
            if env.log is not None:
                env.log.append(("send", ci.label, lay.inst_of_slot[env.me], dest, m))
            return [env]

        return deliver

    def _send_msg(self, msg: ir.MsgCons) -> Callable[[Env], ir.Message]:
        return self.expr(msg)

    def s_Send(self, s: ir.Send) -> Runner:
        ch = self.lay.proto.channel_map[s.channel]
        deliver = self._deliver(ch)
        mk = self._send_msg(s.msg)
        shared = ch.topology is ir.Topology.SHARED
        dest = self.expr(s.dest) if not shared else None

        def run(env: StepEnv) -> list[StepEnv]:
            return deliver(env, mk(env), dest(env) if dest is not None else None)

        return run

    def s_Broadcast(self, s: ir.Broadcast) -> Runner:
        ch = self.lay.proto.channel_map[s.channel]
        deliver = self._deliver(ch)
        mk = self._send_msg(s.msg)
        count = self.lay.proto.role_map[s.role].count
        role = s.role

        def run(env: StepEnv) -> list[StepEnv]:
            m = mk(env)
            me = self.lay.inst_of_slot[env.me]
            envs = [env]
            for j in range(count):
                dest = Inst(role, j)
                if dest == me:
                    continue
                nxt: list[StepEnv] = []
                for e in envs:
                    nxt.extend(deliver(e, m, dest))
                envs = nxt
            return envs

        return run

    def s_Reply(self, s: ir.Reply) -> Runner:
        ch = self.lay.proto.channel_map[s.channel]
        deliver = self._deliver(ch)
        mk = self._send_msg(s.msg)

        def run(env: StepEnv) -> list[StepEnv]:
            return deliver(env, mk(env), env.sender)

        return run


def _full(env: StepEnv, mode: ir.FullMode, ci: Any, m: ir.Message) -> list[StepEnv]:
    if mode is ir.FullMode.BLOCKS:
        return []
    if mode is ir.FullMode.DROPS:
        if env.log is not None:
            env.log.append(("drop", ci.label, env.layout.inst_of_slot[env.me], None, m))
        return [env]
    raise Violation("overflow", f"channel {ci.label} is full (capacity {ci.channel.capacity})", ci.channel.span)


def render_value_safe(t: ir.Type, v: Any) -> str:
    try:
        return render_value(t, v)
    except Exception:  # a value outside its type may not render through the type
        return repr(v)


__all__ = ["Compiler", "StepEnv", "Violation", "EvalError", "sorted_domain", "bag_insert"]
