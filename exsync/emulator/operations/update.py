"""UpdateItem: Set, Append and DeleteItemField on contacts and groups."""

from __future__ import annotations

import base64
import binascii
import copy

from lxml import etree

from exsync.emulator import fields, itemreader
from exsync.emulator.operations.common import Call
from exsync.emulator.operations.items import owning_mailbox
from exsync.emulator.soap import (
    ResponseError,
    error_message,
    parse_bool,
    response_body,
    schema_error,
    success_message,
    t,
)

RESOLUTIONS = ("NeverOverwrite", "AutoResolve", "AlwaysOverwrite")
READ_ONLY = {
    "contacts:CompleteName",
    "contacts:Notes",
    "contacts:HasPicture",
    "item:DateTimeCreated",
    "item:LastModifiedTime",
    "item:ItemId",
    "item:ParentFolderId",
}
_APPENDABLE = {
    "item:Body",
    "item:Categories",
    "contacts:Children",
    "distributionlist:Members",
    "contacts:Companies",
}


def update_item(call: Call) -> str:
    """Apply each ItemChange; the ItemId stays, the ChangeKey rotates."""
    body = call.request.body
    resolution = body.get("ConflictResolution")
    if resolution not in RESOLUTIONS:
        raise schema_error(
            f"The 'ConflictResolution' attribute value {resolution!r} is invalid."
        )
    suppress = body.get("SuppressReadReceipts")
    if suppress is not None:
        if not call.profile.has_suppress_read_receipts:
            raise schema_error("The 'SuppressReadReceipts' attribute is not declared.")
        parse_bool(suppress)
    changes = call.child("ItemChanges")
    _validate(changes, call.profile)
    messages = []
    for change in changes if changes is not None else []:
        if change.tag != t("ItemChange"):
            continue
        try:
            id_element = change.find(t("ItemId"))
            if id_element is None:
                raise ResponseError("ErrorInvalidIdEmpty", "The item id is empty.")
            item_id = id_element.get("Id", "")
            mailbox = owning_mailbox(call, item_id)
            updates = change.find(t("Updates"))
            with mailbox.lock:
                entry = mailbox.lookup(item_id)
                _check_change_key(
                    id_element.get("ChangeKey"), entry.change_key, resolution
                )
                data = copy.deepcopy(entry.data)
                for update in updates if updates is not None else []:
                    if isinstance(update.tag, str):
                        _apply(update, data, call.profile)
                entry = mailbox.replace(item_id, data)
        except ResponseError as error:
            messages.append(error_message("UpdateItem", error, "<m:Items/>"))
            continue
        tag = (
            "DistributionList"
            if entry.data.get("kind") == "distribution_list"
            else "Contact"
        )
        content = (
            f'<m:Items><t:{tag}><t:ItemId Id="{entry.item_id}" '
            f'ChangeKey="{entry.change_key}"/></t:{tag}></m:Items>'
            "<m:ConflictResults><t:Count>0</t:Count></m:ConflictResults>"
        )
        messages.append(success_message("UpdateItem", content))
    return response_body("UpdateItem", messages)


def _validate(changes, profile) -> None:
    # Schema validation refuses the whole request before any change applies:
    # field names, indexes and the values' types (dates, enumerations).
    for update in (
        changes.iter(t("SetItemField"), t("AppendToItemField"), t("DeleteItemField"))
        if changes is not None
        else []
    ):
        uri, _ = _target(update)
        profile.check_uri(uri)
        if update.tag != t("DeleteItemField") and uri != "extended":
            _value(update)


def _check_change_key(given: str | None, current: str, resolution: str) -> None:
    if given is None:
        if resolution == "NeverOverwrite":
            raise ResponseError(
                "ErrorChangeKeyRequiredForWriteOperations",
                "When making a write request, the change key is required.",
            )
        return
    try:
        base64.b64decode(given, validate=True)
    except (binascii.Error, ValueError):
        raise ResponseError(
            "ErrorInvalidChangeKey", "The change key is invalid."
        ) from None
    if given != current and resolution == "NeverOverwrite":
        raise ResponseError(
            "ErrorIrresolvableConflict",
            "The send or update operation could not be performed because the "
            "change key passed in the request does not match the current change "
            "key for the item.",
        )


