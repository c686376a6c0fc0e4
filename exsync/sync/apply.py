"""Carry out planned actions, one page per transaction.

:func:`commit_page` plans a page and applies it together with the new sync
state in ONE transaction, so the store never holds changes without the
watermark that covers them, nor a watermark ahead of its changes: a run
killed at any instant leaves the store as of the last committed page. Its
writes are marked as exsync's own (``change_origin``) inside the same
transaction, which the triggers on ``crm_contacts`` read.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlite_utils import Database

from exsync.errors import ExsyncError
from exsync.exchange import Page
from exsync.mapping import columns_from_record, encode_json
from exsync.store.contacts import exsync_writes, soft_delete_contact
from exsync.store.schema import NOW
from exsync.sync.plan import COUNTERS, Action, plan_page, plan_sweep
from exsync.sync.scope import Scope

# A run never stops for fewer deletes than this, whatever the share: a
# mailbox of three contacts losing two is not an anomaly worth a page.
SAFETY_MIN_DELETES = 3
WRITE_LOCK = threading.Lock()

log = logging.getLogger(__name__)


class DeletesNeedConfirmationError(ExsyncError):
    """A run would delete an unusual share of a mailbox's linked contacts."""

    failure_code = "deletes-need-confirmation"


@dataclass
class DeleteBudget:
    """How many deletes one mailbox's run may make before it stops to ask."""

    links_at_start: int
    max_share: float
    confirmed: bool = False
    used: int = 0

    def spend(self, count: int) -> None:
        """Count ``count`` more deletes.

        Raises :class:`DeletesNeedConfirmationError` past the limit.
        """
        total = self.used + count
        limit = self.links_at_start * self.max_share
        if not self.confirmed and total >= SAFETY_MIN_DELETES and total > limit:
            raise DeletesNeedConfirmationError(
                f"this run would delete {total} of the mailbox's "
                f"{self.links_at_start} linked contacts",
                hint="check the mailbox in Outlook; if the deletes are meant, "
                "run `exsync sync --confirm-deletes`.",
            )
        self.used = total


@dataclass(frozen=True)
class PageTarget:
    """Where a page goes: the mailbox's walk and the phase after this page."""

    operator_id: str
    walk: int
    phase: str
    sweep: bool  # the page ends a full walk: delete what it did not see


def commit_page(
    db: Database,
    target: PageTarget,
    page: Page,
    scope: Scope,
    *,
    delete_policy: str,
    budget: DeleteBudget,
    dry_run: bool = False,
    seen: set[str] | None = None,
) -> Counter:
    """Plan and apply ``page`` and store its sync state, atomically.

    With ``dry_run`` everything is planned and applied, then rolled back;
    ``seen`` then carries the item ids of the walk's earlier pages, which
    the rolled-back pages could not mark in the store.
    Raises :class:`DeletesNeedConfirmationError` (nothing of the page is
    kept) and the skip rule's :class:`~exsync.sync.scope.SkipRuleError`.
    """
    with transaction(db, rollback=dry_run):
        actions = plan_page(
            db, target.operator_id, page.changes, scope, delete_policy=delete_policy
        )
        if seen is not None:
            seen.update(change.item_id for change in page.changes)
        if target.sweep:
            planned = {a.item_id for a in actions} | (seen or set())
            actions += [
                a
                for a in plan_sweep(
                    db, target.operator_id, target.walk, delete_policy=delete_policy
                )
                if a.item_id not in planned
            ]
        budget.spend(sum(1 for a in actions if a.gone))
        applied = [(action, _apply(db, target, action)) for action in actions]
        save_state(db, target.operator_id, page.state, target.phase, target.walk)
    _log_changes(target.operator_id, applied, dry_run)
    return Counter(COUNTERS[action.kind] for action in actions)


