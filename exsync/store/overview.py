"""Each operator's sync at a glance: what ``exsync status`` reports.

One query joins an operator with their sync state, the number of CRM
contacts linked to their mailbox, and their open failure incident, so the
overview costs the same whatever the number of contacts.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from sqlite_utils import Database

from exsync.addresses import address_key
from exsync.failures import CATALOGUE


@dataclass(frozen=True)
class OpenFailure:
    """An operator's open incident, as the catalogue names it."""

    code: str
    title: str
    advice: str
    detail: str
    since: str
    last: str
    attempts: int
    emailed_at: str | None


@dataclass(frozen=True)
class OperatorOverview:
    """One operator's sync, as the store knows it."""

    id: str
    name: str
    email: str
    enabled: bool
    phase: str | None  # None: never synced
    last_attempt_at: str | None
    last_success_at: str | None
    contacts_in_sync: int
    failure: OpenFailure | None

    def to_dict(self) -> dict[str, Any]:
        """The overview as JSON-ready data."""
        return asdict(self)


_OVERVIEW = """
SELECT o.id, o.name, o.email, o.contact_sync, s.phase, s.last_attempt_at,
    s.last_success_at,
    (SELECT count(*) FROM links l JOIN crm_contacts c ON c.id = l.contact_id
     WHERE l.operator_id = o.id AND c.deleted_at IS NULL) AS linked,
    f.code, f.message, f.first_failed_at, f.last_failed_at, f.attempts,
    f.emailed_at
FROM operators o
LEFT JOIN sync_state s ON s.operator_id = o.id
LEFT JOIN failures f ON f.operator_id = o.id AND f.resolved_at IS NULL
"""


def list_overviews(db: Database, email: str | None = None) -> list[OperatorOverview]:
    """Every operator's overview ordered by address, or only ``email``'s."""
    sql, params = _OVERVIEW, []
    if email is not None:
        sql += "WHERE o.email_key = ? "
        params.append(address_key(email))
    rows = db.execute(sql + "ORDER BY o.email_key", params).fetchall()
    return [_to_overview(row) for row in rows]


def last_run(db: Database) -> dict[str, Any] | None:
    """The latest recorded run (started, finished, exit code, summary), or None."""
    row = next(db.query("SELECT * FROM runs ORDER BY id DESC LIMIT 1"), None)
    if row is None:
        return None
    row["summary"] = json.loads(row["summary"]) if row["summary"] else None
    return row


def _to_overview(row: tuple) -> OperatorOverview:
    (operator_id, name, email, enabled, phase, attempt, success, linked) = row[:8]
    code, detail, since, last, attempts, emailed_at = row[8:]
    failure = None
    if code is not None:
        kind = CATALOGUE.get(code, CATALOGUE["unexpected"])
        failure = OpenFailure(
            code, kind.title, kind.advice, detail, since, last, attempts, emailed_at
        )
    return OperatorOverview(
        operator_id,
        name,
        email,
        bool(enabled),
        phase,
        attempt,
        success,
        linked,
        failure,
    )