def _target(update: etree._Element) -> tuple[str, str | None]:
    for child in update:
        if child.tag == t("FieldURI"):
            return child.get("FieldURI", ""), None
        if child.tag == t("IndexedFieldURI"):
            uri, index = child.get("FieldURI", ""), child.get("FieldIndex", "")
            itemreader.check_index(uri, index)
            return uri, index
        if child.tag == t("ExtendedFieldURI"):
            return "extended", None
    raise schema_error("The update names no field.")


def _value(update: etree._Element) -> dict:
    for child in update:
        if child.tag in (t("Contact"), t("DistributionList"), t("Item")):
            return itemreader.read_item(child)
    raise schema_error("The update carries no item element.")


def _apply(update: etree._Element, data: dict, profile) -> None:
    uri, index = _target(update)
    profile.check_uri(uri)
    if uri == "extended":
        return
    if uri in READ_ONLY:
        raise ResponseError(
            "ErrorInvalidPropertySet", "Set action is invalid for property."
        )
    kind = etree.QName(update).localname
    if kind == "DeleteItemField":
        _delete(uri, index, data)
    elif kind == "SetItemField":
        _set(uri, index, _value(update), data)
    elif kind == "AppendToItemField":
        if uri not in _APPENDABLE:
            raise ResponseError(
                "ErrorInvalidPropertyAppend", "The property does not support appending."
            )
        _append(uri, _value(update), data)


def _set(uri: str, index: str | None, value: dict, data: dict) -> None:
    if uri in fields.INDEXED:
        key = fields.INDEXED[uri][0]
        new = (value.get(key) or {}).get(index)
        if new is None:
            raise ResponseError(
                "ErrorInvalidPropertySet", "The value does not match the field."
            )
        data.setdefault(key, {})[index] = new
        return
    if uri.startswith("contacts:PhysicalAddress:"):
        part = fields.ADDRESS_PARTS.get(uri.rsplit(":", 1)[1])
        address = (value.get("physical_addresses") or {}).get(index) or {}
        if part is None or part not in address:
            raise ResponseError(
                "ErrorInvalidPropertySet", "The value does not match the field."
            )
        data.setdefault("physical_addresses", {}).setdefault(index, {})[part] = address[
            part
        ]
        return
    if uri == "distributionlist:Members":
        data["members"] = value.get("members", [])
        return
    key = fields.key_for_uri(uri)
    if key is None:
        return
    if key not in value:
        raise ResponseError(
            "ErrorInvalidPropertySet", "The value does not match the field."
        )
    data[key] = value[key]


def _delete(uri: str, index: str | None, data: dict) -> None:
    if uri in fields.INDEXED:
        (data.get(fields.INDEXED[uri][0]) or {}).pop(index, None)
        return
    if uri.startswith("contacts:PhysicalAddress:"):
        part = fields.ADDRESS_PARTS.get(uri.rsplit(":", 1)[1])
        addresses = data.get("physical_addresses") or {}
        address = addresses.get(index) or {}
        address.pop(part, None)
        if not address:
            addresses.pop(index, None)
        return
    key = fields.key_for_uri(uri)
    if key == "display_name":
        return
    if key is not None:
        data.pop(key, None)


def _append(uri: str, value: dict, data: dict) -> None:
    if uri == "distributionlist:Members":
        data["members"] = list(data.get("members") or []) + value.get("members", [])
        return
    key = fields.key_for_uri(uri)
    if key == "body":
        data["body"] = (data.get("body") or "") + (value.get("body") or "")
    else:
        data[key] = list(data.get(key) or []) + list(value.get(key) or [])
