"""accord: specify, verify and generate coordination protocols for teams of LLM agents."""

__version__ = "0.1.0"
