"""Failure incidents, and the failure and recovery emails they lead to.

An incident is one row of the store's ``failures`` table: it opens when a
mailbox first fails, counts every further failed attempt, and is resolved
by the first attempt that works. Each operator has at most one open
incident (a unique index sees to it).

Emails go out at the end of a run, through :func:`send_due_emails`: one
failure email per incident once the mailbox has kept failing for the
notification frequency, and one recovery email when an incident that had
a failure email is resolved. An email is marked sent only after the SMTP
server accepted it, so a run that cannot reach the server leaves it for
the next run; it is never fatal to the sync.
"""

from __future__ import annotations

import base64
import ipaddress
import logging
import smtplib
import socket
import ssl
import textwrap
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid

from sqlite_utils import Database

from exsync.config import Config, SmtpSettings
from exsync.errors import CredentialError
from exsync.failures import CATALOGUE, FailureKind

logger = logging.getLogger(__name__)

# cron starts runs a few seconds late or early and runs last a varying
# time, so "failing for 30 minutes" measured across two runs 30 minutes
# apart can come out at 29 minutes and some seconds.
CRON_JITTER = timedelta(minutes=1)


@dataclass
class EmailReport:
    """What :func:`send_due_emails` did."""

    sent: int = 0
    failed: int = 0  # due, but the SMTP server did not take them: next run
    not_configured: int = 0  # due, but no failure recipients are set
    errors: list[str] = field(default_factory=list)

    @property
    def due(self) -> int:
        return self.sent + self.failed + self.not_configured


@dataclass(frozen=True)
class _Email:
    incident_id: int
    recovery: bool
    subject: str
    body: str

    @property
    def column(self) -> str:
        """The failures column that marks this email sent."""
        return "recovery_emailed_at" if self.recovery else "emailed_at"


def record_outcome(
    db: Database,
    operator_id: str,
    failure: tuple[FailureKind, str] | None,
    now: datetime,
) -> None:
    """Record one attempt at an operator's mailbox: a failure, or a success.

    A failure opens the operator's incident or adds an attempt to the open
    one (its code and detail become the latest); a success resolves the
    open incident. Raises :class:`sqlite3.Error` when the store fails.
    """
    stamp = format_stamp(now)
    with db.atomic():
        row = db.execute(
            "SELECT id FROM failures WHERE operator_id = ? AND resolved_at IS NULL",
            [operator_id],
        ).fetchone()
        if failure is None:
            if row is not None:
                db.execute(
                    "UPDATE failures SET resolved_at = ? WHERE id = ?", [stamp, row[0]]
                )
                logger.info("operator %s: the failure is resolved", operator_id)
            return
        kind, detail = failure
        if row is None:
            db.execute(
                "INSERT INTO failures (operator_id, code, message, first_failed_at, "
                "last_failed_at, attempts) VALUES (?, ?, ?, ?, ?, 1)",
                [operator_id, kind.code, detail, stamp, stamp],
            )
        else:
            db.execute(
                "UPDATE failures SET code = ?, message = ?, last_failed_at = ?, "
                "attempts = attempts + 1 WHERE id = ?",
                [kind.code, detail, stamp, row[0]],
            )


def send_due_emails(db: Database, config: Config, now: datetime) -> EmailReport:
    """Send the failure and recovery emails that are due, and mark them sent.

    Never raises for SMTP trouble: it is logged, counted in the report's
    ``failed``, and the emails stay due for the next run. Raises
    :class:`sqlite3.Error` only when the store fails.
    """
    report = EmailReport()
    emails = _due_emails(db, config, now)
    if not emails:
        return report

    recipients = config.notifications.failure_recipients
    if not recipients:
        logger.warning(
            "%d failure or recovery email(s) are due, but "
            "notifications.failure_recipients is not set",
            len(emails),
        )
        report.not_configured = len(emails)
        return report

    try:
        with _connect(config.smtp) as smtp:
            for email in emails:
                smtp.send_message(_message(email, config, now))
                _mark_sent(db, email, now)
                report.sent += 1
    except (smtplib.SMTPException, OSError, CredentialError) as error:
        detail = _describe_smtp_error(error)
        logger.error(
            "could not send %d email(s) through %s:%d: %s; trying again next run",
            len(emails) - report.sent,
            config.smtp.host,
            config.smtp.port,
            detail,
        )
        report.failed = len(emails) - report.sent
        report.errors.append(detail)
    return report


def check_smtp(settings: SmtpSettings) -> None:
    """Connect, STARTTLS and log in as configured, then quit without sending.

    Raises :class:`smtplib.SMTPException`, :class:`OSError` or
    :class:`~exsync.errors.CredentialError` on the first step that fails.
    """
    with _connect(settings) as smtp:
        smtp.noop()


