"""GetItem, CreateItem and DeleteItem."""

from __future__ import annotations

from exsync.emulator import itemreader
from exsync.emulator.mailbox import Mailbox, mailbox_key_of
from exsync.emulator.operations.common import (
    Call,
    item_ids,
    read_shape,
    render_entry,
    resolve_folder,
)
from exsync.emulator.soap import (
    ResponseError,
    error_message,
    response_body,
    schema_error,
    success_message,
    t,
)

DELETE_TYPES = ("HardDelete", "SoftDelete", "MoveToDeletedItems")


def owning_mailbox(call: Call, item_id: str) -> Mailbox:
    """The mailbox an item id belongs to, if the caller may reach it.

    Raises ResponseError ErrorInvalidIdMalformed or ErrorItemNotFound.
    """
    key = mailbox_key_of(item_id)
    if key is None:
        raise ResponseError("ErrorInvalidIdMalformed", "Id is malformed.")
    if key == call.mailbox.key:
        return call.mailbox
    mailbox = call.directory.mailbox_by_key(key)
    if mailbox is None or not (
        call.account.impersonation or mailbox.address == call.account.mailbox
    ):
        raise ResponseError(
            "ErrorItemNotFound", "The specified object was not found in the store."
        )
    return mailbox


def get_item(call: Call) -> str:
    """Answer GetItem: one response message per requested id."""
    props = read_shape(call.child("ItemShape"), call.profile)
    messages = []
    for element in item_ids(call.child("ItemIds")):
        try:
            item_id = element.get("Id", "")
            mailbox = owning_mailbox(call, item_id)
            entry = mailbox.lookup(item_id)
        except ResponseError as error:
            messages.append(error_message("GetItem", error, "<m:Items/>"))
            continue
        rendered = render_entry(mailbox, entry, props)
        messages.append(success_message("GetItem", f"<m:Items>{rendered}</m:Items>"))
    return response_body("GetItem", messages)


def create_item(call: Call) -> str:
    """Answer CreateItem for contacts and contact groups."""
    target = call.child("SavedItemFolderId")
    messages = []
    try:
        if target is not None and len(target):
            mailbox, folder = resolve_folder(call, target[0])
        else:
            mailbox, folder = call.mailbox, "contacts"
    except ResponseError as error:
        folder_error = error
    else:
        folder_error = None
    container = call.child("Items")
    for element in container if container is not None else []:
        if not isinstance(element.tag, str):
            continue
        try:
            if folder_error is not None:
                raise folder_error
            if element.tag not in (t("Contact"), t("DistributionList")):
                raise ResponseError(
                    "ErrorInvalidItemForOperation",
                    "The item type is not valid for this operation.",
                )
            if folder != "contacts":
                raise ResponseError(
                    "ErrorCannotCreateContactInNonContactFolder",
                    "Cannot create a contact in a non-contact Folder.",
                )
            data = itemreader.read_item(element)
            if not data.get("display_name"):
                data["display_name"] = _fallback_name(data)
            entry = mailbox.create(data, folder)
        except ResponseError as error:
            messages.append(error_message("CreateItem", error, "<m:Items/>"))
            continue
        tag = (
            "DistributionList" if data.get("kind") == "distribution_list" else "Contact"
        )
        ids = f'<t:ItemId Id="{entry.item_id}" ChangeKey="{entry.change_key}"/>'
        messages.append(
            success_message(
                "CreateItem", f"<m:Items><t:{tag}>{ids}</t:{tag}></m:Items>"
            )
        )
    return response_body("CreateItem", messages)


def _fallback_name(data: dict) -> str:
    parts = [data.get("given_name"), data.get("surname")]
    name = " ".join(p for p in parts if p)
    return name or data.get("company_name") or ""


def delete_item(call: Call) -> str:
    """Answer DeleteItem with HardDelete, SoftDelete or MoveToDeletedItems."""
    mode = call.request.body.get("DeleteType", "")
    if mode not in DELETE_TYPES:
        raise schema_error(f"The 'DeleteType' attribute value '{mode}' is invalid.")
    messages = []
    for element in item_ids(call.child("ItemIds")):
        try:
            item_id = element.get("Id", "")
            mailbox = owning_mailbox(call, item_id)
            mailbox.delete(item_id, mode)
        except ResponseError as error:
            messages.append(error_message("DeleteItem", error))
            continue
        messages.append(success_message("DeleteItem"))
    return response_body("DeleteItem", messages)
