"""Your agents for LeaderFollower — filled in: a scripted stand-in for the LLM, and a broken agent.

Written once by `accord export python protocols/leader_follower.accord -o examples` and then
edited by hand (export never overwrites it). The generated code is in leader_follower_generated/.

Run it: ``python -m examples.leader_follower_agents [--ray] [--log events.jsonl]``. It

1. runs a team of generated agents on asyncio, a monitor enforcing the protocol, and checks the
   recorded event log offline (what ``accord monitor`` does);
2. runs the same team with one deliberately broken worker — it reports a different task than
   the one it was given — and shows the monitor stopping the team;
3. with ``--ray``, runs the conforming team again with every agent a Ray actor.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import tempfile
from pathlib import Path
from typing import Any

from accord.ir.types import Inst
from accord.runtime import Outbox, Send, StepContext
from accord.runtime.events import JsonlWriter
from accord.runtime.monitor import validate_log

from .leader_follower_generated import Assign, Result, Worker, WorkerState, load_spec, make_agents, make_team

#: The stand-in "model": a task's first attempt fails when it is listed here, then it succeeds.
FLAKY_TASKS = {"1"}
_attempts: dict[str, int] = {}


def decide_Leader(point: str, options: list[Any], schema: dict[str, Any]) -> Any:
    """The leader makes no decisions (its spec has no `choose`)."""
    return options[0]


def decide_Worker(point: str, options: list[Any], schema: dict[str, Any]) -> Any:
    """Point 'Worker.on_Assign.o': did the LLM call for this task succeed? One of ["failed", "ok"]."""
    task = schema["x-accord-context"]["bindings"]["t"]
    _attempts[task] = _attempts.get(task, 0) + 1
    wanted = "failed" if task in FLAKY_TASKS and _attempts[task] == 1 else "ok"
    return wanted if wanted in options else options[0]


DECIDE = {"Leader": decide_Leader, "Worker": decide_Worker}


class SloppyWorker(Worker):
    """A broken agent: does the work, then reports it under the wrong task number."""

    async def on_Assign(self, msg: Assign, sender: Inst, ctx: StepContext) -> Outbox[WorkerState]:
        out = await super().on_Assign(msg, sender, ctx)
        wrong = []
        for c in out.commands:
            if isinstance(c, Send) and isinstance(c.message, Result):
                c = dataclasses.replace(c, message=dataclasses.replace(c.message, task=1 - c.message.task))
            wrong.append(c)
        return dataclasses.replace(out, commands=tuple(wrong))


async def conforming(log_path: Path) -> str:
    _attempts.clear()
    with log_path.open("w", encoding="utf-8") as f:
        team = make_team(DECIDE, sinks=[JsonlWriter(f)], seed=1)
        result = await team.run()
    report = validate_log(load_spec(), log_path)
    return (f"asyncio team: {result.status} after {result.steps} steps; "
            f"offline check of {report.events} logged events: {'conforms' if report.ok else report.divergence}")


async def broken() -> str:
    _attempts.clear()
    agents = make_agents(DECIDE)
    agents[Inst("Worker", 1)] = SloppyWorker(load_spec(), 1, decide_Worker)
    team = make_team(agents=agents, seed=1)
    result = await team.run()
    return f"broken team: {result.status} after {result.steps} steps: {result.violation}"


def on_ray() -> str:
    import ray

    from accord.runtime.monitor import Monitor
    from accord.runtime.ray_team import ray_team

    spec = load_spec()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        text = (Path(__file__).parent / "leader_follower_generated" / "spec.accord").read_text(encoding="utf-8")
        team = ray_team(text, package=f"{__package__}.leader_follower_generated", decide=DECIDE, seed=1,
                        sinks=[Monitor(spec)])
        result = asyncio.run(team.run())
    finally:
        ray.shutdown()
    return f"ray team: {result.status} after {result.steps} steps" + (f": {result.violation}" if result.violation
                                                                        else ", every step checked by the monitor")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m examples.leader_follower_agents")
    ap.add_argument("--ray", action="store_true", help="also run the team with every agent a Ray actor")
    ap.add_argument("--log", type=Path, help="keep the event log here (JSON lines)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        log = args.log or Path(tmp) / "events.jsonl"
        print(asyncio.run(conforming(log)))
    print(asyncio.run(broken()))
    if args.ray:
        print(on_ray())
    return 0


if __name__ == "__main__":
    sys.exit(main())

