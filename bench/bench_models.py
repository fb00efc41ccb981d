"""The benchmark's models: each accord model in ``bench/models/`` next to the Promela model it mirrors.

A :class:`BenchModel` says how to run one protocol at one size ``n`` with both tools: the
accord file and its ``--const`` overrides, and the Promela source (a ``.pml`` file compiled
with ``-D`` defines, or the TwoPhase generator script) with its defines. ``same_space`` marks
the models whose two encodings have exactly the same reachable states, so that the runner
can insist the counts agree; the others differ by design (SPIN counts program counters and
process locals, accord steps are atomic and carry no program counter), and both counts are
reported as measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

MODELS_DIR = Path(__file__).resolve().parent / "models"
#: where the reference Promela models live unless --spin-dir or $ACCORD_BENCH_SPIN_DIR says otherwise
DEFAULT_SPIN_DIR = Path("/work/shared/bench/spin")


@dataclass(frozen=True)
class BenchModel:
    name: str
    title: str
    accord_file: str  # file name under bench/models/
    size_label: str  # what n counts
    sizes: tuple[int, ...]  # default sizes, smallest first (--quick takes the first)
    accord_consts: Callable[[int], dict[str, int]]
    spin_source: str  # file name under the Promela directory: a .pml, or a .py generator taking n
    spin_defines: Callable[[int], dict[str, int]]
    expect: str  # "holds" (no violation) or "deadlock" (both tools must report one)
    same_space: bool = False  # accord and SPIN explore the same states: the counts must be equal
    note: str = ""

    @property
    def accord_path(self) -> Path:
        return MODELS_DIR / self.accord_file


MODELS: tuple[BenchModel, ...] = (
    BenchModel(
        name="twophase", title="TwoPhase commit (TLA+ T2)", accord_file="twophase.accord",
        size_label="RMs", sizes=(3, 5, 7, 8),
        accord_consts=lambda n: {"RMS": n},
        spin_source="twophase_gen.py", spin_defines=lambda n: {},
        expect="holds", same_space=True,
        note="Same state space in both tools (one SPIN state per TLA+ state, every action a `d_step`), "
             "so the counts must agree exactly; partial-order reduction has nothing to reduce in a "
             "single-process model.",
    ),
    BenchModel(
        name="twopc", title="two-phase commit, async channels", accord_file="twopc.accord",
        size_label="participants", sizes=(2, 3, 4),
        accord_consts=lambda n: {"N": n},
        spin_source="twopc.pml", spin_defines=lambda n: {"N": n},
        expect="holds",
        note="Counts differ by encoding: in SPIN a participant receives PREPARE and votes in two steps, "
             "the coordinator sends PREPARE and the decision one participant at a time, and process "
             "locals and program counters are part of the state; accord's handlers and broadcasts are "
             "single atomic steps.",
    ),
    BenchModel(
        name="leader", title="leader / workers, shared task queue", accord_file="leader.accord",
        size_label="workers (T = N+1 tasks)", sizes=(2, 3, 4),
        accord_consts=lambda n: {"N": n, "T": n + 1},
        spin_source="leader.pml", spin_defines=lambda n: {"N": n, "T": n + 1},
        expect="holds",
        note="Counts differ by encoding: SPIN's leader keeps the last received (worker, task, result) in "
             "locals and sends the N STOP tokens in a loop with a program counter; accord's leader "
             "receives a result in one atomic step.",
    ),
    BenchModel(
        name="dining", title="naive dining philosophers (deadlocks)", accord_file="dining.accord",
        size_label="philosophers", sizes=(3, 4, 5, 6),
        accord_consts=lambda n: {"N": n},
        spin_source="dining.pml", spin_defines=lambda n: {"N": n},
        expect="deadlock",
        note="Both tools must report the deadlock; both explore the whole space (accord `--continue`, "
             "pan `-c0`). SPIN's count includes the `init` process that sets the table up.",
    ),
)


def by_name(names: list[str] | None) -> list[BenchModel]:
    """The models named (all when ``names`` is empty); ValueError names an unknown one."""
    if not names:
        return list(MODELS)
    known = {m.name: m for m in MODELS}
    out = []
    for n in names:
        if n not in known:
            raise ValueError(f"unknown model {n!r}; known: {', '.join(known)}")
        out.append(known[n])
    return out


def parse_sizes(specs: list[str], models: list[BenchModel], quick: bool) -> dict[str, list[int]]:
    """Sizes per model from ``--sizes`` entries: ``7,8`` (every model) or ``twophase:7,8`` (one model).

    Without entries each model takes its defaults; ``quick`` keeps only the smallest.
    """
    sizes = {m.name: list(m.sizes) for m in models}
    for spec in specs:
        target, sep, values = spec.rpartition(":")
        try:
            nums = [int(v) for v in values.split(",") if v.strip()]
        except ValueError:
            raise ValueError(f"--sizes {spec!r}: write e.g. 3,4,5 or twophase:7,8") from None
        if not nums or any(v < 1 for v in nums):
            raise ValueError(f"--sizes {spec!r}: give positive whole numbers")
        if sep:
            if target not in sizes:
                raise ValueError(f"--sizes {spec!r}: {target!r} is not a selected model")
            sizes[target] = nums
        else:
            sizes = {k: list(nums) for k in sizes}
    if quick:
        sizes = {k: sorted(v)[:1] for k, v in sizes.items()}
    return sizes
