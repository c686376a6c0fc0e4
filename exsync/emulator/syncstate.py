"""Opaque sync states: what a client has been told about a folder.

A state names the mailbox, the folder and the mailbox's state epoch (bumped
to invalidate every state handed out). ``base`` is the change number at
which the client last finished a walk: it has seen every item created up to
then. During a walk, ``cursor`` is the last change number covered and
``seen`` the creation numbers of the newer items already reported, kept as
ranges. The whole is compressed and signed, so a garbled or foreign state
is detected.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import zlib
from dataclasses import dataclass, field

from exsync.emulator.soap import ResponseError

_MAGIC = b"EXS2"


@dataclass(frozen=True)
class SyncPosition:
    """What a sync state says."""

    mailbox_key: str
    folder: str
    epoch: int
    base: int
    cursor: int
    seen: tuple[tuple[int, int], ...] = field(default=())

    def has_seen(self, created_seq: int) -> bool:
        """True if the client was told about the item created at this number."""
        if created_seq <= self.base:
            return True
        return any(low <= created_seq <= high for low, high in self.seen)


def add_seen(ranges: list[tuple[int, int]], numbers: list[int]) -> tuple:
    """Merge creation numbers into sorted, non-overlapping ranges."""
    points = sorted(set(numbers))
    merged = sorted(list(ranges) + [(n, n) for n in points])
    result: list[tuple[int, int]] = []
    for low, high in merged:
        if result and low <= result[-1][1] + 1:
            result[-1] = (result[-1][0], max(result[-1][1], high))
        else:
            result.append((low, high))
    return tuple(result)


def invalid_state() -> ResponseError:
    """The error Exchange gives for a state it cannot use."""
    return ResponseError(
        "ErrorInvalidSyncStateData",
        "Synchronization state data is corrupt or otherwise invalid.",
    )


def encode_state(secret: bytes, where: SyncPosition) -> str:
    """Return the opaque SyncState text for ``where``."""
    ranges = ",".join(f"{low}-{high}" for low, high in where.seen)
    payload = zlib.compress(
        f"{where.mailbox_key}|{where.folder}|{where.epoch}|{where.base}|"
        f"{where.cursor}|{ranges}".encode()
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
        key, folder, epoch, base, cursor, ranges = (
            zlib.decompress(payload).decode().split("|")
        )
        seen = tuple(
            (int(low), int(high))
            for low, high in (part.split("-") for part in ranges.split(",") if part)
        )
        return SyncPosition(key, folder, int(epoch), int(base), int(cursor), seen)
    except (ValueError, zlib.error):
        raise invalid_state() from None
