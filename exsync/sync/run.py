"""A whole ``exsync sync`` run: lock, slot budget, mailboxes in parallel.

The run holds the lock for its whole length, and records itself in
``runs``. Mailboxes are taken least recently attempted first, so those a
run left over because its slot ran out go first next time. A bounded pool
of worker threads syncs them, each worker with its own SQLite connection
(SQLite serialises the writers; each page's transaction is short). No new
mailbox starts once the deadline (the slot minus a margin) has passed.
Whatever one mailbox raises is classified and recorded for the failure
emails; the others carry on.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from exsync import failures, notify
from exsync.config import Config
from exsync.errors import ConfigError, StoreError, UsageError
from exsync.exchange import ExchangeClient
from exsync.lock import lock_path, run_lock
from exsync.report import MailboxReport, RunReport
from exsync.store import open_store
from exsync.sync.apply import WRITE_LOCK
from exsync.sync.mailbox import Operator, mark_attempt, sync_mailbox
from exsync.sync.scope import Scope

log = logging.getLogger(__name__)

# The share of the slot kept free at its end, so the run ends before cron
# starts the next one.
SLOT_MARGIN_SHARE = 0.15

Progress = Callable[[MailboxReport], None]


def slot_deadline(config: Config, started: float) -> float:
    """The ``time.monotonic()`` after which no mailbox starts."""
    slot = config.sync.slot_minutes * 60
    return started + slot * (1 - SLOT_MARGIN_SHARE)


def run_sync(
    config: Config,
    *,
    operator: str | None = None,
    full: bool = False,
    dry_run: bool = False,
    confirm_deletes: bool = False,
    progress: Progress | None = None,
    deadline: float | None = None,
) -> RunReport:
    """Sync every enabled operator's mailbox (or only ``operator``'s).

    Raises :class:`~exsync.errors.LockedError` when another run holds the
    lock, :class:`ConfigError` for a skip rule that cannot be loaded or a
    disabled sync, :class:`UsageError` for an unknown ``operator`` and
    :class:`~exsync.errors.StoreError` when the store cannot be opened (or,
    for a dry run, does not exist).
    """
    _check_enabled(config)
    if dry_run and not Path(config.store.path).exists():
        # Opening the store would create and migrate it: a write.
        raise StoreError(
            f"no store at {config.store.path} to preview a sync against",
            hint="enable operators first (`exsync enable-operator`).",
        )
    options = _RunOptions(
        scope=Scope.from_settings(config.sync),
        full=full,
        dry_run=dry_run,
        confirm_deletes=confirm_deletes,
        progress=progress,
        deadline=deadline or slot_deadline(config, time.monotonic()),
    )
    with run_lock(lock_path(config.store.path)):
        db = open_store(config.store.path)
        try:
            return _run(db, config, select_operators(db, operator), options)
        finally:
            db.close()


@dataclass(frozen=True)
class _RunOptions:
    scope: Scope
    full: bool
    dry_run: bool
    confirm_deletes: bool
    progress: Progress | None
    deadline: float


def _run(db, config, operators, options: _RunOptions) -> RunReport:
    dry_run = options.dry_run
    report = RunReport(dry_run=dry_run)
    report.mailboxes = [MailboxReport(o.id, o.email) for o in operators]
    run_id = None if dry_run else _start_run(db)
    client = ExchangeClient(config.exchange, concurrency=config.sync.concurrency)
    workers = _Workers(config, client, options)
    try:
        with ThreadPoolExecutor(max(1, config.sync.concurrency)) as pool:
            pairs = list(zip(operators, report.mailboxes, strict=True))
            jobs = [pool.submit(workers.sync_one, o, r) for o, r in pairs]
            # Outcomes are recorded here, in order, on the run's own connection.
            for job, (_, mailbox_report) in zip(jobs, pairs, strict=True):
                failure = job.result()
                if not dry_run and mailbox_report.outcome != "not-started":
                    with WRITE_LOCK:
                        notify.record_outcome(
                            db, mailbox_report.operator_id, failure, datetime.now(UTC)
                        )
    finally:
        client.close()
    if not dry_run:
        notify.send_due_emails(db, config, datetime.now(UTC))
    report.finished_at = datetime.now(UTC)
    if run_id is not None:
        _finish_run(db, run_id, report)
    return report


def select_operators(db: Database, email: str | None) -> list[Operator]:
    """Enabled operators, least recently attempted first.

    Raises :class:`UsageError` when ``email`` names no enabled operator.
    """
    rows = db.execute(
        "SELECT o.id, o.email, o.email_key FROM operators o "
        "LEFT JOIN sync_state s ON s.operator_id = o.id "
        "WHERE o.contact_sync = 1 "
        "ORDER BY s.last_attempt_at IS NOT NULL, s.last_attempt_at, o.email_key"
    ).fetchall()
    operators = [Operator(row[0], row[1]) for row in rows]
    if email is None:
        return operators
    wanted = email.strip().casefold()
    chosen = [o for o in operators if o.email.strip().casefold() == wanted]
    if not chosen:
        raise UsageError(
            "no enabled operator has this address",
            hint="list them with `exsync operators`.",
        )
    return chosen


class _Workers:
    """One mailbox's sync in a worker thread, with a connection of its own.

    SQLite connections belong to the thread that opened them, so each job
    opens and closes its own (about a millisecond).
    """

    def __init__(self, config: Config, client: ExchangeClient, options) -> None:
        self._config = config
        self._client = client
        self._options = options

    def sync_one(self, operator: Operator, report: MailboxReport):
        """Sync one mailbox; return its failure for the catalogue, or None."""
        options = self._options
        if time.monotonic() >= options.deadline:
            return None
        db = None
        try:
            db = open_store(self._config.store.path)
            if not options.dry_run:
                mark_attempt(db, operator.id)
            sync_mailbox(
                db,
                self._client.mailbox(operator.email, deadline=options.deadline),
                operator,
                self._config.sync,
                scope=options.scope,
                deadline=options.deadline,
                dry_run=options.dry_run,
                full=options.full,
                confirm_deletes=options.confirm_deletes,
                report=report,
                progress=options.progress,
            )
        except Exception as error:  # noqa: BLE001 - one mailbox never stops the rest
            failure = failures.classify(error)
            report.fail(failure[0].code, failure[1], failure[0].exit_code)
            # The report carries the failure to the output (one line per
            # mailbox, also under --quiet); an ERROR record would repeat it.
            log.info("mailbox %s failed: %s", operator.id, failure[1])
            log.debug("mailbox %s failure", operator.id, exc_info=True)
            return failure
        finally:
            if db is not None:
                db.close()
            if options.progress is not None:
                options.progress(report)
        return None


def _check_enabled(config: Config) -> None:
    if not (config.sync.integration and config.sync.contact_sync):
        raise ConfigError(
            "contact sync is switched off in the configuration",
            hint="set sync.integration and sync.contact_sync to true.",
        )
    if config.sync.direction != "exchange-to-crm":
        raise ConfigError(
            f"sync direction {config.sync.direction!r} is not available yet",
            hint='set sync.direction = "exchange-to-crm".',
        )


def _start_run(db: Database) -> int:
    cursor = db.execute("INSERT INTO runs (pid) VALUES (?)", [os.getpid()])
    return cursor.lastrowid


def _finish_run(db: Database, run_id: int, report: RunReport) -> None:
    db.execute(
        "UPDATE runs SET finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), "
        "exit_code = ?, summary = ? WHERE id = ?",
        [int(report.exit_code), json.dumps(report.to_dict()), run_id],
    )
