"""The SQLite store: operators, CRM contacts, links and sync state.

:func:`open_store` is the one way in. It applies pending migrations, turns
on WAL, a busy timeout and foreign keys, and translates SQLite's errors
into :class:`~exsync.errors.StoreError`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from exsync.errors import StoreError
from exsync.store.schema import migrations

BUSY_TIMEOUT_MS = 30_000


def open_store(path: Path | str) -> Database:
    """Open (creating if needed) and migrate the store at ``path``.

    Raises :class:`StoreError` when the file cannot be opened or migrated.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, isolation_level=None, timeout=30)
        db = Database(connection)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA synchronous = NORMAL")
        migrations.apply(db)
    except (sqlite3.Error, OSError) as error:
        raise StoreError(
            f"cannot open the store {path}: {error}",
            hint="check the path and its permissions, and that no other "
            "program holds the file locked.",
        ) from error
    return db
