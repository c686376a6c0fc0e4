"""Saving and restoring an emulator's accounts and mailboxes to a JSON file.

The file is written to a temporary file and renamed over the old one, so a
crash never leaves half a state behind.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import tempfile
from pathlib import Path

from exsync.emulator.directory import Account, Directory
from exsync.emulator.mailbox import Entry, Mailbox

log = logging.getLogger(__name__)

FORMAT = 1


def _mailbox_record(mailbox: Mailbox) -> dict:
    with mailbox.lock:
        folders = {
            name: [vars(entry).copy() for entry in entries.values()]
            for name, entries in mailbox.folders.items()
        }
        return {
            "address": mailbox.address,
            "key": mailbox.key,
            "epoch": mailbox.epoch,
            "seq": mailbox.seq,
            "folders": folders,
        }


def save_state(directory: Directory, path: Path) -> None:
    """Write the whole directory to ``path`` atomically."""
    with directory.lock:
        document = {
            "format": FORMAT,
            "secret": base64.b64encode(directory.secret).decode(),
            "accounts": [vars(a).copy() for a in directory.accounts.values()],
            "mailboxes": [_mailbox_record(m) for m in directory.mailboxes.values()],
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".emulator-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(document, stream, ensure_ascii=False)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_state(path: Path) -> Directory | None:
    """Read a state file; None when it does not exist yet.

    Raises ValueError for a file that is not an emulator state.
    """
    if not path.exists():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT:
            raise ValueError(f"unsupported state format {document.get('format')!r}")
        directory = Directory(base64.b64decode(document["secret"]))
        for record in document["accounts"]:
            directory.add_account(Account(**record))
        for record in document["mailboxes"]:
            mailbox = Mailbox(record["address"], record["key"])
            mailbox.epoch = record["epoch"]
            mailbox.seq = record["seq"]
            for name, entries in record["folders"].items():
                folder = mailbox.folders.setdefault(name, {})
                for fields in entries:
                    entry = Entry(**fields)
                    folder[entry.item_id] = entry
            directory.mailboxes[mailbox.address] = mailbox
    except (KeyError, TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not an emulator state file: {error}") from None
    log.info("restored emulator state from %s", path)
    return directory
