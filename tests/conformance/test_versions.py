"""Each profile serves what its schema set accepts and refuses the rest."""

import pytest

from conformance.replay import (
    HTTPS_SOAP_NS,
    fault_code,
    post_soap,
    read_sample,
    response_messages,
)
from conformance.schemas import SOAP_NS

UPDATE = "ms-docs/contacts/updateitem_01_request_set_emailaddress1.xml"
GET = "ms-docs/contacts/getitem_01_request.xml"
SYNC_INITIAL = "ms-docs/syncfolderitems/04_request_howto_initial_idonly.xml"

# SuppressReadReceipts appeared in Exchange 2013 SP1's UpdateItem; the
# 2010 SP2 set has no such attribute (exchangelib sends it from 2013 SP1 on).
SUPPRESS = {
    'ConflictResolution="AlwaysOverwrite"': (
        'ConflictResolution="AlwaysOverwrite" SuppressReadReceipts="true"'
    )
}


def _contact(emulator) -> dict:
    owner = emulator.owner("svc-exsync@example.com")
    item_id = owner.create_contact({"display_name": "Version Probe"})
    return next(c for c in owner.contacts() if c["item_id"] == item_id)


def _update_with_suppress(emulator, samples_dir):
    contact = _contact(emulator)
    replacements = {
        **SUPPRESS,
        'Id="AAAtAA="': f'Id="{contact["item_id"]}"',
        "EQAAABYi": contact["change_key"],
    }
    return post_soap(emulator.url, read_sample(samples_dir, UPDATE, replacements))


def _with_version(version: str, item_id: str, samples_dir) -> bytes:
    header = (
        "<soap:Header><t:RequestServerVersion "
        f'Version="{version}"/></soap:Header>\n  <soap:Body>'
    )
    replacements = {"<soap:Body>": header, 'Id="AAAtAE="': f'Id="{item_id}"'}
    return read_sample(samples_dir, GET, replacements)


@pytest.mark.parametrize("emulator", ["Exchange2010"], indirect=True)
def test_version_2010_suppress_read_receipts_is_schema_fault(emulator, samples_dir):
    answer = _update_with_suppress(emulator, samples_dir)

    assert answer.status == 500
    assert fault_code(answer.root) == "ErrorSchemaValidation"


@pytest.mark.parametrize("emulator", ["Exchange2013", "Exchange2016"], indirect=True)
def test_version_2013_on_suppress_read_receipts_is_accepted(emulator, samples_dir):
    answer = _update_with_suppress(emulator, samples_dir)

    assert answer.status == 200
    assert response_messages(answer.root) == [("Success", "NoError")]


@pytest.mark.parametrize(
    ("emulator", "version"),
    [("Exchange2010", "Exchange2013"), ("Exchange2013", "Exchange2016")],
    indirect=["emulator"],
)
def test_version_newer_than_profile_is_refused(emulator, samples_dir, version):
    request = _with_version(version, _contact(emulator)["item_id"], samples_dir)

    answer = post_soap(emulator.url, request)

    assert answer.status == 500
    assert fault_code(answer.root) == "ErrorInvalidServerVersion"


@pytest.mark.parametrize(
    ("emulator", "version"),
    [
        ("Exchange2010", "Exchange2007_SP1"),
        ("Exchange2010", "Exchange2010_SP2"),
        ("Exchange2013", "Exchange2010_SP2"),
        ("Exchange2013", "Exchange2013_SP1"),
        ("Exchange2016", "Exchange2013"),
        ("Exchange2016", "Exchange2016"),
    ],
    indirect=["emulator"],
)
def test_version_in_profile_list_is_served(emulator, samples_dir, version):
    request = _with_version(version, _contact(emulator)["item_id"], samples_dir)

    answer = post_soap(emulator.url, request)

    assert answer.status == 200
    assert response_messages(answer.root) == [("Success", "NoError")]


@pytest.mark.parametrize("count", ["0", "513"])
def test_sync_max_changes_outside_schema_range_is_schema_fault(
    emulator, samples_dir, count
):
    # MaxSyncChangesReturnedType allows 1 to 512 in every schema set.
    answer = post_soap(emulator.url, _initial_sync(emulator, samples_dir, count))

    assert answer.status == 500
    assert fault_code(answer.root) == "ErrorSchemaValidation"


@pytest.mark.parametrize("count", ["1", "512"])
def test_sync_max_changes_inside_schema_range_is_served(emulator, samples_dir, count):
    answer = post_soap(emulator.url, _initial_sync(emulator, samples_dir, count))

    assert answer.status == 200
    assert response_messages(answer.root) == [("Success", "NoError")]


def _initial_sync(emulator, samples_dir, count: str) -> bytes:
    replacements = {
        HTTPS_SOAP_NS: SOAP_NS,
        'Version="Exchange2013"': 'Version="Exchange2010_SP2"',
        'Id="inbox"': 'Id="contacts"',
        "<m:MaxChangesReturned>10<": f"<m:MaxChangesReturned>{count}<",
    }
    return read_sample(samples_dir, SYNC_INITIAL, replacements)
