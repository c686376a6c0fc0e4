"""Each error of the EWS error matrix, end to end through ``exsync sync``.

Every failure must be recorded in the store with its catalogue code, make
the run exit with the documented code, and after the notification
frequency produce one failure email (and one recovery email) over SMTP.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller

from exsync.cli import cli
from exsync.config import NotificationSettings, SmtpSettings, write_config
from exsync.failures import CATALOGUE
from exsync.lock import lock_path, run_lock
from exsync.notify import record_outcome
from exsync.store.operators import upsert_operator
from exsync.sync import run_sync
from tests.notify.conftest import Mailbag, free_port
from tests.sync.conftest import ALICE, BOB, contact


def _sync(runner, config, tmp_path, *options):
    path = write_config(config, tmp_path / "config.toml")
    return runner.invoke(cli, ["--config", str(path), "sync", *options])


def _open_failures(db) -> dict[str, str]:
    rows = db.execute(
        "SELECT operator_id, code FROM failures WHERE resolved_at IS NULL"
    ).fetchall()
    return dict(rows)


@pytest.fixture
def seeded(emulator):
    emulator.owner(ALICE).create_contact(contact("Ann Lee"))
    emulator.owner(BOB).create_contact(contact("Ben Ito"))
    return emulator


def test_sync_wrong_password_records_auth_failed_and_exits_4(
    runner, config, db, tmp_path, monkeypatch
):
    monkeypatch.setenv("EXSYNC_TEST_EWS_PASSWORD", "not-the-password")

    result = _sync(runner, config, tmp_path)

    assert _open_failures(db) == {"op-alice": "auth-failed", "op-bob": "auth-failed"}
    assert result.exit_code == 4, result.output
    assert "not-the-password" not in result.output + result.stderr
    assert "not-the-password" not in json.dumps(list(db["failures"].rows))


def test_sync_http_401_records_auth_failed_and_exits_4(
    runner, seeded, config, db, tmp_path
):
    seeded.faults.http_status(401, count=None)

    result = _sync(runner, config, tmp_path)

    assert set(_open_failures(db).values()) == {"auth-failed"}
    assert result.exit_code == 4, result.output


def test_sync_without_impersonation_right_records_it_and_exits_4(
    runner, seeded, config, db, tmp_path
):
    config = replace(
        config, exchange=replace(config.exchange, username="no-rights@example.com")
    )

    result = _sync(runner, config, tmp_path)

    assert _open_failures(db) == {
        "op-alice": "impersonation-denied",
        "op-bob": "impersonation-denied",
    }
    assert result.exit_code == 4, result.output


def test_sync_missing_mailbox_records_it_and_others_still_sync(
    runner, seeded, config, db, tmp_path
):
    upsert_operator(db, email="gone@example.com", operator_id="op-gone")

    result = _sync(runner, config, tmp_path)

    assert result.exit_code == 1, result.output
    assert _open_failures(db) == {"op-gone": "mailbox-not-found"}
    names = [r[0] for r in db.execute("SELECT display_name FROM crm_contacts")]
    assert sorted(names) == ["Ann Lee", "Ben Ito"]


def test_sync_exchange_down_records_unreachable_and_exits_5(
    runner, config, db, tmp_path
):
    url = f"http://127.0.0.1:{free_port()}/EWS/Exchange.asmx"
    config = replace(config, exchange=replace(config.exchange, url=url))

    result = _sync(runner, config, tmp_path)

    assert set(_open_failures(db).values()) == {"exchange-unreachable"}
    assert result.exit_code == 5, result.output


def test_sync_https_to_a_plain_http_server_records_tls_failure(
    runner, seeded, config, db, tmp_path
):
    url = seeded.url.replace("http://", "https://")
    config = replace(config, exchange=replace(config.exchange, url=url))

    result = _sync(runner, config, tmp_path)

    assert set(_open_failures(db).values()) == {"tls-failure"}
    assert result.exit_code == 5, result.output


def test_sync_every_connection_dropped_records_unreachable_and_exits_5(
    runner, seeded, config, db, tmp_path
):
    seeded.faults.drop_connection(count=None)

    result = _sync(runner, config, tmp_path)

    assert set(_open_failures(db).values()) == {"exchange-unreachable"}
    assert result.exit_code == 5, result.output


def test_sync_one_dropped_connection_is_retried_without_failure(
    runner, seeded, config, db, tmp_path
):
    seeded.faults.drop_connection(count=1)

    result = _sync(runner, config, tmp_path)

    assert result.exit_code == 0, result.output
    assert _open_failures(db) == {}


def test_sync_server_too_slow_records_unreachable(seeded, config, db):
    seeded.faults.latency(seconds=3)
    config = replace(config, exchange=replace(config.exchange, timeout_seconds=1))

    # The deadline only has to outlast the reconnect waits (about 8 s here);
    # a tight one could pass during start-up on a loaded machine, and a
    # mailbox that never started records no failure at all.
    report = run_sync(config, operator=ALICE, deadline=time.monotonic() + 60)

    assert report.mailboxes[0].outcome == "failed"
    assert _open_failures(db) == {"op-alice": "exchange-unreachable"}
    assert report.exit_code == 5


def test_sync_server_busy_beyond_the_slot_records_throttled_and_exits_1(
    runner, seeded, config, db, tmp_path
):
    seeded.faults.server_busy(back_off_ms=3_600_000, count=None)

    result = _sync(runner, config, tmp_path)

    assert result.exit_code == 1, result.output
    assert set(_open_failures(db).values()) == {"throttled"}


def test_sync_server_busy_response_code_records_throttled(seeded, config, db):
    # As a response code, exchangelib drops the BackOffMilliseconds, so the
    # engine tries a few short waits of its own (about 10 s) and gives up. A
    # tight deadline could pass during start-up on a loaded machine.
    seeded.faults.server_busy(back_off_ms=3_600_000, count=None, as_fault=False)

    report = run_sync(config, deadline=time.monotonic() + 60)

    assert set(_open_failures(db).values()) == {"throttled"}
    assert report.exit_code == 1


def test_sync_http_503_retry_after_beyond_the_slot_records_throttled(
    runner, seeded, config, db, tmp_path
):
    seeded.faults.http_status(503, retry_after=3600, count=None)

    result = _sync(runner, config, tmp_path)

    assert result.exit_code == 1, result.output
    assert set(_open_failures(db).values()) == {"throttled"}


def test_sync_http_503_with_short_retry_after_recovers(
    runner, seeded, config, db, tmp_path
):
    seeded.faults.http_status(503, retry_after=1, count=1)

    result = _sync(runner, config, tmp_path)

    assert result.exit_code == 0, result.output
    assert _open_failures(db) == {}


def test_sync_json_summary_names_the_catalogue_code(
    runner, seeded, config, db, tmp_path
):
    upsert_operator(db, email="gone@example.com", operator_id="op-gone")

    result = _sync(runner, config, tmp_path, "--json")

    results = {r["email"]: r for r in json.loads(result.stdout)["results"]}
    assert results["gone@example.com"]["failure"] == "mailbox-not-found"
    assert results[ALICE]["failure"] is None


def test_sync_failing_then_fixed_resolves_the_incident(
    runner, seeded, config, db, tmp_path
):
    rule = seeded.faults.http_status(401, count=None)
    _sync(runner, config, tmp_path)
    rule.remove()

    result = _sync(runner, config, tmp_path)

    assert result.exit_code == 0, result.output
    assert _open_failures(db) == {}
    resolved = db.execute(
        "SELECT count(*) FROM failures WHERE resolved_at IS NOT NULL"
    ).fetchone()[0]
    assert resolved == 2


def test_sync_as_real_process_reports_the_code_on_its_output(
    seeded, config, db, tmp_path
):
    upsert_operator(db, email="gone@example.com", operator_id="op-gone")
    path = write_config(config, tmp_path / "config.toml")

    finished = subprocess.run(
        [sys.executable, "-m", "exsync", "--config", str(path), "sync"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )

    assert finished.returncode == 1, finished.stderr
    [line] = [x for x in finished.stdout.splitlines() if "gone@example.com" in x]
    assert "failed" in line and "[mailbox-not-found]" in line
    # The stdout line is the report; no log record repeats it.
    assert "op-gone" not in finished.stderr
    assert _open_failures(db) == {"op-gone": "mailbox-not-found"}


@pytest.fixture
def mailbag():
    bag = Mailbag()
    controller = Controller(bag, hostname="127.0.0.1", port=free_port())
    controller.start()
    bag.port = controller.port
    yield bag
    controller.stop()


def _emailing(config, mailbag):
    return replace(
        config,
        notifications=NotificationSettings(
            frequency_minutes=1, failure_recipients=("admin@example.com",)
        ),
        smtp=SmtpSettings(
            host="127.0.0.1", port=mailbag.port, sender="exsync@example.com"
        ),
    )


def test_sync_failing_mailbox_sends_one_failure_and_one_recovery_email(
    runner, seeded, config, db, tmp_path, mailbag
):
    config = _emailing(config, mailbag)
    upsert_operator(db, email="gone@example.com", operator_id="op-gone")
    # The incident began before the notification frequency (1 minute), as
    # if earlier cron runs had failed too; no sleeping.
    failure = (CATALOGUE["mailbox-not-found"], "MailboxNotFoundError: gone")
    record_outcome(db, "op-gone", failure, datetime.now(UTC) - timedelta(minutes=2))

    for _ in range(3):
        _sync(runner, config, tmp_path)
    seeded.add_mailbox("gone@example.com")
    for _ in range(2):
        _sync(runner, config, tmp_path)

    subjects = [m["Subject"] for m in mailbag.messages]
    assert subjects == [
        "exsync: contact sync failing for gone@example.com: "
        "Exchange has no mailbox with this address",
        "exsync: contact sync working again for gone@example.com",
    ]
    assert "primary SMTP address" in mailbag.messages[0].get_content()


def test_sync_locked_out_run_sends_no_due_email(
    runner, seeded, config, db, tmp_path, mailbag
):
    config = _emailing(config, mailbag)
    upsert_operator(db, email="gone@example.com", operator_id="op-gone")
    failure = (CATALOGUE["mailbox-not-found"], "MailboxNotFoundError: gone")
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    record_outcome(db, "op-gone", failure, long_ago)
    record_outcome(db, "op-gone", failure, long_ago + timedelta(minutes=15))

    with run_lock(lock_path(config.store.path)):
        locked = _sync(runner, config, tmp_path)
    assert (locked.exit_code, mailbag.messages) == (7, [])

    _sync(runner, config, tmp_path)
    assert len(mailbag.messages) == 1


def test_sync_dry_run_records_no_failure_and_sends_nothing(
    runner, seeded, config, db, tmp_path, mailbag
):
    config = _emailing(config, mailbag)
    upsert_operator(db, email="gone@example.com", operator_id="op-gone")

    for _ in range(2):
        result = _sync(runner, config, tmp_path, "--dry-run")

    assert result.exit_code == 1, result.output
    assert _open_failures(db) == {}
    assert mailbag.messages == []
