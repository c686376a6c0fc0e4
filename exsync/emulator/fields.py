"""The contact and contact-group properties the emulator holds, and their XML.

Items are plain dicts keyed as in the emulator's Python API (``given_name``,
``email_addresses``...). This module knows each property's FieldURI, its
element, its place in the schema's sequence, and how to write it; reading
is :mod:`exsync.emulator.itemreader`'s job.
"""

from __future__ import annotations

from exsync.emulator.soap import escape

# (api key, FieldURI, element) of the plain string properties of a contact,
# in the order of the ContactItemType sequence; the indexed ones and the
# complete name are placed by CONTACT_ORDER below.
STRING_FIELDS = {
    "file_as": ("contacts:FileAs", "FileAs"),
    "display_name": ("contacts:DisplayName", "DisplayName"),
    "given_name": ("contacts:GivenName", "GivenName"),
    "initials": ("contacts:Initials", "Initials"),
    "middle_name": ("contacts:MiddleName", "MiddleName"),
    "nickname": ("contacts:Nickname", "Nickname"),
    "company_name": ("contacts:CompanyName", "CompanyName"),
    "assistant_name": ("contacts:AssistantName", "AssistantName"),
    "business_homepage": ("contacts:BusinessHomePage", "BusinessHomePage"),
    "department": ("contacts:Department", "Department"),
    "generation": ("contacts:Generation", "Generation"),
    "job_title": ("contacts:JobTitle", "JobTitle"),
    "manager": ("contacts:Manager", "Manager"),
    "office": ("contacts:OfficeLocation", "OfficeLocation"),
    "profession": ("contacts:Profession", "Profession"),
    "spouse_name": ("contacts:SpouseName", "SpouseName"),
    "surname": ("contacts:Surname", "Surname"),
}
DATE_FIELDS = {
    "birthday": ("contacts:Birthday", "Birthday"),
    "wedding_anniversary": ("contacts:WeddingAnniversary", "WeddingAnniversary"),
}
LIST_FIELDS = {
    "children": ("contacts:Children", "Children"),
    "companies": ("contacts:Companies", "Companies"),
}

EMAIL_KEYS = ("EmailAddress1", "EmailAddress2", "EmailAddress3")
IM_KEYS = ("ImAddress1", "ImAddress2", "ImAddress3")
PHONE_KEYS = (
    "AssistantPhone", "BusinessFax", "BusinessPhone", "BusinessPhone2", "Callback",
    "CarPhone", "CompanyMainPhone", "HomeFax", "HomePhone", "HomePhone2", "Isdn",
    "MobilePhone", "OtherFax", "OtherTelephone", "Pager", "PrimaryPhone",
    "RadioPhone", "Telex", "TtyTddPhone",
)  # fmt: skip
ADDRESS_KEYS = ("Business", "Home", "Other")
# Sub-field element -> key in an address dict, in schema order.
ADDRESS_PARTS = {
    "Street": "street",
    "City": "city",
    "State": "state",
    "CountryOrRegion": "country",
    "PostalCode": "zipcode",
}
# Indexed FieldURI -> (api key, allowed indexes, schema type for messages).
INDEXED = {
    "contacts:EmailAddress": ("email_addresses", EMAIL_KEYS, "EmailAddressKeyType"),
    "contacts:PhoneNumber": ("phone_numbers", PHONE_KEYS, "PhoneNumberKeyType"),
    "contacts:ImAddress": ("im_addresses", IM_KEYS, "ImAddressKeyType"),
}
SENSITIVITIES = ("Normal", "Personal", "Private", "Confidential")

