"""The intermediate representation every engine, exporter and reporter reads."""

from accord.ir.nodes import *  # noqa: F403 - the IR is one namespace by design
from accord.ir.types import *  # noqa: F403
