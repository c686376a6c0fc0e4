"""The SQLite store: operators, CRM contacts, links and sync state.

:func:`open_store` is the one way in. It applies pending migrations, turns
on WAL, a busy timeout and foreign keys, and translates SQLite's errors
into :class:`~exsync.errors.StoreError`.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from exsync.errors import StoreError
from exsync.store.schema import KNOWN_MIGRATIONS, migrations

BUSY_TIMEOUT_MS = 30_000


def open_store(path: Path | str) -> Database:
    """Open (creating if needed) and migrate the store at ``path``.

    Raises :class:`StoreError` when the file cannot be opened or migrated.
    """
    path = Path(path)
    try:
        _create_private(path)
        connection = sqlite3.connect(path, isolation_level=None, timeout=30)
        db = Database(connection)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA synchronous = NORMAL")
        _refuse_newer_schema(db, path)
        migrations.apply(db)
    except (sqlite3.Error, OSError) as error:
        raise StoreError(
            f"cannot open the store {path}: {error}",
            hint="check the path and its permissions, and that no other "
            "program holds the file locked.",
        ) from error
    return db


def _create_private(path: Path) -> None:
    """Create the store's folder and file readable by their owner alone.

    The store holds every synced contact's personal data. SQLite gives its
    -wal and -shm files the database file's mode, so they follow.
    """
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(descriptor)


def _refuse_newer_schema(db: Database, path: Path) -> None:
    """Raise StoreError if a newer exsync migrated the store.

    Its migrations may have changed what the tables mean; writing to the
    store with older code could lose data.
    """
    applied = migrations.applied(db)
    unknown = [m.name for m in applied if m.name not in KNOWN_MIGRATIONS]
    if unknown:
        raise StoreError(
            f"the store {path} was migrated by a newer exsync "
            f"(migration {', '.join(unknown)})",
            hint="upgrade exsync on this machine, or point store.path at another file.",
        )
