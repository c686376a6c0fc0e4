"""``exsync sync`` as cron runs it: a real process, its output and exit code."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import time
from dataclasses import replace

from exsync.config import NotificationSettings, SmtpSettings
from exsync.lock import lock_path, run_lock
from exsync.store.operators import upsert_operator

from .conftest import ALICE, contact, crm_rows
from .procs import exsync_env, run_exsync, write_test_config

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}"


def test_sync_second_process_exits_7_at_once_and_sends_no_email(
    config, db, tmp_path, inbox
):
    port, received = inbox
    config = replace(
        config,
        smtp=SmtpSettings(host="127.0.0.1", port=port, sender="exsync@x.io"),
        notifications=NotificationSettings(
            frequency_minutes=1, failure_recipients=("admin@x.io",)
        ),
    )
    db.execute(
        "INSERT INTO failures (operator_id, code, message, first_failed_at) "
        "VALUES ('op-alice', 'auth-failed', 'x', '2020-01-01T00:00:00Z')"
    )
    path = write_test_config(config, tmp_path)

    with run_lock(lock_path(config.store.path)):
        started = time.monotonic()
        result = run_exsync(path)
        elapsed = time.monotonic() - started

    assert result.returncode == 7
    assert "another exsync sync is running" in result.stderr
    assert elapsed < 10
    assert received.messages == []


def test_sync_under_cron_prints_plain_lines(emulator, config, db, tmp_path):
    emulator.owner(ALICE).create_contact(contact("Ann Lee", email="ann@x.example"))
    path = write_test_config(config, tmp_path)

    result = run_exsync(path)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert all(re.match(STAMP + " ", line) for line in lines)
    assert any(f"mailbox {ALICE} ok: 1 page, created=1" in line for line in lines), (
        lines
    )
    assert "summary: mailboxes ok=2" in lines[-1]
    assert "\x1b[" not in result.stdout + result.stderr
    assert "ann@x.example" not in result.stdout + result.stderr
    assert [row["display_name"] for row in crm_rows(db)] == ["Ann Lee"]


def test_sync_json_prints_the_summary(emulator, config, db, tmp_path):
    emulator.owner(ALICE).create_contact(contact("Ann Lee"))
    path = write_test_config(config, tmp_path)

    result = run_exsync(path, "--json")

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["totals"]["created"] == 1
    assert summary["mailboxes"]["ok"] == 2


def test_sync_failed_mailbox_exits_1(emulator, config, db, tmp_path):
    upsert_operator(db, email="ghost@example.com", operator_id="op-ghost")
    path = write_test_config(config, tmp_path)

    result = run_exsync(path)

    assert result.returncode == 1
    assert "mailbox ghost@example.com failed" in result.stdout
    assert "[mailbox-not-found]" in result.stdout


def test_sync_unknown_operator_is_a_usage_error(emulator, config, db, tmp_path):
    path = write_test_config(config, tmp_path)

    result = run_exsync(path, "--operator", "nobody@example.com")

    assert result.returncode == 2
    assert "no enabled operator has this address" in result.stderr


def test_sync_on_a_terminal_shows_a_summary_table(emulator, config, db, tmp_path):
    emulator.owner(ALICE).create_contact(contact("Ann Lee"))
    path = write_test_config(config, tmp_path)
    controller, terminal = pty.openpty()
    env = {**exsync_env(), "COLUMNS": "160", "TERM": "xterm"}
    process = subprocess.Popen(
        [sys.executable, "-m", "exsync", "sync", "--config", str(path)],
        env=env,
        stdout=terminal,
        stderr=subprocess.PIPE,
    )
    os.close(terminal)
    output = _read_all(controller)
    _, errors = process.communicate(timeout=60)

    assert process.returncode == 0, errors
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output)
    assert "exsync sync" in text
    assert re.search(rf"{ALICE} +ok +1 +0 ", text)
    assert "summary: mailboxes ok=2" in text


def test_sync_on_a_terminal_keeps_log_records_whole_beside_progress(
    emulator, config, db, tmp_path
):
    for number in range(25):
        emulator.owner(ALICE).create_contact(contact(f"Person {number}"))
    upsert_operator(db, email="ghost@example.com", operator_id="op-ghost")
    path = write_test_config(config, tmp_path)
    controller, terminal = pty.openpty()
    env = {**exsync_env(), "COLUMNS": "300", "TERM": "xterm"}
    command = [sys.executable, "-m", "exsync", "sync", "--config", str(path)]
    process = subprocess.Popen(
        [*command, "--verbose"], env=env, stdout=terminal, stderr=terminal
    )
    os.close(terminal)
    output = _read_all(controller)
    process.wait(timeout=60)

    assert process.returncode == 1, output
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output)
    rows = [row.strip() for row in re.split(r"[\r\n]+", text)]
    logged = [row for row in rows if "mailbox op-ghost failed" in row]
    assert len(logged) == 1, rows
    assert re.fullmatch(
        r"(\[[^]]+\] )?INFO +mailbox op-ghost failed: MailboxNotFoundError: "
        r"no mailbox has this address; caused by ErrorNonExistentMailbox: "
        r"The SMTP address has no mailbox associated with it\.",
        logged[0],
    ), logged


def _read_all(descriptor: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(descriptor, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(descriptor)
    return b"".join(chunks).decode("utf-8", "replace")
