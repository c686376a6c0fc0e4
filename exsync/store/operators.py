"""Operators in the store: the people whose mailboxes take part.

An operator's address is their Exchange mailbox. ``email_key`` holds the
address in its comparison form, so look-ups ignore case, and the unique
index on it keeps "Ann@X.com" and "ann@x.com" one operator.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from exsync.addresses import address_key
from exsync.errors import InputError


@dataclass(frozen=True)
class Operator:
    """One operator as stored."""

    id: str
    name: str
    email: str
    contact_sync: bool
    created_at: str = ""
    updated_at: str = ""


def _to_operator(row: dict) -> Operator:
    return Operator(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        contact_sync=bool(row["contact_sync"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def get_operator(db: Database, email: str) -> Operator | None:
    """Return the operator whose address is ``email`` in any case, or None."""
    rows = db.query("SELECT * FROM operators WHERE email_key = ?", [address_key(email)])
    row = next(rows, None)
    return _to_operator(row) if row else None


def get_operator_by_id(db: Database, operator_id: str) -> Operator | None:
    """Return the operator with ``operator_id``, or None."""
    row = next(db.query("SELECT * FROM operators WHERE id = ?", [operator_id]), None)
    return _to_operator(row) if row else None


def list_operators(db: Database, *, enabled_only: bool = False) -> list[Operator]:
    """Return the operators ordered by address; only enabled ones on request."""
    where = "WHERE contact_sync = 1" if enabled_only else ""
    rows = db.query(f"SELECT * FROM operators {where} ORDER BY email_key")
    return [_to_operator(row) for row in rows]


def upsert_operator(
    db: Database,
    *,
    email: str,
    operator_id: str | None = None,
    name: str | None = None,
    contact_sync: bool | None = None,
) -> tuple[Operator, str]:
    """Create or update the operator with address ``email`` (any case).

    Values left as None keep what is stored (a new operator gets its
    address as id, an empty name and contact sync on). The stored spelling
    of the address is kept. Returns the operator and what happened:
    ``"created"``, ``"updated"`` or ``"unchanged"``. Raises
    :class:`InputError` when the id is blank or belongs to another
    address, or when the id would change while the store holds data that
    hangs on it.
    """
    if operator_id is not None:
        operator_id = operator_id.strip()
        if not operator_id:
            raise InputError("an operator id cannot be empty")
    current = get_operator(db, email)
    check_operator_identity(db, email, operator_id)
    if current is None:
        db.execute(
            "INSERT INTO operators (id, name, email, email_key, contact_sync) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                operator_id or address_key(email),
                name or "",
                email.strip(),
                address_key(email),
                1 if contact_sync in (None, True) else 0,
            ],
        )
        return get_operator(db, email), "created"  # type: ignore[return-value]
    wanted = {
        "id": current.id if operator_id is None else operator_id,
        "name": current.name if name is None else name,
        "contact_sync": current.contact_sync if contact_sync is None else contact_sync,
    }
    if wanted == {key: getattr(current, key) for key in wanted}:
        return current, "unchanged"
    db.execute(
        "UPDATE operators SET id = ?, name = ?, contact_sync = ?, "
        "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE email_key = ?",
        [
            wanted["id"],
            wanted["name"],
            int(wanted["contact_sync"]),
            address_key(email),
        ],
    )
    return get_operator(db, email), "updated"  # type: ignore[return-value]


def operator_in_use(db: Database, operator_id: str) -> bool:
    """Tell whether any row of the store refers to the operator ``operator_id``.

    The referring tables are read from the schema's foreign keys, so tables
    added by later migrations count too.
    """
    references = db.execute(
        'SELECT m.name, f."from" FROM sqlite_master m, '
        "pragma_foreign_key_list(m.name) f "
        "WHERE m.type = 'table' AND f.\"table\" = 'operators'"
    ).fetchall()
    return any(
        db.execute(
            f'SELECT 1 FROM "{table}" WHERE "{column}" = ? LIMIT 1', [operator_id]
        ).fetchone()
        for table, column in references
    )


def check_operator_identity(db: Database, email: str, operator_id: str | None) -> None:
    """Raise :class:`InputError` if giving ``email`` the id ``operator_id`` is
    not allowed: the id belongs to another address, or the address's
    operator already has synced data under its present id."""
    if operator_id is None:
        return
    by_email = get_operator(db, email)
    if by_email is not None and by_email.id != operator_id:
        if operator_in_use(db, by_email.id):
            raise InputError(
                f"{email} is already operator {by_email.id!r}, not "
                f"{operator_id!r}, and has synced data under that id",
                hint="an id with synced data cannot change; leave the id out "
                "or fix it.",
            )
    by_id = get_operator_by_id(db, operator_id)
    if by_id is not None and address_key(by_id.email) != address_key(email):
        raise InputError(
            f"operator id {operator_id!r} already belongs to {by_id.email}",
            hint="give each operator its own id.",
        )


def set_contact_sync(db: Database, email: str, enabled: bool) -> Operator | None:
    """Turn contact sync on or off for the operator ``email``; None if unknown."""
    if get_operator(db, email) is None:
        return None
    operator, _ = upsert_operator(db, email=email, contact_sync=enabled)
    return operator
