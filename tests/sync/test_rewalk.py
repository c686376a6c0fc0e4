"""A refused sync state: a full walk reconciled by item id."""

from __future__ import annotations

from exsync.errors import ExchangeUnreachableError
from exsync.exchange import ExchangeClient
from exsync.report import MailboxReport
from exsync.sync import Operator, run_sync, sync_mailbox
from exsync.sync.scope import Scope

from .conftest import ALICE, contact, crm_rows, link_count, with_sync


def _synced_mailbox(emulator, config, count):
    owner = emulator.owner(ALICE)
    ids = [owner.create_contact(contact(f"Person {n:02d}")) for n in range(count)]
    run_sync(config, operator=ALICE)
    return owner, ids


def _phase(db):
    return db.execute(
        "SELECT phase, walk FROM sync_state WHERE operator_id = 'op-alice'"
    ).fetchone()


class _StopAfter:
    """A mailbox whose connection breaks after ``pages`` pages."""

    def __init__(self, mailbox, pages):
        self._mailbox, self._left = mailbox, pages

    def sync_page(self, state, batch_size):
        if self._left == 0:
            raise ExchangeUnreachableError("connection lost")
        self._left -= 1
        return self._mailbox.sync_page(state, batch_size)


def test_run_sync_refused_state_rewalks_without_duplicates(emulator, config, db):
    owner, ids = _synced_mailbox(emulator, config, 12)
    emulator.faults.invalidate_sync_states(mailbox=ALICE)
    owner.delete_contact(ids[5])
    owner.create_contact(contact("Newcomer"))

    report = run_sync(config, operator=ALICE)

    assert report.mailboxes[0].rewalks == 1
    assert report.totals["created"] == 1 and report.totals["deleted"] == 1
    assert len(crm_rows(db)) == 12
    assert [row["display_name"] for row in crm_rows(db, deleted=True)] == ["Person 05"]
    assert _phase(db) == ("incremental", 2)


def test_sync_mailbox_interrupted_rewalk_deletes_nothing_unreached(
    emulator, config, db
):
    config = with_sync(config, batch_size=4)
    owner, ids = _synced_mailbox(emulator, config, 12)
    emulator.faults.invalidate_sync_states(mailbox=ALICE)
    owner.delete_contact(ids[11])
    client = ExchangeClient(config.exchange)
    operator = Operator("op-alice", ALICE)
    scope = Scope.from_settings(config.sync)
    try:
        mailbox = _StopAfter(client.mailbox(ALICE), pages=2)
        try:
            sync_mailbox(db, mailbox, operator, config.sync, scope=scope)
        except ExchangeUnreachableError:
            pass
        assert _phase(db) == ("rewalk", 2)
        assert link_count(db) == 12
        assert crm_rows(db, deleted=True) == []

        report = sync_mailbox(
            db,
            client.mailbox(ALICE),
            operator,
            config.sync,
            scope=scope,
            report=MailboxReport("op-alice", ALICE),
        )
    finally:
        client.close()

    assert report.outcome == "ok"
    assert [row["display_name"] for row in crm_rows(db, deleted=True)] == ["Person 11"]
    assert link_count(db) == 11
    assert _phase(db) == ("incremental", 2)


def test_run_sync_full_rewalk_unlinks_item_missed_while_unlinked(emulator, config, db):
    owner, ids = _synced_mailbox(emulator, config, 3)
    db.execute("DELETE FROM links WHERE item_id = ?", [ids[0]])

    report = run_sync(config, operator=ALICE, full=True)

    assert report.totals["created"] == 0
    assert report.totals["linked"] == 1
    assert link_count(db) == 3


def test_run_sync_dry_run_full_walk_over_pages_deletes_nothing(emulator, config, db):
    _synced_mailbox(emulator, with_sync(config, batch_size=4), 12)

    report = run_sync(with_sync(config, batch_size=4), full=True, dry_run=True)

    assert report.exit_code == 0
    assert report.totals["deleted"] == 0 and report.totals["unchanged"] == 12
    assert _phase(db) == ("incremental", 1)
