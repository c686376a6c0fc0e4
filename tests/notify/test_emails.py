"""send_due_emails against a real SMTP server on loopback."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from exsync.failures import CATALOGUE
from exsync.notify import record_outcome, send_due_emails

from .conftest import (
    OPERATOR_ID,
    SMTP_PASSWORD,
    free_port,
    login_settings,
    make_config,
)

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
BLOCKED = (
    CATALOGUE["impersonation-denied"],
    "ErrorImpersonateUserDenied: The account does not have permission",
)


def _fail(db, *minutes: int) -> None:
    for minute in minutes:
        record_outcome(db, OPERATOR_ID, BLOCKED, T0 + timedelta(minutes=minute))


def _incident(db) -> dict:
    return next(db["failures"].rows_where(order_by="id desc", limit=1))


def test_send_due_emails_failing_shorter_than_frequency_sends_nothing(
    db, smtp_server, mailbag
):
    _fail(db, 0, 15)

    report = send_due_emails(db, make_config(smtp_server), T0 + timedelta(minutes=15))

    assert report.due == 0
    assert mailbag.messages == []


def test_send_due_emails_failing_for_frequency_sends_one_email(
    db, smtp_server, mailbag
):
    _fail(db, 0, 15, 30)

    report = send_due_emails(db, make_config(smtp_server), T0 + timedelta(minutes=30))

    assert (report.sent, report.failed) == (1, 0)
    [message] = mailbag.messages
    assert message["Subject"] == (
        "exsync: contact sync failing for alice@example.com: "
        "The service account may not impersonate this mailbox"
    )
    assert mailbag.envelopes == [
        ("exsync@example.com", ["admin@example.com", "ops@example.com"])
    ]


def test_send_due_emails_failure_email_names_mailbox_error_and_advice(
    db, smtp_server, mailbag
):
    _fail(db, 0, 30)

    send_due_emails(db, make_config(smtp_server), T0 + timedelta(minutes=30))

    body = mailbag.messages[0].get_content()
    assert "Alice Jürgens <alice@example.com> (operator op-1)" in body
    assert "[impersonation-denied]" in body
    assert "ErrorImpersonateUserDenied: The account does not have permission" in body
    assert "Since:   2026-12-04 09:00 UTC, 2 attempts" in body
    assert "ApplicationImpersonation" in body
    assert body.rstrip().endswith(f"store {make_config(1).store.path}")


def test_send_due_emails_failure_email_is_utf8(db, smtp_server, mailbag):
    _fail(db, 0, 30)

    send_due_emails(db, make_config(smtp_server), T0 + timedelta(minutes=30))

    message = mailbag.messages[0]
    assert message.get_content_charset() == "utf-8"
    assert "Jürgens" in message.get_content()


def test_send_due_emails_cron_started_late_still_sends_at_frequency(
    db, smtp_server, mailbag
):
    record_outcome(db, OPERATOR_ID, BLOCKED, T0 + timedelta(seconds=40))
    record_outcome(db, OPERATOR_ID, BLOCKED, T0 + timedelta(minutes=30, seconds=5))

    report = send_due_emails(
        db, make_config(smtp_server), T0 + timedelta(minutes=30, seconds=10)
    )

    assert report.sent == 1


def test_send_due_emails_single_attempt_long_ago_waits_for_a_retry(
    db, smtp_server, mailbag
):
    _fail(db, 0)

    report = send_due_emails(db, make_config(smtp_server), T0 + timedelta(hours=5))

    assert report.due == 0
    assert mailbag.messages == []


def test_send_due_emails_second_call_sends_no_second_failure_email(
    db, smtp_server, mailbag
):
    _fail(db, 0, 30)
    config = make_config(smtp_server)
    send_due_emails(db, config, T0 + timedelta(minutes=30))
    _fail(db, 45, 60)

    report = send_due_emails(db, config, T0 + timedelta(minutes=60))

    assert report.due == 0
    assert len(mailbag.messages) == 1
    assert _incident(db)["emailed_at"] == "2026-12-04T09:30:00.000Z"


def test_send_due_emails_recovery_after_failure_email_sends_one_recovery(
    db, smtp_server, mailbag
):
    _fail(db, 0, 30)
    config = make_config(smtp_server)
    send_due_emails(db, config, T0 + timedelta(minutes=30))
    record_outcome(db, OPERATOR_ID, None, T0 + timedelta(minutes=45))

    first = send_due_emails(db, config, T0 + timedelta(minutes=45))
    second = send_due_emails(db, config, T0 + timedelta(minutes=60))

    assert (first.sent, second.due) == (1, 0)
    recovery = mailbag.messages[1]
    assert recovery["Subject"] == (
        "exsync: contact sync working again for alice@example.com"
    )
    assert "Recovered: 2026-12-04 09:45 UTC" in recovery.get_content()


def test_send_due_emails_recovery_without_failure_email_sends_nothing(
    db, smtp_server, mailbag
):
    _fail(db, 0, 15)
    record_outcome(db, OPERATOR_ID, None, T0 + timedelta(minutes=20))

    report = send_due_emails(db, make_config(smtp_server), T0 + timedelta(hours=1))

    assert report.due == 0
    assert mailbag.messages == []


def test_send_due_emails_server_down_logs_and_keeps_email_due(db, caplog):
    _fail(db, 0, 30)
    caplog.set_level(logging.ERROR, logger="exsync.notify")

    report = send_due_emails(db, make_config(free_port()), T0 + timedelta(minutes=30))

    assert (report.sent, report.failed) == (0, 1)
    assert _incident(db)["emailed_at"] is None
    assert "trying again next run" in caplog.text


def test_send_due_emails_after_server_came_back_sends_the_pending_email(
    db, smtp_server, mailbag
):
    _fail(db, 0, 30)
    send_due_emails(db, make_config(free_port()), T0 + timedelta(minutes=30))

    report = send_due_emails(db, make_config(smtp_server), T0 + timedelta(minutes=45))

    assert report.sent == 1
    assert len(mailbag.messages) == 1


def test_send_due_emails_server_rejecting_message_keeps_email_due(
    db, smtp_server, mailbag
):
    _fail(db, 0, 30)
    mailbag.reply = "554 5.7.1 Message refused"

    report = send_due_emails(db, make_config(smtp_server), T0 + timedelta(minutes=30))

    assert report.failed == 1
    assert report.errors == ["SMTPDataError: 554 5.7.1 Message refused"]
    assert _incident(db)["emailed_at"] is None


def test_send_due_emails_without_recipients_marks_nothing(db, smtp_server, mailbag):
    _fail(db, 0, 30)
    config = make_config(smtp_server)
    config = type(config)(
        exchange=config.exchange, smtp=config.smtp, store=config.store
    )

    report = send_due_emails(db, config, T0 + timedelta(minutes=30))

    assert report.not_configured == 1
    assert mailbag.messages == []
    assert _incident(db)["emailed_at"] is None


def test_send_due_emails_starttls_with_login_delivers(
    db, starttls_server, mailbag, tls, monkeypatch
):
    # The throwaway CA is trusted the way an administrator trusts a private
    # one: through the trust store OpenSSL reads, not by turning checks off.
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_file))
    monkeypatch.setenv("EXSYNC_TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    _fail(db, 0, 30)

    report = send_due_emails(
        db, make_config(starttls_server, **login_settings()), T0 + timedelta(minutes=30)
    )

    assert report.sent == 1
    assert mailbag.logins == [(b"mailer", SMTP_PASSWORD.encode())]
    assert len(mailbag.messages) == 1


def test_send_due_emails_starttls_untrusted_certificate_is_refused(
    db, starttls_server, mailbag, monkeypatch
):
    monkeypatch.setenv("EXSYNC_TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    _fail(db, 0, 30)

    report = send_due_emails(
        db, make_config(starttls_server, **login_settings()), T0 + timedelta(minutes=30)
    )

    assert report.failed == 1
    assert "CERTIFICATE_VERIFY_FAILED" in report.errors[0]
    assert mailbag.logins == []


def test_send_due_emails_unreadable_smtp_password_keeps_email_due(
    db, starttls_server, mailbag, tls, monkeypatch
):
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_file))
    monkeypatch.delenv("EXSYNC_TEST_SMTP_PASSWORD", raising=False)
    _fail(db, 0, 30)

    report = send_due_emails(
        db, make_config(starttls_server, **login_settings()), T0 + timedelta(minutes=30)
    )

    assert report.failed == 1
    assert "EXSYNC_TEST_SMTP_PASSWORD is not set" in report.errors[0]
    assert _incident(db)["emailed_at"] is None


def test_send_due_emails_wrong_smtp_password_is_not_logged(
    db, starttls_server, mailbag, tls, monkeypatch, caplog
):
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_file))
    monkeypatch.setenv("EXSYNC_TEST_SMTP_PASSWORD", "wrong-Hunter2")
    caplog.set_level(logging.DEBUG)
    _fail(db, 0, 30)

    report = send_due_emails(
        db, make_config(starttls_server, **login_settings()), T0 + timedelta(minutes=30)
    )

    assert report.failed == 1
    assert report.errors[0].startswith("SMTPAuthenticationError: 535")
    assert "wrong-Hunter2" not in caplog.text + report.errors[0]


def test_send_due_emails_login_without_starttls_to_remote_host_is_refused(
    db, monkeypatch
):
    monkeypatch.setenv("EXSYNC_TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    config = make_config(25, **{**login_settings(), "starttls": False})
    config = replace(config, smtp=replace(config.smtp, host="mail.example.com"))
    _fail(db, 0, 30)

    report = send_due_emails(db, config, T0 + timedelta(minutes=30))

    assert report.failed == 1
    assert "without encryption" in report.errors[0]


def _due_after(db, smtp_server, frequency: int, elapsed: timedelta) -> int:
    config = make_config(smtp_server)
    config = replace(
        config,
        notifications=replace(config.notifications, frequency_minutes=frequency),
    )
    record_outcome(db, OPERATOR_ID, BLOCKED, T0)
    record_outcome(db, OPERATOR_ID, BLOCKED, T0 + elapsed)
    return send_due_emails(db, config, T0 + elapsed).due


def test_send_due_emails_frequency_1_at_50_seconds_is_not_due(db, smtp_server):
    assert _due_after(db, smtp_server, 1, timedelta(seconds=50)) == 0


def test_send_due_emails_frequency_1_at_55_seconds_is_due(db, smtp_server):
    assert _due_after(db, smtp_server, 1, timedelta(seconds=55)) == 1


def test_send_due_emails_frequency_30_at_28_minutes_is_not_due(db, smtp_server):
    assert _due_after(db, smtp_server, 30, timedelta(minutes=28, seconds=59)) == 0


def test_send_due_emails_frequency_30_at_29_minutes_is_due(db, smtp_server):
    assert _due_after(db, smtp_server, 30, timedelta(minutes=29)) == 1
