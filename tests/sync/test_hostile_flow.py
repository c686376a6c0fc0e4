"""Hostile flows: scope flapping, other programs' edits, full walks, safety stop."""

from __future__ import annotations

import sqlite3

import pytest

from exsync.store.operators import upsert_operator
from exsync.sync import run_sync
from exsync.sync.mailbox import Operator
from exsync.sync.run import select_operators

from .conftest import ALICE, add_crm_contact, contact, crm_rows, link_count, with_sync


def _synced(emulator, config, count=4):
    owner = emulator.owner(ALICE)
    ids = [
        owner.create_contact(contact(f"Person {n}", email=f"p{n}@x.io"))
        for n in range(count)
    ]
    run_sync(config, operator=ALICE)
    return owner, ids


def test_run_sync_category_removed_then_readded_relinks_without_duplicate(
    emulator, config, db
):
    owner, ids = _synced(emulator, config)
    owner.set_categories(ids[0], ["Other"])
    run_sync(config, operator=ALICE)
    owner.set_categories(ids[0], ["PegaSASync"])

    run_sync(config, operator=ALICE)

    assert len(crm_rows(db)) == 4
    assert link_count(db) == 4


def test_run_sync_private_then_public_again_relinks_without_duplicate(
    emulator, config, db
):
    owner, ids = _synced(emulator, config)
    owner.set_private(ids[1], True)
    run_sync(config, operator=ALICE)
    owner.set_private(ids[1], False)

    run_sync(config, operator=ALICE)

    assert len(crm_rows(db)) == 4
    assert link_count(db) == 4


def test_run_sync_full_on_a_synced_mailbox_changes_nothing(emulator, config, db):
    _synced(emulator, config)
    before = crm_rows(db)

    report = run_sync(config, operator=ALICE, full=True)

    assert report.mailboxes[0].outcome == "ok"
    assert crm_rows(db) == before
    assert link_count(db) == 4


def test_run_sync_batch_size_one_pages_every_contact(emulator, config, db):
    config = with_sync(config, batch_size=1)

    _synced(emulator, config, count=5)

    assert len(crm_rows(db)) == 5


def test_run_sync_empty_mailbox_is_ok(emulator, config, db):
    report = run_sync(config, operator=ALICE)

    assert report.mailboxes[0].outcome == "ok"
    assert crm_rows(db) == []


@pytest.mark.parametrize(
    ("deleted", "failure", "left"),
    [(3, None, 3), (4, "deletes-need-confirmation", 6)],
    ids=["at-the-limit-proceeds", "past-the-limit-stops"],
)
def test_run_sync_safety_stop_at_half_of_six_links(
    emulator, config, db, deleted, failure, left
):
    config = with_sync(config, max_delete_share=0.5)
    owner, ids = _synced(emulator, config, count=6)
    for item_id in ids[:deleted]:
        owner.delete_contact(item_id)

    report = run_sync(config, operator=ALICE)

    assert report.mailboxes[0].failure_code == failure
    assert len(crm_rows(db)) == left


def test_run_sync_contact_changed_twenty_times_is_one_update(emulator, config, db):
    owner, ids = _synced(emulator, config)
    for n in range(20):
        owner.update_contact(ids[2], {"job_title": f"Title {n}"})

    report = run_sync(config, operator=ALICE)

    assert report.totals["updated"] == 1
    assert crm_rows(db)[2]["job_title"] == "Title 19"


def test_run_sync_state_invalidated_mid_initial_walk_creates_no_duplicates(
    emulator, config, db
):
    config = with_sync(config, batch_size=2)
    owner = emulator.owner(ALICE)
    for n in range(7):
        owner.create_contact(contact(f"Person {n}", email=f"p{n}@x.io"))

    def invalidate_after_second_page(report):
        if report.pages == 2 and report.rewalks == 0:
            emulator.faults.invalidate_sync_states(mailbox=ALICE)

    report = run_sync(config, operator=ALICE, progress=invalidate_after_second_page)

    assert report.mailboxes[0].rewalks == 1
    assert report.mailboxes[0].outcome == "ok"
    assert len(crm_rows(db)) == 7
    assert link_count(db) == 7


def test_run_sync_operator_disabled_then_reenabled_catches_up(emulator, config, db):
    owner, ids = _synced(emulator, config)
    db.execute("UPDATE operators SET contact_sync = 0 WHERE id = 'op-alice'")
    owner.update_contact(ids[3], {"job_title": "CEO"})
    owner.delete_contact(ids[0])
    run_sync(config)
    untouched = [row["job_title"] for row in crm_rows(db)]
    db.execute("UPDATE operators SET contact_sync = 1 WHERE id = 'op-alice'")

    run_sync(config)

    assert untouched == [None] * 4
    assert [row["job_title"] for row in crm_rows(db)] == [None, None, "CEO"]


def test_run_sync_two_exchange_contacts_with_one_address_link_one_create_one(
    emulator, config, db
):
    owner = emulator.owner(ALICE)
    owner.create_contact(contact("Ann Lee", email="Ann@X.io"))
    owner.create_contact(contact("Ann Lee", email=" ann@x.io"))
    crm = add_crm_contact(
        db, "op-alice", "Ann", emails=[{"label": "work", "address": "ann@x.io"}]
    )

    run_sync(config, operator=ALICE)

    rows = crm_rows(db)
    assert len(rows) == 2 and crm in [row["id"] for row in rows]
    assert link_count(db) == 2


def test_select_operators_one_mailbox_in_two_spellings_is_one_operator(db):
    upsert_operator(db, email=" " + ALICE.upper(), name="Alice Again")

    chosen = select_operators(db, ALICE.upper())

    assert chosen == [Operator("op-alice", ALICE)]
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        db.execute(
            "INSERT INTO operators (id, email, email_key) VALUES (?, ?, ?)",
            ["op-twin", ALICE.upper(), ALICE],
        )