def format_stamp(moment: datetime) -> str:
    """``moment`` in the store's timestamp format (UTC, milliseconds, ``Z``)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


_INCIDENTS = (
    "SELECT f.id, f.code, f.message, f.first_failed_at, f.last_failed_at, "
    "f.resolved_at, f.attempts, o.id AS operator_id, o.name, o.email "
    "FROM failures f JOIN operators o ON o.id = f.operator_id "
)


def _due_emails(db: Database, config: Config, now: datetime) -> list[_Email]:
    frequency = timedelta(minutes=config.notifications.frequency_minutes)
    cutoff = format_stamp(now - frequency + CRON_JITTER)
    failing = db.query(
        _INCIDENTS + "WHERE f.resolved_at IS NULL AND f.emailed_at IS NULL "
        "AND f.attempts >= 2 AND f.first_failed_at <= ? ORDER BY f.id",
        [cutoff],
    )
    footer = f"\n-- \nexsync on {socket.gethostname()}, store {config.store.path}"
    emails = [_failure_email(row, footer) for row in failing]
    recovered = db.query(
        _INCIDENTS + "WHERE f.resolved_at IS NOT NULL AND f.emailed_at IS NOT NULL "
        "AND f.recovery_emailed_at IS NULL ORDER BY f.id"
    )
    return emails + [_recovery_email(row, footer) for row in recovered]


def _failure_email(incident: dict, footer: str) -> _Email:
    kind = _kind_of(incident["code"])
    body = "\n".join(
        [
            f"exsync cannot sync the Exchange contacts of {_mailbox(incident)}.",
            "",
            f"Error:   {kind.title} [{kind.code}]",
            f"Detail:  {incident['message']}",
            f"Since:   {_show_stamp(incident['first_failed_at'])}, "
            f"{incident['attempts']} attempts, the last at "
            f"{_show_stamp(incident['last_failed_at'])}",
            "",
            "What to do:",
            textwrap.fill(kind.advice, width=72),
            "",
            textwrap.fill(
                "exsync keeps trying at every run, and sends one more email "
                "when this mailbox syncs again. 'exsync status' shows every "
                "mailbox; 'exsync doctor' checks the connection and the "
                "mailbox access.",
                width=72,
            ),
            footer,
        ]
    )
    subject = f"exsync: contact sync failing for {incident['email']}: {kind.title}"
    return _Email(incident["id"], False, subject, body)


def _recovery_email(incident: dict, footer: str) -> _Email:
    kind = _kind_of(incident["code"])
    body = "\n".join(
        [
            f"The Exchange contacts of {_mailbox(incident)} sync again.",
            "",
            f"Recovered: {_show_stamp(incident['resolved_at'])}",
            f"Failing since: {_show_stamp(incident['first_failed_at'])}, "
            f"{incident['attempts']} failed attempts",
            f"Last error: {kind.title} [{kind.code}]",
            "",
            "Nothing more to do. Changes made in the meantime are picked up by "
            "the sync.",
            footer,
        ]
    )
    subject = f"exsync: contact sync working again for {incident['email']}"
    return _Email(incident["id"], True, subject, body)


def _kind_of(code: str) -> FailureKind:
    # A store written by another version may hold a code this one lacks.
    return CATALOGUE.get(code) or FailureKind(
        code, code, CATALOGUE["unexpected"].advice, retryable=False
    )


def _mailbox(incident: dict) -> str:
    name, address = incident["name"], incident["email"]
    mailbox = f"{name} <{address}>" if name else address
    return f"{mailbox} (operator {incident['operator_id']})"


def _show_stamp(stamp: str) -> str:
    # "2026-12-04T16:00:00.000Z" -> "2026-12-04 16:00 UTC"
    return f"{stamp[:10]} {stamp[11:16]} UTC"


def _message(email: _Email, config: Config, now: datetime) -> EmailMessage:
    # RFC 2047 headers and a UTF-8 body: any server takes them, whether or
    # not it offers SMTPUTF8.
    message = EmailMessage(policy=SMTP_POLICY)
    sender = config.smtp.sender
    message["From"] = sender
    message["To"] = ", ".join(config.notifications.failure_recipients)
    message["Subject"] = email.subject
    message["Date"] = format_datetime(now.astimezone(UTC))
    message["Message-ID"] = make_msgid("exsync", domain=sender.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies
    message.set_content(email.body, charset="utf-8")
    return message


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    from exsync.credentials import reveal

    if settings.username and not settings.starttls and not _is_loopback(settings):
        # Checked before connecting: the password must never cross the
        # network in the clear.
        raise smtplib.SMTPException(
            "refusing to log in to the SMTP server without encryption; "
            "set smtp.starttls = true"
        )
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
    try:
        if settings.starttls:
            # The system's trust store and host name checking: a private CA
            # goes into the trust store (or SSL_CERT_FILE), never around it.
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            password = reveal(settings.password) if settings.password else ""
            _login(smtp, settings.username, password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _is_loopback(settings: SmtpSettings) -> bool:
    try:
        return ipaddress.ip_address(settings.host).is_loopback
    except ValueError:
        return settings.host == "localhost"


def _login(smtp: smtplib.SMTP, username: str, password: str) -> None:
    if (username + password).isascii():
        smtp.login(username, password)
        return

    # smtplib encodes credentials as ASCII; AUTH PLAIN is defined over UTF-8
    # (RFC 4616), so a password with other characters goes that way.
    smtp.ehlo_or_helo_if_needed()
    if "PLAIN" not in smtp.esmtp_features.get("auth", "").upper().split():
        raise smtplib.SMTPException(
            "the SMTP server does not offer AUTH PLAIN, which a non-ASCII "
            "user name or password needs"
        )
    token = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
    code, reply = smtp.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _mark_sent(db: Database, email: _Email, now: datetime) -> None:
    # A fixed column name from _Email, never user input.
    db.execute(
        f"UPDATE failures SET {email.column} = ? WHERE id = ?",
        [format_stamp(now), email.incident_id],
    )
    kind = "recovery" if email.recovery else "failure"
    logger.info("sent the %s email for incident %d", kind, email.incident_id)


def _describe_smtp_error(error: BaseException) -> str:
    # smtplib's errors carry the server's reply, never what was sent.
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        if isinstance(reply, bytes):
            reply = reply.decode("utf-8", "replace")
        return f"{type(error).__name__}: {error.smtp_code} {reply}"
    if isinstance(error, TimeoutError):
        return "the SMTP server did not answer in time"
    return f"{type(error).__name__}: {error}"
