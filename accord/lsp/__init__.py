"""The accord language server: diagnostics, hover, go to definition, references and outline.

``accord lsp`` runs :func:`accord.lsp.server.serve` over stdio. Only :mod:`accord.lsp.server`,
:mod:`accord.lsp.symbols` and the conversions in :mod:`accord.lsp.convert` need pygls and
lsprotocol (the ``lsp`` extra); :mod:`accord.lsp.document` and the index work without them.
"""
