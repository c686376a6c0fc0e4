"""Decide what a page of Exchange changes does to the store, before doing it.

:func:`plan_page` reads the store (inside the page's transaction) and
returns one :class:`Action` per change; :mod:`exsync.sync.apply` carries
them out. Keeping the decision apart from the writing lets a dry run report
exactly what a real run would do, and lets the safety stop count deletes
before any of them happens.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from exsync.exchange import Change
from exsync.mapping import FIELDS, normalise_record, record_from_contact
from exsync.sync.scope import Scope

log = logging.getLogger(__name__)

# Action kinds, and the report counter each one feeds.
COUNTERS = {
    "create": "created",
    "link": "linked",
    "update": "updated",
    "touch": "unchanged",
    "unlink": "unlinked",
    "delete": "deleted",
    "ambiguous": "ambiguous",
    "skip": "skipped",
}
DESTRUCTIVE = frozenset({"delete"})


@dataclass(frozen=True)
class Action:
    """One planned change to the store, for one Exchange item."""

    kind: str
    item_id: str
    change_key: str | None = None
    record: dict[str, Any] | None = None
    link_id: int | None = None
    contact_id: int | None = None
    # The CRM columns to change (mapping.FIELDS names) for link and update.
    writes: dict[str, Any] | None = None
    # True when the item left Exchange (or the walk did not see it again).
    gone: bool = False


@dataclass(frozen=True)
class _Link:
    id: int
    contact_id: int | None
    synced: dict[str, Any]


def plan_page(
    db: Database,
    operator_id: str,
    changes: list[Change],
    scope: Scope,
    *,
    delete_policy: str,
) -> list[Action]:
    """The actions for one page of changes, in the page's order.

    Raises :class:`~exsync.sync.scope.SkipRuleError` from the skip rule.
    """
    latest = {change.item_id: change for change in changes}
    links = _links_for(db, operator_id, list(latest))
    matcher = _Matcher(db, operator_id)
    actions = []
    for item_id, change in latest.items():
        link = links.get(item_id)
        if change.kind == "delete":
            if link is not None:
                actions.append(_gone_action(item_id, link, delete_policy))
            continue
        actions.append(_plan_upsert(db, change, link, scope, matcher))
    return actions


def plan_sweep(
    db: Database, operator_id: str, walk: int, *, delete_policy: str
) -> list[Action]:
    """Deletes for the links a finished full walk did not see."""
    rows = db.execute(
        "SELECT id, item_id, contact_id FROM links "
        "WHERE operator_id = ? AND seen_walk < ? ORDER BY id",
        [operator_id, walk],
    ).fetchall()
    return [
        _gone_action(item_id, _Link(link_id, contact_id, {}), delete_policy)
        for link_id, item_id, contact_id in rows
    ]


def _gone_action(item_id: str, link: _Link, delete_policy: str) -> Action:
    kind = "delete" if delete_policy == "delete" and link.contact_id else "unlink"
    return Action(kind, item_id, link_id=link.id, contact_id=link.contact_id, gone=True)


def _plan_upsert(
    db: Database,
    change: Change,
    link: _Link | None,
    scope: Scope,
    matcher: _Matcher,
) -> Action:
    item_id, change_key = change.item_id, change.change_key
    if (
        not change.is_contact
        or change.contact is None
        or not scope.includes(change.contact)
    ):
        if link is not None:
            return Action(
                "unlink", item_id, link_id=link.id, contact_id=link.contact_id
            )
        return Action("skip", item_id)
    record = record_from_contact(change.contact)
    if link is not None:
        writes = _writes_for_update(db, link, record)
        kind = "update" if writes else "touch"
        return Action(
            kind, item_id, change_key, record, link.id, link.contact_id, writes
        )
    found, contact_id = matcher.match(record)
    if found == "many":
        log.warning(
            "operator %s: Exchange item %s matches CRM contacts %s; "
            "not created, link one of them by hand",
            matcher.operator_id,
            item_id,
            ", ".join(str(n) for n in matcher.last_candidates),
        )
        return Action("ambiguous", item_id)
    if found == "one":
        writes = _writes_for_match(_current(db, contact_id), record)
        return Action("link", item_id, change_key, record, None, contact_id, writes)
    return Action("create", item_id, change_key, record)


def _writes_for_update(
    db: Database, link: _Link, record: dict[str, Any]
) -> dict[str, Any]:
    # Only what changed in Exchange since the last sync is carried over, so
    # an edit made in the CRM to another field survives.
    changed = [name for name in FIELDS if record[name] != link.synced.get(name)]
    current = _current(db, link.contact_id) if changed else None
    if current is None:
        return {}
    return {name: record[name] for name in changed if current[name] != record[name]}


def _writes_for_match(current: dict[str, Any] | None, record: dict[str, Any]) -> dict:
    # At the first pairing Exchange fills in what it knows; a value only the
    # CRM has is kept.
    if current is None:
        return {}
    return {
        name: record[name]
        for name in FIELDS
        if record[name] not in (None, "", [], {}) and current[name] != record[name]
    }


def _current(db: Database, contact_id: int | None) -> dict[str, Any] | None:
    if contact_id is None:
        return None
    cursor = db.execute(
        "SELECT * FROM crm_contacts WHERE id = ? AND deleted_at IS NULL", [contact_id]
    )
    row = cursor.fetchone()
    if row is None:
        return None
    columns = [description[0] for description in cursor.description]
    return normalise_record(dict(zip(columns, row, strict=True)))


def _links_for(db: Database, operator_id: str, item_ids: list[str]) -> dict[str, _Link]:
    if not item_ids:
        return {}
    rows = db.execute(
        "SELECT id, item_id, contact_id, synced FROM links "
        "WHERE operator_id = ? AND item_id IN (SELECT value FROM json_each(?))",
        [operator_id, json.dumps(item_ids)],
    ).fetchall()
    return {
        item_id: _Link(link_id, contact_id, json.loads(synced))
        for link_id, item_id, contact_id, synced in rows
    }


class _Matcher:
    """Finds the existing, unlinked CRM contact an Exchange contact stands for.

    By email address first (trimmed, case-folded as the store's triggers
    do), then by display name and company. A contact claimed earlier in the
    same page is not offered again.
    """

    def __init__(self, db: Database, operator_id: str) -> None:
        self._db = db
        self.operator_id = operator_id
        self.last_candidates: list[int] = []
        self._claimed: set[int] = set()
        self._any = (
            db.execute(
                "SELECT 1 FROM crm_contacts c WHERE c.owner_operator_id = ? "
                "AND c.deleted_at IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM links l WHERE l.contact_id = c.id) "
                "LIMIT 1",
                [operator_id],
            ).fetchone()
            is not None
        )

    def match(self, record: dict[str, Any]) -> tuple[str, int | None]:
        """``("one", id)``, ``("many", None)`` or ``("none", None)``."""
        if not self._any:
            return "none", None
        addresses = [e["address"] for e in record["emails"]]
        found = (
            self._candidates(_BY_EMAIL, [json.dumps(addresses)]) if addresses else []
        )
        if not found and record["display_name"]:
            found = self._candidates(
                _BY_NAME, [record["display_name"], record["company"] or ""]
            )
        self.last_candidates = found
        if len(found) > 1:
            return "many", None
        if found:
            self._claimed.add(found[0])
            return "one", found[0]
        return "none", None

    def _candidates(self, where: str, params: list[Any]) -> list[int]:
        rows = self._db.execute(
            "SELECT DISTINCT c.id FROM crm_contacts c "
            "WHERE c.owner_operator_id = ? AND c.deleted_at IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM links l WHERE l.contact_id = c.id) "
            f"AND {where} ORDER BY c.id",
            [self.operator_id, *params],
        ).fetchall()
        return [row[0] for row in rows if row[0] not in self._claimed]


_BY_EMAIL = (
    "c.id IN (SELECT e.contact_id FROM contact_emails e WHERE e.address_key IN "
    "(SELECT lower(trim(value)) FROM json_each(?)))"
)
_BY_NAME = (
    "lower(trim(c.display_name)) = lower(trim(?)) "
    "AND lower(trim(coalesce(c.company, ''))) = lower(trim(?))"
)
