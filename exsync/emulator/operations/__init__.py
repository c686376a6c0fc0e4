"""EWS operations: one handler per operation name, found through OPERATIONS."""

from __future__ import annotations

from exsync.emulator.operations import find, folders, items, notify, sync, update

OPERATIONS = {
    "GetFolder": folders.get_folder,
    "ConvertId": folders.convert_id,
    "GetItem": items.get_item,
    "CreateItem": items.create_item,
    "DeleteItem": items.delete_item,
    "UpdateItem": update.update_item,
    "SyncFolderItems": sync.sync_folder_items,
    "FindItem": find.find_item,
    "Subscribe": notify.subscribe,
    "Unsubscribe": notify.unsubscribe,
}
