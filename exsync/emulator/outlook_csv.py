"""Reading contacts from an Outlook contacts CSV export.

Outlook writes a fixed English header set (92 columns in 2000-2016), in
UTF-8 with a BOM or in the Windows code page, sometimes dropping trailing
empty columns, and ``0/0/00`` for an empty date.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

from exsync.emulator.fields import SENSITIVITIES
from exsync.emulator.seed import SeedError

_PLAIN = {
    "First Name": "given_name",
    "Middle Name": "middle_name",
    "Last Name": "surname",
    "Suffix": "generation",
    "Company": "company_name",
    "Department": "department",
    "Job Title": "job_title",
    "Assistant's Name": "assistant_name",
    "Initials": "initials",
    "Manager's Name": "manager",
    "Office Location": "office",
    "Profession": "profession",
    "Spouse": "spouse_name",
    "Web Page": "business_homepage",
    "Notes": "body",
}
_PHONES = {
    "Assistant's Phone": "AssistantPhone",
    "Business Fax": "BusinessFax",
    "Business Phone": "BusinessPhone",
    "Business Phone 2": "BusinessPhone2",
    "Callback": "Callback",
    "Car Phone": "CarPhone",
    "Company Main Phone": "CompanyMainPhone",
    "Home Fax": "HomeFax",
    "Home Phone": "HomePhone",
    "Home Phone 2": "HomePhone2",
    "ISDN": "Isdn",
    "Mobile Phone": "MobilePhone",
    "Other Fax": "OtherFax",
    "Other Phone": "OtherTelephone",
    "Pager": "Pager",
    "Primary Phone": "PrimaryPhone",
    "Radio Phone": "RadioPhone",
    "TTY/TDD Phone": "TtyTddPhone",
    "Telex": "Telex",
}
_EMAILS = {
    "E-mail Address": "EmailAddress1",
    "E-mail 2 Address": "EmailAddress2",
    "E-mail 3 Address": "EmailAddress3",
}
_DATES = {"Birthday": "birthday", "Anniversary": "wedding_anniversary"}
_ADDRESS_PARTS = {
    "Street": "street",
    "City": "city",
    "State": "state",
    "Postal Code": "zipcode",
    "Country": "country",
}
_DATE = re.compile(r"^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})$")


def decode_export(raw: bytes) -> str:
    """Decode an export: UTF-8 (BOM or not), else Windows-1252."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def parse_outlook_date(text: str) -> str | None:
    """Read an Outlook date (m/d/yy, d.m.yyyy, yyyy-mm-dd); None if empty."""
    match = _DATE.match(text.strip())
    if not match:
        return None
    a, b, c = (int(x) for x in match.groups())
    if a > 31:
        year, month, day = a, b, c
    elif "." in text:
        day, month, year = a, b, c
    else:
        month, day, year = a, b, c
    if year < 100:
        year += 2000 if year < 30 else 1900
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def read_outlook_csv(path: str | Path) -> list[dict]:
    """Read an export file into contact dicts; raises SeedError if unusable."""
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise SeedError(f"cannot read {path}: {error}") from None
    return parse_outlook_csv(decode_export(raw), str(path))


def parse_outlook_csv(text: str, source: str = "CSV") -> list[dict]:
    """Turn an export's text into contact dicts."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or "First Name" not in rows[0] and "Last Name" not in rows[0]:
        raise SeedError(f"{source} does not have an Outlook contacts header")
    header = rows[0]
    contacts = []
    for row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        values = {name: row[i].strip() for i, name in enumerate(header) if i < len(row)}
        contact = _contact(values)
        if contact:
            contacts.append(contact)
    return contacts


def _contact(values: dict[str, str]) -> dict | None:
    contact: dict = {}
    for column, key in _PLAIN.items():
        if values.get(column):
            contact[key] = values[column]
    phones = {label: values[c] for c, label in _PHONES.items() if values.get(c)}
    emails = {label: values[c] for c, label in _EMAILS.items() if values.get(c)}
    if phones:
        contact["phone_numbers"] = phones
    if emails:
        contact["email_addresses"] = emails
    addresses = {}
    for kind in ("Business", "Home", "Other"):
        address = {}
        streets = [values.get(f"{kind} Street{n}", "") for n in ("", " 2", " 3")]
        if any(streets):
            address["street"] = "\n".join(s for s in streets if s)
        for column, part in _ADDRESS_PARTS.items():
            if column != "Street" and values.get(f"{kind} {column}"):
                address[part] = values[f"{kind} {column}"]
        if address:
            addresses[kind] = address
    if addresses:
        contact["physical_addresses"] = addresses
    for column, key in _DATES.items():
        parsed = parse_outlook_date(values.get(column, ""))
        if parsed:
            contact[key] = parsed
    categories = [c.strip() for c in re.split(r"[;,]", values.get("Categories", ""))]
    if any(categories):
        contact["categories"] = [c for c in categories if c]
    sensitivity = values.get("Sensitivity", "")
    if sensitivity in SENSITIVITIES:
        contact["sensitivity"] = sensitivity
    elif values.get("Private", "").lower() == "true":
        contact["sensitivity"] = "Private"
    name = " ".join(p for p in (contact.get("given_name"), contact.get("surname")) if p)
    name = name or contact.get("company_name") or next(iter(emails.values()), "")
    if not name:
        return None
    contact["display_name"] = name
    return contact
