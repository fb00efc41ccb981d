"""Exporters: code generated from a verified protocol. See :mod:`accord.export.python`."""

from __future__ import annotations

from accord.export.python import GeneratedFile, check_exportable, export_python

__all__ = ["GeneratedFile", "check_exportable", "export_python"]