def _log_changes(operator_id: str, applied: list, dry_run: bool) -> None:
    """One INFO line per committed change, with ids only: an audit trail.

    Logged once the transaction is over, so a line never names a change
    that was rolled back by an error (a dry run says "would").
    """
    verb = "would " if dry_run else ""
    for action, contact_id in applied:
        if action.kind == "touch":
            continue
        if dry_run and action.kind == "create":
            contact_id = "(new)"  # the id it got was rolled back
        log.info(
            "mailbox %s: %s%s contact %s (item %s)",
            operator_id,
            verb,
            action.kind,
            contact_id,
            action.item_id,
        )


@contextmanager
def transaction(db: Database, *, rollback: bool = False) -> Iterator[None]:
    """An IMMEDIATE transaction with exsync's writes marked as its own.

    The worker threads of a run take turns through :data:`WRITE_LOCK`
    first: a thread waiting on it wakes the moment the lock is free, where
    SQLite's busy handler would poll with sleeps of up to 100 ms.
    """
    with WRITE_LOCK:
        db.execute("BEGIN IMMEDIATE")
        try:
            with exsync_writes(db):
                yield
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("ROLLBACK" if rollback else "COMMIT")


def save_state(
    db: Database, operator_id: str, state: str | None, phase: str, walk: int
) -> None:
    """Store a mailbox's watermark, phase and walk (inside a transaction)."""
    db.execute(
        "INSERT INTO sync_state (operator_id, state, phase, walk) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (operator_id) DO UPDATE SET state = excluded.state, "
        f"phase = excluded.phase, walk = excluded.walk, updated_at = {NOW}",
        [operator_id, state, phase, walk],
    )


def _apply(db: Database, target: PageTarget, action: Action) -> int | None:
    """Apply one action; return the CRM contact it concerns, if any."""
    kind = action.kind
    if kind == "create":
        contact_id = _insert_contact(db, target.operator_id, action)
        _insert_link(db, target, action, contact_id)
        return contact_id
    elif kind == "link":
        _update_contact(db, action)
        _insert_link(db, target, action, action.contact_id)
    elif kind in ("update", "touch"):
        _update_contact(db, action)
        db.execute(
            "UPDATE links SET change_key = ?, synced = ?, seen_walk = ?, "
            f"synced_at = {NOW} WHERE id = ?",
            [
                action.change_key,
                encode_json(action.record),
                target.walk,
                action.link_id,
            ],
        )
    elif kind == "delete":
        soft_delete_contact(db, action.contact_id)
        db.execute("DELETE FROM links WHERE id = ?", [action.link_id])
    elif kind == "unlink":
        db.execute("DELETE FROM links WHERE id = ?", [action.link_id])
    return action.contact_id


def _insert_contact(db: Database, operator_id: str, action: Action) -> int:
    columns = columns_from_record(action.record)
    names = ["owner_operator_id", *columns]
    cursor = db.execute(
        f"INSERT INTO crm_contacts ({', '.join(names)}) "
        f"VALUES ({', '.join('?' for _ in names)})",
        [operator_id, *columns.values()],
    )
    return cursor.lastrowid


def _update_contact(db: Database, action: Action) -> None:
    if not action.writes:
        return
    columns = columns_from_record(action.writes)
    columns = {name: columns[name] for name in action.writes}
    assignments = ", ".join(f"{name} = ?" for name in columns)
    db.execute(
        f"UPDATE crm_contacts SET {assignments}, updated_at = {NOW} WHERE id = ?",
        [*columns.values(), action.contact_id],
    )


def _insert_link(db: Database, target: PageTarget, action: Action, contact_id) -> None:
    db.execute(
        "INSERT INTO links (operator_id, contact_id, item_id, change_key, synced, "
        "seen_walk) VALUES (?, ?, ?, ?, ?, ?)",
        [
            target.operator_id,
            contact_id,
            action.item_id,
            action.change_key,
            encode_json(action.record),
            target.walk,
        ],
    )
