"""A team whose agents are Ray actors (``pip install 'accord[ray]'``).

Each agent runs in its own actor: it loads the spec itself (the model is made
of closures and does not travel), keeps its variables, computes its enabled
steps over the view the driver sends, and executes its steps — ``decide`` runs
inside the actor, so an LLM call happens where the agent lives. The driver
keeps the team's scheduler, the transport's buffers and the monitor; every
message goes driver -> actor with the step that takes it.

Semantics (:data:`accord.runtime.transport.RAY`): the driver routes every
message, so each link keeps its order and nothing is lost or duplicated; a
crash injected by the team kills the agent's actor (``ray.kill``), a restart
starts a fresh one, and the driver learns of a death only at its next call
(failure detection is *eventual*, not perfect — ``accord check --transport ray``
warns when a spec's guards use ``crashed(…)``).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from accord.ir.types import Inst
from accord.runtime.agent import Agent, Decider
from accord.runtime.commands import Outbox
from accord.runtime.events import Sink
from accord.runtime.spec import Spec
from accord.runtime.step import Candidate
from accord.runtime.team import Team
from accord.runtime.transport import RAY, InProcessTransport
from accord.semantics.model import State


def ray_available() -> str | None:
    """None when Ray can be imported, else why not."""
    try:
        import ray  # noqa: F401 -- probing the optional dependency
    except ImportError as exc:
        return f"ray is not installed ({exc}); pip install 'accord[ray]'"
    return None


class RayTransport(InProcessTransport):
    """The driver's buffers, with Ray's delivery guarantees declared."""

    semantics = RAY


class _AgentActor:
    """The body of an agent actor (wrapped with ``ray.remote`` at run time)."""

    def __init__(self, spec_text: str, consts: dict[str, int | bool], package: str | None, role: str, idx: int,
                 decide: Decider | None, sys_path: list[str]):
        for p in reversed(sys_path):
            if p not in sys.path:
                sys.path.insert(0, p)
        from accord.runtime.agent import GenericAgent

        messages = importlib.import_module(f"{package}.messages").MESSAGES if package else None
        self.spec = Spec.from_text(spec_text, "spec.accord", consts, messages)
        if package:
            cls = importlib.import_module(f"{package}.roles").ROLES[role]
            self.agent: Agent[Any] = cls(self.spec, idx, decide)
        else:
            self.agent = GenericAgent(self.spec, idx, decide, role=role)

    def candidates(self, view: State, timeouts: str) -> list[Candidate]:
        from accord.runtime.step import candidates

        return candidates(self.spec.model, view, self.agent.inst, timeouts)

    async def handle(self, view: State, cand: Candidate, step_no: int, correlation_id: str) -> Outbox[Any]:
        from accord.runtime.agent import StepContext

        ctx = StepContext(self.spec, view, cand, self.agent.decide, step_no, correlation_id)
        out: Outbox[Any] = await self.agent.handle(ctx)
        return out

    def set_locals(self, locals_: tuple[Any, ...]) -> None:
        self.agent.locals = locals_


class RayHost:
    """The driver's handle on one agent actor."""

    def __init__(self, make: Any, inst: Inst, locals_: tuple[Any, ...]):
        self._make = make
        self.inst = inst
        self.locals = locals_
        self.actor = make()

    async def candidates(self, view: State, timeouts: str) -> list[Candidate]:
        return await self.actor.candidates.remote(view, timeouts)  # type: ignore[no-any-return]

    async def handle(self, view: State, cand: Candidate, step_no: int, correlation_id: str) -> Outbox[Any]:
        return await self.actor.handle.remote(view, cand, step_no, correlation_id)  # type: ignore[no-any-return]

    async def set_locals(self, locals_: tuple[Any, ...]) -> None:
        self.locals = locals_
        await self.actor.set_locals.remote(locals_)

    async def crash(self) -> None:
        import ray

        ray.kill(self.actor)

    async def restart(self, locals_: tuple[Any, ...]) -> None:
        self.actor = self._make()
        await self.set_locals(locals_)


def ray_team(spec_text: str, *, package: str | None = None, consts: Mapping[str, int | bool] | None = None,
             decide: Mapping[str, Decider] | Decider | None = None, seed: int = 0, fault_rate: float = 0.0,
             sinks: Sequence[Sink] = (), max_steps: int = 10_000, spec: Spec | None = None) -> Team:
    """A team of Ray actors for the spec ``spec_text`` (a generated ``package``'s classes, if given).

    Call ``ray.init()`` first. ``decide`` functions must be importable or picklable: they
    are shipped to the actors.
    """
    import ray

    messages = importlib.import_module(f"{package}.messages").MESSAGES if package else None
    spec = spec or Spec.from_text(spec_text, "spec.accord", consts, messages)
    remote = ray.remote(num_cpus=0)(_AgentActor)
    hosts = []
    for inst in spec.instances():
        d = decide.get(inst.role) if isinstance(decide, Mapping) else decide

        def make(inst: Inst = inst, d: Decider | None = d) -> Any:
            return remote.remote(spec_text, dict(consts or {}), package, inst.role, inst.idx, d, list(sys.path))

        hosts.append(RayHost(make, inst, spec.model._init_locals[inst.role][inst.idx][0]))
    return Team(spec, hosts, transport=RayTransport(), seed=seed, fault_rate=fault_rate, sinks=sinks,
                max_steps=max_steps)


__all__ = ["RayHost", "RayTransport", "ray_available", "ray_team"]
