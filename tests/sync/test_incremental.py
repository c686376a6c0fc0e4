"""Later runs: only what changed in Exchange since the stored watermark."""

from __future__ import annotations

from exsync.sync import run_sync

from .conftest import (
    ALICE,
    contact,
    crm_rows,
    link_count,
    with_sync,
)


def _synced_mailbox(emulator, config, count=4):
    owner = emulator.owner(ALICE)
    ids = [owner.create_contact(contact(f"Person {n}")) for n in range(count)]
    run_sync(config, operator=ALICE)
    return owner, ids


def test_run_sync_incremental_carries_an_update(emulator, config, db):
    owner, ids = _synced_mailbox(emulator, config)
    owner.update_contact(ids[1], {"job_title": "CTO"})

    report = run_sync(config, operator=ALICE)

    assert report.totals["updated"] == 1
    assert [row["job_title"] for row in crm_rows(db)] == [None, "CTO", None, None]


def test_run_sync_incremental_creates_a_new_contact(emulator, config, db):
    owner, _ = _synced_mailbox(emulator, config)
    owner.create_contact(contact("Newcomer"))

    report = run_sync(config, operator=ALICE)

    assert report.totals["created"] == 1
    assert crm_rows(db)[-1]["display_name"] == "Newcomer"


def test_run_sync_incremental_keeps_crm_edit_of_another_field(emulator, config, db):
    owner, ids = _synced_mailbox(emulator, config)
    first = crm_rows(db)[0]["id"]
    db.execute("UPDATE crm_contacts SET department = 'Sales' WHERE id = ?", [first])
    owner.update_contact(ids[0], {"job_title": "CFO"})

    run_sync(config, operator=ALICE)

    row = crm_rows(db)[0]
    assert (row["job_title"], row["department"]) == ("CFO", "Sales")


def test_run_sync_delete_policy_delete_soft_deletes_the_crm_copy(emulator, config, db):
    owner, ids = _synced_mailbox(emulator, config)
    owner.delete_contact(ids[0])

    report = run_sync(config, operator=ALICE)

    assert report.totals["deleted"] == 1
    assert [row["display_name"] for row in crm_rows(db, deleted=True)] == ["Person 0"]
    assert link_count(db) == 3


def test_run_sync_delete_policy_keep_unlinks_and_keeps(emulator, config, db):
    owner, ids = _synced_mailbox(emulator, config)
    owner.delete_contact(ids[0])

    report = run_sync(with_sync(config, delete_policy="keep"), operator=ALICE)

    assert report.totals["unlinked"] == 1
    assert len(crm_rows(db)) == 4
    assert crm_rows(db, deleted=True) == []
    assert link_count(db) == 3


def test_run_sync_lost_category_unlinks_and_keeps_the_copy(emulator, config, db):
    owner, ids = _synced_mailbox(emulator, config)
    owner.set_categories(ids[2], ["Personal"])

    report = run_sync(config, operator=ALICE)

    assert report.totals["unlinked"] == 1
    assert len(crm_rows(db)) == 4
    assert link_count(db) == 3


def test_run_sync_contact_turned_private_is_unlinked(emulator, config, db):
    owner, ids = _synced_mailbox(emulator, config)
    owner.set_private(ids[3], True)

    report = run_sync(config, operator=ALICE)

    assert report.totals["unlinked"] == 1
    assert len(crm_rows(db)) == 4
    assert link_count(db) == 3


def test_run_sync_idle_mailbox_costs_one_request(emulator, config, db):
    _synced_mailbox(emulator, config)
    emulator.journal.clear()

    run_sync(config, operator=ALICE)

    operations = [entry.operation for entry in emulator.journal]
    assert operations == ["SyncFolderItems"]


def test_run_sync_safety_stop_keeps_everything_and_fails(emulator, config, db):
    owner, ids = _synced_mailbox(emulator, config, count=6)
    for item_id in ids[:4]:
        owner.delete_contact(item_id)

    report = run_sync(config, operator=ALICE)

    assert report.exit_code == 1
    assert report.mailboxes[0].failure_code == "deletes-need-confirmation"
    assert crm_rows(db, deleted=True) == []
    assert link_count(db) == 6


def test_run_sync_confirm_deletes_passes_the_safety_stop(emulator, config, db):
    owner, ids = _synced_mailbox(emulator, config, count=6)
    for item_id in ids[:4]:
        owner.delete_contact(item_id)

    report = run_sync(config, operator=ALICE, confirm_deletes=True)

    assert report.exit_code == 0
    assert len(crm_rows(db, deleted=True)) == 4


def test_run_sync_crm_contact_deleted_elsewhere_is_not_recreated(emulator, config, db):
    owner, ids = _synced_mailbox(emulator, config)
    first = crm_rows(db)[0]["id"]
    db.execute(
        "UPDATE crm_contacts SET deleted_at = '2026-01-01' WHERE id = ?", [first]
    )
    owner.update_contact(ids[0], {"job_title": "CTO"})

    run_sync(config, operator=ALICE)

    assert len(crm_rows(db)) == 3


def test_run_sync_idle_mailbox_writes_no_page(emulator, config, db):
    _synced_mailbox(emulator, config)
    query = "SELECT state, updated_at FROM sync_state WHERE operator_id = 'op-alice'"
    before = db.execute(query).fetchone()

    report = run_sync(config, operator=ALICE)

    assert report.mailboxes[0].pages == 1
    assert db.execute(query).fetchone() == before
