"""Fixtures shared by every test directory."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conformance.plugin import register_traffic_validation


def pytest_configure(config: pytest.Config) -> None:
    """Record the session's emulator traffic and validate it against the schemas."""
    register_traffic_validation(config)


@pytest.fixture(autouse=True)
def isolate_user_dirs(tmp_path_factory, monkeypatch):
    """Keep every test away from the real ~/.config and ~/.local/share."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.delenv("EXSYNC_CONFIG", raising=False)


@pytest.fixture
def runner() -> CliRunner:
    """A click runner; ``result.stderr`` is captured apart from stdout."""
    return CliRunner()
