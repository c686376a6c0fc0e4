"""Opaque sync states: a signed position in a mailbox folder's change sequence.

A state names the mailbox, the folder, the mailbox's state epoch (bumped to
invalidate every state handed out) and the last change number the client
has seen. The signature makes a garbled or foreign state detectable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from exsync.emulator.soap import ResponseError

_MAGIC = b"EXS1"


@dataclass(frozen=True)
class SyncPosition:
    """What a sync state says."""

    mailbox_key: str
    folder: str
    epoch: int
    position: int


def invalid_state() -> ResponseError:
    """The error Exchange gives for a state it cannot use."""
    return ResponseError(
        "ErrorInvalidSyncStateData",
        "Synchronization state data is corrupt or otherwise invalid.",
    )


def encode_state(secret: bytes, where: SyncPosition) -> str:
    """Return the opaque SyncState text for ``where``."""
    payload = (
        f"{where.mailbox_key}|{where.folder}|{where.epoch}|{where.position}".encode()
    )
    mac = hmac.new(secret, payload, hashlib.sha256).digest()[:12]
    return base64.b64encode(_MAGIC + mac + payload).decode()


def decode_state(secret: bytes, text: str) -> SyncPosition:
    """Read a SyncState; raises ResponseError ErrorInvalidSyncStateData."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise invalid_state() from None
    if not raw.startswith(_MAGIC) or len(raw) < len(_MAGIC) + 13:
        raise invalid_state()
    mac, payload = raw[4:16], raw[16:]
    expected = hmac.new(secret, payload, hashlib.sha256).digest()[:12]
    if not hmac.compare_digest(mac, expected):
        raise invalid_state()
    try:
        key, folder, epoch, position = payload.decode().split("|")
        return SyncPosition(key, folder, int(epoch), int(position))
    except ValueError:
        raise invalid_state() from None
