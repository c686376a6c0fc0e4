"""Pytest plugin: record and validate all emulator traffic of a test session.

Registered from ``tests/conftest.py`` so it runs for every selection of
tests. It points ``EXSYNC_EMULATOR_TRAFFIC_DIR`` at a fresh folder before
any test starts (subprocesses inherit it), validates every recorded file at
the end, and fails the run, listing each violation with its file name, when
a file breaks the schemas or when tests that drive the emulator ran and no
traffic at all was recorded.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from conformance.references import describe_missing_reference, find_reference_dir
from conformance.traffic import ENV_VAR, TrafficChecker

PLUGIN_NAME = "ews-traffic"


class TrafficValidation:
    """Session-wide traffic recording and validation."""

    def __init__(self) -> None:
        self.directory: Path | None = None
        self.checker: TrafficChecker | None = None
        self.skip_reason: str | None = None
        self.previous_env: str | None = None
        self.emulator_tests = 0
        self.failures: list[str] = []

    def pytest_configure(self, config: pytest.Config) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="exsync-ews-traffic-"))
        self.previous_env = os.environ.get(ENV_VAR)
        os.environ[ENV_VAR] = str(self.directory)
        reference_dir = find_reference_dir()
        if reference_dir is None:
            self.skip_reason = describe_missing_reference()
            return

        self.checker = TrafficChecker(self.directory, reference_dir)

    def pytest_runtest_call(self, item: pytest.Item) -> None:
        if _drives_emulator(item):
            self.emulator_tests += 1

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.checker is None:
            return

        self.checker.check_new(settle=False)
        self.failures = list(self.checker.violations)
        if self.emulator_tests and not self.checker.checked:
            self.failures.append(
                f"{self.emulator_tests} tests drove the emulator but it recorded "
                f"no traffic in {self.directory}: is {ENV_VAR} honoured?"
            )

        if self.failures and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.checker is None:
            terminalreporter.write_line(
                f"EWS traffic not validated: {self.skip_reason}"
            )
            return

        checker = self.checker
        terminalreporter.write_line(
            f"EWS traffic: {len(checker.checked)} files "
            f"({checker.bytes_checked / 1e6:.1f} MB) validated in "
            f"{checker.seconds:.1f} s, {len(self.failures)} violations"
        )
        for version in sorted({version for version, _ in checker.counts}):
            kinds = ", ".join(
                f"{checker.counts[(version, kind)]} {kind}s"
                for kind in ("request", "response", "notification")
            )
            terminalreporter.write_line(f"  {version}: {kinds}")
        if self.failures:
            terminalreporter.section("EWS traffic violations", red=True)
            for failure in self.failures:
                terminalreporter.write_line(failure)
            terminalreporter.write_line(f"(files kept in {self.directory})")

    def pytest_unconfigure(self) -> None:
        if self.previous_env is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = self.previous_env

        if self.directory and not self.failures:
            shutil.rmtree(self.directory, ignore_errors=True)


def register_traffic_validation(config: pytest.Config) -> None:
    """Register the session-wide plugin once."""
    if not config.pluginmanager.has_plugin(PLUGIN_NAME):
        config.pluginmanager.register(TrafficValidation(), PLUGIN_NAME)


def _drives_emulator(item: pytest.Item) -> bool:
    # Tests reach a running emulator through fixtures named after it.
    names = getattr(item, "fixturenames", ())
    return any("emulator" in name for name in names)
