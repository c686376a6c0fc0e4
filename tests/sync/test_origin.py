"""exsync's own writes are marked as its own in the CRM change log."""

from __future__ import annotations

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
