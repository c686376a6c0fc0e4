"""What every operation handler gets, and the parts several of them share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from exsync.emulator import fields
from exsync.emulator.directory import Account, Directory
from exsync.emulator.mailbox import Entry, Mailbox
from exsync.emulator.profiles import Profile
from exsync.emulator.soap import Request, ResponseError, SoapFaultError, t

# Distinguished folders: (element, FolderClass, display name, parent).
FOLDER_INFO = {
    "root": ("Folder", None, "", None),
    "msgfolderroot": ("Folder", None, "Top of Information Store", "root"),
    "contacts": ("ContactsFolder", "IPF.Contact", "Contacts", "msgfolderroot"),
    "deleteditems": ("Folder", "IPF.Note", "Deleted Items", "msgfolderroot"),
    "inbox": ("Folder", "IPF.Note", "Inbox", "msgfolderroot"),
    "drafts": ("Folder", "IPF.Note", "Drafts", "msgfolderroot"),
    "sentitems": ("Folder", "IPF.Note", "Sent Items", "msgfolderroot"),
    "outbox": ("Folder", "IPF.Note", "Outbox", "msgfolderroot"),
    "junkemail": ("Folder", "IPF.Note", "Junk Email", "msgfolderroot"),
    "calendar": ("CalendarFolder", "IPF.Appointment", "Calendar", "msgfolderroot"),
    "tasks": ("TasksFolder", "IPF.Task", "Tasks", "msgfolderroot"),
    "notes": ("Folder", "IPF.StickyNote", "Notes", "msgfolderroot"),
    "journal": ("Folder", "IPF.Journal", "Journal", "msgfolderroot"),
    "searchfolders": ("Folder", None, "Finder", "root"),
}
ITEM_HOLDING = ("contacts", "deleteditems")


@dataclass
class Call:
    """One authenticated EWS request being served."""

    request: Request
    profile: Profile
    directory: Directory
    account: Account
    mailbox: Mailbox
    emulator: Any = None

    def child(self, name: str) -> etree._Element | None:
        """The operation's child element in the messages namespace."""
        return self.request.body.find(
            f"{{http://schemas.microsoft.com/exchange/services/2006/messages}}{name}"
        )


def mailbox_for(call: Call, address: str | None) -> Mailbox:
    """The mailbox an explicit <t:Mailbox> names, checked against the caller's rights.

    Raises ResponseError ErrorNonExistentMailbox or ErrorAccessDenied.
    """
    if not address or address.lower() == call.mailbox.address:
        return call.mailbox
    mailbox = call.directory.mailbox(address)
    if mailbox is None:
        raise ResponseError(
            "ErrorNonExistentMailbox",
            "The SMTP address has no mailbox associated with it.",
        )
    if not call.account.impersonation and address.lower() != call.account.mailbox:
        raise ResponseError(
            "ErrorAccessDenied", "Access is denied. Check credentials and try again."
        )
    return mailbox


def resolve_folder(call: Call, element: etree._Element) -> tuple[Mailbox, str]:
    """Turn a FolderId or DistinguishedFolderId element into (mailbox, name).

    Raises ResponseError for malformed ids, missing folders and mailboxes.
    """
    if element.tag == t("DistinguishedFolderId"):
        name = element.get("Id", "")
        address = element.findtext(f"{t('Mailbox')}/{t('EmailAddress')}")
        mailbox = mailbox_for(call, address.strip() if address else None)
        if name not in FOLDER_INFO:
            raise ResponseError(
                "ErrorFolderNotFound",
                "The specified folder could not be found in the store.",
            )
        return mailbox, name
    if element.tag == t("FolderId"):
        folder_id = element.get("Id", "")
        with call.directory.lock:
            mailboxes = list(call.directory.mailboxes.values())
        for mailbox in mailboxes:
            name = _folder_name(mailbox, folder_id)
            if name is not None:
                return mailbox_for(call, mailbox.address), name
        if not folder_id.startswith("RVhFTVVm"):
            raise ResponseError("ErrorInvalidIdMalformed", "Id is malformed.")
        raise ResponseError(
            "ErrorFolderNotFound",
            "The specified folder could not be found in the store.",
        )
    raise SoapFaultError("ErrorInvalidRequest", "The request is invalid.", client=True)


def _folder_name(mailbox: Mailbox, folder_id: str) -> str | None:
    for name in FOLDER_INFO:
        if mailbox.folder_id(name) == folder_id:
            return name
    return None


def folder_id_xml(mailbox: Mailbox, name: str, tag: str = "FolderId") -> str:
    """Render a FolderId (or ParentFolderId) element."""
    return f'<t:{tag} Id="{mailbox.folder_id(name)}" ChangeKey="AQAAAA=="/>'


def read_shape(shape: etree._Element | None, profile: Profile) -> frozenset[str]:
    """The FieldURIs an ItemShape asks for (empty for IdOnly)."""
    if shape is None:
        raise SoapFaultError(
            "ErrorSchemaValidation",
            "The request failed schema validation: ItemShape is missing.",
            client=True,
        )
    base = (shape.findtext(t("BaseShape")) or "").strip()
    if base == "IdOnly":
        props: set[str] = set()
    elif base == "Default":
        props = set(fields.DEFAULT_SHAPE)
    elif base == "AllProperties":
        props = set(fields.ALL_SHAPE)
    else:
        raise SoapFaultError(
            "ErrorSchemaValidation",
            f"The request failed schema validation: BaseShape '{base}' is invalid.",
            client=True,
        )
    extra = shape.find(t("AdditionalProperties"))
    if extra is not None:
        for uri_element in extra:
            uri = uri_element.get("FieldURI")
            if uri is None:
                continue
            profile.check_uri(uri)
            props.add(_container(uri))
    return frozenset(props)


def _container(uri: str) -> str:
    if uri == "contacts:EmailAddress":
        return "contacts:EmailAddresses"
    if uri == "contacts:PhoneNumber":
        return "contacts:PhoneNumbers"
    if uri == "contacts:ImAddress":
        return "contacts:ImAddresses"
    if uri.startswith("contacts:PhysicalAddress:"):
        return "contacts:PhysicalAddresses"
    return uri


def render_entry(mailbox: Mailbox, entry: Entry, props: frozenset[str]) -> str:
    """Render an entry with the properties asked for, cached per change."""
    cache = mailbox.render_cache
    key = (entry.item_id, entry.seq, props)
    cached = cache.get(key)
    if cached is not None:
        return cached
    context = {
        "parent": folder_id_xml(mailbox, entry.folder, "ParentFolderId"),
        "created": entry.created,
        "modified": entry.modified,
        "size": 512 + len(repr(entry.data).encode()),
    }
    text = fields.render_item(
        entry.data, entry.item_id, entry.change_key, props, context
    )
    if len(cache) > 50000:
        cache.clear()
    cache[key] = text
    return text


def item_ids(container: etree._Element | None) -> list[etree._Element]:
    """The ItemId elements of an ItemIds container."""
    if container is None:
        return []
    return [child for child in container if child.tag == t("ItemId")]
