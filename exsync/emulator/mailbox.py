"""The mailbox model: items per folder, a change sequence, tombstones, ids.

Every change to a mailbox takes the next number of its sequence. A folder
maps item ids to entries kept in the order of their last change, so the
changes after a sync position are the tail of that order; a deleted item
stays as a tombstone so a later sync can report it.
"""

from __future__ import annotations

import base64
import copy
import os
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from exsync.emulator.soap import ResponseError

FOLDERS = ("root", "msgfolderroot", "contacts", "deleteditems")
ITEM_FOLDERS = ("contacts", "deleteditems")

_ITEM_MAGIC = b"EXEMUi"
_FOLDER_MAGIC = b"EXEMUf"


def now_text() -> str:
    """The current UTC time as EWS writes it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Entry:
    """One item in a folder, or the tombstone of a deleted one."""

    item_id: str
    folder: str
    data: dict | None
    created_seq: int
    seq: int
    created: str
    modified: str

    @property
    def change_key(self) -> str:
        """An opaque key that changes with every change to the item."""
        raw = (
            b"\x0f\x00\x00\x00"
            + struct.pack(">Q", self.seq)
            + self.item_id[:8].encode()
        )
        return base64.b64encode(raw).decode()

    @property
    def deleted(self) -> bool:
        return self.data is None


@dataclass
class Change:
    """What a change did, for push subscribers."""

    kind: str  # Created, Modified, Deleted, Moved
    item_id: str
    folder: str
    old_item_id: str | None = None
    old_folder: str | None = None
    change_key: str = ""
    old_change_key: str = ""


class Mailbox:
    """One mailbox: its folders, items and change sequence."""

    def __init__(self, address: str, key: str | None = None):
        self.address = address.lower()
        self.key = key or os.urandom(6).hex()
        self.epoch = 0
        self.seq = 0
        self.folders: dict[str, dict[str, Entry]] = {name: {} for name in ITEM_FOLDERS}
        self.lock = threading.RLock()
        self.listeners: list[Callable[[Mailbox, Change], None]] = []
        # Rendered items keyed by (id, change number, properties asked for).
        self.render_cache: dict = {}

    def folder_id(self, name: str) -> str:
        """The stable FolderId of a distinguished folder."""
        raw = _FOLDER_MAGIC + bytes.fromhex(self.key) + name.encode()
        return base64.b64encode(raw).decode()

    def _new_item_id(self) -> str:
        raw = _ITEM_MAGIC + bytes.fromhex(self.key) + os.urandom(12)
        return base64.b64encode(raw).decode()

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def _notify(self, change: Change) -> None:
        for listener in list(self.listeners):
            listener(self, change)

    def create(self, data: dict, folder: str = "contacts") -> Entry:
        """Store a new item and return its entry."""
        with self.lock:
            seq = self._next()
            stamp = now_text()
            entry = Entry(
                self._new_item_id(), folder, copy.deepcopy(data), seq, seq, stamp, stamp
            )
            self.folders[folder][entry.item_id] = entry
        self._notify(
            Change("Created", entry.item_id, folder, change_key=entry.change_key)
        )
        return entry

    def lookup(self, item_id: str) -> Entry:
        """Return the live entry of ``item_id``.

        Raises ResponseError ErrorInvalidIdMalformed or ErrorItemNotFound.
        """
        _check_item_id(item_id)
        with self.lock:
            for folder in self.folders.values():
                entry = folder.get(item_id)
                if entry is not None and not entry.deleted:
                    return entry
        raise ResponseError(
            "ErrorItemNotFound", "The specified object was not found in the store."
        )

    def replace(self, item_id: str, data: dict) -> Entry:
        """Give an item new content, a new change number and a new ChangeKey."""
        with self.lock:
            entry = self.lookup(item_id)
            folder = self.folders[entry.folder]
            del folder[item_id]
            entry.data = copy.deepcopy(data)
            entry.seq = self._next()
            entry.modified = now_text()
            folder[item_id] = entry
        self._notify(
            Change("Modified", item_id, entry.folder, change_key=entry.change_key)
        )
        return entry

    def delete(self, item_id: str, mode: str = "HardDelete") -> None:
        """Delete an item; MoveToDeletedItems moves it to Deleted Items."""
        with self.lock:
            entry = self.lookup(item_id)
            data = entry.data
            folder = self.folders[entry.folder]
            del folder[item_id]
            entry.data = None
            entry.seq = self._next()
            folder[item_id] = entry
            moved = None
            if mode == "MoveToDeletedItems" and entry.folder != "deleteditems":
                seq = self._next()
                stamp = now_text()
                moved = Entry(
                    self._new_item_id(),
                    "deleteditems",
                    data,
                    seq,
                    seq,
                    entry.created,
                    stamp,
                )
                self.folders["deleteditems"][moved.item_id] = moved
        if moved is not None:
            change = Change(
                "Moved", moved.item_id, "deleteditems", item_id, entry.folder
            )
            change.change_key = moved.change_key
            change.old_change_key = entry.change_key
            self._notify(change)
        else:
            self._notify(
                Change("Deleted", item_id, entry.folder, change_key=entry.change_key)
            )

    def items(self, folder: str = "contacts") -> list[Entry]:
        """The live entries of a folder, oldest change first."""
        with self.lock:
            return [e for e in self.folders[folder].values() if not e.deleted]

    def changes_after(self, folder: str, position: int) -> list[Entry]:
        """Entries (tombstones included) changed after ``position``, in order."""
        with self.lock:
            entries = list(self.folders[folder].values())
        lo, hi = 0, len(entries)
        while lo < hi:
            mid = (lo + hi) // 2
            if entries[mid].seq <= position:
                lo = mid + 1
            else:
                hi = mid
        return entries[lo:]


def _check_item_id(item_id: str) -> None:
    """Refuse an id that is not one of the emulator's item ids."""
    try:
        raw = base64.b64decode(item_id, validate=True)
    except (ValueError, TypeError):
        raw = b""
    if not raw.startswith(_ITEM_MAGIC) or len(raw) != len(_ITEM_MAGIC) + 18:
        raise ResponseError("ErrorInvalidIdMalformed", "Id is malformed.")


def mailbox_key_of(item_id: str) -> str | None:
    """The mailbox key an item id belongs to, or None for a foreign id."""
    try:
        raw = base64.b64decode(item_id, validate=True)
    except (ValueError, TypeError):
        return None
    if not raw.startswith(_ITEM_MAGIC):
        return None
    return raw[len(_ITEM_MAGIC) : len(_ITEM_MAGIC) + 6].hex()
