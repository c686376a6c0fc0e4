"""Sync one mailbox: page through SyncFolderItems, committing page by page.

The mailbox's phase (``sync_state.phase``) says what the pages mean:

- ``initial``: the first full walk, from no state;
- ``incremental``: changes since the stored watermark;
- ``rewalk``: a new full walk after Exchange refused the watermark (or
  ``--full``). Every page marks the links it sees with the walk's number;
  only when the walk's last page arrives are the links it never saw
  treated as deleted, so a walk interrupted by the slot's end, a crash or
  a failure deletes nothing that was merely not reached yet.

A full walk (initial or rewalk) ends by sweeping unseen links and moving
to ``incremental``, in the same transaction as its last page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database

from exsync.config import SyncSettings
from exsync.exchange import Mailbox, SyncStateInvalidError
from exsync.report import MailboxReport
from exsync.sync.apply import (
    DeleteBudget,
    PageTarget,
    commit_page,
    save_state,
    transaction,
)
from exsync.sync.scope import Scope

log = logging.getLogger(__name__)

_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


@dataclass(frozen=True)
class Operator:
    """The operator whose mailbox is synced."""

    id: str
    email: str


@dataclass
class _Position:
    state: str | None
    phase: str
    walk: int


def sync_mailbox(
    db: Database,
    mailbox: Mailbox,
    operator: Operator,
    settings: SyncSettings,
    *,
    scope: Scope,
    deadline: float | None = None,
    dry_run: bool = False,
    full: bool = False,
    confirm_deletes: bool = False,
    report: MailboxReport | None = None,
    progress: Callable[[MailboxReport], None] | None = None,
) -> MailboxReport:
    """Bring one mailbox's Exchange changes into the store.

    Returns the mailbox's report; its outcome is ``incomplete`` when the
    deadline (a ``time.monotonic()`` value) stopped it between pages.
    Raises what :class:`~exsync.exchange.Mailbox` raises,
    :class:`~exsync.sync.apply.DeletesNeedConfirmationError`, and
    :class:`~exsync.errors.StoreError`-worthy ``sqlite3`` errors.
    """
    report = report or MailboxReport(operator.id, operator.email)
    report.start()
    position = _load_position(db, operator.id, dry_run)
    if full:
        _start_walk(db, operator.id, position, dry_run)
    budget = DeleteBudget(
        _count_links(db, operator.id), settings.max_delete_share, confirm_deletes
    )
    seen: set[str] | None = set() if dry_run else None
    while True:
        if deadline is not None and time.monotonic() >= deadline:
            log.info("mailbox %s: the slot is spent; continuing next run", operator.id)
            report.finish("incomplete")
            return report
        try:
            page = mailbox.sync_page(position.state, settings.batch_size)
        except SyncStateInvalidError:
            if position.phase != "incremental" and position.state is None:
                raise
            log.warning("mailbox %s: sync state refused; walking again", operator.id)
            _start_walk(db, operator.id, position, dry_run)
            seen = set() if dry_run else None
            report.rewalks += 1
            continue
        walking = position.phase in ("initial", "rewalk")
        sweep = page.last and walking
        target = PageTarget(
            operator.id,
            position.walk,
            "incremental" if sweep or not walking else position.phase,
            sweep,
        )
        counters = commit_page(
            db,
            target,
            page,
            scope,
            delete_policy=settings.delete_policy,
            budget=budget,
            dry_run=dry_run,
            seen=seen,
        )
        report.counters.update(counters)
        report.pages += 1
        position = _Position(page.state, target.phase, position.walk)
        if progress is not None:
            progress(report)
        if page.last:
            break
    if not dry_run:
        _mark(db, operator.id, "last_success_at")
    report.finish("ok")
    return report


def mark_attempt(db: Database, operator_id: str) -> None:
    """Record that a run began this mailbox (leftovers go first next time)."""
    _ensure_state(db, operator_id)
    _mark(db, operator_id, "last_attempt_at")


def _load_position(db: Database, operator_id: str, dry_run: bool) -> _Position:
    if not dry_run:
        _ensure_state(db, operator_id)
    row = db.execute(
        "SELECT state, phase, walk FROM sync_state WHERE operator_id = ?",
        [operator_id],
    ).fetchone()
    return _Position(*row) if row else _Position(None, "initial", 1)


def _start_walk(db: Database, operator_id: str, position: _Position, dry_run: bool):
    position.state, position.phase, position.walk = None, "rewalk", position.walk + 1
    if dry_run:
        return
    with transaction(db):
        save_state(db, operator_id, None, "rewalk", position.walk)


def _ensure_state(db: Database, operator_id: str) -> None:
    db.execute(
        "INSERT INTO sync_state (operator_id) VALUES (?) "
        "ON CONFLICT (operator_id) DO NOTHING",
        [operator_id],
    )


def _mark(db: Database, operator_id: str, column: str) -> None:
    db.execute(
        f"UPDATE sync_state SET {column} = {_NOW} WHERE operator_id = ?",
        [operator_id],
    )


def _count_links(db: Database, operator_id: str) -> int:
    return db.execute(
        "SELECT count(*) FROM links WHERE operator_id = ?", [operator_id]
    ).fetchone()[0]
