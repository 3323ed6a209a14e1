"""The coordinator's list of nightly match runs, and a button to start one."""

from web.runs.views import bp

__all__ = ["bp"]
