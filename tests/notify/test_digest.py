"""Emails for many mailboxes: one digest per run, not one email per mailbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from exsync.failures import CATALOGUE
from exsync.notify import record_outcome, send_due_emails

from .conftest import make_config

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
DOWN = (CATALOGUE["exchange-unreachable"], "connection refused by 127.0.0.1:8443")
GONE = (CATALOGUE["mailbox-not-found"], "MailboxNotFoundError: no mailbox")


def _add_operators(db, count: int) -> list[str]:
    addresses = [f"sales{n:03d}@example.com" for n in range(count)]
    db["operators"].insert_all(
        {"id": f"op-{a}", "name": "", "email": a, "email_key": a} for a in addresses
    )
    return addresses


def _fail(db, addresses, failure, *minutes: int) -> None:
    for minute in minutes:
        for address in addresses:
            record_outcome(db, f"op-{address}", failure, T0 + timedelta(minutes=minute))


def _recover(db, addresses, minute: int) -> None:
    for address in addresses:
        record_outcome(db, f"op-{address}", None, T0 + timedelta(minutes=minute))


def test_send_due_emails_many_failing_mailboxes_send_one_message(
    db, smtp_server, mailbag
):
    addresses = _add_operators(db, 200)
    _fail(db, addresses, DOWN, 0, 30)

    report = send_due_emails(db, make_config(smtp_server), T0 + timedelta(minutes=30))

    assert (report.sent, report.failed, report.mailboxes) == (1, 0, 200)
    [message] = mailbag.messages
    assert message["Subject"] == (
        "exsync: 200 mailboxes failing: Exchange could not be reached"
    )
    body = message.get_content()
    assert all(f"<{a}>" in body or f"{a} " in body for a in addresses)
    assert body.count("connection refused by 127.0.0.1:8443") == 1
    assert body.count(CATALOGUE["exchange-unreachable"].advice[:40]) == 1


def test_send_due_emails_digest_groups_mailboxes_by_failure_code(
    db, smtp_server, mailbag
):
    down, gone = _add_operators(db, 3)[:2], ["sales002@example.com"]
    _fail(db, down, DOWN, 0, 30)
    _fail(db, gone, GONE, 0, 30)

    send_due_emails(db, make_config(smtp_server), T0 + timedelta(minutes=30))

    [message] = mailbag.messages
    assert message["Subject"] == (
        "exsync: 3 mailboxes failing: Exchange could not be reached (2), "
        "Exchange has no mailbox with this address (1)"
    )
    body = message.get_content()
    unreachable = body.index("[exchange-unreachable]")
    not_found = body.index("[mailbox-not-found]")
    assert unreachable < body.index("sales000@example.com") < not_found
    assert not_found < body.index("sales002@example.com")
    assert "primary SMTP address" in body[not_found:]


def test_send_due_emails_many_recoveries_send_one_message(db, smtp_server, mailbag):
    addresses = _add_operators(db, 50)
    config = make_config(smtp_server)
    _fail(db, addresses, DOWN, 0, 30)
    send_due_emails(db, config, T0 + timedelta(minutes=30))
    _recover(db, addresses, 45)

    report = send_due_emails(db, config, T0 + timedelta(minutes=45))

    assert (report.sent, report.mailboxes) == (1, 50)
    recovery = mailbag.messages[1]
    assert recovery["Subject"] == "exsync: 50 mailboxes syncing again"
    assert all(a in recovery.get_content() for a in addresses)
    assert len(mailbag.messages) == 2


def test_send_due_emails_failures_and_recoveries_due_together_send_two_messages(
    db, smtp_server, mailbag
):
    first, second = _add_operators(db, 2)
    config = make_config(smtp_server)
    _fail(db, [first], DOWN, 0, 30)
    send_due_emails(db, config, T0 + timedelta(minutes=30))
    _recover(db, [first], 60)
    _fail(db, [second], GONE, 30, 60)

    report = send_due_emails(db, config, T0 + timedelta(minutes=60))

    assert report.sent == 2
    assert [m["Subject"] for m in mailbag.messages[1:]] == [
        "exsync: contact sync failing for sales001@example.com: "
        "Exchange has no mailbox with this address",
        "exsync: contact sync working again for sales000@example.com",
    ]


def test_send_due_emails_mailbox_failing_again_after_recovery_is_new_incident(
    db, smtp_server, mailbag
):
    [address] = _add_operators(db, 1)
    config = make_config(smtp_server)
    _fail(db, [address], DOWN, 0, 30)
    send_due_emails(db, config, T0 + timedelta(minutes=30))
    _recover(db, [address], 45)
    send_due_emails(db, config, T0 + timedelta(minutes=45))
    _fail(db, [address], GONE, 60, 90)

    report = send_due_emails(db, config, T0 + timedelta(minutes=90))

    assert report.sent == 1
    assert [m["Subject"].split(":")[1] for m in mailbag.messages] == [
        " contact sync failing for sales000@example.com",
        " contact sync working again for sales000@example.com",
        " contact sync failing for sales000@example.com",
    ]
    assert "[mailbox-not-found]" in mailbag.messages[2].get_content()


def test_send_due_emails_digest_refused_marks_no_mailbox_sent(db, smtp_server, mailbag):
    addresses = _add_operators(db, 5)
    _fail(db, addresses, DOWN, 0, 30)
    mailbag.reply = "552 5.3.4 Message too big"

    report = send_due_emails(db, make_config(smtp_server), T0 + timedelta(minutes=30))

    assert (report.sent, report.failed) == (0, 1)
    unsent = db.execute("SELECT COUNT(*) FROM failures WHERE emailed_at IS NULL")
    assert unsent.fetchone()[0] == 5
