"""SyncFolderItems: pages of changes after a sync state.

A page reports each changed item once, at its latest change: Create when
the client's position predates the item, Update when the client has seen
it, Delete for a seen item that is gone. An item created and deleted
after the client's position is skipped without costing a slot.
"""

from __future__ import annotations

from exsync.emulator.operations.common import (
    ITEM_HOLDING,
    Call,
    read_shape,
    render_entry,
    resolve_folder,
)
from exsync.emulator.soap import (
    ResponseError,
    error_message,
    render_bool,
    response_body,
    schema_error,
    success_message,
    t,
)
from exsync.emulator.syncstate import (
    SyncPosition,
    add_seen,
    decode_state,
    encode_state,
    invalid_state,
)

_ERROR_TAIL = (
    "<m:SyncState/><m:IncludesLastItemInRange>true</m:IncludesLastItemInRange>"
)


def _max_changes(call: Call) -> int:
    text = call.child("MaxChangesReturned")
    if text is None:
        raise schema_error("MaxChangesReturned is missing.")
    try:
        value = int((text.text or "").strip())
    except ValueError:
        raise schema_error(
            f"MaxChangesReturned '{text.text}' is not an integer."
        ) from None
    if not 1 <= value <= 512:
        raise schema_error(
            f"The 'MaxChangesReturned' element is invalid - The value '{value}' "
            "is invalid according to its data type - The MaxInclusive or "
            "MinInclusive constraint failed."
        )
    return value


def _ignored(call: Call) -> set[str]:
    ignore = call.child("Ignore")
    if ignore is None:
        return set()
    return {e.get("Id", "") for e in ignore if e.tag == t("ItemId")}


def sync_folder_items(call: Call) -> str:
    """Answer SyncFolderItems with one page of changes."""
    props = read_shape(call.child("ItemShape"), call.profile)
    limit = _max_changes(call)
    target = call.child("SyncFolderId")
    try:
        if target is None or len(target) == 0:
            raise schema_error("SyncFolderId is missing.")
        mailbox, folder = resolve_folder(call, target[0])
        state_element = call.child("SyncState")
        state_text = (
            (state_element.text or "").strip() if state_element is not None else ""
        )
        secret = call.directory.secret
        where = SyncPosition(mailbox.key, folder, mailbox.epoch, 0, 0)
        if state_text:
            where = decode_state(secret, state_text)
            if (where.mailbox_key, where.folder, where.epoch) != (
                mailbox.key,
                folder,
                mailbox.epoch,
            ):
                raise invalid_state()
            if where.cursor > mailbox.seq:
                raise invalid_state()
    except ResponseError as error:
        message = error_message("SyncFolderItems", error, _ERROR_TAIL)
        return response_body("SyncFolderItems", [message])
    changes, where, complete = _page(call, mailbox, folder, where, props, limit)
    state = encode_state(secret, where)
    content = (
        f"<m:SyncState>{state}</m:SyncState>"
        "<m:IncludesLastItemInRange>"
        f"{render_bool(complete)}</m:IncludesLastItemInRange>"
        f"<m:Changes>{''.join(changes)}</m:Changes>"
    )
    return response_body(
        "SyncFolderItems", [success_message("SyncFolderItems", content)]
    )


def _page(call, mailbox, folder, where: SyncPosition, props, limit):
    """Collect one page; returns (rendered changes, new position, complete)."""
    ignored = _ignored(call)
    changes: list[str] = []
    reported: list[int] = []
    last = where.cursor
    complete = True
    with mailbox.lock:
        pending = (
            mailbox.changes_after(folder, where.cursor)
            if folder in ITEM_HOLDING
            else []
        )
        for entry in pending:
            if len(changes) == limit:
                complete = False
                break
            last = entry.seq
            seen = where.has_seen(entry.created_seq)
            if entry.item_id in ignored:
                continue
            if entry.deleted:
                if seen:
                    changes.append(
                        f'<t:Delete><t:ItemId Id="{entry.item_id}" '
                        f'ChangeKey="{entry.change_key}"/></t:Delete>'
                    )
                continue
            kind = "Update" if seen else "Create"
            changes.append(
                f"<t:{kind}>{render_entry(mailbox, entry, props)}</t:{kind}>"
            )
            reported.append(entry.created_seq)
        if complete:
            end = mailbox.seq
            return (
                changes,
                SyncPosition(mailbox.key, folder, mailbox.epoch, end, end),
                True,
            )
    seen_ranges = add_seen(list(where.seen), [n for n in reported if n > where.base])
    position = SyncPosition(
        mailbox.key, folder, mailbox.epoch, where.base, last, seen_ranges
    )
    return changes, position, False
