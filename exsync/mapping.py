"""Pure conversion between an Exchange contact and a CRM contact record.

An *Exchange contact* here is a plain dict with the keys the emulator and
:mod:`exsync.exchange` use (``display_name``, ``company_name``,
``email_addresses`` as ``{"EmailAddress1": ...}``, ``phone_numbers``,
``physical_addresses``, ``birthday``, ``body``, ``body_type``,
``business_homepage``, ...). A *CRM record* is a dict keyed by the
``crm_contacts`` columns (:data:`FIELDS`), with emails, phones and
addresses as Python lists and dicts. Both directions normalise the same
way (blank strings become ``None``, lists are ordered by label), so a
record converted twice compares equal to itself, and
:func:`changed_fields` never reports a difference that is only noise.

Photos are never mapped.
"""

from __future__ import annotations

import datetime
import json
import re
from html.parser import HTMLParser
from typing import Any

FIELDS = (
    "display_name",
    "given_name",
    "middle_name",
    "surname",
    "company",
    "job_title",
    "department",
    "emails",
    "phones",
    "addresses",
    "birthday",
    "notes",
    "web_page",
)
JSON_FIELDS = ("emails", "phones", "addresses")

# Exchange field name for each plain text field of the CRM record.
_TEXT_FIELDS = {
    "display_name": "display_name",
    "given_name": "given_name",
    "middle_name": "middle_name",
    "surname": "surname",
    "company": "company_name",
    "job_title": "job_title",
    "department": "department",
    "web_page": "business_homepage",
}
EMAIL_LABELS = ("EmailAddress1", "EmailAddress2", "EmailAddress3")
PHONE_LABELS = (
    "BusinessPhone",
    "BusinessPhone2",
    "MobilePhone",
    "HomePhone",
    "HomePhone2",
    "OtherTelephone",
    "PrimaryPhone",
    "CompanyMainPhone",
    "AssistantPhone",
    "Callback",
    "CarPhone",
    "Pager",
    "RadioPhone",
    "BusinessFax",
    "HomeFax",
    "OtherFax",
    "Isdn",
    "Telex",
    "TtyTddPhone",
)
ADDRESS_KINDS = {"Business": "business", "Home": "home", "Other": "other"}
# Exchange address part -> CRM address part.
_ADDRESS_PARTS = {
    "street": "street",
    "city": "city",
    "state": "state",
    "zipcode": "postal_code",
    "country": "country",
}


def record_from_contact(contact: dict[str, Any]) -> dict[str, Any]:
    """Map an Exchange contact dict to a normalised CRM record."""
    record: dict[str, Any] = {
        crm: _clean(contact.get(ews)) for crm, ews in _TEXT_FIELDS.items()
    }
    record["display_name"] = record["display_name"] or ""
    record["emails"] = _emails_from_contact(contact.get("email_addresses") or {})
    record["phones"] = _phones_from_contact(contact.get("phone_numbers") or {})
    record["addresses"] = _addresses_from_contact(
        contact.get("physical_addresses") or {}
    )
    record["birthday"] = format_birthday(contact.get("birthday"))
    record["notes"] = _notes_from_body(contact.get("body"), contact.get("body_type"))
    return record


def contact_from_record(record: dict[str, Any]) -> dict[str, Any]:
    """Map a CRM record back to an Exchange contact dict (for writing to EWS)."""
    contact: dict[str, Any] = {
        ews: _clean(record.get(crm)) for crm, ews in _TEXT_FIELDS.items()
    }
    contact["display_name"] = contact["display_name"] or ""
    contact["email_addresses"] = {
        entry["label"]: entry["address"] for entry in record.get("emails") or []
    }
    contact["phone_numbers"] = {
        entry["label"]: entry["number"] for entry in record.get("phones") or []
    }
    contact["physical_addresses"] = {
        ews_kind: {
            ews: (record.get("addresses") or {}).get(crm_kind, {}).get(crm)
            for ews, crm in _ADDRESS_PARTS.items()
        }
        for ews_kind, crm_kind in ADDRESS_KINDS.items()
        if (record.get("addresses") or {}).get(crm_kind)
    }
    contact["birthday"] = record.get("birthday")
    contact["body"] = record.get("notes")
    contact["body_type"] = "Text"
    return contact


