"""JSON Schemas shipped with accord, for tools that read its reports.

``report.schema.json`` (draft 2020-12) describes ``accord check --format json``.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def load_schema(name: str = "report") -> dict[str, Any]:
    """The schema ``<name>.schema.json`` as a dict."""
    text = resources.files(__package__).joinpath(f"{name}.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


__all__ = ["load_schema"]
