"""Microsoft's batch how-to samples, made SOAP 1.1, replayed per profile.

The how-to page's requests carry the https:// SOAP namespace (a
documentation defect, refused in test_samples.py); here that namespace is
corrected and the sample ids are mapped to contacts created beforehand.
Each answer holds one message per item, with the shape of the matching
reference page's single-item response.
"""

from lxml import etree

from conformance.replay import (
    HTTPS_SOAP_NS,
    SERVICE_ACCOUNT,
    load_envelope,
    post_soap,
    read_sample,
    recorded_conflict_results,
    response_messages,
    shape,
)
from conformance.schemas import SOAP_NS, TYPES_NS

CONTACTS = "ms-docs/contacts"
# The ids (and change keys) the GetItem and UpdateItem samples name.
SAMPLE_KEYS = (
    ("ceJwVAAA=", "EQAAABYAAAD2WuN+TpqwSrNP9JCCMKC0AAFc51yS"),
    ("ceJwWAAA=", "EQAAABYAAAD2WuN+TpqwSrNP9JCCMKC0AAFc51yT"),
    ("ceJwXAAA=", "EQAAABYAAAD2WuN+TpqwSrNP9JCCMKC0AAFc51yU"),
)
# The ids (and change keys) the DeleteItem sample names.
DELETE_KEYS = (
    ("ceJwYAAA=", "EQAAABYAAAD2WuN+TpqwSrNP9JCCMKC0AAFc51yY"),
    ("ceJwZAAA=", "EQAAABYAAAD2WuN+TpqwSrNP9JCCMKC0AAFc51yZ"),
    ("ceJwaAAA=", "EQAAABYAAAD2WuN+TpqwSrNP9JCCMKC0AAFc51ya"),
)
SUCCESS = [("Success", "NoError")] * 3


def _contacts(emulator) -> list[dict]:
    return emulator.owner(SERVICE_ACCOUNT[0]).contacts()


def _create_three(emulator) -> list[dict]:
    owner = emulator.owner(SERVICE_ACCOUNT[0])
    for name in ("Sadie Daniels", "Alfred Welker", "Hope Gross"):
        owner.create_contact({"display_name": name})
    return owner.contacts()


def _replay(emulator, samples_dir, name: str, replacements: dict):
    fixed = {HTTPS_SOAP_NS: SOAP_NS, **replacements}
    return post_soap(emulator.url, read_sample(samples_dir, name, fixed))


def _mapped_keys(contacts: list[dict], keys=SAMPLE_KEYS) -> dict[str, str]:
    mapping = {}
    for (item_id, change_key), contact in zip(keys, contacts, strict=True):
        mapping[item_id] = contact["item_id"]
        mapping[change_key] = contact["change_key"]
    return mapping


def test_replay_batch_createitem_has_sample_shape(emulator, samples_dir):
    name = f"{CONTACTS}/batch_01_createitem_3_contacts.xml"

    answer = _replay(emulator, samples_dir, name, {})

    expected = load_envelope(samples_dir, f"{CONTACTS}/createitem_02_response.xml")
    assert response_messages(answer.root) == SUCCESS
    assert shape(answer.root) == shape(expected)
    names = sorted(contact["display_name"] for contact in _contacts(emulator))
    assert names == ["Alfred Welker", "Hope Gross", "Sadie Daniels"]


def test_replay_batch_getitem_has_sample_shape(emulator, samples_dir):
    mapping = _mapped_keys(_create_three(emulator))

    answer = _replay(emulator, samples_dir, f"{CONTACTS}/batch_02_getitem.xml", mapping)

    fixed = {"t:Country>": "t:CountryOrRegion>"}
    expected = load_envelope(
        samples_dir, f"{CONTACTS}/getitem_02_response_contact.xml", fixed
    )
    assert response_messages(answer.root) == SUCCESS
    assert shape(answer.root) == shape(expected)


def test_replay_batch_updateitem_has_sample_shape(emulator, samples_dir, reference_dir):
    contacts = _create_three(emulator)
    name = f"{CONTACTS}/batch_03_updateitem.xml"

    answer = _replay(emulator, samples_dir, name, _mapped_keys(contacts))

    expected = load_envelope(samples_dir, f"{CONTACTS}/updateitem_02_response.xml")
    wanted = shape(expected) | recorded_conflict_results(reference_dir)
    assert response_messages(answer.root) == SUCCESS
    assert shape(answer.root) == wanted
    companies = {contact.get("company_name") for contact in _contacts(emulator)}
    assert companies == {"Contoso"}


def test_replay_batch_soft_delete_has_sample_shape(emulator, samples_dir):
    contacts = _create_three(emulator)
    mapping = _mapped_keys(contacts, DELETE_KEYS)
    name = f"{CONTACTS}/batch_04_deleteitem_softdelete.xml"

    answer = _replay(emulator, samples_dir, name, mapping)

    expected = load_envelope(samples_dir, f"{CONTACTS}/deleteitem_02_response.xml")
    assert response_messages(answer.root) == SUCCESS
    assert shape(answer.root) == shape(expected)
    assert _contacts(emulator) == []


def test_replay_batch_getitem_projects_requested_property(emulator, samples_dir):
    # The sample asks IdOnly plus contacts:DisplayName: nothing else comes back.
    mapping = _mapped_keys(_create_three(emulator))

    answer = _replay(emulator, samples_dir, f"{CONTACTS}/batch_02_getitem.xml", mapping)

    contacts = answer.root.iter(f"{{{TYPES_NS}}}Contact")
    names = [[etree.QName(child).localname for child in item] for item in contacts]
    assert names == [["ItemId", "DisplayName"]] * 3
