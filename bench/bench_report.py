"""From measured runs to figures: medians per (model, size, tool), the machine, RESULTS.md.

:class:`Point` gathers the runs of one tool on one model size; :func:`markdown` renders
every point as one table row (median wall time, states, states/s, peak memory, and on SPIN
rows the accord/SPIN time ratio) with the machine description and the method around it.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from bench_exec import Run, SpinTools
from bench_models import BenchModel

TOOL_LABEL = {"accord": "accord", "spin-por": "SPIN (POR)", "spin-nopor": "SPIN (no POR)"}


@dataclass
class Point:
    model: BenchModel
    n: int
    tool: str
    runs: list[Run] = field(default_factory=list)
    compile_seconds: float | None = None  # SPIN: spin -a + gcc, not part of any timing

    @property
    def ok(self) -> list[Run]:
        return [r for r in self.runs if r.status == "ok"]

    @property
    def status(self) -> str:
        if self.ok:
            return "ok"
        return self.runs[-1].status if self.runs else "skipped"

    @property
    def wall(self) -> float | None:
        return statistics.median(r.wall for r in self.ok if r.wall is not None) if self.ok else None

    @property
    def cpu(self) -> float | None:
        vals = [r.cpu for r in self.ok if r.cpu is not None]
        return statistics.median(vals) if vals else None

    @property
    def search(self) -> float | None:
        vals = [r.search_seconds for r in self.ok if r.search_seconds is not None]
        return statistics.median(vals) if vals else None

    @property
    def states(self) -> int | None:
        return self.ok[-1].states if self.ok else None

    @property
    def verdict(self) -> str | None:
        return self.ok[-1].verdict if self.ok else None

    @property
    def peak_rss(self) -> float | None:
        vals = [r.peak_rss_mb for r in self.ok if r.peak_rss_mb is not None]
        return max(vals) if vals else None

    def rate(self, seconds: float | None) -> float | None:
        s = self.states
        return s / seconds if s is not None and seconds else None

    def problems(self) -> list[str]:
        """What is wrong with this point: an unexpected verdict, or a tool error."""
        out = []
        if self.verdict is not None:
            found = self.verdict != "holds"
            if found != (self.model.expect != "holds"):
                out.append(f"expected {self.model.expect}, got {self.verdict}")
        out.extend(r.note for r in self.runs if r.status == "error")
        return out


def count_mismatch(accord: Point, spin: Point) -> bool:
    """For models with the same state space in both tools: the counts disagree."""
    return (accord.model.same_space and accord.states is not None and spin.states is not None
            and accord.states != spin.states)


# ---------------------------------------------------------------------------------------------- machine
def _first_line(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unavailable"
    return out.splitlines()[0] if out else "unavailable"


def machine(tools: SpinTools) -> dict[str, str]:
    """CPU model, cores, RAM, load, OS and tool versions of this machine, as display strings."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    import accord

    return {
        "CPU": cpu,
        "cores": f"{os.cpu_count()} logical, {usable} usable by this process (each tool runs on one)",
        "RAM": ram,
        "load average at start (1, 5, 15 min)": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "accord": accord.__version__,
        "SPIN": tools.version or f"not used: {tools.problem}",
        "C compiler": _first_line([tools.gcc, "--version"]) if tools.gcc else "none",
    }


# ---------------------------------------------------------------------------------------------- markdown
def _num(x: float | int | None, digits: int = 2) -> str:
    if x is None:
        return "–"
    if isinstance(x, int):
        return f"{x:,}"
    return f"{x:,.{digits}f}"


def _rate(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f}"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:,.1f}×" if a and b else "–"


def _cell_wall(p: Point, limit: str) -> str:
    if p.status == "timeout":
        return f"timeout ({limit})"
    if p.status == "skipped":
        return "not run"
    if p.status == "error":
        return "error"
    return _num(p.wall)


def table(points: list[Point], limit: str) -> list[str]:
    head = ("| model | N | tool | runs | verdict | states | wall s | CPU s | search s | states/s (search) | "
            "states/s (CPU) | peak RSS MB | accord ÷ SPIN (wall) | accord ÷ SPIN (CPU) | accord ÷ SPIN (search) |")
    lines = [head, "|" + "---|" * 3 + "---:|---|" + "---:|" * 10]
    accord_of = {(p.model.name, p.n): p for p in points if p.tool == "accord"}
    for p in points:
        a = accord_of.get((p.model.name, p.n))
        states = _num(p.states)
        if p.tool != "accord" and a is not None and count_mismatch(a, p):
            states += f" **≠ accord {_num(a.states)}**"
        verdict = p.verdict or p.status
        if p.problems():
            verdict += " **(" + "; ".join(p.problems()) + ")**"
        wall_ratio = cpu_ratio = search_ratio = "–"
        if p.tool != "accord" and a is not None:
            wall_ratio = _ratio(a.wall, p.wall)
            cpu_ratio = _ratio(a.cpu, p.cpu)
            search_ratio = _ratio(a.search, p.search)
        lines.append(f"| {p.model.name} | {p.n} | {TOOL_LABEL.get(p.tool, p.tool)} | {len(p.ok)}/{len(p.runs)} | "
                     f"{verdict} | {states} | {_cell_wall(p, limit)} | {_num(p.cpu)} | {_num(p.search, 3)} | "
                     f"{_rate(p.rate(p.search))} | {_rate(p.rate(p.cpu))} | {_num(p.peak_rss, 0)} | "
                     f"{wall_ratio} | {cpu_ratio} | {search_ratio} |")
    return lines


