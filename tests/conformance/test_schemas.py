"""The schema loader, proven on Microsoft's samples and their recorded results."""

import pytest
from lxml import etree

from conformance.references import find_reference_dir
from conformance.sample_index import read_recorded_results
from conformance.schemas import (
    EXCHANGE_2010_SP2,
    EXCHANGE_2013_SP1,
    MESSAGES_NS,
    OPEN_SPECS,
    OPEN_SPECS_DIR,
    TYPES_NS,
    parse_xml,
)

ALL_SETS = (EXCHANGE_2010_SP2, EXCHANGE_2013_SP1, OPEN_SPECS)


def _recorded(verdict: str) -> list:
    # Collected before any fixture runs, so the reference folder is looked
    # up here too; without it one skipped case stands for all.
    folder = find_reference_dir()
    if folder is None:
        return [pytest.param(None, marks=pytest.mark.skip(reason="no references"))]

    results = read_recorded_results(folder / "samples")
    return [
        pytest.param(result, id=f"{result.sample}:{result.element}:{result.schema_set}")
        for result in results
        if result.verdict == verdict and result.local_name != "RequestServerVersion"
    ]


def _sample_element(samples_dir, sample: str, local_name: str):
    root = parse_xml((samples_dir / sample).read_bytes())
    for section in root:
        for child in section:
            if (
                isinstance(child.tag, str)
                and etree.QName(child).localname == local_name
            ):
                return child

    raise LookupError(f"{sample} has no {local_name}")


def _check_sample(schema_sets, samples_dir, sample, schema_set):
    data = (samples_dir / sample).read_bytes()
    return schema_sets[schema_set].check_document(data)


@pytest.mark.parametrize("recorded", _recorded("OK"))
def test_schema_set_sample_recorded_ok_validates(schema_sets, samples_dir, recorded):
    element = _sample_element(samples_dir, recorded.sample, recorded.local_name)

    assert schema_sets[recorded.schema_set].check_element(element) == []


@pytest.mark.parametrize("recorded", _recorded("INVALID"))
def test_schema_set_sample_recorded_invalid_fails(schema_sets, samples_dir, recorded):
    element = _sample_element(samples_dir, recorded.sample, recorded.local_name)

    assert schema_sets[recorded.schema_set].check_element(element) != []


@pytest.mark.parametrize(
    ("sample", "defect"),
    [
        ("ms-docs/contacts/getitem_02_response_contact.xml", "t:Country"),
        (
            "ms-docs/contacts/updateitem_03_request_invalid_emailaddress4.xml",
            "EmailAddress4",
        ),
        (
            "ms-docs/notifications/subscribe_04_push_request_statusfrequency_url.xml",
            "'Subscribe' is not an element of the schema",
        ),
    ],
)
@pytest.mark.parametrize("schema_set", ALL_SETS)
def test_schema_set_known_bad_sample_names_its_defect(
    schema_sets, samples_dir, schema_set, sample, defect
):
    errors = _check_sample(schema_sets, samples_dir, sample, schema_set)

    assert len(errors) == 1
    assert defect in errors[0]


@pytest.mark.parametrize(
    "sample",
    [
        "ms-docs/syncfolderitems/04_request_howto_initial_idonly.xml",
        "ms-docs/contacts/batch_02_getitem.xml",
    ],
)
def test_schema_set_https_soap_namespace_is_not_an_envelope(
    schema_sets, samples_dir, sample
):
    errors = _check_sample(schema_sets, samples_dir, sample, OPEN_SPECS)

    assert errors == [
        "root element is {https://schemas.xmlsoap.org/soap/envelope/}Envelope,"
        " not a SOAP 1.1 Envelope"
    ]


@pytest.mark.parametrize(
    "sample",
    [
        "third-party/rooms_exo_sendnotification_modifiedevent_MALFORMED.xml",
        "aws-workmail/sendnotification_statusevent.xml",
        "ms-docs/notifications/pull_howto_getevents_response.xml",
    ],
)
def test_schema_set_malformed_sample_is_one_violation(schema_sets, samples_dir, sample):
    errors = _check_sample(schema_sets, samples_dir, sample, OPEN_SPECS)

    assert len(errors) == 1
    assert errors[0].startswith("not a well-formed XML document")


@pytest.mark.parametrize(
    "sample",
    [
        "ms-docs/contacts/createitem_01_request.xml",
        "ms-docs/contacts/createitem_02_response.xml",
        "ms-docs/syncfolderitems/03_response_error_ErrorInvalidSyncStateData.xml",
        "ms-docs/notifications/subscribe_05_push_response.xml",
        "exchangelib/sendnotification_statusevent_exchange2016.xml",
    ],
)
def test_schema_set_valid_sample_document_has_no_violation(
    schema_sets, samples_dir, sample
):
    assert _check_sample(schema_sets, samples_dir, sample, OPEN_SPECS) == []


