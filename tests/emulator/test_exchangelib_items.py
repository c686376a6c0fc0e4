"""Unmodified exchangelib against the emulator: folders and item operations."""

from __future__ import annotations

import pytest
from conftest import ALICE, NO_RIGHTS, make_account
from exchangelib import Contact
from exchangelib.errors import (
    ErrorImpersonateUserDenied,
    ErrorIrresolvableConflict,
    ErrorItemNotFound,
    ErrorNonExistentMailbox,
)
from exchangelib.indexed_properties import EmailAddress, PhoneNumber, PhysicalAddress


def test_get_folder_contacts_counts_seeded_items(account):
    assert account.contacts.total_count == 2


def test_impersonation_without_right_raises_denied(emulator):
    account = make_account(emulator, user=NO_RIGHTS)
    with pytest.raises(ErrorImpersonateUserDenied):
        account.contacts.total_count  # noqa: B018 - the lookup is the test


def test_impersonation_of_unknown_mailbox_raises_nonexistent(emulator):
    account = make_account(emulator, address="nobody@example.com")
    with pytest.raises(ErrorNonExistentMailbox):
        account.contacts.total_count  # noqa: B018 - the lookup is the test


def test_create_item_contact_is_readable_by_owner(account, emulator):
    contact = Contact(
        folder=account.contacts,
        display_name="Zoë Ñúñez",
        given_name="Zoë",
        email_addresses=[EmailAddress(label="EmailAddress2", email="zoe@example.com")],
        phone_numbers=[PhoneNumber(label="MobilePhone", phone_number="+34 600 1")],
    )
    contact.save()
    stored = {c["item_id"]: c for c in emulator.owner(ALICE).contacts()}
    assert stored[contact.id]["given_name"] == "Zoë"
    assert stored[contact.id]["email_addresses"] == {"EmailAddress2": "zoe@example.com"}


def test_update_item_keeps_id_and_rotates_change_key(account):
    contact = Contact(folder=account.contacts, display_name="Kim Lee")
    contact.save()
    old_id, old_key = contact.id, contact.changekey
    contact.job_title = "CTO"
    contact.save(update_fields=["job_title"])
    fetched = account.contacts.get(id=contact.id)
    assert (contact.id, fetched.job_title) == (old_id, "CTO")
    assert contact.changekey != old_key


def _contact_with_stale_change_key(account) -> Contact:
    # A contact saved twice, holding the change key of the first save.
    contact = Contact(folder=account.contacts, display_name="Kim Lee")
    contact.save()
    stale = contact.changekey
    contact.job_title = "CTO"
    contact.save(update_fields=["job_title"])
    contact._id = contact._id.__class__(contact.id, stale)
    return contact


def test_update_item_stale_change_key_never_overwrite_raises_conflict(account):
    contact = _contact_with_stale_change_key(account)
    contact.job_title = "CEO"
    with pytest.raises(ErrorIrresolvableConflict):
        contact.save(update_fields=["job_title"], conflict_resolution="NeverOverwrite")


def test_update_item_physical_address_sets_city(account, emulator):
    contact = Contact(folder=account.contacts, display_name="Ola Nordmann")
    contact.save()
    contact.physical_addresses = [PhysicalAddress(label="Home", city="Tromsø")]
    contact.save(update_fields=["physical_addresses"])
    stored = {c["item_id"]: c for c in emulator.owner(ALICE).contacts()}
    assert stored[contact.id]["physical_addresses"] == {"Home": {"city": "Tromsø"}}


def test_update_item_delete_field_removes_phone(account, emulator):
    contact = Contact(
        folder=account.contacts,
        display_name="Ola Nordmann",
        phone_numbers=[PhoneNumber(label="HomePhone", phone_number="+47 1")],
    )
    contact.save()
    contact.phone_numbers = None
    contact.save(update_fields=["phone_numbers"])
    stored = {c["item_id"]: c for c in emulator.owner(ALICE).contacts()}
    assert not stored[contact.id].get("phone_numbers")


def test_delete_item_hard_removes_contact(account):
    contact = Contact(folder=account.contacts, display_name="Gone Soon")
    contact.save()
    item_id = contact.id
    contact.delete()
    with pytest.raises(ErrorItemNotFound):
        account.contacts.get(id=item_id)


def test_delete_item_move_to_trash_puts_it_in_deleted_items(account, emulator):
    contact = Contact(folder=account.contacts, display_name="Trash Me")
    contact.save()
    contact.move_to_trash()
    assert [
        e.data["display_name"] for e in emulator.mailbox(ALICE).items("deleteditems")
    ] == ["Trash Me"]


def test_find_item_categories_contains_filters(account):
    names = [
        c.display_name
        for c in account.contacts.filter(categories__contains="PegaSASync")
    ]
    assert names == ["Ana Souza"]


def test_get_item_birthday_round_trips_as_date(account):
    import datetime

    contact = Contact(
        folder=account.contacts,
        display_name="B Day",
        birthday=datetime.date(1980, 2, 29),
    )
    contact.save()
    assert account.contacts.get(id=contact.id).birthday == datetime.date(1980, 2, 29)


def test_find_item_pages_past_one_hundred(account, emulator):
    from exsync.emulator.synthetic import make_contacts

    emulator.add_contacts(ALICE, make_contacts(230, category="Bulk"))
    names = list(account.contacts.filter(categories__contains="Bulk").values_list("id"))
    finds = [e for e in emulator.journal if e.operation == "FindItem"]
    assert (len(names), len(finds)) == (230, 3)


def test_fetch_unknown_and_malformed_ids_return_errors(account):
    from exchangelib.errors import ErrorInvalidIdMalformed
    from exchangelib.properties import ItemId

    unknown = ItemId("RVhFTVVpAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    malformed = ItemId("not-an-id")
    results = list(account.fetch([unknown, malformed]))
    assert [type(r) for r in results] == [ErrorItemNotFound, ErrorInvalidIdMalformed]


def test_save_without_update_fields_is_accepted(account):
    contact = list(account.contacts.all()[:1])[0]
    contact.job_title = "Everything Saved"
    contact.save()
    assert account.contacts.get(id=contact.id).job_title == "Everything Saved"


def test_append_to_body_extends_notes(emulator):
    import test_raw_http as raw

    item_id = emulator.owner(ALICE).create_contact(
        {"display_name": "Appendix", "body": "one"}
    )
    update = (
        '<m:UpdateItem ConflictResolution="AlwaysOverwrite"><m:ItemChanges>'
        f'<t:ItemChange><t:ItemId Id="{item_id}"/><t:Updates><t:AppendToItemField>'
        '<t:FieldURI FieldURI="item:Body"/><t:Contact><t:Body BodyType="Text">'
        " two</t:Body></t:Contact></t:AppendToItemField></t:Updates></t:ItemChange>"
        "</m:ItemChanges></m:UpdateItem>"
    )
    body = raw.soap(update).replace(
        b"</s:Header>",
        b"<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>"
        b"alice@example.com</t:PrimarySmtpAddress></t:ConnectingSID>"
        b"</t:ExchangeImpersonation></s:Header>",
    )
    status, _, _ = raw.post(emulator, body)
    stored = {c["item_id"]: c for c in emulator.owner(ALICE).contacts()}
    assert (status, stored[item_id]["body"]) == (200, "one two")


def test_update_item_stale_change_key_always_overwrite_applies(account):
    contact = _contact_with_stale_change_key(account)
    contact.job_title = "CEO"
    contact.save(update_fields=["job_title"], conflict_resolution="AlwaysOverwrite")
    assert account.contacts.get(id=contact.id).job_title == "CEO"
