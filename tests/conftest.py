"""Fixtures shared by every test directory."""

from __future__ import annotations

import pytest
from click.testing import CliRunner


@pytest.fixture
def runner() -> CliRunner:
    """A click runner; ``result.stderr`` is captured apart from stdout."""
    return CliRunner()
