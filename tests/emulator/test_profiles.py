"""Version profiles: exchangelib at each release, and what older ones refuse."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import make_account, small_seed
from exchangelib import Contact
from test_raw_http import post, soap

from exsync.emulator import Emulator

REFERENCE = os.environ.get("EXSYNC_EWS_REFERENCE") or (
    Path(__file__).resolve().parents[3] / "shared" / "ews"
)
SAMPLES = Path(REFERENCE) / "samples"


@pytest.mark.parametrize("version", ["Exchange2010", "Exchange2013", "Exchange2016"])
def test_profile_serves_create_update_sync(version):
    with Emulator(seed=small_seed(), version=version) as emu:
        account = make_account(emu, version=version)
        contact = Contact(folder=account.contacts, display_name="Per Version")
        contact.save()
        contact.job_title = "Tester"
        contact.save(update_fields=["job_title"])
        changes = list(
            account.contacts.sync_items(
                sync_state=None, only_fields=["display_name", "job_title"]
            )
        )
    assert ("Per Version", "Tester") in [
        (i.display_name, i.job_title) for _, i in changes
    ]


@pytest.mark.parametrize(
    ("version", "build"),
    [
        ("Exchange2010", b'MajorVersion="14" MinorVersion="3"'),
        ("Exchange2013", b'MajorVersion="15" MinorVersion="0"'),
        ("Exchange2016", b'MajorVersion="15" MinorVersion="1"'),
    ],
)
def test_profile_reports_its_server_version(version, build):
    convert = (
        '<m:ConvertId DestinationFormat="HexEntryId"><m:SourceIds>'
        '<t:AlternateId Format="EwsId" Id="AAA=" Mailbox="alice@example.com"/>'
        "</m:SourceIds></m:ConvertId>"
    )
    with Emulator(seed=small_seed(), version=version) as emu:
        status, _, body = post(emu, soap(convert, version="Exchange2010_SP2"))
    assert (status, build in body) == (200, True)


def test_exchange2010_refuses_suppress_read_receipts():
    update = (
        '<m:UpdateItem ConflictResolution="AutoResolve" SuppressReadReceipts="true">'
        "<m:ItemChanges/></m:UpdateItem>"
    )
    with Emulator(seed=small_seed(), version="Exchange2010") as emu:
        status, _, body = post(emu, soap(update, version="Exchange2010_SP2"))
    assert (status, b"ErrorSchemaValidation" in body) == (500, True)


def test_exchange2010_refuses_field_uri_added_in_2013():
    get = (
        "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>"
        '<t:AdditionalProperties><t:FieldURI FieldURI="item:TextBody"/>'
        "</t:AdditionalProperties></m:ItemShape><m:ItemIds>"
        '<t:ItemId Id="AAA="/></m:ItemIds></m:GetItem>'
    )
    with Emulator(seed=small_seed(), version="Exchange2010") as emu:
        status, _, body = post(emu, soap(get, version="Exchange2010_SP2"))
    assert (status, b"ErrorSchemaValidation" in body) == (500, True)


def test_update_with_email_address4_is_schema_fault_like_sample(emulator):
    sample = (
        SAMPLES / "ms-docs/contacts/updateitem_03_request_invalid_emailaddress4.xml"
    )
    if not sample.exists():
        pytest.skip(f"EWS reference samples not found at {SAMPLES}")
    status, _, body = post(emulator, sample.read_bytes())
    assert (status, b"ErrorSchemaValidation" in body, b"EmailAddress4" in body) == (
        500,
        True,
        True,
    )


@pytest.mark.parametrize(
    ("version", "api"),
    [
        ("Exchange2010", "Exchange2010_SP2"),
        ("Exchange2013", "Exchange2013_SP1"),
        ("Exchange2016", "Exchange2016"),
    ],
)
def test_exchangelib_probes_profile_version_with_convert_id(version, api):
    from conftest import PASSWORD, SERVICE, small_seed
    from exchangelib import (
        BASIC,
        IMPERSONATION,
        Account,
        Configuration,
        Credentials,
        FailFast,
    )
    from exchangelib.protocol import close_connections

    close_connections()
    with Emulator(seed=small_seed(), version=version) as emu:
        config = Configuration(
            service_endpoint=emu.url,
            credentials=Credentials(SERVICE, PASSWORD),
            auth_type=BASIC,
            retry_policy=FailFast(),
        )
        account = Account(
            "alice@example.com",
            config=config,
            autodiscover=False,
            access_type=IMPERSONATION,
        )
        assert (account.version.api_version, account.contacts.total_count) == (api, 2)
    close_connections()
