"""Running the two tools once each, measured from outside.

:func:`measure` runs one command in its own process group and returns its wall time and
peak resident set size (from ``wait4``, i.e. the child's own ``ru_maxrss``), killing the
group when a time limit passes. :func:`run_accord` and :func:`run_pan` wrap it and read the
tool's own figures (states, search seconds, memory) from its output; :func:`build_pan`
turns a Promela model into a ``pan`` verifier. Nothing here raises on a failed run: the
outcome is a :class:`Run` whose ``status`` says what happened.
"""

from __future__ import annotations

import json
import math
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ACCORD_VIOLATION_EXITS = {0: "holds", 3: "inconclusive", 11: "deadlock", 12: "safety", 13: "liveness"}


@dataclass
class Measured:
    returncode: int | None
    wall: float
    cpu: float  # user + system seconds of the child
    peak_rss_mb: float
    timed_out: bool
    stdout: str
    stderr: str


@dataclass
class Run:
    """One measured run of one tool on one model size."""

    tool: str  # "accord" | "spin-por" | "spin-nopor"
    status: str  # "ok" | "timeout" | "error"
    wall: float | None = None  # seconds, whole process
    cpu: float | None = None  # user + system seconds, whole process (less sensitive to a busy machine)
    peak_rss_mb: float | None = None  # measured from outside
    states: int | None = None
    search_seconds: float | None = None  # the tool's own figure
    tool_memory_mb: float | None = None  # the tool's own figure
    verdict: str | None = None  # "holds" | "deadlock" | "safety" | ... (SPIN: "errors" when pan found any)
    depth: int | None = None
    note: str = ""

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def measure(cmd: list[str], timeout: float | None, cwd: Path | None = None, clock: str = "wall") -> Measured:
    """Run ``cmd``; wall time from start to exit, CPU time and peak RSS of the child.

    The child is killed after ``timeout`` seconds of wall time (``clock="wall"``), or of its own
    CPU time (``clock="cpu"``: an RLIMIT_CPU on the child, so that other work sharing the machine
    does not make a run time out; a wall-time backstop of five times the limit remains).
    """
    lock = threading.Lock()
    state = {"reaped": False, "killed": False}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd, start_new_session=True)

        def kill() -> None:
            with lock:
                if not state["reaped"]:
                    state["killed"] = True
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass

        if timeout and clock == "cpu":
            secs = math.ceil(timeout)
            try:
                resource.prlimit(proc.pid, resource.RLIMIT_CPU, (secs, secs + 5))
            except (OSError, ValueError):
                pass  # the child may already be gone; the wall backstop still holds
        backstop = timeout * 5 if timeout and clock == "cpu" else timeout
        timer = threading.Timer(backstop, kill) if backstop else None
        if timer is not None:
            timer.start()
        try:  # wait without reaping, so that the timer can never signal a recycled pid
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        except BaseException:  # interrupted (Ctrl-C, SIGTERM): do not leave the child running
            kill()
            raise
        wall = time.perf_counter() - t0
        with lock:
            _, status, usage = os.wait4(proc.pid, 0)
            state["reaped"] = True
        if timer is not None:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        cpu_out = (clock == "cpu" and timeout is not None and cpu >= math.ceil(timeout) - 0.5
                   and proc.returncode in (-signal.SIGXCPU, -signal.SIGKILL))
        return Measured(proc.returncode, wall, cpu, usage.ru_maxrss / 1024.0, state["killed"] or cpu_out,
                        out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


def _tail(text: str, lines: int = 3) -> str:
    return " | ".join(text.strip().splitlines()[-lines:])


# ---------------------------------------------------------------------------------------------- accord
def accord_command(spec: Path, consts: dict[str, int]) -> list[str]:
    """``accord check SPEC --const … --format json --continue`` with the installed console script."""
    exe = shutil.which("accord", path=os.path.dirname(sys.executable)) or shutil.which("accord")
    base = [exe] if exe else [sys.executable, "-c", "from accord.cli.main import main; main()"]
    args = [f"--const={k}={v}" for k, v in consts.items()]
    return [*base, "check", str(spec), *args, "--format", "json", "--continue"]


def _killed(timeout: float | None, clock: str) -> str:
    return f"killed after {timeout:g} s" + (" of CPU time" if clock == "cpu" else "")


def run_accord(spec: Path, consts: dict[str, int], timeout: float | None, clock: str = "wall") -> Run:
    m = measure(accord_command(spec, consts), timeout, clock=clock)
    if m.timed_out:
        return Run("accord", "timeout", wall=m.wall, cpu=m.cpu, peak_rss_mb=m.peak_rss_mb,
                   note=_killed(timeout, clock))
    if m.returncode not in ACCORD_VIOLATION_EXITS:
        return Run("accord", "error", wall=m.wall, cpu=m.cpu, peak_rss_mb=m.peak_rss_mb,
                   note=f"exit {m.returncode}: {_tail(m.stderr or m.stdout)}")
    try:
        data = json.loads(m.stdout)
        states = int(data["states"]["distinct"])
        seconds = float(data["seconds"])
        mem = float(data["peak_memory_mb"])
    except (ValueError, KeyError, TypeError) as exc:
        return Run("accord", "error", wall=m.wall, cpu=m.cpu, peak_rss_mb=m.peak_rss_mb,
                   note=f"unreadable JSON: {exc}")
    verdict = ACCORD_VIOLATION_EXITS[m.returncode] if m.returncode is not None else "?"
    return Run("accord", "ok", wall=m.wall, cpu=m.cpu, peak_rss_mb=m.peak_rss_mb, states=states,
               search_seconds=seconds, tool_memory_mb=mem, verdict=verdict, depth=data.get("depth"),
               note="" if data.get("complete", True) else "incomplete search")


# ---------------------------------------------------------------------------------------------- SPIN
@dataclass
class SpinTools:
    spin: str | None
    gcc: str | None
    version: str = ""
    problem: str = ""  # why SPIN cannot be used ("" when it can)

    @property
    def usable(self) -> bool:
        return not self.problem


def find_spin(spin_bin: str = "spin", spin_dir: Path | None = None) -> SpinTools:
    """Locate spin and gcc and the Promela models; ``problem`` says in words what is missing."""
    spin = shutil.which(spin_bin)
    gcc = shutil.which("gcc") or shutil.which("cc")
    if spin is None:
        return SpinTools(None, gcc, problem=f"`{spin_bin}` is not on PATH (install it: apt-get install -y spin)")
    if gcc is None:
        return SpinTools(spin, None, problem="no C compiler (gcc) to build SPIN's pan verifier")
    if spin_dir is not None and not spin_dir.is_dir():
        return SpinTools(spin, gcc, problem=f"the Promela models directory {spin_dir} does not exist "
                         "(use --spin-dir or $ACCORD_BENCH_SPIN_DIR)")
    try:
        v = subprocess.run([spin, "-V"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return SpinTools(spin, gcc, problem=f"`{spin} -V` failed: {exc}")
    return SpinTools(spin, gcc, version=v)


@dataclass
class PanBuild:
    pan: Path | None
    seconds: float
    problem: str = ""


def write_promela(source: Path, n: int, workdir: Path) -> Path:
    """The Promela file for size ``n``: the .pml itself, or the generator's output for a .py source."""
    if source.suffix != ".py":
        return source
    out = workdir / f"{source.stem}_{n}.pml"
    text = subprocess.run([sys.executable, str(source), str(n)], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    out.write_text(text, encoding="utf-8")
    return out


def build_pan(tools: SpinTools, pml: Path, defines: dict[str, int], modes: list[str],
              workdir: Path) -> dict[str, PanBuild]:
    """``spin -a`` once, then ``gcc -O2 -DSAFETY [-DNOREDUCE]`` once per mode ("por", "nopor")."""
    assert tools.spin and tools.gcc
    workdir.mkdir(parents=True, exist_ok=True)
    dflags = [f"-D{k}={v}" for k, v in defines.items()]
    t0 = time.perf_counter()
    gen = subprocess.run([tools.spin, "-a", *dflags, str(pml)], cwd=workdir, capture_output=True, text=True)
    spin_s = time.perf_counter() - t0
    if gen.returncode != 0 or not (workdir / "pan.c").exists():
        problem = f"spin -a failed: {_tail(gen.stdout + gen.stderr)}"
        return {mode: PanBuild(None, spin_s, problem) for mode in modes}
    out = {}
    for mode in modes:
        exe = workdir / f"pan_{mode}"
        flags = ["-O2", "-DSAFETY", *(["-DNOREDUCE"] if mode == "nopor" else []), "-DMEMLIM=16384"]
        t1 = time.perf_counter()
        cc = subprocess.run([tools.gcc, *flags, "-o", str(exe), "pan.c"], cwd=workdir, capture_output=True,
                            text=True)
        secs = spin_s + time.perf_counter() - t1
        out[mode] = PanBuild(exe if cc.returncode == 0 else None, secs,
                             "" if cc.returncode == 0 else f"gcc failed: {_tail(cc.stderr)}")
    return out


_PAN_PATTERNS = {
    "states": re.compile(r"^\s*(\d+) states, stored", re.M),
    "errors": re.compile(r"errors: (\d+)"),
    "depth": re.compile(r"depth reached (\d+)"),
    "elapsed": re.compile(r"pan: elapsed time ([0-9.eE+-]+) seconds"),
    "memory": re.compile(r"^\s*([0-9.]+)\s+total actual memory usage", re.M),
}


def parse_pan(text: str) -> dict[str, float | int | None]:
    """The figures pan prints at the end of a run (None for what it did not print)."""
    out: dict[str, float | int | None] = {}
    for key, pat in _PAN_PATTERNS.items():
        hit = pat.search(text)
        out[key] = None if hit is None else (float(hit.group(1)) if key in ("elapsed", "memory")
                                             else int(hit.group(1)))
    return out


def run_pan(build: PanBuild, mode: str, hash_log2: int, timeout: float | None, clock: str = "wall") -> Run:
    """``./pan -m100000 -w<hash_log2> -c0`` (-c0: do not stop at the first error, explore everything)."""
    tool = f"spin-{mode}"
    if build.pan is None:
        return Run(tool, "error", note=build.problem)
    m = measure([str(build.pan), "-m100000", f"-w{hash_log2}", "-c0"], timeout, cwd=build.pan.parent, clock=clock)
    if m.timed_out:
        return Run(tool, "timeout", wall=m.wall, cpu=m.cpu, peak_rss_mb=m.peak_rss_mb,
                   note=_killed(timeout, clock))
    fig = parse_pan(m.stdout)
    if fig["states"] is None:
        return Run(tool, "error", wall=m.wall, cpu=m.cpu, peak_rss_mb=m.peak_rss_mb,
                   note=f"exit {m.returncode}: {_tail(m.stdout + m.stderr)}")
    notes = []
    if "max search depth too small" in m.stdout:
        notes.append("depth limit -m100000 hit: search truncated")
    if "out of memory" in m.stdout:
        notes.append("pan ran out of memory")
    errors = int(fig["errors"] or 0)
    return Run(tool, "ok", wall=m.wall, cpu=m.cpu, peak_rss_mb=m.peak_rss_mb, states=int(fig["states"]),
               search_seconds=fig["elapsed"], tool_memory_mb=fig["memory"],
               verdict="holds" if errors == 0 else f"errors: {errors}",
               depth=None if fig["depth"] is None else int(fig["depth"]), note="; ".join(notes))