@pytest.mark.parametrize(
    "sample",
    [
        "exchangelib/fault_ErrorServerBusy_BackOffMilliseconds.xml",
        "third-party/ews-managed-api_issue212_fault_"
        "ErrorInvalidExchangeImpersonationHeaderData.xml",
    ],
)
@pytest.mark.parametrize("schema_set", ALL_SETS)
def test_schema_set_exchange_fault_sample_passes(
    schema_sets, samples_dir, sample, schema_set
):
    assert _check_sample(schema_sets, samples_dir, sample, schema_set) == []


def test_schema_set_fault_with_qualified_faultcode_fails(schema_sets, samples_dir):
    # The reference page's sample qualifies faultcode with the SOAP prefix;
    # SOAP 1.1 declares the Fault children unqualified.
    sample = "ms-docs/contacts/updateitem_04_response_fault_ErrorSchemaValidation.xml"

    errors = _check_sample(schema_sets, samples_dir, sample, OPEN_SPECS)

    assert len(errors) == 1
    assert errors[0].startswith("Fault children are")


def test_schema_set_fault_with_unknown_response_code_fails(schema_sets):
    document = (
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        b"<s:Fault><faultcode>s:Client</faultcode><faultstring>x</faultstring>"
        b'<detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/'
        b'services/2006/errors">ErrorMadeUp</e:ResponseCode></detail></s:Fault>'
        b"</s:Body></s:Envelope>"
    )

    errors = schema_sets[OPEN_SPECS].check_document(document)

    assert errors == ["Fault e:ResponseCode 'ErrorMadeUp' is not a ResponseCode"]


def _request_server_version(version: str):
    return etree.fromstring(
        f'<t:RequestServerVersion xmlns:t="{TYPES_NS}" Version="{version}"/>'
    )


@pytest.mark.parametrize(
    ("schema_set", "version"),
    [
        (EXCHANGE_2010_SP2, "Exchange2007_SP1"),
        (EXCHANGE_2010_SP2, "Exchange2010_SP2"),
        (EXCHANGE_2013_SP1, "Exchange2010_SP2"),
        (EXCHANGE_2013_SP1, "Exchange2013"),
        (OPEN_SPECS, "Exchange2013_SP1"),
        (OPEN_SPECS, "Exchange2016"),
    ],
)
def test_schema_set_request_server_version_in_list_validates(
    schema_sets, schema_set, version
):
    element = _request_server_version(version)

    assert schema_sets[schema_set].check_element(element) == []


@pytest.mark.parametrize(
    ("schema_set", "version"),
    [
        (EXCHANGE_2010_SP2, "Exchange2013"),
        (EXCHANGE_2013_SP1, "Exchange2016"),
        (OPEN_SPECS, "V2017_07_11"),
        (OPEN_SPECS, "exchange2016"),
    ],
)
def test_schema_set_request_server_version_outside_list_fails(
    schema_sets, schema_set, version
):
    element = _request_server_version(version)

    errors = schema_sets[schema_set].check_element(element)

    assert len(errors) == 1
    assert errors[0].startswith(f"RequestServerVersion Version={version!r}")


def test_schema_set_request_server_version_with_content_fails(schema_sets):
    element = _request_server_version("Exchange2010_SP2")
    element.text = "\n"

    assert schema_sets[EXCHANGE_2010_SP2].check_element(element) != []


def test_schema_set_open_specs_holds_every_operation_used(schema_sets):
    elements = schema_sets[OPEN_SPECS].schema.maps.elements
    operations = (
        "GetFolder", "SyncFolderItems", "GetItem", "FindItem", "CreateItem",
        "UpdateItem", "DeleteItem", "Subscribe", "Unsubscribe", "ConvertId",
        "SendNotification", "SendNotificationResult",
    )  # fmt: skip

    missing = [op for op in operations if f"{{{MESSAGES_NS}}}{op}" not in elements]

    assert missing == []


def test_schema_set_open_specs_holds_globals_of_every_file(schema_sets, reference_dir):
    folder = reference_dir / "schemas" / OPEN_SPECS_DIR
    maps = schema_sets[OPEN_SPECS].schema.maps
    kinds = {"complexType": maps.types, "simpleType": maps.types}
    kinds["element"] = maps.elements

    missing = []
    for path in sorted(folder.glob("MS-OXWS*.xsd")):
        schema = etree.parse(str(path)).getroot()
        namespace = schema.get("targetNamespace")
        for child in schema:
            kind = etree.QName(child).localname if isinstance(child.tag, str) else ""
            name = f"{{{namespace}}}{child.get('name')}"
            if kind in kinds and name not in kinds[kind]:
                missing.append(f"{path.name}:{name}")

    assert missing == []


def test_parse_xml_entity_declaration_is_refused():
    document = b'<!DOCTYPE x [<!ENTITY a "boom">]><x>&a;</x>'

    with pytest.raises(ValueError, match="DOCTYPE"):
        parse_xml(document)


def test_schema_set_document_with_entity_is_one_violation(schema_sets):
    document = b'<!DOCTYPE x [<!ENTITY a "boom">]><x>&a;</x>'

    errors = schema_sets[OPEN_SPECS].check_document(document)

    assert errors == ["not a well-formed XML document: document declares a DOCTYPE"]