# Every FieldURI a contact is rendered with, in ItemType + ContactItemType order.
_ITEM_ORDER = (
    "item:ParentFolderId", "item:ItemClass", "item:Subject", "item:Sensitivity",
    "item:Body", "item:DateTimeReceived", "item:Size", "item:Categories",
    "item:Importance", "item:IsSubmitted", "item:IsDraft", "item:IsFromMe",
    "item:IsResend", "item:IsUnmodified", "item:DateTimeSent",
    "item:DateTimeCreated", "item:DisplayCc", "item:DisplayTo",
    "item:HasAttachments", "item:Culture", "item:EffectiveRights",
    "item:LastModifiedName", "item:LastModifiedTime", "item:IsAssociated",
)  # fmt: skip
CONTACT_ORDER = _ITEM_ORDER + (
    "contacts:FileAs", "contacts:DisplayName",
    "contacts:GivenName", "contacts:Initials", "contacts:MiddleName",
    "contacts:Nickname", "contacts:CompleteName", "contacts:CompanyName",
    "contacts:EmailAddresses", "contacts:PhysicalAddresses",
    "contacts:PhoneNumbers", "contacts:AssistantName", "contacts:Birthday",
    "contacts:BusinessHomePage", "contacts:Children", "contacts:Companies",
    "contacts:Department", "contacts:Generation", "contacts:ImAddresses",
    "contacts:JobTitle", "contacts:Manager", "contacts:OfficeLocation",
    "contacts:Profession", "contacts:SpouseName", "contacts:Surname",
    "contacts:WeddingAnniversary", "contacts:HasPicture", "contacts:Notes",
)  # fmt: skip
GROUP_ORDER = _ITEM_ORDER + (
    "contacts:DisplayName", "contacts:FileAs", "distributionlist:Members",
)  # fmt: skip
# What BaseShape Default returns besides the id; AllProperties returns all
# but the members of a group, which Exchange returns only when asked.
DEFAULT_SHAPE = frozenset(CONTACT_ORDER) - {"item:Body", "contacts:Notes"}
ALL_SHAPE = frozenset(CONTACT_ORDER) | (
    frozenset(GROUP_ORDER) - {"distributionlist:Members"}
)

_BY_URI = {uri: key for key, (uri, _) in STRING_FIELDS.items()}
_BY_URI.update({uri: key for key, (uri, _) in DATE_FIELDS.items()})
_BY_URI.update({uri: key for key, (uri, _) in LIST_FIELDS.items()})
_BY_URI["item:Body"] = "body"
_BY_URI["item:Categories"] = "categories"
_BY_URI["item:Sensitivity"] = "sensitivity"
_BY_URI["item:Subject"] = "display_name"


def key_for_uri(uri: str) -> str | None:
    """Return the api key a plain FieldURI stores, or None if not held."""
    return _BY_URI.get(uri)


def _text(tag: str, value: str) -> str:
    return f"<t:{tag}>{escape(value)}</t:{tag}>"


def _strings(tag: str, values: list[str]) -> str:
    inner = "".join(f"<t:String>{escape(v)}</t:String>" for v in values)
    return f"<t:{tag}>{inner}</t:{tag}>"


def _complete_name(item: dict) -> str:
    parts = [
        ("FirstName", item.get("given_name")),
        ("MiddleName", item.get("middle_name")),
        ("LastName", item.get("surname")),
        ("Suffix", item.get("generation")),
        ("Initials", item.get("initials")),
        ("FullName", item.get("display_name")),
        ("Nickname", item.get("nickname")),
    ]
    inner = "".join(_text(tag, value) for tag, value in parts if value)
    return f"<t:CompleteName>{inner}</t:CompleteName>"


def _entries(tag: str, values: dict, keys: tuple[str, ...], email: bool) -> str:
    rows = []
    for key in keys:
        value = values.get(key)
        if not value:
            continue
        if email:
            rows.append(
                f'<t:Entry Key="{key}" Name="{escape(value)}" RoutingType="SMTP" '
                f'MailboxType="Contact">{escape(value)}</t:Entry>'
            )
        else:
            rows.append(f'<t:Entry Key="{key}">{escape(value)}</t:Entry>')
    return f"<t:{tag}>{''.join(rows)}</t:{tag}>" if rows else ""


def _addresses(values: dict) -> str:
    rows = []
    for key in ADDRESS_KEYS:
        address = values.get(key)
        if not address:
            continue
        inner = "".join(
            _text(tag, address[part])
            for tag, part in ADDRESS_PARTS.items()
            if address.get(part)
        )
        rows.append(f'<t:Entry Key="{key}">{inner}</t:Entry>')
    return f"<t:PhysicalAddresses>{''.join(rows)}</t:PhysicalAddresses>" if rows else ""


def _members(members: list) -> str:
    rows = []
    for member in members:
        if isinstance(member, str):
            member = {"email": member}
        name = member.get("name") or member.get("email", "")
        rows.append(
            "<t:Member><t:Mailbox>"
            f"{_text('Name', name)}{_text('EmailAddress', member.get('email', ''))}"
            "<t:RoutingType>SMTP</t:RoutingType><t:MailboxType>OneOff</t:MailboxType>"
            "</t:Mailbox><t:Status>Normal</t:Status></t:Member>"
        )
    return f"<t:Members>{''.join(rows)}</t:Members>"


