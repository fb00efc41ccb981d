"""The JSON report: a versioned envelope that scripts and CI read.

Top-level fields ``verdict``, ``property``, ``states.distinct``, ``depth`` and
``trace_length`` give the headline figures; ``properties`` has the detail.
"""

from __future__ import annotations

from typing import Any

import accord
from accord.checker.result import CheckResult, Trace
from accord.semantics.layout import Layout

SCHEMA_VERSION = 1


def trace_json(trace: Trace, lay: Layout) -> dict[str, Any]:
    steps = []
    for step in trace.steps:
        tr = step.transition
        entry: dict[str, Any] = {}
        if tr is not None:
            entry["step"] = tr.label
            entry["kind"] = tr.kind
            entry["agent"] = None if tr.actor is None else _inst(lay, tr.actor)
            if tr.bindings:
                entry["bindings"] = dict(tr.bindings)
            if tr.message:
                entry["message"] = tr.message
            if tr.channel:
                entry["channel"] = tr.channel
            if tr.detail:
                entry["detail"] = tr.detail
            sends = [{"channel": ev[1], "message": lay.render_msg(ev[4])} for ev in tr.events if ev[0] == "send"]
            if sends:
                entry["sends"] = sends
        else:
            entry["step"] = "initial"
        entry["state"] = lay.describe(step.state) if step.state is not None else None
        steps.append(entry)
    return {"length": trace.length, "loop_start": trace.loop_start, "stutter": trace.stutter,
            "fairness": trace.fairness_note, "steps": steps}


def _inst(lay: Layout, inst: Any) -> str:
    r = lay.proto.role_map[inst.role]
    return f"{inst.role}[{inst.idx}]" if r.indexed else inst.role


def result_json(result: CheckResult, lay: Layout, spec: str) -> dict[str, Any]:
    first = result.first_violation
    s = result.stats
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "accord", "version": accord.__version__},
        "spec": spec,
        "protocol": result.protocol,
        "parameters": result.parameters,
        "engine": s.engine,
        "verdict": result.verdict.value,
        "complete": result.complete,
        "limit": result.limit,
        "property": first.name if first else None,
        "depth": s.depth,
        "trace_length": first.trace.length if first and first.trace else None,
        "states": {
            "distinct": s.distinct,
            "generated": s.generated,
            "initial": s.initial,
            "terminal": s.terminal,
            "transitions": s.transitions,
            "orbits": s.symmetry,
        },
        "seconds": round(s.seconds, 4),
        "states_per_second": round(s.states_per_second, 1),
        "peak_memory_mb": round(s.peak_memory_mb, 1),
        "bytes_per_state": round(s.bytes_per_state, 1) if s.bytes_per_state is not None else None,
        "reduced": s.reduced,
        "hash_compaction": ({"fingerprint_bits": s.fingerprint_bits,
                             "omission_probability": s.omission_probability} if s.fingerprint_bits else None),
        "workers": s.workers,
        "coverage": {"never_taken": s.coverage_missing},
        "notes": result.notes,
        "properties": [
            {
                "name": r.name,
                "kind": r.kind,
                "verdict": r.verdict.value,
                "message": r.message,
                "line": r.span.line if r.span else None,
                "trace": trace_json(r.trace, lay) if r.trace is not None else None,
            }
            for r in result.results
        ],
    }
