#!/usr/bin/env python3
"""Side-by-side benchmark of accord and SPIN on the same protocols, in the same run.

For every model and size it runs ``accord check`` and SPIN's ``pan`` (with and without
partial-order reduction), alternating, ``--reps`` times, and writes into ``--out``
(default: this directory):

- ``RESULTS.md``: the machine, the method and one table row per (model, N, tool) with
  the median wall time, states, states/s, peak memory and the accord/SPIN time ratio;
- ``results.json``: every single run;
- ``time_vs_n.svg``: median wall time against N for both tools.

When SPIN (or gcc, or the Promela models) is missing it says so and still runs accord.
Exit status: 0 when every run finished as expected; 1 when a verdict was not the expected
one, a tool failed, or accord's TwoPhase count differs from SPIN's; 2 on bad arguments.

    python bench/run.py                           # every model, default sizes, 3 reps
    python bench/run.py --quick                   # smallest size of each model
    python bench/run.py --models twophase --sizes 7,8 --reps 1 --timeout 600
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # allow `python bench/run.py` from anywhere and `import run` from tests
    sys.path.insert(0, str(HERE))

from bench_exec import Run, SpinTools, build_pan, find_spin, run_accord, run_pan, write_promela  # noqa: E402
from bench_models import DEFAULT_SPIN_DIR, BenchModel, by_name, parse_sizes  # noqa: E402
from bench_report import TOOL_LABEL, Point, count_mismatch, machine, markdown  # noqa: E402
from bench_svg import svg  # noqa: E402

SPIN_MODES = ("por", "nopor")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", metavar="NAME", help="twophase twopc leader dining (default: all)")
    ap.add_argument("--sizes", action="append", default=[], metavar="[MODEL:]N,N",
                    help="sizes for every model (7,8) or one model (twophase:7,8); repeatable")
    ap.add_argument("--reps", type=int, default=3, help="runs per tool and size (default 3)")
    ap.add_argument("--long", type=float, default=60.0, metavar="S",
                    help="a size whose first run of either tool takes longer than S seconds is run once "
                         "(default 60)")
    ap.add_argument("--timeout", type=float, default=600.0, metavar="S",
                    help="kill a run after S seconds and record `timeout` (default 600); larger sizes of "
                         "that tool and model are then not run")
    ap.add_argument("--timeout-clock", choices=("wall", "cpu"), default="wall",
                    help="what --timeout measures: wall time, or the run's own CPU time (steadier when other "
                         "work shares the machine; a wall backstop of 5x remains)")
    ap.add_argument("--quick", action="store_true", help="smallest size of each model only")
    ap.add_argument("--spin-modes", default="por,nopor", help="SPIN builds to run: por, nopor or both")
    ap.add_argument("--spin-hash", type=int, default=26, metavar="W", help="pan -wW: log2 hash table slots")
    ap.add_argument("--spin-bin", default="spin", help="the spin executable (default: spin on PATH)")
    ap.add_argument("--spin-dir", type=Path,
                    default=Path(os.environ.get("ACCORD_BENCH_SPIN_DIR", DEFAULT_SPIN_DIR)),
                    help="directory holding the Promela models (default: $ACCORD_BENCH_SPIN_DIR or "
                         f"{DEFAULT_SPIN_DIR})")
    ap.add_argument("--report-from", type=Path, metavar="JSON",
                    help="measure nothing: write RESULTS.md and the plot again from a results.json")
    ap.add_argument("--out", type=Path, default=HERE, help="where to write RESULTS.md, results.json, "
                    "time_vs_n.svg (default: bench/)")
    args = ap.parse_args(argv)
    if args.reps < 1:
        ap.error("--reps must be at least 1")
    modes = [m.strip() for m in args.spin_modes.split(",") if m.strip()]
    if not modes or any(m not in SPIN_MODES for m in modes):
        ap.error("--spin-modes: give por, nopor or por,nopor")
    args.spin_modes = modes
    try:
        args.model_list = by_name(args.models)
        args.size_map = parse_sizes(args.sizes, args.model_list, args.quick)
    except ValueError as exc:
        ap.error(str(exc))
    return args


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _describe(r: Run) -> str:
    if r.status != "ok":
        return f"{r.status} {r.note}".strip()
    return f"{r.states:,} states, {r.wall:.2f} s wall, {r.cpu:.2f} s CPU, {r.peak_rss_mb:.0f} MB, {r.verdict}"


def bench_model(model: BenchModel, sizes: list[int], args: argparse.Namespace, tools: SpinTools,
                workroot: Path) -> list[Point]:
    """Every size of one model: accord and each SPIN mode, alternating, up to ``--reps`` times."""
    points: list[Point] = []
    gave_up: dict[str, str] = {}  # tool -> why larger sizes are not run
    tool_names = ["accord", *([f"spin-{m}" for m in args.spin_modes] if tools.usable else [])]
    for n in sizes:
        pts = {t: Point(model, n, t) for t in tool_names}
        points.extend(pts.values())
        builds = {}
        if tools.usable:
            source = args.spin_dir / model.spin_source
            work = workroot / f"{model.name}_{n}"
            work.mkdir(parents=True, exist_ok=True)
            if source.exists():
                pml = write_promela(source, n, work)
                builds = build_pan(tools, pml, model.spin_defines(n), args.spin_modes, work)
            for mode, b in builds.items():
                pts[f"spin-{mode}"].compile_seconds = b.seconds
            if not source.exists():
                for mode in args.spin_modes:
                    pts[f"spin-{mode}"].runs.append(Run(f"spin-{mode}", "error", note=f"{source} not found"))
                    gave_up[f"spin-{mode}"] = "model missing"
        for rep in range(args.reps):
            long_run = False
            for tool in tool_names:
                if tool in gave_up:
                    continue
                if tool == "accord":
                    r = run_accord(model.accord_path, model.accord_consts(n), args.timeout, args.timeout_clock)
                else:
                    mode = tool.split("-", 1)[1]
                    r = run_pan(builds[mode], mode, args.spin_hash, args.timeout, args.timeout_clock)
                pts[tool].runs.append(r)
                say(f"[{model.name} N={n}] {TOOL_LABEL[tool]:13} run {rep + 1}: {_describe(r)}")
                if r.status in ("timeout", "error"):
                    gave_up[tool] = r.status
                elif r.wall is not None and r.wall > args.long:
                    long_run = True
            if long_run or all(t in gave_up for t in tool_names):
                if rep + 1 < args.reps:
                    say(f"[{model.name} N={n}] a run took longer than {args.long:g} s: not repeated")
                break
        for tool, p in pts.items():
            if tool != "accord" and count_mismatch(pts["accord"], p):
                say(f"[{model.name} N={n}] COUNT MISMATCH: accord {pts['accord'].states:,} vs "
                    f"{TOOL_LABEL[tool]} {p.states:,}")
    return points


def plot_panels(points: list[Point]) -> dict[str, dict[str, list[tuple[int, float]]]]:
    panels: dict[str, dict[str, list[tuple[int, float]]]] = {}
    for p in points:
        series = panels.setdefault(p.model.title, {})
        ser = series.setdefault(TOOL_LABEL[p.tool], [])
        if p.wall is not None:
            ser.append((p.n, p.wall))
    return panels


def measure_all(args: argparse.Namespace, argv: list[str]) -> dict[str, object]:
    """Run the benchmark; return what results.json holds (settings, machine, every run)."""
    started = datetime.now(timezone.utc)
    tools = find_spin(args.spin_bin, args.spin_dir)
    if not tools.usable:
        say(f"SPIN not available: {tools.problem}. Running accord only; the SPIN columns stay empty.")
    info = machine(tools)
    points: list[Point] = []
    with tempfile.TemporaryDirectory(prefix="accord-bench-") as work:
        for model in args.model_list:
            points.extend(bench_model(model, args.size_map[model.name], args, tools, Path(work)))
    info["load average at end (1, 5, 15 min)"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "command": "python bench/run.py " + " ".join(shlex.quote(a) for a in argv),
        "started": started.isoformat(), "machine": info,
        "settings": {"limit": f"{args.timeout:g} s" + (" CPU" if args.timeout_clock == "cpu" else ""),
                     "spin_hash": args.spin_hash},
        "spin_available": tools.usable, "spin_problem": tools.problem,
        "points": [{"model": p.model.name, "n": p.n, "tool": p.tool, "compile_seconds": p.compile_seconds,
                    "median_wall": p.wall, "median_cpu": p.cpu, "median_search": p.search, "states": p.states,
                    "runs": [r.to_json() for r in p.runs]} for p in points],
    }


def points_from(raw: dict) -> list[Point]:  # type: ignore[type-arg]
    """The points of a results.json, for rendering the report again without measuring."""
    models = {m.name: m for m in by_name(None)}
    out = []
    for d in raw["points"]:
        p = Point(models[d["model"]], d["n"], d["tool"], [Run(**r) for r in d["runs"]])
        p.compile_seconds = d.get("compile_seconds")
        out.append(p)
    return out


def render(raw: dict, out: Path) -> tuple[str, list[Point]]:  # type: ignore[type-arg]
    """Write RESULTS.md and time_vs_n.svg into ``out`` from measured data; return the text and points."""
    points = points_from(raw)
    out.mkdir(parents=True, exist_ok=True)
    plot_name = "time_vs_n.svg"
    (out / plot_name).write_text(svg(plot_panels(points)), encoding="utf-8")
    settings = raw["settings"]
    text = markdown(points, raw["machine"], raw["command"].strip(), settings["limit"], settings["spin_hash"],
                    plot_name, datetime.fromisoformat(raw["started"]))
    (out / "RESULTS.md").write_text(text, encoding="utf-8")
    return text, points


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the running child is killed too
    if args.report_from is not None:
        raw = json.loads(args.report_from.read_text(encoding="utf-8"))
    else:
        raw = measure_all(args, argv)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    text, points = render(raw, args.out)
    print(text)
    accord_of = {(p.model.name, p.n): p for p in points if p.tool == "accord"}
    bad = [p for p in points if p.problems()] + [p for p in points if p.tool != "accord"
                                                 and count_mismatch(accord_of[(p.model.name, p.n)], p)]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
