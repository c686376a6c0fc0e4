"""SyncFolderItems with states that are not the client's to send."""

from __future__ import annotations

import base64
import re

from conftest import ALICE, small_seed
from test_raw_http import post, soap

from exsync.emulator import Emulator


def _sync(emu, state: str = "", folder: str = "contacts", who: str = ALICE):
    impersonate = (
        "<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>"
        f"{who}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>"
    )
    state_xml = f"<m:SyncState>{state}</m:SyncState>" if state else ""
    request = (
        "<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>"
        f'</m:ItemShape><m:SyncFolderId><t:DistinguishedFolderId Id="{folder}"/>'
        f"</m:SyncFolderId>{state_xml}<m:MaxChangesReturned>1"
        "</m:MaxChangesReturned></m:SyncFolderItems>"
    )
    data = soap(request).replace(b"</s:Header>", impersonate.encode() + b"</s:Header>")
    body = post(emu, data)[2]
    code = re.search(rb"ResponseCode>(\w+)<", body).group(1).decode()
    found = re.search(rb"<m:SyncState>([^<]*)<", body)
    return code, found.group(1).decode() if found else ""


def test_sync_state_with_one_byte_flipped_is_invalid(emulator):
    _, state = _sync(emulator)
    raw = bytearray(base64.b64decode(state))
    raw[-1] ^= 0x01
    code, _ = _sync(emulator, base64.b64encode(bytes(raw)).decode())
    assert code == "ErrorInvalidSyncStateData"


def test_sync_state_of_another_folder_is_invalid(emulator):
    _, state = _sync(emulator)
    code, _ = _sync(emulator, state, folder="deleteditems")
    assert code == "ErrorInvalidSyncStateData"


def test_sync_state_from_another_emulator_is_invalid(emulator):
    with Emulator(seed=small_seed()) as other:
        _, state = _sync(other)
    code, _ = _sync(emulator, state)
    assert code == "ErrorInvalidSyncStateData"


def test_sync_state_of_a_megabyte_is_invalid_and_answered(emulator):
    code, state = _sync(emulator, "A" * 1_000_000)
    assert (code, state) == ("ErrorInvalidSyncStateData", "")
