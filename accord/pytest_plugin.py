"""pytest plugin: every property of every ``*.accord`` spec as a test.

Opt-in: run ``pytest --accord``, or set ``accord = true`` in the ``[tool.pytest.ini_options]``
(or ``[pytest]``) section. pytest then collects each ``*.accord`` file under its test
paths as one test per declared property (invariant, agreement, reachable, deadlock,
termination, leads_to), plus ``step_errors`` (no step fails an ``assert``, overflows a
``fails`` channel or cannot be evaluated). A violated property fails with the readable
counterexample, as ``accord check`` prints it; an undecided one (a limit was hit) fails
too, saying so, because "nothing found within the bound" is not a pass. A spec with
errors gives one failing ``load`` test with the diagnostics.

Options, from the weakest to the strongest:

* ``accord_args`` in the ini file: options for every spec, written as for
  ``accord check`` (``accord_args = --max-seconds 60``);
* the spec's header: comment lines before the first declaration of the form
  ``# accord: --const N=2 --max-states 100000``.

Every option of ``accord check`` that changes the search is honoured (``--const``,
``--strategy``, ``--max-states``, ``--max-seconds``, ``--max-memory``, ``--max-depth``,
``--no-symmetry``, ``--deadlock/--no-deadlock``); output options are ignored, and the
search always continues after a violation so that every property gets a verdict.

A spec written to show a bug can say what it expects, in its header too:
``# accord-expect: deadlock=violated termination=violated``. Such a test passes
when the verdict is the expected one and fails otherwise.

The plugin imports accord lazily, so a pytest run that does not collect specs never
pays for (or breaks on) the checker.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

STEP_ERRORS = "step_errors"
_HEADER = re.compile(r"^\s*#\s*accord:(.*)$")
_EXPECT = re.compile(r"^\s*#\s*accord-expect:(.*)$")
_VERDICTS = ("holds", "violated", "unknown")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("accord", "accord protocol specs")
    group.addoption("--accord", action="store_true", default=False,
                    help="collect *.accord specs: one test per property")
    parser.addini("accord", type="bool", default=False, help="collect *.accord specs (like --accord)")
    parser.addini("accord_args", type="args", default=[],
                  help="`accord check` options for every spec, e.g. --max-seconds 60")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    config = parent.config
    if file_path.suffix == ".accord" and (config.getoption("accord") or config.getini("accord")):
        return AccordFile.from_parent(parent, path=file_path)
    return None


# ---------------------------------------------------------------------- header


def header_lines(text: str) -> list[str]:
    """The leading comment block of a spec (blank lines allowed), up to the first declaration."""
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        out.append(line)
    return out


def header_args(text: str) -> list[str]:
    """The ``# accord: ...`` options of a spec's header, split as a shell would."""
    args: list[str] = []
    for line in header_lines(text):
        m = _HEADER.match(line)
        if m:
            args.extend(shlex.split(m.group(1), comments=False))
    return args


def header_expectations(text: str) -> dict[str, str]:
    """``# accord-expect: NAME=VERDICT ...`` of a spec's header. ``ValueError`` on a malformed entry."""
    out: dict[str, str] = {}
    for line in header_lines(text):
        m = _EXPECT.match(line)
        if not m:
            continue
        for item in m.group(1).split():
            name, sep, verdict = item.partition("=")
            if not sep or not name or verdict not in _VERDICTS:
                raise ValueError(f"accord-expect: write NAME=VERDICT with VERDICT one of {', '.join(_VERDICTS)}, "
                                 f"not {item!r}")
            out[name] = verdict
    return out


def search_options(args: list[str]) -> dict[str, Any]:
    """Parse ``accord check`` options exactly as the command does. ``ValueError`` with its message."""
    import click

    from accord.cli.check import check as check_command

    try:
        ctx = check_command.make_context("accord check", ["spec.accord", *args])
    except click.exceptions.Exit:
        raise ValueError("--help is not an option for a spec header") from None
    except click.ClickException as exc:
        raise ValueError(exc.format_message()) from None
    return dict(ctx.params)


# ---------------------------------------------------------------------- collection


