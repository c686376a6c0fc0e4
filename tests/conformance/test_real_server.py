"""The emulator's contact answers against those recorded from real servers.

The recordings (``real-server/*.json``) hold the GetItem and CreateItem
answers an Exchange 2019 server (15.2, ``V2017_07_11``, the schema of the
emulator's Exchange2016 profile) gave for contacts, and one Exchange Online
answer with a physical address. Each recorded contact is recreated in the
emulator with the fields the emulator holds and fetched back with the same
AllProperties shape; the answer must put those fields in the recorded
order with the recorded structure. Elements only a real store has (Size,
EffectiveRights, ConversationId, ...) are not demanded.
"""

import json

import pytest
import requests
from lxml import etree

from conformance.references import find_reference_dir
from conformance.replay import (
    SERVICE_ACCOUNT,
    post_soap,
    read_sample,
    response_messages,
    shape,
)
from conformance.schemas import MESSAGES_NS, SOAP_NS, TYPES_NS, parse_xml

EXCHANGE_2019 = (
    "Garethp__php-ews__ContactsAPITest.testInternationalContactSupport.json",
    "Garethp__php-ews__ContactsAPITest.testContactFieldVariations.json",
)
EXCHANGE_ONLINE = "Garethp__php-ews__ContactsAPITest.testUpdateContact.json"

# Contact elements whose content the emulator holds (EMULATOR_API.md).
HELD = (
    "ItemId", "Sensitivity", "DisplayName", "GivenName", "CompleteName",
    "CompanyName", "EmailAddresses", "PhysicalAddresses", "PhoneNumbers",
    "Department", "JobTitle", "Surname",
)  # fmt: skip

SCALARS = {
    "DisplayName": "display_name",
    "GivenName": "given_name",
    "Surname": "surname",
    "CompanyName": "company_name",
    "Department": "department",
    "JobTitle": "job_title",
}
ADDRESS_PARTS = {
    "Street": "street",
    "City": "city",
    "State": "state",
    "CountryOrRegion": "country",
    "PostalCode": "zipcode",
}

GET_ITEM = (
    f'<s:Envelope xmlns:s="{SOAP_NS}" xmlns:t="{TYPES_NS}" xmlns:m="{MESSAGES_NS}">'
    '<s:Header><t:RequestServerVersion Version="Exchange2016"/></s:Header>'
    "<s:Body><m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape>"
    '</m:ItemShape><m:ItemIds><t:ItemId Id="{item_id}"/></m:ItemIds></m:GetItem>'
    "</s:Body></s:Envelope>"
)


def _recorded_answers(name: str) -> list[etree._Element]:
    folder = find_reference_dir()
    records = json.loads((folder / "real-server" / name).read_text())
    return [parse_xml(record["body"].encode()) for record in records]


def _recorded_answer(name: str, operation: str) -> etree._Element:
    return next(
        root
        for root in _recorded_answers(name)
        if root.find(f".//{{{MESSAGES_NS}}}{operation}Response") is not None
    )


def _recorded_contacts(names) -> list:
    # Collected before fixtures run; without references one skipped case.
    if find_reference_dir() is None:
        return [pytest.param(None, marks=pytest.mark.skip(reason="no references"))]

    params = []
    for name in names:
        for number, root in enumerate(_recorded_answers(name)):
            for contact in root.iter(f"{{{TYPES_NS}}}Contact"):
                if len(contact) > 1:
                    params.append(pytest.param(contact, id=f"{name[28:-5]}-{number}"))

    return params


def _fields_of(contact: etree._Element) -> dict:
    fields = {}
    for element, key in SCALARS.items():
        found = contact.find(f"{{{TYPES_NS}}}{element}")
        if found is not None and found.text:
            fields[key] = found.text

    fields["email_addresses"] = _entries(contact, "EmailAddresses")
    fields["phone_numbers"] = _entries(contact, "PhoneNumbers")
    fields["physical_addresses"] = {
        entry.get("Key"): {
            ADDRESS_PARTS[etree.QName(part).localname]: part.text for part in entry
        }
        for entry in contact.iterfind(f"{{{TYPES_NS}}}PhysicalAddresses/*")
    }
    return {key: value for key, value in fields.items() if value}


def _entries(contact: etree._Element, element: str) -> dict[str, str]:
    return {
        entry.get("Key"): entry.text
        for entry in contact.iterfind(f"{{{TYPES_NS}}}{element}/*")
    }


def _fetch_recreated(emulator, recorded: etree._Element) -> etree._Element:
    owner = emulator.owner("svc-exsync@example.com")
    item_id = owner.create_contact(_fields_of(recorded))
    answer = post_soap(emulator.url, GET_ITEM.replace("{item_id}", item_id).encode())
    assert response_messages(answer.root) == [("Success", "NoError")]
    return next(answer.root.iter(f"{{{TYPES_NS}}}Contact"))


def _names(element: etree._Element) -> list[str]:
    return [etree.QName(child).localname for child in element]


# Exchange 2016 and 2019 share one schema version (V2017_07_11).
pytestmark = pytest.mark.parametrize("emulator", ["Exchange2016"], indirect=True)


@pytest.fixture
def emulator_2016(emulator):
    """The emulator running the Exchange2016 profile."""
    return emulator


@pytest.mark.parametrize("recorded", _recorded_contacts(EXCHANGE_2019))
def test_real_server_contact_elements_keep_recorded_order(emulator_2016, recorded):
    contact = _fetch_recreated(emulator_2016, recorded)

    recorded_names = _names(recorded)
    common = [name for name in _names(contact) if name in recorded_names]

    assert common == [name for name in recorded_names if name in common]


