"""What ``exsync doctor`` checks, each with a verdict and what to do.

The checks go from the ground up: the settings, the store, the skip rule,
the secrets, the SMTP server, then Exchange. The first enabled mailbox is
checked alone first: if Exchange cannot be reached or refuses the service
account, every other mailbox would fail the same way, so they are not
tried. Otherwise the remaining mailboxes are checked in parallel, each
walking its Contacts folder once to count the contacts and those in the
sync category.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from exsync.addresses import address_key
from exsync.config import Config, mask_command
from exsync.credentials import reveal
from exsync.errors import ExitCode, ExsyncError
from exsync.failures import classify
from exsync.store import open_store
from exsync.store.operators import Operator, list_operators

logger = logging.getLogger(__name__)

OK, WARN, FAIL, SKIPPED = "ok", "warn", "fail", "skipped"
# How long a mailbox check may spend waiting out throttling and retrying a
# refused connection: someone is watching a doctor run, unlike a cron run.
CHECK_DEADLINE_SECONDS = 5
# Failures that say nothing about one mailbox but about the way to Exchange.
_CONNECTION_CODES = ("exchange-unreachable", "tls-failure")
_ACCOUNT_CODES = ("auth-failed",)


@dataclass(frozen=True)
class Check:
    """One row of the doctor's table."""

    subject: str
    verdict: str  # ok, warn, fail, skipped
    detail: str
    advice: str = ""
    exit_code: ExitCode = ExitCode.OK  # what a failed check makes doctor exit with


def run_checks(
    config: Config,
    *,
    operator: str | None = None,
    on_check: Callable[[Check], None] | None = None,
) -> list[Check]:
    """Run every check in order; ``on_check`` sees each as it is decided.

    Never raises for what it checks: a problem becomes a failed check.
    """
    checks: list[Check] = []

    def add(check: Check) -> None:
        checks.append(check)
        if on_check is not None:
            on_check(check)

    for check in _local_checks(config):
        add(check)
    operators = _enabled_operators(config, operator, add)
    if operators is not None and not any(c.verdict == FAIL for c in checks):
        _check_exchange(config, operators, add)
    return checks


def exit_code_of(checks: list[Check]) -> ExitCode:
    """The exit code of the first failed check, or OK when none failed."""
    for check in checks:
        if check.verdict == FAIL:
            return check.exit_code
    return ExitCode.OK


def _local_checks(config: Config) -> list[Check]:
    sync = config.sync
    checks = [Check("configuration", OK, f"read {config.source or 'the settings'}")]
    if not (sync.integration and sync.contact_sync):
        checks.append(
            Check(
                "sync switches",
                WARN,
                "contact sync is switched off",
                "set sync.integration and sync.contact_sync to true",
            )
        )
    checks.append(_check_skip_rule(config))
    checks.append(_check_secrets(config))
    if config.notifications.failure_recipients:
        checks.append(_check_smtp(config))
    return checks


def _check_skip_rule(config: Config) -> Check:
    from exsync.sync.scope import Scope

    if not config.sync.skip_contact:
        return Check("skip rule", OK, "none set")
    try:
        Scope.from_settings(config.sync)
    except ExsyncError as error:
        return _failed("skip rule", error)
    return Check("skip rule", OK, f"{config.sync.skip_contact} loads")


def _check_secrets(config: Config) -> Check:
    exchange = config.exchange
    secret = exchange.client_secret if exchange.auth == "oauth2" else exchange.password
    if secret is None:
        return Check(
            "service account secret",
            FAIL,
            "no secret is configured",
            "set exchange.password (or exchange.client_secret for oauth2)",
            ExitCode.CONFIG,
        )
    try:
        reveal(secret)
    except ExsyncError as error:
        return _failed("service account secret", error)
    source = (
        f"the environment variable {secret.env}"
        if secret.env
        else f"the command {mask_command(secret.command)}"
    )
    return Check("service account secret", OK, f"read from {source}")


