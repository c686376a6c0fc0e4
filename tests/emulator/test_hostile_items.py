"""Item operations with values a client should not send."""

from __future__ import annotations

import re

import pytest
from conftest import ALICE
from test_raw_http import GET_ROOT, post, soap

IMPERSONATE = (
    "<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>"
    f"{ALICE}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>"
)


def _call(emu, request: str) -> tuple[int, str]:
    data = soap(request).replace(b"</s:Header>", IMPERSONATE.encode() + b"</s:Header>")
    status, _, body = post(emu, data)
    return status, re.search(rb"ResponseCode[^>]*>(\w+)<", body).group(1).decode()


@pytest.mark.parametrize("value", ["notadate", "2021-02-30T11:59:00Z", ""])
def test_update_birthday_that_is_no_date_is_schema_fault(emulator, value):
    contact = emulator.owner(ALICE).contacts()[0]
    request = (
        '<m:UpdateItem ConflictResolution="AlwaysOverwrite"><m:ItemChanges>'
        f'<t:ItemChange><t:ItemId Id="{contact["item_id"]}"/><t:Updates>'
        '<t:SetItemField><t:FieldURI FieldURI="contacts:Birthday"/><t:Contact>'
        f"<t:Birthday>{value}</t:Birthday></t:Contact></t:SetItemField>"
        "</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"
    )
    status, code = _call(emulator, request)
    after = emulator.owner(ALICE).contacts()[0]
    assert (status, code, after["change_key"]) == (
        500,
        "ErrorSchemaValidation",
        contact["change_key"],
    )


def test_create_contact_with_bad_birthday_is_schema_fault(emulator):
    request = (
        '<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Contact>'
        "<t:DisplayName>Bad Date</t:DisplayName><t:Birthday>31/12/1980</t:Birthday>"
        "</t:Contact></m:Items></m:CreateItem>"
    )
    status, code = _call(emulator, request)
    assert (status, code, len(emulator.owner(ALICE).contacts())) == (
        500,
        "ErrorSchemaValidation",
        2,
    )


@pytest.mark.parametrize(
    "header",
    [
        "<t:RequestServerVersion/>",
        '<t:RequestServerVersion Version=""/>',
    ],
)
def test_request_server_version_without_a_value_is_schema_fault(emulator, header):
    data = soap(GET_ROOT).replace(
        b'<t:RequestServerVersion Version="Exchange2016"/>', header.encode()
    )
    status, _, body = post(emulator, data)
    assert (status, b"ErrorSchemaValidation" in body) == (500, True)


def test_request_without_header_is_served_as_exchange2007_sp1(emulator):
    data = soap(GET_ROOT).replace(
        b'<s:Header><t:RequestServerVersion Version="Exchange2016"/></s:Header>', b""
    )
    status, _, body = post(emulator, data)
    assert (status, b"NoError" in body) == (200, True)


def test_update_with_one_bad_change_applies_none(emulator):
    first, second = emulator.owner(ALICE).contacts()
    request = (
        '<m:UpdateItem ConflictResolution="AlwaysOverwrite"><m:ItemChanges>'
        f'<t:ItemChange><t:ItemId Id="{first["item_id"]}"/><t:Updates>'
        '<t:SetItemField><t:FieldURI FieldURI="contacts:JobTitle"/><t:Contact>'
        "<t:JobTitle>CTO</t:JobTitle></t:Contact></t:SetItemField>"
        "</t:Updates></t:ItemChange>"
        f'<t:ItemChange><t:ItemId Id="{second["item_id"]}"/><t:Updates>'
        '<t:SetItemField><t:FieldURI FieldURI="contacts:Birthday"/><t:Contact>'
        "<t:Birthday>soon</t:Birthday></t:Contact></t:SetItemField>"
        "</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"
    )
    status, code = _call(emulator, request)
    contacts = emulator.owner(ALICE).contacts()
    (after,) = [c for c in contacts if c["item_id"] == first["item_id"]]
    assert (status, code, after["change_key"], after.get("job_title")) == (
        500,
        "ErrorSchemaValidation",
        first["change_key"],
        None,
    )


def test_delete_of_an_already_deleted_item_is_item_not_found(emulator):
    item_id = emulator.owner(ALICE).contacts()[0]["item_id"]
    request = (
        '<m:DeleteItem DeleteType="HardDelete"><m:ItemIds>'
        f'<t:ItemId Id="{item_id}"/></m:ItemIds></m:DeleteItem>'
    )
    first = _call(emulator, request)
    assert (first, _call(emulator, request)) == (
        (200, "NoError"),
        (200, "ErrorItemNotFound"),
    )


def test_get_item_with_a_thousand_ids_answers_one_message_each(emulator):
    live, gone = emulator.owner(ALICE).contacts()
    emulator.owner(ALICE).delete_contact(gone["item_id"])
    ids = "".join(
        f'<t:ItemId Id="{(live, gone)[n % 2]["item_id"]}"/>' for n in range(1000)
    )
    request = (
        "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>"
        f"<m:ItemIds>{ids}</m:ItemIds></m:GetItem>"
    )
    data = soap(request).replace(b"</s:Header>", IMPERSONATE.encode() + b"</s:Header>")
    _, _, body = post(emulator, data)
    codes = re.findall(rb"<m:ResponseCode>(\w+)<", body)
    assert (codes[:2], len(codes)) == ([b"NoError", b"ErrorItemNotFound"], 1000)
