"""Playing the mailbox owner: changes made "as in Outlook"."""

from __future__ import annotations

import copy

from exsync.emulator.mailbox import Mailbox
from exsync.emulator.seed import normalise_contact


class Owner:
    """The owner of one mailbox, editing its contacts directly."""

    def __init__(self, mailbox: Mailbox, on_change=None):
        self.mailbox = mailbox
        self._on_change = on_change

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()

    def create_contact(self, contact: dict) -> str:
        """Create a contact (or a group with ``kind``) and return its item id."""
        entry = self.mailbox.create(normalise_contact(contact))
        self._changed()
        return entry.item_id

    def update_contact(self, item_id: str, changes: dict) -> str:
        """Merge ``changes`` into a contact; a None value removes the field.

        Returns the new ChangeKey; raises ResponseError for an unknown id.
        """
        with self.mailbox.lock:
            data = copy.deepcopy(self.mailbox.lookup(item_id).data)
            for key, value in changes.items():
                if value is None:
                    data.pop(key, None)
                else:
                    data[key] = copy.deepcopy(value)
            entry = self.mailbox.replace(item_id, normalise_contact(data))
        self._changed()
        return entry.change_key

    def set_categories(self, item_id: str, categories: list[str]) -> str:
        """Replace a contact's categories; returns the new ChangeKey."""
        return self.update_contact(item_id, {"categories": list(categories)})

    def set_private(self, item_id: str, private: bool = True) -> str:
        """Mark a contact Private (or Normal); returns the new ChangeKey."""
        return self.update_contact(
            item_id, {"sensitivity": "Private" if private else "Normal"}
        )

    def delete_contact(self, item_id: str, mode: str = "HardDelete") -> None:
        """Delete a contact (MoveToDeletedItems moves it to Deleted Items)."""
        self.mailbox.delete(item_id, mode)
        self._changed()

    def contacts(self) -> list[dict]:
        """Every live contact and group, with ``item_id`` and ``change_key``."""
        result = []
        for entry in self.mailbox.items("contacts"):
            record = copy.deepcopy(entry.data)
            record["item_id"] = entry.item_id
            record["change_key"] = entry.change_key
            result.append(record)
        return result
