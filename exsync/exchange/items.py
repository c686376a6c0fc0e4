"""Exchange items as plain data: what a SyncFolderItems page holds.

Part of :mod:`exsync.exchange`. Contacts become dicts with the keys of
:mod:`exsync.mapping`; contact groups and other item types are marked so
the engine can ignore them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from exchangelib import HTMLBody
from exchangelib.items import Contact
from exchangelib.services import SyncFolderItems

# The contact fields read from Exchange: what exsync.mapping maps, plus
# what decides the scope. Photos are never asked for.
SYNC_FIELDS = (
    "display_name",
    "given_name",
    "middle_name",
    "surname",
    "company_name",
    "job_title",
    "department",
    "email_addresses",
    "phone_numbers",
    "physical_addresses",
    "birthday",
    "body",
    "business_homepage",
    "categories",
    "sensitivity",
    "item_class",
)


@dataclass(frozen=True)
class Change:
    """One entry of a SyncFolderItems page.

    ``kind`` is ``"upsert"`` (created or updated) or ``"delete"``.
    ``contact`` is the item's fields as a plain dict (the keys of
    :mod:`exsync.mapping`), ``None`` for deletes; ``is_contact`` is false for
    contact groups and other item types, which exsync ignores.
    """

    kind: str
    item_id: str
    change_key: str | None = None
    contact: dict[str, Any] | None = None
    is_contact: bool = True


@dataclass(frozen=True)
class Page:
    """The changes one SyncFolderItems request returned, and the state after it."""

    changes: list[Change] = field(default_factory=list)
    state: str = ""
    last: bool = True


def change_from_entry(kind: str, item: Any) -> Change | None:
    """The :class:`Change` for one SyncFolderItems entry; None for read flags."""
    if kind == SyncFolderItems.DELETE:
        return Change(kind="delete", item_id=item.id)
    if kind == SyncFolderItems.READ_FLAG_CHANGE:
        return None
    if isinstance(item, Contact):
        return Change(
            kind="upsert",
            item_id=item.id,
            change_key=item.changekey,
            contact=contact_dict(item),
        )
    return Change(
        kind="upsert",
        item_id=item.id,
        change_key=getattr(item, "changekey", None),
        is_contact=False,
    )


def contact_dict(item: Any) -> dict[str, Any] | None:
    """An exchangelib Contact's mapped fields as a plain dict; None otherwise."""
    if not isinstance(item, Contact):
        return None
    body = item.body
    return {
        "display_name": item.display_name,
        "given_name": item.given_name,
        "middle_name": item.middle_name,
        "surname": item.surname,
        "company_name": item.company_name,
        "job_title": item.job_title,
        "department": item.department,
        "email_addresses": {e.label: e.email for e in item.email_addresses or []},
        "phone_numbers": {p.label: p.phone_number for p in item.phone_numbers or []},
        "physical_addresses": {
            a.label: {
                "street": a.street,
                "city": a.city,
                "state": a.state,
                "country": a.country,
                "zipcode": a.zipcode,
            }
            for a in item.physical_addresses or []
        },
        "birthday": item.birthday,
        "body": str(body) if body is not None else None,
        "body_type": "HTML" if isinstance(body, HTMLBody) else "Text",
        "business_homepage": item.business_homepage,
        "categories": list(item.categories or []),
        "sensitivity": item.sensitivity,
    }