class AccordFailure(Exception):
    """A property that did not get the verdict it needed; ``text`` is what the user reads."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


class AccordFile(pytest.File):
    """One spec: its properties become items; the check runs once, on the first item that needs it."""

    _outcome: Any = None

    def collect(self) -> Iterator[pytest.Item]:
        import click

        from accord.cli.common import parse_consts
        from accord.dsl import load_file

        text = self.path.read_text(encoding="utf-8", errors="replace")
        shown = _shown(self)
        try:
            args = [*self.config.getini("accord_args"), *header_args(text)]
            params = search_options(args)
            self.expect = header_expectations(text)
            overrides = parse_consts(params.get("consts", ()))
        except (ValueError, click.UsageError) as exc:
            message = exc.format_message() if isinstance(exc, click.UsageError) else str(exc)
            yield SpecErrorItem.from_parent(self, name="load", text=f"{shown}: bad accord options: {message}")
            return
        engine = params.get("engine", "explicit")
        if engine != "explicit":
            yield SpecErrorItem.from_parent(self, name="load", text=f"{shown}: the pytest plugin runs the "
                                            f"explicit engine only, not --engine {engine}")
            return
        proto, diags = load_file(self.path, overrides)
        errors = [d for d in diags if d.is_error]
        if proto is None or errors:
            body = "\n".join(d.render() for d in errors) or "the spec could not be loaded"
            yield SpecErrorItem.from_parent(self, name="load", text=f"{shown}: {len(errors)} error(s)\n{body}")
            return
        self.proto = proto
        self.params = params
        declared = set()
        deadlock = params.get("deadlock")
        for p in proto.properties:
            if p.kind.value == "deadlock" and deadlock is False:
                continue
            declared.add(p.name)
            line = p.span.line if p.span is not None else None
            yield PropertyItem.from_parent(self, name=p.name, kind=p.kind.value, line=line)
        if deadlock and "deadlock" not in declared:
            declared.add("deadlock")
            yield PropertyItem.from_parent(self, name="deadlock", kind="deadlock", line=None)
        self.declared = declared
        yield PropertyItem.from_parent(self, name=STEP_ERRORS, kind="step errors", line=None)

    def outcome(self) -> tuple[Any, Any]:
        """``(CheckResult, Layout)``, computed once."""
        if self._outcome is None:
            from accord.checker.explicit import Config, check
            from accord.semantics.layout import Layout

            p = self.params
            cfg = Config(strategy=p.get("strategy") or "bfs", max_states=p.get("max_states"),
                         max_seconds=p.get("max_seconds"), max_memory_mb=p.get("max_memory"),
                         max_depth=p.get("max_depth"), stop_at_first=False,
                         symmetry=not p.get("no_symmetry", False), deadlock=p.get("deadlock"),
                         parameters={c.name: c.value for c in self.proto.consts if not c.declared})
            self._outcome = (check(self.proto, cfg), Layout.build(self.proto))
        return self._outcome


class SpecErrorItem(pytest.Item):
    """A spec that cannot be checked: bad options or errors in the spec."""

    def __init__(self, *, text: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.text = text

    def runtest(self) -> None:
        raise AccordFailure(self.text)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, AccordFailure):
            return excinfo.value.text
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        # not the bare node id: pytest would rewrite the dots of a domain that ends the node id
        return self.path, None, f"{self.path.name}::{self.name} (spec)"


class PropertyItem(pytest.Item):
    """One property of a spec (or ``step_errors``: every violation no declared property names)."""

    def __init__(self, *, kind: str, line: int | None, **kwargs: Any):
        super().__init__(**kwargs)
        self.kind = kind
        self.line = line

    def runtest(self) -> None:
        from accord.checker.result import Verdict

        spec: AccordFile = self.parent  # type: ignore[assignment]
        result, lay = spec.outcome()
        if self.name == STEP_ERRORS:
            found = [r for r in result.results if r.name not in spec.declared]
        else:
            found = [r for r in result.results if r.name == self.name]
        if self.name == STEP_ERRORS:
            verdict = "violated" if any(r.verdict is Verdict.VIOLATED for r in found) else (
                "holds" if result.complete else "unknown")
        elif not found:
            raise AccordFailure(f"{self.kind} `{self.name}`: the checker gave no verdict")
        else:
            verdict = found[0].verdict.value
        expected = spec.expect.get(self.name, "holds")
        if verdict == expected:
            return
        raise AccordFailure(_explain(self, verdict, expected, found, result, lay))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, AccordFailure):
            return excinfo.value.text
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, (self.line - 1 if self.line else None), f"{self.path.name}::{self.name} ({self.kind})"


def _shown(node: pytest.Item | pytest.Collector) -> Path:
    """The node's path relative to the rootdir when it lies under it."""
    try:
        return node.path.relative_to(node.config.rootpath)
    except ValueError:
        return node.path


def _explain(item: PropertyItem, verdict: str, expected: str, found: list[Any], result: Any, lay: Any) -> str:
    """What the user reads when a property item fails: the verdict and the counterexample."""
    from accord.checker.result import Verdict
    from accord.report.text import render_trace

    s = result.stats
    where = f" (declared at {_shown(item)}:{item.line})" if item.line else ""
    lines = [f"{item.kind} `{item.name}`{where} is {verdict}" + (f", expected {expected}" if expected != "holds"
                                                                 else "")]
    for r in found:
        if r.verdict is Verdict.HOLDS:
            continue
        if r.message:
            lines.append(f"  {r.message}" if r.name == item.name else f"  {r.name}: {r.message}")
        if r.verdict is Verdict.VIOLATED and r.trace is not None:
            shape = "lasso" if r.trace.loop_start is not None else "trace"
            lines.append(f"counterexample for `{r.name}`: {shape} of {r.trace.length} states")
            lines.append(render_trace(r.trace, lay))
    if verdict == "unknown" and not found:
        lines.append(f"  the search was cut short ({result.limit or 'stopped'} limit reached)")
    if result.parameters:
        lines.append("parameters: " + ", ".join(f"{k}={v}" for k, v in result.parameters.items()))
    lines.append(f"{s.distinct:,} distinct states, depth {s.depth}, {s.seconds:.2f}s"
                 + ("" if result.complete else f" (incomplete: {result.limit or 'stopped'})"))
    return "\n".join(lines)
