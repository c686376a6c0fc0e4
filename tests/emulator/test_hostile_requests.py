"""Requests missing parts the schema requires, or holding values it refuses."""

from __future__ import annotations

import logging
import re

import pytest
from conftest import ALICE
from test_raw_http import post, soap

IMPERSONATE = (
    "<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>"
    f"{ALICE}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>"
)
SHAPE = "<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>"
CONTACTS = '<t:DistinguishedFolderId Id="contacts"/>'


def _call(emu, request: str) -> tuple[int, str]:
    data = soap(request).replace(b"</s:Header>", IMPERSONATE.encode() + b"</s:Header>")
    status, _, body = post(emu, data)
    return status, re.search(rb"ResponseCode[^>]*>(\w+)<", body).group(1).decode()


@pytest.mark.parametrize(
    "restriction",
    [
        "<t:Not/>",
        "<t:Not><t:Exists><t:FieldURI FieldURI='contacts:Surname'/></t:Exists>"
        "<t:Exists><t:FieldURI FieldURI='contacts:GivenName'/></t:Exists></t:Not>",
        "<t:And/>",
        "<t:Or/>",
    ],
)
def test_find_item_malformed_boolean_restriction_is_schema_fault(
    emulator, restriction, caplog
):
    request = (
        f'<m:FindItem Traversal="Shallow">{SHAPE}<m:Restriction>{restriction}'
        f"</m:Restriction><m:ParentFolderIds>{CONTACTS}</m:ParentFolderIds>"
        "</m:FindItem>"
    )
    with caplog.at_level(logging.ERROR, logger="exsync.emulator"):
        status, code = _call(emulator, request)
    assert (status, code, caplog.records) == (500, "ErrorSchemaValidation", [])


def test_find_item_without_parent_folders_is_schema_fault(emulator):
    request = f'<m:FindItem Traversal="Shallow">{SHAPE}</m:FindItem>'
    assert _call(emulator, request) == (500, "ErrorSchemaValidation")


def test_get_folder_without_folder_ids_is_schema_fault(emulator):
    request = (
        "<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape>"
        "</m:FolderShape></m:GetFolder>"
    )
    assert _call(emulator, request) == (500, "ErrorSchemaValidation")


def test_subscribe_unknown_event_type_is_schema_fault(emulator):
    request = (
        "<m:Subscribe><m:PushSubscriptionRequest><t:FolderIds>"
        f"{CONTACTS}</t:FolderIds><t:EventTypes><t:EventType>Explode"
        "</t:EventType></t:EventTypes><t:StatusFrequency>1</t:StatusFrequency>"
        "<t:URL>http://127.0.0.1:9/push</t:URL></m:PushSubscriptionRequest>"
        "</m:Subscribe>"
    )
    status, code = _call(emulator, request)
    assert (status, code, emulator.push.subscriptions) == (
        500,
        "ErrorSchemaValidation",
        {},
    )
