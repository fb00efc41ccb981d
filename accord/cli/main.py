"""The `accord` command. Each subcommand lives in its own module and returns an exit code."""

from __future__ import annotations

import sys

import click

import accord
from accord.cli.common import EXIT_CODES_HELP, EXIT_INTERNAL


@click.group(help="Specify, verify and generate coordination protocols for teams of LLM agents.\n\n"
             + EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(accord.__version__, prog_name="accord")
def cli() -> None:
    pass


def _register() -> None:
    from accord.cli import analyze, check, export, fmt, lint, monitor

    cli.add_command(analyze.analyze)
    cli.add_command(check.check)
    cli.add_command(lint.lint)
    cli.add_command(fmt.fmt)
    cli.add_command(export.export)
    cli.add_command(monitor.monitor)
    from accord.cli import prove

    cli.add_command(prove.prove)
    from accord.cli import init, lsp

    cli.add_command(init.init)
    cli.add_command(lsp.lsp)
    from accord.cli import fuzz, replay

    cli.add_command(fuzz.fuzz_cmd, "fuzz")
    cli.add_command(replay.replay_cmd, "replay")


_register()


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