def normalise_record(record: dict[str, Any]) -> dict[str, Any]:
    """Return ``record`` in canonical form, as :func:`record_from_contact` gives.

    Accepts a row read from ``crm_contacts`` (JSON columns as text) too.
    """
    values = {name: record.get(name) for name in FIELDS}
    for name in JSON_FIELDS:
        if isinstance(values[name], str):
            values[name] = json.loads(values[name])
    contact = contact_from_record(values)
    contact["body"] = values["notes"]
    return record_from_contact(contact)


def columns_from_record(record: dict[str, Any]) -> dict[str, Any]:
    """The ``crm_contacts`` column values for a record (JSON fields encoded)."""
    columns = {name: record.get(name) for name in FIELDS}
    for name in JSON_FIELDS:
        columns[name] = encode_json(
            columns[name] or ([] if name != "addresses" else {})
        )
    return columns


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The names of the mapped fields whose values differ, in :data:`FIELDS` order."""
    old_n, new_n = normalise_record(old), normalise_record(new)
    return [name for name in FIELDS if old_n[name] != new_n[name]]


def encode_json(value: Any) -> str:
    """Stable JSON text: sorted keys and no spaces, so equal values encode alike."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def format_birthday(value: Any) -> str | None:
    """A birthday as ``YYYY-MM-DD``, taken from the value's own calendar date.

    Exchange sends ``YYYY-MM-DDT11:59:00Z``: the date part is the birthday,
    so it is never converted to another time zone first.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    match = re.match(r"\s*(\d{4}-\d{2}-\d{2})", str(value))
    if not match:
        return None
    try:
        return datetime.date.fromisoformat(match.group(1)).isoformat()
    except ValueError:
        return None


def html_to_text(html: str) -> str:
    """Plain text from an HTML body: block elements become line breaks."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


class _TextExtractor(HTMLParser):
    _BREAKS = frozenset(
        {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}
    )
    _HIDDEN = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BREAKS and tag != "br":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _emails_from_contact(addresses: dict[str, Any]) -> list[dict[str, str]]:
    emails = []
    for label in EMAIL_LABELS:
        address = _clean(addresses.get(label))
        if address:
            emails.append({"label": label, "address": address})
    return emails


def _phones_from_contact(numbers: dict[str, Any]) -> list[dict[str, str]]:
    ordered = [label for label in PHONE_LABELS if label in numbers]
    ordered += sorted(label for label in numbers if label not in PHONE_LABELS)
    phones = []
    for label in ordered:
        number = _clean(numbers.get(label))
        if number:
            phones.append({"label": label, "number": number})
    return phones


def _addresses_from_contact(addresses: dict[str, Any]) -> dict[str, dict[str, str]]:
    result = {}
    for ews_kind, crm_kind in ADDRESS_KINDS.items():
        parts = addresses.get(ews_kind) or {}
        cleaned = {
            crm: _clean(parts.get(ews))
            for ews, crm in _ADDRESS_PARTS.items()
            if _clean(parts.get(ews))
        }
        if cleaned:
            result[crm_kind] = cleaned
    return result


def _notes_from_body(body: Any, body_type: Any) -> str | None:
    if body is None:
        return None
    text = str(body)
    kind = str(body_type or "").lower()
    if kind == "html" or (not kind and _looks_like_html(text)):
        text = html_to_text(text)
    text = text.replace("\r\n", "\n").strip()
    return text or None


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return head.startswith(("<html", "<!doctype html", "<body", "<div", "<p>"))
