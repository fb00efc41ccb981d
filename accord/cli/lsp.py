"""`accord lsp`: the language server, over standard input and output (for editors)."""

from __future__ import annotations

import sys

import click

from accord.cli.common import EXIT_USAGE


@click.command(help="Run the accord language server over stdio: diagnostics, hover, go to definition, "
               "references and the outline of .accord files, for any LSP editor (see docs/editors.md). "
               "Needs the `lsp` extra: pip install 'accord[lsp]'.")
@click.option("--stdio", is_flag=True, help="Talk over standard input and output (the default and only transport; "
              "accepted because many editors pass it).")
def lsp(stdio: bool) -> None:
    try:
        from accord.lsp.server import serve
    except ImportError as exc:
        click.echo(f"accord lsp needs pygls and lsprotocol ({exc.name or exc} is missing): "
                   "pip install 'accord[lsp]'", err=True)
        sys.exit(EXIT_USAGE)
    serve()
