"""Suite-wide guard: with MM_FAIL_ON_SKIP=1 (as `make test` and CI set it) a skipped test fails
the run, so a missing service or browser can never pass silently as "skipped"."""

from __future__ import annotations

import os

import pytest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("MM_FAIL_ON_SKIP") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        if reporter:
            reporter.write_line(
                f"MM_FAIL_ON_SKIP: {skipped} test(s) were skipped; every test must run here.",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