def _speed(p: Point) -> str:
    if not p.search:
        return f"{_num(p.states)} states in < 0.01 s (too fast to time)"
    return (f"{_rate(p.rate(p.search))} states/s ({_num(p.states)} states in {_num(p.search)} s of search; "
            f"{_rate(p.rate(p.cpu))} states/s by CPU time)")


def summary(points: list[Point]) -> list[str]:
    """One line per model: states/s of accord and of SPIN at the largest size both finished.

    Where the encodings differ the tools store different numbers of states for the same
    question, so the time ratio compares answers and the states/s ratio compares engines.
    """
    out = []
    for name in dict.fromkeys(p.model.name for p in points):
        mine = [p for p in points if p.model.name == name and p.ok]
        sizes = sorted({p.n for p in mine if p.tool == "accord"} & {p.n for p in mine if p.tool != "accord"})
        if not sizes:
            continue
        n = sizes[-1]
        at = {p.tool: p for p in mine if p.n == n}
        a = at["accord"]
        parts = [f"accord {_speed(a)}"]
        for tool in ("spin-nopor", "spin-por"):
            s = at.get(tool)
            if s is not None:
                parts.append(f"{TOOL_LABEL[tool]} {_speed(s)}; accord/SPIN time: wall {_ratio(a.wall, s.wall)}, "
                             f"CPU {_ratio(a.cpu, s.cpu)}, search {_ratio(a.search, s.search)}; SPIN's states/s "
                             f"÷ accord's, by CPU time: {_ratio(s.rate(s.cpu), a.rate(a.cpu))}")
        out.append(f"- **{name}, N={n}**: " + "; ".join(parts))
    return out


def _busy_warning(info: dict[str, str]) -> list[str]:
    """A caveat when the load average exceeded the number of cores during the run."""
    loads = [float(x) for k, v in info.items() if k.startswith("load average") for x in v.split(", ")[:1]]
    try:
        cores = int(info.get("cores", "").split()[0])
    except (ValueError, IndexError):
        return []
    if not loads or max(loads) <= cores:
        return []
    return [f"- **Caveat: the machine was busy** (1-minute load average up to {max(loads):.2f} on {cores} "
            "cores, other work running alongside): wall times, and the search times the tools measure "
            "with a wall clock, are inflated for both tools. CPU times, and the ratios, which compare "
            "runs made side by side, are the steadier figures."]


def markdown(points: list[Point], info: dict[str, str], command: str, limit: str,
             hash_log2: int, plot_name: str | None, started: datetime) -> str:
    models = list({p.model.name: p.model for p in points}.values())
    lines = [
        "# accord and SPIN, side by side",
        "",
        f"Generated by `{command}` on {started.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC. "
        "This file is written by the runner; to change it, re-run the runner.",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "",
        "## Method",
        "",
        "- accord: `accord check bench/models/M.accord --const … --format json --continue` (explicit-state "
        "breadth-first search in one Python process; no model declares symmetric roles, so no symmetry "
        "reduction). `search s` is the JSON `seconds`; `wall s` adds interpreter start-up and parsing.",
        "- SPIN: `spin -a [-DN=…] model.pml`, then `gcc -O2 -DSAFETY [-DNOREDUCE] -DMEMLIM=16384`, then "
        f"`./pan -m100000 -w{hash_log2} -c0` (`-c0`: explore everything instead of stopping at the first "
        "error, as accord's `--continue`). Compilation is not timed. `search s` is pan's `elapsed time` "
        "(printed with 0.01 s resolution, so 0 for small models); `wall s` adds allocating and clearing "
        f"the 2^{hash_log2}-slot hash table, which dominates small models.",
        "- Every point runs accord, SPIN with partial-order reduction and SPIN without it, alternating, "
        "`runs` times; times are medians over the successful runs, `peak RSS` is the largest resident "
        "set size of the process and `CPU s` its user + system time (both from `wait4`; CPU time is "
        "less disturbed than wall time when other work shares the machine). states/s = distinct states "
        "stored ÷ time.",
        "- `accord ÷ SPIN` is the ratio of the medians (how many times longer accord took). states/s "
        "(search) divides by the tool's own search time, states/s (CPU) by the process's CPU time "
        "(start-up included).",
        *_busy_warning(info),
        f"- Each run was limited to {limit}; a run that hit the limit is shown as `timeout` and larger "
        "sizes of that tool and model were not run.",
        "",
        "## Results",
        "",
        *table(points, limit),
        "",
        "## In short",
        "",
        "At the largest size both tools finished. Where the encodings differ (every model but twophase) the "
        "tools store different numbers of states for the same question: the time ratio compares answers, "
        "the states/s ratio compares engines.",
        "",
        *summary(points),
        "",
        "## Models",
        "",
    ]
    for m in models:
        lines.append(f"- **{m.name}** ({m.title}; N = {m.size_label}): `bench/models/{m.accord_file}` against "
                     f"`{m.spin_source}`. {m.note}")
    if plot_name:
        lines += ["", f"![wall time against N]({plot_name})"]
    return "\n".join(lines) + "\n"