# Item properties every contact has the same value for, as Exchange gives them.
_FIXED = {
    "item:Importance": "<t:Importance>Normal</t:Importance>",
    "item:IsSubmitted": "<t:IsSubmitted>false</t:IsSubmitted>",
    "item:IsDraft": "<t:IsDraft>false</t:IsDraft>",
    "item:IsFromMe": "<t:IsFromMe>false</t:IsFromMe>",
    "item:IsResend": "<t:IsResend>false</t:IsResend>",
    "item:IsUnmodified": "<t:IsUnmodified>false</t:IsUnmodified>",
    "item:DisplayCc": "<t:DisplayCc/>",
    "item:DisplayTo": "<t:DisplayTo/>",
    "item:HasAttachments": "<t:HasAttachments>false</t:HasAttachments>",
    "item:Culture": "<t:Culture>en-US</t:Culture>",
    "item:EffectiveRights": (
        "<t:EffectiveRights><t:CreateAssociated>false</t:CreateAssociated>"
        "<t:CreateContents>false</t:CreateContents>"
        "<t:CreateHierarchy>false</t:CreateHierarchy><t:Delete>true</t:Delete>"
        "<t:Modify>true</t:Modify><t:Read>true</t:Read></t:EffectiveRights>"
    ),
    "item:LastModifiedName": (
        "<t:LastModifiedName>Exchange Emulator</t:LastModifiedName>"
    ),
    "item:IsAssociated": "<t:IsAssociated>false</t:IsAssociated>",
}


def _render_property(uri: str, item: dict, context: dict) -> str:
    """Render one property of ``item``; empty when the item does not hold it."""
    fixed = _FIXED.get(uri)
    if fixed is not None:
        return fixed
    if uri in ("item:DateTimeReceived", "item:DateTimeSent"):
        tag = uri.split(":", 1)[1]
        return _text(tag, context["created"])
    if uri == "item:Size":
        return f"<t:Size>{context.get('size', 0)}</t:Size>"
    if uri == "item:ParentFolderId":
        return context["parent"]
    if uri == "item:ItemClass":
        group = item.get("kind") == "distribution_list"
        return _text("ItemClass", "IPM.DistList" if group else "IPM.Contact")
    if uri == "item:Subject":
        return _text("Subject", item.get("display_name", ""))
    if uri == "item:Sensitivity":
        return _text("Sensitivity", item.get("sensitivity") or "Normal")
    if uri == "item:Body":
        body = item.get("body")
        if not body:
            return '<t:Body BodyType="Text"/>'
        return f'<t:Body BodyType="Text">{escape(body)}</t:Body>'
    if uri == "item:Categories":
        categories = item.get("categories")
        return _strings("Categories", categories) if categories else ""
    if uri == "item:DateTimeCreated":
        return _text("DateTimeCreated", context["created"])
    if uri == "item:LastModifiedTime":
        return _text("LastModifiedTime", context["modified"])
    if uri == "contacts:CompleteName":
        return _complete_name(item)
    if uri == "contacts:EmailAddresses":
        return _entries(
            "EmailAddresses", item.get("email_addresses") or {}, EMAIL_KEYS, True
        )
    if uri == "contacts:PhoneNumbers":
        return _entries(
            "PhoneNumbers", item.get("phone_numbers") or {}, PHONE_KEYS, False
        )
    if uri == "contacts:ImAddresses":
        return _entries("ImAddresses", item.get("im_addresses") or {}, IM_KEYS, False)
    if uri == "contacts:PhysicalAddresses":
        return _addresses(item.get("physical_addresses") or {})
    if uri == "contacts:HasPicture":
        return "<t:HasPicture>false</t:HasPicture>"
    if uri == "contacts:Notes":
        body = item.get("body")
        return _text("Notes", body) if body else ""
    if uri == "distributionlist:Members":
        return _members(item.get("members") or [])
    key = _BY_URI.get(uri)
    if key is None:
        return ""
    value = item.get(key)
    if not value:
        return ""
    if key in DATE_FIELDS:
        return _text(DATE_FIELDS[key][1], f"{value[:10]}T11:59:00Z")
    if key in LIST_FIELDS:
        return _strings(LIST_FIELDS[key][1], value)
    return _text(STRING_FIELDS[key][1], value)


def render_item(item: dict, item_id: str, change_key: str, props, context: dict) -> str:
    """Render ``item`` as ``t:Contact`` or ``t:DistributionList`` with ``props``."""
    group = item.get("kind") == "distribution_list"
    tag = "DistributionList" if group else "Contact"
    order = GROUP_ORDER if group else CONTACT_ORDER
    inner = "".join(
        _render_property(uri, item, context) for uri in order if uri in props
    )
    return (
        f'<t:{tag}><t:ItemId Id="{item_id}" ChangeKey="{change_key}"/>{inner}</t:{tag}>'
    )
