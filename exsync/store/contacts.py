"""CRM contacts in the store: reading and writing them as the sync does.

Rows are plain dicts keyed by column; the JSON columns (``emails``,
``phones``, ``addresses``) are decoded on the way out and encoded on the
way in. Other programs write this table too, and triggers log their
changes; exsync wraps its own writes in :func:`exsync_writes` so those
changes are marked as its own and not mistaken for a user's edit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlite_utils import Database

from exsync import mapping
from exsync.addresses import address_key
from exsync.store.schema import NOW

JSON_COLUMNS = mapping.JSON_FIELDS
# The synced fields, plus the owner, which only the CRM side has.
FIELDS = ("owner_operator_id", *mapping.FIELDS)


@contextmanager
def exsync_writes(db: Database) -> Iterator[Database]:
    """Mark every write inside the block as exsync's own.

    Opens a transaction unless one is already open (then it joins it and
    leaves committing to its owner), sets ``change_origin`` to 'exsync' and
    puts back what it was before the end, however the block ends: a nested
    block leaves the outer one's writes marked, and a joined transaction
    that is committed after a failed block leaves later writes by other
    programs theirs. An exception rolls back a transaction opened here.
    """
    owner = not db.conn.in_transaction
    if owner:
        db.execute("BEGIN IMMEDIATE")
    try:
        # Another program may have emptied the table; the triggers need the row.
        db.execute("INSERT OR IGNORE INTO change_origin (id, origin) VALUES (1, NULL)")
        before = db.execute("SELECT origin FROM change_origin WHERE id = 1").fetchone()
        db.execute("UPDATE change_origin SET origin = 'exsync' WHERE id = 1")
        try:
            yield db
        finally:
            db.execute("UPDATE change_origin SET origin = ? WHERE id = 1", [before[0]])
    except BaseException:
        if owner:
            db.execute("ROLLBACK")
        raise
    if owner:
        db.execute("COMMIT")


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    for column in JSON_COLUMNS:
        row[column] = json.loads(row[column])
    return row


def _encode(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"not CRM contact fields: {', '.join(sorted(unknown))}")
    return {
        key: json.dumps(value) if key in JSON_COLUMNS else value
        for key, value in fields.items()
    }


def get_contact(db: Database, contact_id: int) -> dict[str, Any] | None:
    """Return the contact ``contact_id`` (deleted ones too), or None."""
    rows = db.query("SELECT * FROM crm_contacts WHERE id = ?", [contact_id])
    row = next(rows, None)
    return _decode(row) if row else None


def insert_contact(db: Database, fields: dict[str, Any]) -> int:
    """Insert a contact from ``fields`` (columns of :data:`FIELDS`); return its id.

    Raises :class:`ValueError` on a key that is not a contact field.
    """
    values = _encode(fields)
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cursor = db.execute(
        f"INSERT INTO crm_contacts ({columns}) VALUES ({marks})", list(values.values())
    )
    return cursor.lastrowid


def update_contact(db: Database, contact_id: int, fields: dict[str, Any]) -> None:
    """Set ``fields`` on the contact ``contact_id`` and stamp ``updated_at``.

    Raises :class:`ValueError` on a key that is not a contact field.
    """
    values = _encode(fields)
    if not values:
        return
    assignments = ", ".join(f"{column} = ?" for column in values)
    db.execute(
        f"UPDATE crm_contacts SET {assignments}, updated_at = {NOW} WHERE id = ?",
        [*values.values(), contact_id],
    )


def soft_delete_contact(db: Database, contact_id: int) -> None:
    """Mark the contact deleted, keeping its row (the CRM's own convention)."""
    db.execute(
        f"UPDATE crm_contacts SET deleted_at = {NOW}, updated_at = {NOW} "
        "WHERE id = ? AND deleted_at IS NULL",
        [contact_id],
    )


def list_contacts(
    db: Database, operator_id: str | None = None, *, include_deleted: bool = False
) -> list[dict[str, Any]]:
    """Return contacts, of one owner operator if given, ordered by id."""
    clauses, params = [], []
    if operator_id is not None:
        clauses.append("owner_operator_id = ?")
        params.append(operator_id)
    if not include_deleted:
        clauses.append("deleted_at IS NULL")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = db.query(f"SELECT * FROM crm_contacts {where} ORDER BY id", params)
    return [_decode(row) for row in rows]


def find_contacts_by_email(
    db: Database, address: str, operator_id: str | None = None
) -> list[dict[str, Any]]:
    """Return live contacts with ``address`` among their emails, in any case."""
    sql = (
        "SELECT DISTINCT c.* FROM crm_contacts c "
        "JOIN contact_emails e ON e.contact_id = c.id "
        "WHERE e.address_key = ? AND c.deleted_at IS NULL"
    )
    params: list[Any] = [address_key(address)]
    if operator_id is not None:
        sql += " AND c.owner_operator_id = ?"
        params.append(operator_id)
    return [_decode(row) for row in db.query(sql + " ORDER BY c.id", params)]


def find_contacts_by_name(
    db: Database, display_name: str, company: str | None, operator_id: str | None = None
) -> list[dict[str, Any]]:
    """Return live contacts with this display name and company, ignoring case.

    A missing company matches contacts without one.
    """
    sql = (
        "SELECT * FROM crm_contacts WHERE deleted_at IS NULL "
        "AND lower(trim(display_name)) = lower(trim(?)) "
        "AND lower(trim(coalesce(company, ''))) = lower(trim(?))"
    )
    params: list[Any] = [display_name, company or ""]
    if operator_id is not None:
        sql += " AND owner_operator_id = ?"
        params.append(operator_id)
    return [_decode(row) for row in db.query(sql + " ORDER BY id", params)]
