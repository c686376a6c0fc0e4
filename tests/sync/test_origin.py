"""exsync's own writes are marked as its own in the CRM change log."""

from __future__ import annotations

import logging
import sqlite3

from exsync.sync import run_sync

from .conftest import ALICE, contact


def _origins(db) -> set:
    return {row[0] for row in db.execute("SELECT origin FROM crm_changes")}


def test_run_sync_writes_are_logged_with_exsync_origin(emulator, config, db):
    emulator.owner(ALICE).create_contact(contact("Ana Souza", email="ana@x.example"))

    run_sync(config)

    assert _origins(db) == {"exsync"}
    assert db.execute("SELECT origin FROM change_origin").fetchall() == [(None,)]


def test_run_sync_origin_row_deleted_by_another_program_still_marks(
    emulator, config, db
):
    other = sqlite3.connect(config.store.path)
    other.execute("DELETE FROM change_origin")
    other.commit()
    other.close()
    emulator.owner(ALICE).create_contact(contact("Ana Souza", email="ana@x.example"))

    run_sync(config)

    assert _origins(db) == {"exsync"}


def test_run_sync_logs_each_change_at_info_with_ids_only(emulator, config, db, caplog):
    owner = emulator.owner(ALICE)
    item_id = owner.create_contact(contact("Ana Souza", email="ana@x.example"))

    with caplog.at_level(logging.INFO, logger="exsync.sync.apply"):
        run_sync(config)

    contact_id = db.execute("SELECT id FROM crm_contacts").fetchone()[0]
    assert [r.getMessage() for r in caplog.records] == [
        f"mailbox op-alice: create contact {contact_id} (item {item_id})"
    ]
    assert "Ana" not in caplog.text and "ana@x.example" not in caplog.text


def test_run_sync_dry_run_logs_what_it_would_change(emulator, config, db, caplog):
    item_id = emulator.owner(ALICE).create_contact(contact("Ana Souza"))

    with caplog.at_level(logging.INFO, logger="exsync.sync.apply"):
        run_sync(config, dry_run=True)

    assert [r.getMessage() for r in caplog.records] == [
        f"mailbox op-alice: would create contact (new) (item {item_id})"
    ]
