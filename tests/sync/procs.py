"""Running ``exsync`` as a real process against the test emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from exsync.config import Config, write_config

from .conftest import PASSWORD_ENV

ROOT = Path(__file__).resolve().parents[2]


def write_test_config(config: Config, directory: Path) -> Path:
    """Write ``config`` as a file ``exsync --config`` reads."""
    return write_config(config, directory / "config.toml")


def exsync_env() -> dict[str, str]:
    """The environment an exsync process needs: the password and no tty."""
    env = dict(os.environ)
    env[PASSWORD_ENV] = "emulator-password"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("EXSYNC_CONFIG", None)
    return env


def start_exsync(config_path: Path, *args: str) -> subprocess.Popen:
    """Start ``exsync sync --config PATH ARGS`` without waiting for it."""
    return subprocess.Popen(
        [sys.executable, "-m", "exsync", "sync", "--config", str(config_path), *args],
        env=exsync_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_exsync(config_path: Path, *args: str, timeout: float = 60):
    """Run ``exsync sync`` to the end; returns the completed process."""
    return subprocess.run(
        [sys.executable, "-m", "exsync", "sync", "--config", str(config_path), *args],
        env=exsync_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
