"""`accord init [--from PROTOCOL] [DIR]`: start a project's specs from a library protocol, verified from day one.

Writes, under DIR (default: the current directory):

* ``specs/<protocol>.accord``: a copy of the library spec;
* ``specs/README.md``: how to check it, and the verdicts to expect;
* ``.github/workflows/accord.yml``: CI that checks every spec and uploads SARIF to code scanning;
* ``.pre-commit-config.yaml``: ``accord lint`` on commit, ``accord check`` before a push.

Nothing is overwritten unless ``--force`` is given: if any of the files exists, nothing at all is
written and the command says which files are in the way.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import click

import accord
from accord.cli.common import EXIT_OK, EXIT_USAGE
from accord.diagnostics import did_you_mean
from accord.library import Entry, entries, get

DEFAULT_PROTOCOL = "leader_follower"


def _template(name: str) -> str:
    return resources.files("accord").joinpath("templates", "init", name).read_text(encoding="utf-8")


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    return text


def _expected_table(entry: Entry) -> str:
    rows = entry.expected
    if not rows:
        return "(the spec's header lists no expected verdicts)"
    width = max(len(n) for n in rows)
    return "\n".join(f"{n:<{width}}  {kind:<11}  {verdict}" for n, (kind, verdict) in rows.items())


def plan(entry: Entry, requirement: str, ci: bool, hooks: bool) -> dict[str, str]:
    """The files to write, relative to the target folder, with their text."""
    spec = f"specs/{entry.name}.accord"
    files = {
        spec: entry.text,
        "specs/README.md": _fill(_template("README.md"), {
            "SPEC": spec, "NAME": entry.name, "TITLE": entry.title, "EXPECTED": _expected_table(entry)}),
    }
    if ci:
        files[".github/workflows/accord.yml"] = _fill(_template("workflow.yml"), {
            "REQUIREMENT": requirement, "SPECS": "specs/*.accord"})
    if hooks:
        files[".pre-commit-config.yaml"] = _template("pre-commit-config.yaml")
    return files


def _list() -> None:
    all_entries = entries()
    patterns = [e for e in all_entries if not e.twin]
    width = max(len(e.name) for e in patterns)
    click.echo("Library protocols (accord init --from NAME):")
    for e in patterns:
        twins = sum(1 for t in all_entries if t.twin and t.name.startswith(e.name + "_broken"))
        note = f"  [{twins} broken twin{'s' if twins != 1 else ''}]" if twins else ""
        click.echo(f"  {e.name:<{width}}  {e.title}{note}")
    click.echo("Broken twins (NAME_broken…) keep one design mistake each; they start from a failing check.")


@click.command(help="Start verified specs in DIR (default: here) from a library protocol: the spec, a README, "
               "a GitHub Actions workflow and pre-commit hooks. Never overwrites a file without --force.")
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False))
@click.option("--from", "protocol", default=DEFAULT_PROTOCOL, show_default=True, metavar="PROTOCOL",
              help="The library protocol to start from (see --list).")
@click.option("--list", "list_", is_flag=True, help="List the library protocols and exit.")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.option("--requirement", default=f"accord=={accord.__version__}", show_default=True,
              help="What the CI workflow installs with pip (a version, or `accord @ git+URL@TAG`).")
@click.option("--no-ci", is_flag=True, help="Do not write .github/workflows/accord.yml.")
@click.option("--no-pre-commit", is_flag=True, help="Do not write .pre-commit-config.yaml.")
def init(directory: str, protocol: str, list_: bool, force: bool, requirement: str, no_ci: bool,
         no_pre_commit: bool) -> None:
    if list_:
        _list()
        sys.exit(EXIT_OK)
    entry = get(protocol)
    if entry is None:
        names = [e.name for e in entries()]
        hint = did_you_mean(protocol.removesuffix(".accord"), names) or "list them with `accord init --list`"
        click.echo(f"error: no library protocol `{protocol}`; {hint}", err=True)
        sys.exit(EXIT_USAGE)
    root = Path(directory)
    files = plan(entry, requirement, ci=not no_ci, hooks=not no_pre_commit)
    in_the_way = [rel for rel in files if (root / rel).exists()]
    if in_the_way and not force:
        click.echo(f"error: refusing to overwrite {len(in_the_way)} existing file(s) in {root}:", err=True)
        for rel in in_the_way:
            click.echo(f"  {rel}", err=True)
        click.echo("nothing was written; move them aside, skip them (--no-ci, --no-pre-commit), "
                   "or pass --force to overwrite them", err=True)
        sys.exit(EXIT_USAGE)
    bad = [rel for rel in files if (root / rel).is_dir()]
    if bad:
        click.echo(f"error: {root / bad[0]} is a directory; nothing was written", err=True)
        sys.exit(EXIT_USAGE)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        click.echo(f"{'overwrote' if rel in in_the_way else 'created'} {path}")
    spec = root / f"specs/{entry.name}.accord"
    click.echo(f"\nStarted from `{entry.name}`: {entry.title}.\nNext:\n  accord check {spec}")
    if not no_pre_commit:
        click.echo("  pre-commit install --hook-type pre-commit --hook-type pre-push")
    sys.exit(EXIT_OK)
