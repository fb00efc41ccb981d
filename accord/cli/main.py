"""The `accord` command. Each subcommand lives in its own module and returns an exit code."""

from __future__ import annotations

import importlib
import sys

import click

import accord
from accord.cli.common import EXIT_CODES_HELP, EXIT_INTERNAL


#: subcommand -> "module:attribute"; each module is imported only when its command runs, so
#: `accord lint` does not pay for z3, hypothesis or the language server.
COMMANDS = {
    "analyze": "accord.cli.analyze:analyze",
    "check": "accord.cli.check:check",
    "export": "accord.cli.export:export",
    "fmt": "accord.cli.fmt:fmt",
    "fuzz": "accord.cli.fuzz:fuzz_cmd",
    "init": "accord.cli.init:init",
    "lint": "accord.cli.lint:lint",
    "lsp": "accord.cli.lsp:lsp",
    "monitor": "accord.cli.monitor:monitor",
    "prove": "accord.cli.prove:prove",
    "replay": "accord.cli.replay:replay_cmd",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        cmd = getattr(importlib.import_module(module), attr)
        cmd.name = name
        return cmd  # type: ignore[no-any-return]


@click.group(cls=LazyGroup, help="Specify, verify and generate coordination protocols for teams of LLM agents.\n\n"
             + EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(accord.__version__, prog_name="accord")
def cli() -> None:
    pass


def main() -> None:
    try:
        cli.main(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a traceback is a bug; say so plainly, with the detail for the report
        import traceback

        click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("this is a bug in accord; please report it with the spec and this output:", err=True)
        click.echo("".join(traceback.format_exc(limit=6)), err=True)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
