"""The emulator's faults and error messages against recorded ones, per profile."""

import pytest

from conformance.replay import (
    fault_code,
    load_envelope,
    post_soap,
    read_sample,
    response_messages,
    shape,
)
from conformance.schemas import TYPES_NS

GET_ITEM = "ms-docs/contacts/getitem_01_request.xml"
BUSY_FIXTURE = "exchangelib/fault_ErrorServerBusy_BackOffMilliseconds.xml"
HEADER_FAULT = (
    "third-party/ews-managed-api_issue212_fault_"
    "ErrorInvalidExchangeImpersonationHeaderData.xml"
)
IMPERSONATION = (
    "<soap:Header><t:ExchangeImpersonation><t:ConnectingSID>"
    "<t:PrimarySmtpAddress>{address}</t:PrimarySmtpAddress>"
    "</t:ConnectingSID></t:ExchangeImpersonation></soap:Header>\n  <soap:Body>"
)


def _get_item(samples_dir, item_id: str = "AAAtAE=", address: str | None = None):
    replacements = {'Id="AAAtAE="': f'Id="{item_id}"'}
    if address:
        replacements["<soap:Body>"] = IMPERSONATION.format(address=address)
    return read_sample(samples_dir, GET_ITEM, replacements)


def test_fault_server_busy_has_exchangelib_fixture_shape(emulator, samples_dir):
    emulator.faults.server_busy(back_off_ms=297749, count=1, as_fault=True)

    answer = post_soap(emulator.url, _get_item(samples_dir))

    expected = load_envelope(samples_dir, BUSY_FIXTURE)
    assert answer.status == 500
    assert fault_code(answer.root) == fault_code(expected) == "ErrorServerBusy"
    # exchangelib's fixture leaves out the SOAP header.
    assert shape(answer.root) - {"Header/t:ServerVersionInfo"} == shape(expected)


def test_fault_server_busy_carries_back_off_value(emulator, samples_dir):
    emulator.faults.server_busy(back_off_ms=297749, count=1, as_fault=True)

    answer = post_soap(emulator.url, _get_item(samples_dir))

    value = answer.root.find(f".//{{{TYPES_NS}}}MessageXml/{{{TYPES_NS}}}Value")
    assert (value.get("Name"), value.text.strip()) == ("BackOffMilliseconds", "297749")


def test_fault_server_busy_code_is_in_types_namespace(emulator, samples_dir):
    emulator.faults.server_busy(back_off_ms=500, count=1, as_fault=True)

    answer = post_soap(emulator.url, _get_item(samples_dir))

    code = answer.root.find(".//faultcode")
    prefix, _, local = code.text.strip().rpartition(":")
    assert (code.nsmap.get(prefix), local) == (TYPES_NS, "ErrorServerBusy")


def test_fault_impersonation_denied_has_header_fault_shape(emulator, samples_dir):
    emulator.add_mailbox("alice@example.com")
    request = _get_item(samples_dir, address="alice@example.com")

    answer = post_soap(
        emulator.url, request, auth=("no-rights@example.com", "emulator-password")
    )

    expected = load_envelope(samples_dir, HEADER_FAULT)
    assert answer.status == 500
    assert fault_code(answer.root) == "ErrorImpersonateUserDenied"
    assert shape(answer.root) - {"Header/t:ServerVersionInfo"} == shape(expected)


def test_error_getitem_unknown_id_has_error_sample_shape(emulator, samples_dir):
    answer = post_soap(emulator.url, _get_item(samples_dir, item_id="AAAtAE="))

    # The reference page's GetItem error (a MIME refusal) shows the shape of
    # any per-item error: MessageText, ResponseCode, DescriptiveLinkKey and
    # an empty m:Items.
    expected = load_envelope(
        samples_dir, "ms-docs/contacts/getitem_04_response_error.xml"
    )
    assert answer.status == 200
    assert [cls for cls, _ in response_messages(answer.root)] == ["Error"]
    assert response_messages(answer.root)[0][1] in {
        "ErrorItemNotFound",
        "ErrorInvalidIdMalformed",
    }
    assert shape(answer.root) == shape(expected)


@pytest.mark.parametrize(
    "name",
    [
        "third-party/rooms_exo_sendnotification_modifiedevent_MALFORMED.xml",
        "aws-workmail/sendnotification_statusevent.xml",
        "ms-docs/notifications/pull_howto_getevents_response.xml",
    ],
)
def test_fault_malformed_sample_is_schema_fault(emulator, samples_dir, name):
    # Documents that are not well-formed fail the server's schema
    # validation before anything else is read.
    answer = post_soap(emulator.url, read_sample(samples_dir, name))

    assert answer.status == 500
    assert fault_code(answer.root) == "ErrorSchemaValidation"
