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
from exsync.store.schema import NOW
from exsync.sync.apply import (
    WRITE_LOCK,
    DeleteBudget,
    PageTarget,
    commit_page,
    save_state,
    transaction,
)
from exsync.sync.scope import Scope

log = logging.getLogger(__name__)


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
    walker = _Walker(db, mailbox, operator.id, settings, scope, dry_run)
    budget = DeleteBudget(
        _count_links(db, operator.id), settings.max_delete_share, confirm_deletes
    )
    if full:
        walker.start_walk()
    while not walker.finished:
        if deadline is not None and time.monotonic() >= deadline:
            log.info("mailbox %s: the slot is spent; continuing next run", operator.id)
            report.finish("incomplete")
            return report
        if walker.step(report, budget) and progress is not None:
            progress(report)
    if not dry_run:
        _mark(db, operator.id, "last_success_at")
    report.finish("ok")
    return report


class _Walker:
    """One mailbox's position in its pages, moved one page at a time."""

    def __init__(self, db, mailbox, operator_id, settings, scope, dry_run) -> None:
        self._db, self._mailbox, self._operator_id = db, mailbox, operator_id
        self._settings, self._scope, self._dry_run = settings, scope, dry_run
        self.position = _load_position(db, operator_id, dry_run)
        # A dry run rolls every page back, so the items a full walk has seen
        # are remembered here instead of in links.seen_walk.
        self._seen: set[str] | None = set() if dry_run else None
        self.finished = False

    def start_walk(self) -> None:
        """Begin a new full walk, from no state, with the next walk number."""
        self.position = _Position(None, "rewalk", self.position.walk + 1)
        self._seen = set() if self._dry_run else None
        if not self._dry_run:
            with transaction(self._db):
                save_state(
                    self._db, self._operator_id, None, "rewalk", self.position.walk
                )

    def step(self, report: MailboxReport, budget: DeleteBudget) -> bool:
        """Fetch and commit one page; False when the state was refused instead."""
        position = self.position
        try:
            page = self._mailbox.sync_page(position.state, self._settings.batch_size)
        except SyncStateInvalidError:
            if position.phase != "incremental" and position.state is None:
                raise
            log.warning(
                "mailbox %s: sync state refused; walking again", self._operator_id
            )
            self.start_walk()
            report.rewalks += 1
            return False
        walking = position.phase in ("initial", "rewalk")
        sweep = page.last and walking
        phase = "incremental" if sweep or not walking else position.phase
        target = PageTarget(self._operator_id, position.walk, phase, sweep)
        after = _Position(page.state, phase, position.walk)
        idle = not page.changes and not sweep and after == position
        if not idle:  # an idle mailbox's page has nothing to store
            counters = commit_page(
                self._db,
                target,
                page,
                self._scope,
                delete_policy=self._settings.delete_policy,
                budget=budget,
                dry_run=self._dry_run,
                seen=self._seen,
            )
            report.counters.update(counters)
        report.pages += 1
        self.position, self.finished = after, page.last
        return True


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


def _ensure_state(db: Database, operator_id: str) -> None:
    with WRITE_LOCK:
        db.execute(
            "INSERT INTO sync_state (operator_id) VALUES (?) "
            "ON CONFLICT (operator_id) DO NOTHING",
            [operator_id],
        )


def _mark(db: Database, operator_id: str, column: str) -> None:
    with WRITE_LOCK:
        db.execute(
            f"UPDATE sync_state SET {column} = {NOW} WHERE operator_id = ?",
            [operator_id],
        )


def _count_links(db: Database, operator_id: str) -> int:
    return db.execute(
        "SELECT count(*) FROM links WHERE operator_id = ?", [operator_id]
    ).fetchone()[0]
