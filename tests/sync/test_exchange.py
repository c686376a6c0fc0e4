"""The EWS side on its own: fetching items, checking a mailbox, one request."""

from __future__ import annotations

import re

from exchangelib.protocol import BaseProtocol

from exsync.exchange import ExchangeClient

from .conftest import ALICE, contact


def test_mailbox_fetch_vanished_item_gives_none(emulator, config, db):
    owner = emulator.owner(ALICE)
    gone = owner.create_contact(contact("Gone Soon"))
    kept = owner.create_contact(contact("Still Here"))
    owner.delete_contact(gone)
    client = ExchangeClient(config.exchange)
    try:
        found = client.mailbox(ALICE).fetch([gone, kept])
    finally:
        client.close()

    assert found[0] is None
    assert found[1]["display_name"] == "Still Here"


def test_mailbox_check_access_counts_contacts_and_category(emulator, config, db):
    owner = emulator.owner(ALICE)
    owner.create_contact(contact("Tagged One"))
    owner.create_contact({"display_name": "Untagged", "categories": ["Other"]})
    client = ExchangeClient(config.exchange)
    try:
        check = client.mailbox(ALICE).check_access("pegasasync")
    finally:
        client.close()

    assert (check.reachable, check.contacts, check.in_category) == (True, 2, 1)


def test_mailbox_sync_page_sends_exactly_one_request(emulator, config, db):
    owner = emulator.owner(ALICE)
    for n in range(7):
        owner.create_contact(contact(f"Person {n}"))
    client = ExchangeClient(config.exchange)
    try:
        page = client.mailbox(ALICE).sync_page(None, 5)
    finally:
        client.close()

    assert [entry.operation for entry in emulator.journal] == ["SyncFolderItems"]
    assert (len(page.changes), page.last) == (5, False)


def test_mailbox_sync_page_asks_only_for_mapped_fields(
    emulator, config, db, tmp_path, monkeypatch
):
    monkeypatch.setenv("EXSYNC_EMULATOR_TRAFFIC_DIR", str(tmp_path))
    emulator.owner(ALICE).create_contact(contact("Ann Lee"))
    client = ExchangeClient(config.exchange)
    try:
        client.mailbox(ALICE).sync_page(None, 5)
    finally:
        client.close()

    (request,) = [p.read_text() for p in tmp_path.glob("*-request-*.xml")]
    asked = set(re.findall(r'<\w+:FieldURI FieldURI="([^"]+)"', request))
    assert asked == {
        "contacts:DisplayName",
        "contacts:GivenName",
        "contacts:MiddleName",
        "contacts:Surname",
        "contacts:CompanyName",
        "contacts:JobTitle",
        "contacts:Department",
        "contacts:Birthday",
        "contacts:BusinessHomePage",
        "item:Body",
        "item:Categories",
        "item:Sensitivity",
        "item:ItemClass",
    }
    indexed = set(re.findall(r'IndexedFieldURI FieldURI="([^"]+)"', request))
    assert indexed <= {
        "contacts:EmailAddress",
        "contacts:PhoneNumber",
        "contacts:PhysicalAddress:Street",
        "contacts:PhysicalAddress:City",
        "contacts:PhysicalAddress:State",
        "contacts:PhysicalAddress:CountryOrRegion",
        "contacts:PhysicalAddress:PostalCode",
    }
    assert "Photo" not in request and "MimeContent" not in request


def test_exchange_client_bulk_read_gives_the_same_page(emulator, config, db):
    owner = emulator.owner(ALICE)
    for n in range(30):
        owner.create_contact(contact(f"Person {n}", email=f"p{n}@x.example"))
    pages, adapters = [], []
    for bulk in (True, False):
        client = ExchangeClient(config.exchange, bulk_read=bulk)
        try:
            pages.append(client.mailbox(ALICE).sync_page(None, 50))
            adapters.append(BaseProtocol.HTTP_ADAPTER_CLS.bulk_read)
        finally:
            client.close()

    assert adapters == [True, False]
    assert pages[0] == pages[1]
    assert len(pages[0].changes) == 30


def test_exchange_client_close_restores_exchangelibs_adapter(config):
    before = BaseProtocol.HTTP_ADAPTER_CLS
    client = ExchangeClient(config.exchange)
    client.mailbox(ALICE)

    client.close()

    assert BaseProtocol.HTTP_ADAPTER_CLS is before
