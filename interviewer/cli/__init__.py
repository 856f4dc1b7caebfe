"""The `interviewer` command line (entry point: `interviewer.cli:main`)."""

from interviewer.cli.main import main

__all__ = ["main"]
