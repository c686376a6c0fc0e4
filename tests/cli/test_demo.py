"""exsync demo, in process and as a real process, and its cleanup."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from exsync.cli import cli
from exsync.demo import PASSWORD_ENV, DemoSite
from exsync.store import open_store

FIGURES = re.compile(
    r"Initial sync: (\d+) created, 0 linked; incremental sync: 1 created, "
    r"1 updated, 1 deleted; (\d+) live contacts in the CRM store\."
)


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """Make the demo's temporary folder appear under ``tmp_path``."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    return tmp_path


def _demo_folders(parent) -> list:
    return sorted(parent.glob("exsync-demo-*"))


def _refuses(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as probe:
        return probe.connect_ex((parts.hostname, parts.port)) != 0


def test_demo_runs_and_cleans_up(runner, scratch):
    result = runner.invoke(cli, ["demo"])

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert FIGURES.search(result.stdout)
    assert "Cleaned up" in result.stdout
    assert _demo_folders(scratch) == []
    assert PASSWORD_ENV not in os.environ


def test_demo_ignores_the_administrators_config(runner, scratch, monkeypatch):
    monkeypatch.setenv("EXSYNC_CONFIG", str(scratch / "no-such-config.toml"))

    result = runner.invoke(cli, ["demo"])

    assert result.exit_code == 0, result.output
    assert not (scratch / "no-such-config.toml").exists()


def test_demo_figures_are_the_ones_the_readme_shows(runner, scratch):
    result = runner.invoke(cli, ["demo"])

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert FIGURES.search(result.stdout).group(0) in readme


def test_demo_figures_match_the_kept_store(runner, scratch):
    result = runner.invoke(cli, ["demo", "--keep"])

    assert result.exit_code == 0, result.output
    created, live = map(int, FIGURES.search(result.stdout).groups())
    [folder] = _demo_folders(scratch)
    db = open_store(folder / "exsync.db")
    rows = {r["display_name"]: r for r in db["crm_contacts"].rows}
    assert created > 0 and live == created
    assert len(rows) == created + 1
    assert sum(r["deleted_at"] is None for r in rows.values()) == live
    assert rows["Dana Whitfield"]["company"] == "Northwind Traders"
    assert rows["Ana Souza"]["job_title"] == "Head of Purchasing"
    [deleted] = [r for r in rows.values() if r["deleted_at"]]
    assert f"deleted {deleted['display_name']}" in " ".join(result.stdout.split())


def test_demo_kept_store_reads_with_contacts_command(runner, scratch):
    runner.invoke(cli, ["demo", "--keep"])
    [folder] = _demo_folders(scratch)

    result = runner.invoke(
        cli, ["--config", str(folder / "config.toml"), "contacts", "--json"]
    )

    assert result.exit_code == 0, result.output
    assert "Dana Whitfield" in result.stdout


def test_demo_site_error_inside_stops_emulator_and_removes_folder(scratch):
    with pytest.raises(KeyboardInterrupt), DemoSite() as site:
        folder, url = site.folder, site.emulator.url
        assert os.environ[PASSWORD_ENV] == "emulator-password"
        raise KeyboardInterrupt

    assert not folder.exists()
    assert _refuses(url)
    assert PASSWORD_ENV not in os.environ


def test_demo_site_interrupted_while_stopping_still_removes_folder(
    scratch, monkeypatch
):
    site = DemoSite().__enter__()
    folder, stop = site.folder, site.emulator.stop

    def stop_then_interrupt() -> None:
        stop()
        raise KeyboardInterrupt

    monkeypatch.setattr(site.emulator, "stop", stop_then_interrupt)

    with pytest.raises(KeyboardInterrupt):
        site.__exit__(None, None, None)

    assert not folder.exists()
    assert PASSWORD_ENV not in os.environ


def test_demo_site_restores_a_password_variable_set_before(scratch, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "the admin's own")

    with DemoSite():
        pass

    assert os.environ[PASSWORD_ENV] == "the admin's own"


def test_demo_as_real_process_finishes_in_seconds(tmp_path):
    command = shutil.which("exsync")
    argv = [command, "demo"] if command else [sys.executable, "-m", "exsync", "demo"]
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop(PASSWORD_ENV, None)
    started = time.monotonic()

    finished = subprocess.run(
        argv, capture_output=True, text=True, env=env, timeout=60, check=False
    )

    assert finished.returncode == 0, finished.stderr
    assert finished.stderr == ""
    assert FIGURES.search(finished.stdout)
    assert time.monotonic() - started < 15
    assert _demo_folders(tmp_path) == []


@pytest.mark.parametrize(
    "stage",
    [
        "1. Started the Exchange emulator",
        "2. Wrote a throwaway config",
        "3. Imported operators",
        "4. Initial sync",
        "   alice@example.com: ok",
    ],
)
def test_demo_interrupted_process_leaves_no_folder(tmp_path, stage):
    # Interrupted right after a line it prints, not after a fixed delay: a
    # loaded machine then changes how fast the demo gets there, not where
    # it is when interrupted. Each stage is followed by more work, so the
    # interrupt always lands before the demo would have finished.
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop(PASSWORD_ENV, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "exsync", "demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(60, process.kill)
    watchdog.start()
    try:
        seen = []
        while not (line := process.stdout.readline()).startswith(stage):
            assert line, f"the demo ended before {stage!r}: {seen}"
            seen.append(line)

        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        watchdog.cancel()

    assert process.returncode in (130, -signal.SIGINT), stderr
    assert _demo_folders(tmp_path) == []
