"""Failure incidents, and the failure and recovery emails they lead to.

An incident is one row of the store's ``failures`` table: it opens when a
mailbox first fails, counts every further failed attempt, and is resolved
by the first attempt that works. Each operator has at most one open
incident (a unique index sees to it).

Emails go out at the end of a run, through :func:`send_due_emails`. Each
incident gets one failure email once its mailbox has kept failing for the
notification frequency, and one recovery email when an incident that had
a failure email is resolved. What falls due in one run goes out as at most
two messages, a failure digest and a recovery digest (see
:mod:`exsync.digest`), so an outage that hits every mailbox makes one
email, not one per mailbox. An incident is marked emailed only after the
SMTP server accepted the message naming it, so a run that cannot reach the
server leaves it for the next run; it is never fatal to the sync.
"""

from __future__ import annotations

import base64
import ipaddress
import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid

from sqlite_utils import Database

from exsync.config import Config, SmtpSettings
from exsync.digest import Digest, compose_failures, compose_recoveries
from exsync.errors import CredentialError
from exsync.failures import FailureKind

logger = logging.getLogger(__name__)


@dataclass
class EmailReport:
    """What :func:`send_due_emails` did."""

    # Counts of messages; each names one or more mailboxes.
    sent: int = 0
    failed: int = 0  # due, but the SMTP server did not take them: next run
    not_configured: int = 0  # due, but no failure recipients are set
    mailboxes: int = 0  # incidents named in the messages sent
    errors: list[str] = field(default_factory=list)

    @property
    def due(self) -> int:
        return self.sent + self.failed + self.not_configured


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
    digests = _due_digests(db, config, now)
    if not digests:
        return report

    recipients = config.notifications.failure_recipients
    if not recipients:
        logger.warning(
            "%d failure or recovery email(s) are due, but "
            "notifications.failure_recipients is not set",
            len(digests),
        )
        report.not_configured = len(digests)
        return report

    try:
        with _connect(config.smtp) as smtp:
            for digest in digests:
                smtp.send_message(_message(digest, config, now))
                _mark_sent(db, digest, now)
                report.sent += 1
                report.mailboxes += len(digest.incident_ids)
    except (smtplib.SMTPException, OSError, CredentialError) as error:
        detail = _describe_smtp_error(error)
        logger.error(
            "could not send %d email(s) through %s:%d: %s; trying again next run",
            len(digests) - report.sent,
            config.smtp.host,
            config.smtp.port,
            detail,
        )
        report.failed = len(digests) - report.sent
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


def _cron_allowance(frequency: timedelta) -> timedelta:
    """How much earlier than ``frequency`` a failure email may go out.

    cron starts runs a few seconds early or late and runs last a varying
    time, so "failing for 30 minutes", measured between two runs 30 minutes
    apart, can come out at 29 minutes and some seconds; without an
    allowance the email would wait a whole further slot. The drift is
    seconds, so the allowance is a tenth of the frequency, at most a
    minute: a short frequency is not swallowed by it (a fixed minute made
    a one-minute frequency send at the first retry).
    """
    return min(frequency / 10, timedelta(minutes=1))


def _due_digests(db: Database, config: Config, now: datetime) -> list[Digest]:
    frequency = timedelta(minutes=config.notifications.frequency_minutes)
    cutoff = format_stamp(now - frequency + _cron_allowance(frequency))
    failing = list(
        db.query(
            _INCIDENTS + "WHERE f.resolved_at IS NULL AND f.emailed_at IS NULL "
            "AND f.attempts >= 2 AND f.first_failed_at <= ? ORDER BY f.id",
            [cutoff],
        )
    )
    recovered = list(
        db.query(
            _INCIDENTS + "WHERE f.resolved_at IS NOT NULL "
            "AND f.emailed_at IS NOT NULL AND f.recovery_emailed_at IS NULL "
            "ORDER BY f.id"
        )
    )
    footer = f"\n-- \nexsync on {socket.gethostname()}, store {config.store.path}"
    digests = []
    if failing:
        digests.append(compose_failures(failing, footer))
    if recovered:
        digests.append(compose_recoveries(recovered, footer))
    return digests


def _message(email: Digest, config: Config, now: datetime) -> EmailMessage:
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


def _mark_sent(db: Database, digest: Digest, now: datetime) -> None:
    column = "recovery_emailed_at" if digest.recovery else "emailed_at"
    with db.atomic():
        # A fixed column name, never user input; ids in bounded batches.
        for start in range(0, len(digest.incident_ids), 500):
            batch = digest.incident_ids[start : start + 500]
            marks = ", ".join("?" * len(batch))
            db.execute(
                f"UPDATE failures SET {column} = ? WHERE id IN ({marks})",
                [format_stamp(now), *batch],
            )
    kind = "recovery" if digest.recovery else "failure"
    logger.info("sent the %s email for %d incident(s)", kind, len(digest.incident_ids))


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
