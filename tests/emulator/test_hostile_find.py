"""FindItem paging parameters a client should not send."""

from __future__ import annotations

import re

import pytest
from conftest import ALICE
from test_raw_http import post, soap

IMPERSONATE = (
    "<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>"
    f"{ALICE}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>"
)


def _find(emu, view: str) -> tuple[int, bytes]:
    request = (
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly'
        f"</t:BaseShape></m:ItemShape>{view}<m:ParentFolderIds>"
        '<t:DistinguishedFolderId Id="contacts"/></m:ParentFolderIds></m:FindItem>'
    )
    data = soap(request).replace(b"</s:Header>", IMPERSONATE.encode() + b"</s:Header>")
    status, _, body = post(emu, data)
    return status, body


def _code(body: bytes) -> str:
    return re.search(rb"ResponseCode[^>]*>(\w+)<", body).group(1).decode()


@pytest.mark.parametrize("entries", ["0", "-1"])
def test_find_item_max_entries_not_positive_is_invalid_paging_max_rows(
    emulator, entries
):
    view = (
        f'<m:IndexedPageItemView MaxEntriesReturned="{entries}" Offset="0" '
        'BasePoint="Beginning"/>'
    )
    status, body = _find(emulator, view)
    assert (status, _code(body)) == (200, "ErrorInvalidPagingMaxRows")


@pytest.mark.parametrize("base", ["Beginning", "End"])
def test_find_item_negative_offset_is_invalid_paging_parameters(emulator, base):
    view = (
        f'<m:IndexedPageItemView MaxEntriesReturned="10" Offset="-1" '
        f'BasePoint="{base}"/>'
    )
    status, body = _find(emulator, view)
    assert (status, _code(body)) == (200, "ErrorInvalidIndexedPagingParameters")


def test_find_item_unknown_base_point_is_schema_fault(emulator):
    view = '<m:IndexedPageItemView MaxEntriesReturned="10" Offset="0" BasePoint="Mid"/>'
    status, body = _find(emulator, view)
    assert (status, _code(body)) == (500, "ErrorSchemaValidation")


def test_find_item_without_offset_is_schema_fault(emulator):
    view = '<m:IndexedPageItemView MaxEntriesReturned="10" BasePoint="Beginning"/>'
    status, body = _find(emulator, view)
    assert (status, _code(body)) == (500, "ErrorSchemaValidation")


def test_find_item_offset_past_the_end_is_an_empty_last_page(emulator):
    view = (
        '<m:IndexedPageItemView MaxEntriesReturned="10" Offset="500" '
        'BasePoint="Beginning"/>'
    )
    status, body = _find(emulator, view)
    root = re.search(rb"<m:RootFolder[^>]*>", body).group(0)
    assert (
        status,
        b'TotalItemsInView="2"' in root,
        b"<t:Items></t:Items>" in body,
    ) == (
        200,
        True,
        True,
    )
    assert b'IncludesLastItemInRange="true"' in root