def _check_smtp(config: Config) -> Check:
    from exsync.notify import check_smtp

    smtp = config.smtp
    subject = f"SMTP {smtp.host}:{smtp.port}"
    try:
        check_smtp(smtp)
    except Exception as error:  # noqa: BLE001 - any failure is the verdict
        return Check(
            subject,
            FAIL,
            classify(error)[1],
            "failure emails cannot go out; check the smtp settings",
            ExitCode.PARTIAL,
        )
    tls = " with STARTTLS" if smtp.starttls else ""
    login = f", logged in as {smtp.username}" if smtp.username else ""
    return Check(subject, OK, f"accepts connections{tls}{login}")


def _enabled_operators(
    config: Config, email: str | None, add: Callable[[Check], None]
) -> list[Operator] | None:
    try:
        db = open_store(config.store.path)
    except ExsyncError as error:
        add(_failed("store", error))
        return None
    try:
        everyone = list_operators(db)
    finally:
        db.close()
    enabled = [o for o in everyone if o.contact_sync]
    add(
        Check(
            "store",
            OK,
            f"{config.store.path}: {len(everyone)} operators, {len(enabled)} enabled",
        )
    )
    if email is not None:
        enabled = [o for o in enabled if address_key(o.email) == address_key(email)]
        if not enabled:
            add(
                Check(
                    email,
                    FAIL,
                    "no enabled operator has this address",
                    "list them with `exsync operators`",
                    ExitCode.USAGE,
                )
            )
            return None
    if not enabled:
        add(
            Check(
                "operators",
                WARN,
                "no operator is enabled, so Exchange was not tried",
                "enable one with `exsync enable-operator` or `exsync import-operators`",
            )
        )
        return None
    return enabled


@dataclass(frozen=True)
class _MailboxResult:
    check: Check
    failure_code: str | None = None

    def as_check(self, subject: str, exit_code: ExitCode) -> Check:
        """This failure, reported under another subject."""
        return Check(subject, FAIL, self.check.detail, self.check.advice, exit_code)


def _check_exchange(
    config: Config, operators: list[Operator], add: Callable[[Check], None]
) -> None:
    from exsync.exchange import ExchangeClient

    category = config.sync.category
    client = ExchangeClient(config.exchange, concurrency=config.sync.concurrency)
    try:
        first = _check_mailbox(client, operators[0], category)
        if not _check_way_in(config, first, add):
            return
        add(first.check)
        with ThreadPoolExecutor(max(1, config.sync.concurrency)) as pool:
            for result in pool.map(
                lambda operator: _check_mailbox(client, operator, category),
                operators[1:],
            ):
                add(result.check)
    finally:
        client.close()


def _check_way_in(
    config: Config, first: _MailboxResult, add: Callable[[Check], None]
) -> bool:
    # The connection and the service account, judged by the first mailbox;
    # whether the other mailboxes are worth trying.
    connection = f"connection to {config.exchange.url}"
    if first.failure_code in _CONNECTION_CODES:
        add(first.as_check(connection, ExitCode.EXCHANGE_UNREACHABLE))
        return False
    add(Check(connection, OK, "Exchange answers"))
    account = f"service account {config.exchange.username or 'oauth2'}"
    if first.failure_code in _ACCOUNT_CODES:
        add(first.as_check(account, ExitCode.EXCHANGE_AUTH))
        return False
    add(Check(account, OK, "Exchange accepts its credentials"))
    return True


def _check_mailbox(client, operator: Operator, category: str) -> _MailboxResult:
    deadline = time.monotonic() + CHECK_DEADLINE_SECONDS
    try:
        found = client.mailbox(operator.email, deadline=deadline).check_access(category)
    except Exception as error:  # noqa: BLE001 - any failure is the verdict
        kind, detail = classify(error)
        logger.debug("doctor: mailbox %s", operator.id, exc_info=True)
        check = Check(
            operator.email, FAIL, f"{kind.title}: {detail}", kind.advice, kind.exit_code
        )
        return _MailboxResult(check, kind.code)
    detail = f"{found.contacts} contacts, {found.in_category} in category {category}"
    if found.in_category == 0:
        advice = (
            f"tag the contacts to sync with the category {category} in Outlook, "
            "or check sync.category"
        )
        return _MailboxResult(Check(operator.email, WARN, detail, advice))
    return _MailboxResult(Check(operator.email, OK, detail))


def _failed(subject: str, error: ExsyncError) -> Check:
    return Check(subject, FAIL, error.message, error.hint or "", error.exit_code)
