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
    schema_error,
    success_message,
    t,
)

_FOLDER_ALL = (
    "folder:ParentFolderId",
    "folder:FolderClass",
    "folder:DisplayName",
    "folder:TotalCount",
    "folder:ChildFolderCount",
    "folder:EffectiveRights",
    "folder:UnreadCount",
)
# What Exchange returns for BaseShape Default (recorded from Exchange 2019).
_FOLDER_DEFAULT = ("folder:DisplayName", "folder:TotalCount", "folder:ChildFolderCount")
_RIGHTS = (
    "<t:EffectiveRights><t:CreateAssociated>true</t:CreateAssociated>"
    "<t:CreateContents>true</t:CreateContents>"
    "<t:CreateHierarchy>true</t:CreateHierarchy><t:Delete>true</t:Delete>"
    "<t:Modify>true</t:Modify><t:Read>true</t:Read></t:EffectiveRights>"
)


def _folder_shape(call: Call) -> frozenset[str]:
    shape = call.child("FolderShape")
    if shape is None:
        raise schema_error("FolderShape is missing.")
    base = (shape.findtext(t("BaseShape")) or "").strip()
    shapes = {"IdOnly": (), "Default": _FOLDER_DEFAULT, "AllProperties": _FOLDER_ALL}
    if base not in shapes:
        raise schema_error(f"BaseShape '{base}' is invalid.")
    props = set(shapes[base])
    extra = shape.find(t("AdditionalProperties"))
    for uri in extra if extra is not None else []:
        if uri.get("FieldURI"):
            call.profile.check_uri(uri.get("FieldURI"))
            props.add(uri.get("FieldURI"))
    return frozenset(props)


def _render_folder(mailbox, name: str, props: frozenset[str]) -> str:
    element, folder_class, display, parent = FOLDER_INFO[name]
    total = len(mailbox.items(name)) if name in ITEM_HOLDING else 0
    children = sum(1 for info in FOLDER_INFO.values() if info[3] == name)
    values = {
        "folder:ParentFolderId": (
            folder_id_xml(mailbox, parent, "ParentFolderId") if parent else ""
        ),
        "folder:FolderClass": (
            f"<t:FolderClass>{folder_class}</t:FolderClass>" if folder_class else ""
        ),
        "folder:DisplayName": f"<t:DisplayName>{escape(display)}</t:DisplayName>",
        "folder:TotalCount": f"<t:TotalCount>{total}</t:TotalCount>",
        "folder:ChildFolderCount": (
            f"<t:ChildFolderCount>{children}</t:ChildFolderCount>"
        ),
        "folder:EffectiveRights": _RIGHTS,
        # Contacts folders have no unread count in the schema.
        "folder:UnreadCount": (
            "" if element == "ContactsFolder" else "<t:UnreadCount>0</t:UnreadCount>"
        ),
    }
    parts = [folder_id_xml(mailbox, name)]
    parts.extend(values[uri] for uri in _FOLDER_ALL if uri in props)
    return f"<t:{element}>{''.join(parts)}</t:{element}>"


def get_folder(call: Call) -> str:
    """Answer GetFolder for distinguished and explicit folder ids."""
    props = _folder_shape(call)
    messages = []
    container = call.child("FolderIds")
    if container is None or not len(container):
        raise schema_error("GetFolder requires FolderIds with a folder.")
    for folder in container:
        if not isinstance(folder.tag, str):
            continue
        try:
            mailbox, name = resolve_folder(call, folder)
        except ResponseError as error:
            messages.append(error_message("GetFolder", error, "<m:Folders/>"))
            continue
        rendered = _render_folder(mailbox, name, props)
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
