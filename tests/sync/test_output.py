"""What ``exsync sync`` shows: cron lines, the terminal table, progress, retries."""

from __future__ import annotations

import io
import logging
import re
import socket
import subprocess
import sys

import requests
from exchangelib import errors as ews_errors
from rich.console import Console

from exsync.cli import sync as sync_command
from exsync.exchange.transport import call_with_retry
from exsync.logsetup import setup_logging
from exsync.report import MailboxReport, RunReport
from exsync.store.operators import upsert_operator

from .conftest import ALICE, BOB, contact
from .procs import exsync_env, write_test_config

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}"
LONG_MAILBOX = "alexandra.konstantinou@example.com"


def run_like_cron(config_path, *args: str) -> tuple[int, str]:
    """``exsync sync ARGS < /dev/null > out.log 2>&1``: one file, no terminal."""
    command = [sys.executable, "-m", "exsync", "sync", "--config", str(config_path)]
    result = subprocess.run(
        [*command, *args],
        env=exsync_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
    )
    return result.returncode, result.stdout


def without_stamp(lines: list[str]) -> list[str]:
    assert all(re.match(STAMP + " ", line) for line in lines), lines
    return [line.split(" ", 1)[1] for line in lines]


def test_sync_quiet_under_cron_prints_one_line_per_failed_mailbox(
    emulator, config, db, tmp_path
):
    upsert_operator(db, email="ghost@example.com", operator_id="op-ghost")
    path = write_test_config(config, tmp_path)

    code, output = run_like_cron(path, "--quiet")

    assert code == 1
    (line,) = without_stamp(output.splitlines())
    assert line.startswith("mailbox ghost@example.com failed [mailbox-not-found]: ")
    assert "no mailbox has this address" in line
    assert "\x1b[" not in output


def test_sync_under_cron_prints_a_line_per_mailbox_and_a_summary(
    emulator, config, db, tmp_path
):
    emulator.owner(ALICE).create_contact(contact("Ann Lee", email="ann@x.example"))
    upsert_operator(db, email="ghost@example.com", operator_id="op-ghost")
    path = write_test_config(config, tmp_path)

    code, output = run_like_cron(path)

    assert code == 1
    lines = without_stamp(output.splitlines())
    assert len(lines) == 4, lines
    assert sorted(line.split(" ")[1] for line in lines[:3]) == [
        ALICE,
        BOB,
        "ghost@example.com",
    ]
    assert re.fullmatch(
        rf"mailbox {ALICE} ok: 1 page, created=1 updated=0 linked=0 deleted=0 "
        r"unlinked=0 ambiguous=0 in \d+\.\ds",
        next(line for line in lines if ALICE in line),
    )
    assert lines[3].startswith("summary: mailboxes ok=2 failed=1 ")
    assert "ann@x.example" not in output and "Ann Lee" not in output


def sample_report() -> RunReport:
    report = RunReport()
    ok = MailboxReport("op-a", LONG_MAILBOX)
    ok.counters.update(created=1234, updated=56, unchanged=100000)
    ok.finish("ok")
    denied = MailboxReport("op-b", "bartholomew.ng@example.com")
    denied.fail("impersonation-denied", "the service account may not impersonate")
    down = MailboxReport("op-c", "carol@example.com")
    down.fail("exchange-unreachable", "connection refused by 127.0.0.1:8443")
    report.mailboxes = [ok, denied, down, MailboxReport("op-d", "dan@example.com")]
    return report


def render_table(report: RunReport, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    sync_command.print_summary(console, report)
    return console.file.getvalue()


def test_summary_table_at_80_columns_keeps_mailboxes_and_codes_whole():
    text = render_table(sample_report(), 80)

    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text
    for mailbox in sample_report().mailboxes:
        assert mailbox.email in text
    for code in ("impersonation-denied", "exchange-unreachable", "not-started"):
        assert code in text
    header = next(line for line in text.splitlines() if "mailbox" in line)
    assert header.split() == ["mailbox", "result", "new", "upd", "del", "amb"]
    assert "connection refused by 127.0.0.1:8443" in text


def test_summary_table_at_120_columns_shows_every_counter():
    text = render_table(sample_report(), 120)

    assert max(len(line) for line in text.splitlines()) <= 120
    assert "…" not in text
    header = next(line for line in text.splitlines() if "mailbox" in line)
    assert header.split() == [
        "mailbox",
        "result",
        *("new", "upd", "link", "del", "unlink", "skip", "amb", "same", "secs"),
    ]
    assert re.search(rf"{LONG_MAILBOX} +ok +1234 +56 +0 +0 +0 +0 +0 +100000 ", text)


def test_summary_table_folds_a_mailbox_too_long_for_the_line():
    report = RunReport()
    mailbox = MailboxReport("op-a", "x" * 70 + "@example.com")
    mailbox.finish("ok")
    report.mailboxes = [mailbox]

    text = render_table(report, 80)

    assert "…" not in text
    assert "".join(re.findall(r"[x@a-z.]{5,}", text)).count("x" * 70) == 1


def test_progress_status_of_one_page_is_singular():
    mailbox = MailboxReport("op-a", ALICE)
    mailbox.pages = 1

    assert sync_command.progress_status(mailbox) == (
        "1 page, created=0 updated=0 linked=0 deleted=0 unlinked=0 ambiguous=0"
    )


def test_progress_status_of_two_pages_is_plural():
    mailbox = MailboxReport("op-a", ALICE)
    mailbox.pages = 2

    assert sync_command.progress_status(mailbox).startswith("2 pages, ")


def test_progress_on_a_terminal_shares_the_log_handler_console():
    handler = setup_logging(1, terminal=True)
    try:
        assert sync_command.progress_console() is handler.console
    finally:
        logging.getLogger().removeHandler(handler)


def test_progress_under_plain_logging_uses_its_own_console():
    handler = setup_logging(1, terminal=False)
    try:
        assert isinstance(sync_command.progress_console(), Console)
    finally:
        logging.getLogger().removeHandler(handler)


def _refused_like_exchangelib(port: int):
    # What exchangelib raises for a refused connection: ErrorTimeoutExpired
    # inside its except block, re-wrapped as ErrorServerBusy by the service.
    try:
        try:
            requests.post(f"http://127.0.0.1:{port}/EWS/Exchange.asmx", timeout=5)
        except requests.exceptions.ConnectionError as error:
            raise ews_errors.ErrorTimeoutExpired(  # noqa: B904 - as exchangelib does
                f"Reraised from {error.__class__.__name__}({error})"
            )
    except ews_errors.ErrorTimeoutExpired as error:
        raise ews_errors.ErrorServerBusy(  # noqa: B904 - as exchangelib does
            f"Reraised from {error.__class__.__name__}({error})", back_off=1
        )


def test_call_with_retry_logs_the_root_cause_in_one_short_line(caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    attempts = []

    def request():
        attempts.append(1)
        if len(attempts) == 1:
            _refused_like_exchangelib(port)
        return "answer"

    caplog.set_level(logging.INFO, logger="exsync.exchange.transport")
    assert call_with_retry(request, deadline=None) == "answer"

    assert [r.getMessage() for r in caplog.records] == [
        f"retrying in 0.2 s: connection refused by 127.0.0.1:{port}"
    ]
