"""The command line starts without loading what only some commands need."""

from __future__ import annotations

import subprocess
import sys


def test_cli_import_leaves_exchangelib_unloaded():
    # exchangelib costs about half of the start-up time and tens of MB;
    # ``exsync --help`` and the store-only commands must not pay for it.
    code = "import exsync.cli, sys; assert 'exchangelib' not in sys.modules"

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
