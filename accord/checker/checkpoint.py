"""Checkpoint and resume of a one-process explicit search (``--checkpoint FILE``, ``--resume FILE``).

A checkpoint is written periodically (``Config.checkpoint_every`` seconds, only
between two expansions) and when a state, time or memory limit stops the search.
It holds everything the search has learnt: the store (states or fingerprints,
parents, levels), the queue, the counters, the violations and witnesses found,
the steps taken (coverage) and, when kept, the graph. It does not hold the
compiled model: resuming compiles the spec again and refuses a checkpoint made
from another spec, other constants or other search settings (symmetry, strategy,
partial-order reduction, hash compaction, graph, deadlock checking).

Resuming continues exactly where the checkpoint left off: the final counts,
depth and verdicts equal an uninterrupted run's. Limits given on resume apply
afresh (``--max-seconds`` is this session's time; ``--max-states`` counts every
state stored so far). A search stopped by the depth limit or at a violation is not
written at its end (states were dropped or half-expanded); the last periodic
checkpoint before it remains valid.

The file is a pickle: load only checkpoints you wrote yourself.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accord.checker.explicit import _Search

FORMAT = 1


class CheckpointError(Exception):
    """A checkpoint that cannot be used: missing, unreadable, or made for another search."""


def identity(search: _Search) -> str:
    """What a checkpoint must agree on with the search resuming it."""
    proto = search.proto
    spec = proto.source.text if proto.source is not None else repr(proto.decls)
    consts = sorted((c.name, repr(c.value)) for c in proto.consts)
    settings = (search.sym is not None, search.cfg.strategy, search.reducer is not None, search.store.kind,
                search.keep_graph, search.check_deadlock)
    return hashlib.blake2b(repr((spec, consts, settings)).encode(), digest_size=16).hexdigest()


def save(search: _Search, path: str) -> None:
    """Write the search's state to ``path`` (atomically: a temporary file, then a rename)."""
    if search.dropped:
        return  # states were dropped by the depth limit: resuming would miss them
    import time

    data = {
        "format": FORMAT,
        "identity": identity(search),
        "store": search.store,
        "frontier": search.frontier,
        "edges": search.edges,
        "terminal": search.terminal,
        "stats": search.stats,
        "results": search.results,
        "taken_units": search.taken_units,
        "reach_found": search.reach_found,
        "reach_outside": search.reach_outside,
        "max_seen": search.max_seen,
        "elapsed": search.elapsed + time.monotonic() - search.session_start,
        "por": (search.reducer.expanded, search.reducer.reduced) if search.reducer is not None else None,
    }
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as fh:
        pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def restore(search: _Search, path: str) -> None:
    """Load ``path`` into a freshly built search (instead of ``start()``)."""
    try:
        with open(path, "rb") as fh:
            data: dict[str, Any] = pickle.load(fh)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    except Exception as exc:  # a truncated or foreign file
        raise CheckpointError(f"{path}: not a readable accord checkpoint ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an accord checkpoint of format {FORMAT}")
    if data["identity"] != identity(search):
        raise CheckpointError(f"{path}: made for another spec, other constants or other search settings")
    search.use_store(data["store"])
    search.frontier = data["frontier"]
    search.edges = data["edges"]
    search.terminal = data["terminal"]
    search.stats = data["stats"]
    search.results = data["results"]
    search.taken_units = data["taken_units"]
    search.reach_found = data["reach_found"]
    search.reach_outside = data["reach_outside"]
    search.max_seen = data["max_seen"]
    search.elapsed = data["elapsed"]
    search.limit = None
    search.stopped = False
    if search.reducer is not None and data["por"] is not None:
        search.reducer.expanded, search.reducer.reduced = data["por"]


__all__ = ["CheckpointError", "identity", "restore", "save"]