@pytest.mark.parametrize("recorded", _recorded_contacts(EXCHANGE_2019))
def test_real_server_contact_has_recorded_held_elements(emulator_2016, recorded):
    contact = _fetch_recreated(emulator_2016, recorded)

    wanted = [name for name in _names(recorded) if name in HELD]

    assert [name for name in _names(contact) if name in HELD] == wanted


@pytest.mark.parametrize("recorded", _recorded_contacts(EXCHANGE_2019))
def test_real_server_contact_entries_have_recorded_attributes(emulator_2016, recorded):
    contact = _fetch_recreated(emulator_2016, recorded)

    def attributes(item):
        return sorted(
            (etree.QName(entry.getparent()).localname, entry.get("Key"), *entry.attrib)
            for entry in item.iterfind(f"{{{TYPES_NS}}}*/{{{TYPES_NS}}}Entry")
        )

    assert attributes(contact) == attributes(recorded)


@pytest.mark.parametrize("recorded", _recorded_contacts(EXCHANGE_2019))
def test_real_server_complete_name_keeps_recorded_shape(emulator_2016, recorded):
    contact = _fetch_recreated(emulator_2016, recorded)

    name = f"{{{TYPES_NS}}}CompleteName"

    assert _names(contact.find(name)) == _names(recorded.find(name))


@pytest.mark.parametrize("recorded", _recorded_contacts([EXCHANGE_ONLINE]))
def test_real_server_physical_address_keeps_recorded_shape(emulator_2016, recorded):
    contact = _fetch_recreated(emulator_2016, recorded)

    path = f"{{{TYPES_NS}}}PhysicalAddresses/{{{TYPES_NS}}}Entry"

    assert [_names(entry) for entry in contact.iterfind(path)] == [
        _names(entry) for entry in recorded.iterfind(path)
    ]


def test_real_server_createitem_answer_has_recorded_shape(emulator_2016, samples_dir):
    request = read_sample(samples_dir, "ms-docs/contacts/createitem_01_request.xml")
    recorded = _recorded_answer(EXCHANGE_2019[0], "CreateItem")

    answer = post_soap(emulator_2016.url, request)

    assert shape(answer.root) == shape(recorded)
    assert _names(next(answer.root.iter(f"{{{TYPES_NS}}}Contact"))) == ["ItemId"]


def test_real_server_content_type_matches_recorded(emulator_2016, samples_dir):
    recorded = json.loads(
        (find_reference_dir() / "real-server" / EXCHANGE_2019[0]).read_text()
    )
    request = read_sample(samples_dir, "ms-docs/contacts/createitem_01_request.xml")

    response = requests.post(
        emulator_2016.url,
        data=request,
        auth=SERVICE_ACCOUNT,
        headers={"Content-Type": "text/xml; charset=utf-8"},
        timeout=30,
    )

    recorded_types = {record["headers"]["Content-Type"][0] for record in recorded}
    assert recorded_types == {"text/xml; charset=utf-8"}
    assert response.headers["Content-Type"] in recorded_types


def test_real_server_getfolder_contacts_has_recorded_shape(emulator_2016):
    # The recorded answer is the Default folder shape: FolderId, DisplayName,
    # TotalCount, ChildFolderCount (AllProperties adds ParentFolderId,
    # FolderClass, EffectiveRights, ...).
    request = (
        GET_ITEM.replace("m:GetItem>", "m:GetFolder>")
        .replace("m:ItemShape>", "m:FolderShape>")
        .replace("AllProperties", "Default")
        .replace("m:ItemIds>", "m:FolderIds>")
        .replace(
            '<t:ItemId Id="{item_id}"/>', '<t:DistinguishedFolderId Id="contacts"/>'
        )
    )
    recorded = _recorded_answers(EXCHANGE_2019[0])[0]

    answer = post_soap(emulator_2016.url, request.encode())

    assert response_messages(answer.root) == response_messages(recorded)
    assert shape(answer.root) == shape(recorded)
    folder = next(answer.root.iter(f"{{{TYPES_NS}}}ContactsFolder"))
    assert _names(folder) == _names(
        next(recorded.iter(f"{{{TYPES_NS}}}ContactsFolder"))
    )


def test_real_server_deleteitem_answer_has_recorded_shape(emulator_2016, samples_dir):
    owner = emulator_2016.owner("svc-exsync@example.com")
    item_id = owner.create_contact({"display_name": "To delete"})
    request = read_sample(
        samples_dir,
        "ms-docs/contacts/deleteitem_01_request_harddelete.xml",
        {'Id="AS4AUn=="': f'Id="{item_id}"'},
    )

    answer = post_soap(emulator_2016.url, request)

    recorded = _recorded_answer(EXCHANGE_2019[0], "DeleteItem")
    assert response_messages(answer.root) == response_messages(recorded)
    assert shape(answer.root) == shape(recorded)


def test_real_server_updateitem_answer_has_recorded_shape(emulator_2016, samples_dir):
    owner = emulator_2016.owner("svc-exsync@example.com")
    item_id = owner.create_contact({"display_name": "To update"})
    change_key = next(
        c["change_key"] for c in owner.contacts() if c["item_id"] == item_id
    )
    request = read_sample(
        samples_dir,
        "ms-docs/contacts/updateitem_01_request_set_emailaddress1.xml",
        {'Id="AAAtAA="': f'Id="{item_id}"', "EQAAABYi": change_key},
    )

    answer = post_soap(emulator_2016.url, request)

    recorded = _recorded_answer(EXCHANGE_ONLINE, "UpdateItem")
    assert response_messages(answer.root) == response_messages(recorded)
    assert shape(answer.root) == shape(recorded)
