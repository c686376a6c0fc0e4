"""Opening the store: file permissions, schema versions, pragmas."""

import json
import os
import sqlite3
import stat

import pytest
from sqlite_utils import Database

from exsync.addresses import address_key
from exsync.errors import ExitCode, StoreError
from exsync.store import open_store
from exsync.store.schema import initial, migrations


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_open_store_new_file_is_private_to_its_owner(tmp_path):
    previous = os.umask(0o022)
    try:
        db = open_store(tmp_path / "store" / "exsync.db")
        db.execute("INSERT INTO runs (pid) VALUES (1)")
    finally:
        os.umask(previous)

    assert _mode(tmp_path / "store" / "exsync.db") == 0o600
    assert _mode(tmp_path / "store" / "exsync.db-wal") == 0o600
    assert _mode(tmp_path / "store") == 0o700


def test_open_store_existing_file_keeps_its_mode(tmp_path):
    path = tmp_path / "exsync.db"
    open_store(path).conn.close()
    path.chmod(0o640)

    open_store(path).conn.close()

    assert _mode(path) == 0o640


def test_open_store_migrated_by_newer_exsync_is_refused(tmp_path):
    path = tmp_path / "exsync.db"
    open_store(path).conn.close()
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('exsync', '9999_future', '2030-01-01')"
        )
    connection.close()

    with pytest.raises(StoreError) as raised:
        open_store(path)

    assert raised.value.exit_code == ExitCode.STORE
    assert "9999_future" in raised.value.message
    assert "newer exsync" in raised.value.message


def test_open_store_turns_on_wal_and_foreign_keys(tmp_path):
    db = open_store(tmp_path / "exsync.db")

    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_known_migrations_lists_every_registered_migration(tmp_path):
    from exsync.store.schema import KNOWN_MIGRATIONS

    db = open_store(tmp_path / "exsync.db")

    assert tuple(m.name for m in migrations.applied(db)) == KNOWN_MIGRATIONS


@pytest.mark.parametrize("blank", [" ", "\t", "\xa0", "\r\n"])
def test_contact_emails_key_matches_python_address_key(tmp_path, blank):
    address = f"{blank}Ann@Example.COM{blank}"
    db = open_store(tmp_path / "exsync.db")
    emails = json.dumps([{"label": "EmailAddress1", "address": address}])
    db.execute(
        "INSERT INTO crm_contacts (display_name, emails) VALUES ('A', ?)", [emails]
    )

    stored = db.execute("SELECT address_key FROM contact_emails").fetchone()[0]

    assert stored == address_key(address) == "ann@example.com"


def test_migration_0002_rebuilds_keys_of_existing_contacts(tmp_path):
    path = tmp_path / "exsync.db"
    old = Database(path)
    initial(old)
    migrations.ensure_migrations_table(old)
    old.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('exsync', '0001_initial', '2026-01-01')"
    )
    emails = json.dumps([{"label": "EmailAddress1", "address": "ann@example.com\t"}])
    old.execute(
        "INSERT INTO crm_contacts (display_name, emails) VALUES ('A', ?)", [emails]
    )
    assert old.execute("SELECT address_key FROM contact_emails").fetchone()[0] == (
        "ann@example.com\t"
    )
    old.close()

    db = open_store(path)

    keys = [row[0] for row in db.execute("SELECT address_key FROM contact_emails")]
    assert keys == ["ann@example.com"]
