"""GetFolder and ConvertId."""

from __future__ import annotations

from exsync.emulator.operations.common import (
    FOLDER_INFO,
    ITEM_HOLDING,
    Call,
    folder_id_xml,
    resolve_folder,
)
from exsync.emulator.soap import (
    ResponseError,
    error_message,
    escape,
    response_body,
    success_message,
    t,
)


def _render_folder(call: Call, mailbox, name: str, id_only: bool) -> str:
    element, folder_class, display, parent = FOLDER_INFO[name]
    parts = [folder_id_xml(mailbox, name)]
    if not id_only:
        if parent is not None:
            parts.append(folder_id_xml(mailbox, parent, "ParentFolderId"))
        if folder_class:
            parts.append(f"<t:FolderClass>{folder_class}</t:FolderClass>")
        parts.append(f"<t:DisplayName>{escape(display)}</t:DisplayName>")
        total = len(mailbox.items(name)) if name in ITEM_HOLDING else 0
        children = sum(1 for info in FOLDER_INFO.values() if info[3] == name)
        parts.append(f"<t:TotalCount>{total}</t:TotalCount>")
        parts.append(f"<t:ChildFolderCount>{children}</t:ChildFolderCount>")
        parts.append(
            "<t:EffectiveRights><t:CreateAssociated>true</t:CreateAssociated>"
            "<t:CreateContents>true</t:CreateContents>"
            "<t:CreateHierarchy>true</t:CreateHierarchy><t:Delete>true</t:Delete>"
            "<t:Modify>true</t:Modify><t:Read>true</t:Read></t:EffectiveRights>"
        )
        if element != "ContactsFolder":
            parts.append("<t:UnreadCount>0</t:UnreadCount>")
    return f"<t:{element}>{''.join(parts)}</t:{element}>"


def get_folder(call: Call) -> str:
    """Answer GetFolder for distinguished and explicit folder ids."""
    shape = call.child("FolderShape")
    base = shape.findtext(t("BaseShape")) if shape is not None else "IdOnly"
    extra = shape.find(t("AdditionalProperties")) if shape is not None else None
    id_only = (base or "").strip() == "IdOnly" and (extra is None or len(extra) == 0)
    messages = []
    container = call.child("FolderIds")
    for folder in container if container is not None else []:
        if not isinstance(folder.tag, str):
            continue
        try:
            mailbox, name = resolve_folder(call, folder)
        except ResponseError as error:
            messages.append(error_message("GetFolder", error, "<m:Folders/>"))
            continue
        rendered = _render_folder(call, mailbox, name, id_only)
        messages.append(
            success_message("GetFolder", f"<m:Folders>{rendered}</m:Folders>")
        )
    return response_body("GetFolder", messages)


def convert_id(call: Call) -> str:
    """Answer ConvertId by echoing each id in the requested format.

    Clients use it mostly to read ServerVersionInfo, so the ids are returned
    as given, labelled with the destination format.
    """
    destination = call.request.body.get("DestinationFormat", "EwsId")
    messages = []
    source = call.child("SourceIds")
    for alternate in source if source is not None else []:
        if not isinstance(alternate.tag, str):
            continue
        mailbox = alternate.get("Mailbox", call.mailbox.address)
        content = (
            f'<m:AlternateId xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xsi:type="t:AlternateIdType" Format="{escape(destination)}" '
            f'Id="{escape(alternate.get("Id", ""))}" Mailbox="{escape(mailbox)}"/>'
        )
        messages.append(success_message("ConvertId", content))
    return response_body("ConvertId", messages)
