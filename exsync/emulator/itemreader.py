"""Reading ``t:Contact`` and ``t:DistributionList`` XML into item dicts.

The counterpart of the rendering in :mod:`exsync.emulator.fields`, whose
tables say which element holds which property. Input is checked as
Exchange's schema validation checks it: an unknown index key or a date that
is not an xs:dateTime is refused with ErrorSchemaValidation.
"""

from __future__ import annotations

from datetime import date

from lxml import etree

from exsync.emulator.fields import (
    ADDRESS_KEYS,
    ADDRESS_PARTS,
    DATE_FIELDS,
    INDEXED,
    LIST_FIELDS,
    SENSITIVITIES,
    STRING_FIELDS,
)
from exsync.emulator.soap import schema_error, t


def _strings_of(element: etree._Element) -> list[str]:
    return [(child.text or "") for child in element if child.tag == t("String")]


def _check_index(
    uri: str, index: str, allowed: tuple[str, ...], type_name: str
) -> None:
    if index not in allowed:
        raise schema_error(
            f"The 'Key' attribute is invalid - The value '{index}' is invalid "
            f"according to its data type "
            f"'http://schemas.microsoft.com/exchange/services/2006/types:{type_name}'"
            " - The Enumeration constraint failed."
        )


def read_item(element: etree._Element) -> dict:
    """Read a ``t:Contact`` or ``t:DistributionList`` element into an item dict.

    Raises SoapFaultError (ErrorSchemaValidation) for unknown index keys.
    """
    item: dict = {}
    if element.tag == t("DistributionList"):
        item["kind"] = "distribution_list"
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        _read_property(name, child, item)
    return item


def _read_property(name: str, child: etree._Element, item: dict) -> None:
    text = child.text or ""
    if name in ("Subject",):
        item.setdefault("display_name", text)
    elif name == "Sensitivity":
        if text not in SENSITIVITIES:
            raise schema_error(
                f"The value '{text}' is not a valid SensitivityChoicesType."
            )
        item["sensitivity"] = text
    elif name == "Body":
        item["body"] = text
    elif name == "Categories":
        item["categories"] = _strings_of(child)
    elif name == "EmailAddresses":
        _read_entries(child, item, "email_addresses", "contacts:EmailAddress")
    elif name == "PhoneNumbers":
        _read_entries(child, item, "phone_numbers", "contacts:PhoneNumber")
    elif name == "ImAddresses":
        _read_entries(child, item, "im_addresses", "contacts:ImAddress")
    elif name == "PhysicalAddresses":
        _read_addresses(child, item)
    elif name == "Members":
        item["members"] = _read_members(child)
    else:
        for table in (STRING_FIELDS, DATE_FIELDS, LIST_FIELDS):
            for key, (_uri, tag) in table.items():
                if tag == name:
                    if table is LIST_FIELDS:
                        item[key] = _strings_of(child)
                    elif table is DATE_FIELDS:
                        item[key] = _read_date(name, text)
                    else:
                        item[key] = text
                    return


def _read_date(name: str, text: str) -> str:
    """The date part of an xs:dateTime; raises SoapFaultError for anything else."""
    value = text.strip()
    try:
        date.fromisoformat(value[:10])
    except ValueError:
        valid = False
    else:
        valid = len(value) == 10 or value[10:11] == "T"
    if not valid:
        raise schema_error(
            f"The '{name}' element is invalid - The value '{text}' is invalid "
            "according to its datatype 'http://www.w3.org/2001/XMLSchema:dateTime'."
        )
    return value[:10]


def _read_entries(element, item: dict, key: str, uri: str) -> None:
    _, allowed, type_name = INDEXED[uri]
    values = item.setdefault(key, {})
    for entry in element:
        if entry.tag != t("Entry"):
            continue
        index = entry.get("Key", "")
        _check_index(uri, index, allowed, type_name)
        values[index] = (entry.text or "").strip()


def _read_addresses(element, item: dict) -> None:
    values = item.setdefault("physical_addresses", {})
    for entry in element:
        if entry.tag != t("Entry"):
            continue
        index = entry.get("Key", "")
        _check_index(
            "contacts:PhysicalAddress", index, ADDRESS_KEYS, "PhysicalAddressKeyType"
        )
        address = values.setdefault(index, {})
        for part in entry:
            if not isinstance(part.tag, str):
                continue
            local = etree.QName(part).localname
            if local in ADDRESS_PARTS:
                address[ADDRESS_PARTS[local]] = part.text or ""


def _read_members(element) -> list:
    members = []
    for member in element.iter(t("Mailbox")):
        email = member.findtext(t("EmailAddress")) or ""
        name = member.findtext(t("Name")) or ""
        members.append({"name": name, "email": email} if name else {"email": email})
    return members


def check_index(uri: str, index: str) -> None:
    """Refuse an index a FieldURI does not have, as schema validation does.

    Raises SoapFaultError (ErrorSchemaValidation) for such an index.
    """
    if uri in INDEXED:
        _, allowed, type_name = INDEXED[uri]
        _check_index(uri, index, allowed, type_name)
    elif uri.startswith("contacts:PhysicalAddress:"):
        _check_index(uri, index, ADDRESS_KEYS, "PhysicalAddressKeyType")
