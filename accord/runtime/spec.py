"""A protocol loaded for running: the IR, its model, and the message codec.

:class:`Spec` is what every runtime piece shares — agents, the team, the
monitor. Generated packages build theirs from the spec file bundled beside the
code (checked against the SHA-256 recorded at export time), so the running
team and the verified spec cannot drift apart silently.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from accord import ir
from accord.diagnostics import Diagnostic
from accord.dsl import load_text
from accord.ir.types import Inst
from accord.runtime.commands import GenericMessage, IdempotentMessage, MessageBase
from accord.runtime.errors import ProtocolViolation
from accord.runtime.values import from_py, to_py
from accord.semantics.model import Model


class SpecError(Exception):
    """The spec does not load (its diagnostics are attached) or is not the one the code was generated from."""

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None):
        super().__init__(message)
        self.diagnostics = diagnostics or []


class Codec:
    """Converts between the interpreter's messages and message objects (generated classes or GenericMessage)."""

    def __init__(self, proto: ir.Protocol, classes: Mapping[str, type[MessageBase]] | None = None):
        self.proto = proto
        self.classes = dict(classes or {})

    def decode(self, m: ir.Message, correlation_id: str = "", idempotency_key: str = "") -> MessageBase:
        decl = self.proto.messages[m.name]
        values = {n: to_py(t, v) for (n, t), v in zip(decl.fields, m.args)}
        cls = self.classes.get(m.name)
        if cls is None:
            return GenericMessage(name=m.name, fields=values, correlation_id=correlation_id,
                                  idempotency_key=idempotency_key)
        kwargs: dict[str, Any] = {py: values[spec] for spec, py in cls.FIELDS}
        if issubclass(cls, IdempotentMessage):
            kwargs["idempotency_key"] = idempotency_key
        return cls(correlation_id=correlation_id, **kwargs)

    def encode(self, msg: MessageBase) -> ir.Message:
        """The interpreter's message; ProtocolViolation if a field is outside its type."""
        name = msg.message_name
        decl = self.proto.messages.get(name)
        if decl is None:
            raise ProtocolViolation("send", f"the protocol has no message {name!r}")
        fields = msg.spec_fields()
        try:
            return ir.Message(name, tuple(from_py(t, fields[n]) for n, t in decl.fields))
        except (KeyError, ValueError) as exc:
            raise ProtocolViolation("send", f"message {name}: {exc}") from None


class Spec:
    """A protocol ready to run. ``messages``: the generated message classes by spec name (optional)."""

    def __init__(self, proto: ir.Protocol, messages: Mapping[str, type[MessageBase]] | None = None):
        self.proto = proto
        self.model = Model(proto)
        self.codec = Codec(proto, messages)

    @classmethod
    def from_text(cls, text: str, path: str = "<spec>", consts: Mapping[str, int | bool] | None = None,
                  messages: Mapping[str, type[MessageBase]] | None = None, sha256: str | None = None) -> Spec:
        if sha256 is not None and hashlib.sha256(text.encode("utf-8")).hexdigest() != sha256:
            raise SpecError(f"{path} is not the spec this code was generated from (SHA-256 differs): "
                            "run `accord export python` again")
        proto, diags = load_text(text, path, dict(consts or {}))
        if proto is None or any(d.is_error for d in diags):
            raise SpecError(f"{path} does not load: " + "; ".join(d.message for d in diags if d.is_error), diags)
        return cls(proto, messages)

    @classmethod
    def from_file(cls, path: str | Path, consts: Mapping[str, int | bool] | None = None,
                  messages: Mapping[str, type[MessageBase]] | None = None, sha256: str | None = None) -> Spec:
        return cls.from_text(Path(path).read_text(encoding="utf-8"), str(path), consts, messages, sha256)

    # ------------------------------------------------------------------ views
    def instances(self) -> list[Inst]:
        return [Inst(r.name, i) for r in self.proto.roles if not r.implicit for i in range(r.count)]

    def inst_name(self, inst: Inst) -> str:
        """``Worker[1]``, or ``Leader`` for a singleton role."""
        return f"{inst.role}[{inst.idx}]" if self.proto.role_map[inst.role].indexed else inst.role

    def parse_inst(self, text: str) -> Inst:
        """``"Worker[1]"`` or ``"Leader"`` to an instance; ValueError if there is no such agent."""
        name, _, rest = text.partition("[")
        r = self.proto.role_map.get(name)
        if r is None:
            raise ValueError(f"no role {name!r}")
        idx = int(rest.rstrip("]")) if rest else 0
        if not 0 <= idx < r.count or (r.indexed and not rest):
            raise ValueError(f"no agent {text!r}")
        return Inst(name, idx)

    @cached_property
    def side_effect_steps(self) -> frozenset[str]:
        """Labels of steps with side effects: a ``choose`` (an outside decision) or a ``cost``."""
        return frozenset(cs.label for cs in self.model.steps if cs.step.cost or _has_choose(cs.step.body))

    @cached_property
    def budget(self) -> int | None:
        """The worst-case number of protocol steps to termination (None: unbounded or unknown).

        From :func:`accord.analysis.metrics.analyze`, which counts the protocol's own
        runs without faults; :func:`accord.runtime.budget.fault_budget` widens it for
        runs where the spec's faults strike.
        """
        from accord.runtime.budget import protocol_budget

        return protocol_budget(self.proto)

    def local_dict(self, inst: Inst, locals_: tuple[Any, ...]) -> dict[str, Any]:
        """An agent's variables as JSON (the log's ``state``)."""
        from accord.ir.types import to_json

        r = self.proto.role_map[inst.role]
        return {v.name: to_json(v.type, x) for v, x in zip(r.vars, locals_)}


def _has_choose(stmts: tuple[ir.Stmt, ...]) -> bool:
    for s in stmts:
        if isinstance(s, ir.Choose):
            return True
        if isinstance(s, (ir.For,)) and _has_choose(s.body):
            return True
        if isinstance(s, ir.If) and (_has_choose(s.then) or _has_choose(s.other or ())):
            return True
    return False


__all__ = ["Codec", "Spec", "SpecError"]
