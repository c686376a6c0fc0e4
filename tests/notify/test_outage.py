"""An Exchange outage end to end: real `exsync sync` runs, real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from exsync.cli import cli
from exsync.emulator import Emulator, Seed
from exsync.failures import CATALOGUE
from exsync.notify import record_outcome
from exsync.store import open_store
from tests.cli.emulated import PASSWORD, PASSWORD_ENV, SERVICE_ACCOUNT, build_site

from .conftest import free_port

EARLIER = (CATALOGUE["exchange-unreachable"], "connection refused by 127.0.0.1:1")
MAILBOXES = ("ann@example.com", "ben@example.com", "cem@example.com")


def _seed() -> Seed:
    return Seed(
        accounts=[
            {"username": SERVICE_ACCOUNT, "password": PASSWORD, "impersonation": True}
        ],
        mailboxes=[{"address": a, "contacts": []} for a in MAILBOXES],
    )


@pytest.mark.slow
def test_sync_exchange_outage_sends_one_failure_and_one_recovery_email(
    runner, tmp_path, smtp_server, mailbag, monkeypatch
):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    emulator = Emulator(_seed(), port=free_port())  # not started: Exchange is down
    site = build_site(tmp_path, emulator, operators=MAILBOXES)
    site.rewrite(
        "notifications", frequency_minutes=1, failure_recipients=("a@example.com",)
    )
    site.rewrite("smtp", host="127.0.0.1", port=smtp_server, sender="x@example.com")
    sync = site.args("sync")
    # The run before, two minutes (a frequency and more) ago, failed too.
    db = open_store(site.config.store.path)
    for operator in db["operators"].rows:
        record_outcome(
            db, operator["id"], EARLIER, datetime.now(UTC) - timedelta(minutes=2)
        )
    db.close()

    failing = runner.invoke(cli, sync)
    emulator.start()
    try:
        recovered = runner.invoke(cli, sync)
    finally:
        emulator.stop()

    assert (failing.exit_code, recovered.exit_code) == (5, 0), failing.output
    failure, recovery = mailbag.messages
    endpoint = urlsplit(emulator.url).netloc
    assert failure["Subject"] == (
        "exsync: 3 mailboxes failing: Exchange could not be reached"
    )
    body = failure.get_content()
    assert all(address in body for address in MAILBOXES)
    assert f"Detail:  connection refused by {endpoint}" in body.splitlines()
    assert recovery["Subject"] == "exsync: 3 mailboxes syncing again"
    assert all(address in recovery.get_content() for address in MAILBOXES)
