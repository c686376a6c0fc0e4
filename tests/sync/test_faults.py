"""Throttling, errors and failing mailboxes, against the emulator's faults."""

from __future__ import annotations

import socket
import time
from dataclasses import replace

from exsync.store.operators import upsert_operator
from exsync.sync import run_sync

from .conftest import ALICE, BOB, contact, crm_rows


def test_run_sync_server_busy_is_waited_out(emulator, config, db):
    emulator.owner(ALICE).create_contact(contact("Ann Lee"))
    emulator.faults.server_busy(back_off_ms=400, count=1, operation="SyncFolderItems")
    started = time.monotonic()

    report = run_sync(config, operator=ALICE)

    assert report.exit_code == 0
    assert time.monotonic() - started >= 0.4
    assert len(crm_rows(db)) == 1


def test_run_sync_back_off_past_the_slot_fails_throttled_at_once(emulator, config, db):
    emulator.faults.server_busy(back_off_ms=600_000, count=None)
    started = time.monotonic()

    report = run_sync(config, deadline=time.monotonic() + 30)

    assert time.monotonic() - started < 10
    assert {m.failure_code for m in report.mailboxes} == {"throttled"}
    assert report.exit_code == 1


def test_run_sync_http_503_honours_retry_after(emulator, config, db):
    emulator.faults.http_status(503, retry_after=1, count=1)
    started = time.monotonic()

    report = run_sync(config, operator=ALICE)

    assert report.exit_code == 0
    assert time.monotonic() - started >= 1


def test_run_sync_dropped_connection_is_retried(emulator, config, db):
    emulator.owner(ALICE).create_contact(contact("Ann Lee"))
    emulator.faults.drop_connection(count=1)

    report = run_sync(config, operator=ALICE)

    assert report.exit_code == 0
    assert len(crm_rows(db)) == 1


def test_run_sync_unknown_mailbox_fails_alone(emulator, config, db):
    upsert_operator(db, email="ghost@example.com", operator_id="op-ghost")
    emulator.owner(BOB).create_contact(contact("Ann Lee"))

    report = run_sync(config)

    outcomes = {m.email: (m.outcome, m.failure_code) for m in report.mailboxes}
    assert outcomes["ghost@example.com"] == ("failed", "mailbox-not-found")
    assert outcomes[BOB] == ("ok", None)
    assert len(crm_rows(db, "op-bob")) == 1
    assert report.exit_code == 1


def test_run_sync_wrong_password_fails_auth(emulator, config, db, monkeypatch):
    monkeypatch.setenv("EXSYNC_TEST_EWS_PASSWORD", "wrong")

    report = run_sync(config)

    assert {m.failure_code for m in report.mailboxes} == {"auth-failed"}


def test_run_sync_without_impersonation_right_fails(emulator, config, db):
    config = replace(
        config, exchange=replace(config.exchange, username="no-rights@example.com")
    )

    report = run_sync(config, operator=ALICE)

    assert report.mailboxes[0].failure_code == "impersonation-denied"


def test_run_sync_failure_is_recorded_as_an_incident(emulator, config, db):
    upsert_operator(db, email="ghost@example.com", operator_id="op-ghost")

    run_sync(config)

    rows = db.execute("SELECT operator_id, code FROM failures").fetchall()
    assert rows == [("op-ghost", "mailbox-not-found")]


def test_run_sync_closed_port_fails_unreachable_after_few_retries(config, db):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/EWS/Exchange.asmx"
    config = replace(config, exchange=replace(config.exchange, url=url))
    started = time.monotonic()

    report = run_sync(config, operator=ALICE)

    assert report.mailboxes[0].failure_code == "exchange-unreachable"
    assert time.monotonic() - started < 15


def test_run_sync_tls_to_a_plain_server_fails_tls(emulator, config, db):
    url = emulator.url.replace("http://", "https://")
    config = replace(config, exchange=replace(config.exchange, url=url))

    report = run_sync(config, operator=ALICE)

    assert report.mailboxes[0].failure_code == "tls-failure"
