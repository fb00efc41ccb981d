"""Team analysis: how long, how many messages and how much a protocol costs, from its spec."""

from accord.analysis.metrics import Analysis, analyze
from accord.analysis.sweep import Sweep, sweep

__all__ = ["Analysis", "analyze", "Sweep", "sweep"]
