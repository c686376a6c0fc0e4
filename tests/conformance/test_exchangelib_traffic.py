"""Every call exsync makes through exchangelib, per profile, validates.

Unmodified exchangelib drives each version profile through the calls exsync
relies on; the traffic this produces (requests as exchangelib writes them
for that version, the emulator's answers and notifications) must validate
against that profile's schema set, and each operation must have been seen.
"""

import pytest
from exchangelib import (
    BASIC,
    IMPERSONATION,
    Account,
    Configuration,
    Contact,
    Credentials,
    Version,
)
from exchangelib.indexed_properties import EmailAddress
from exchangelib.protocol import Protocol, close_connections
from exchangelib.version import EXCHANGE_2010_SP2, EXCHANGE_2013, EXCHANGE_2016

from conformance.replay import SERVICE_ACCOUNT

MAILBOX = "conformance@example.com"
BUILDS = {
    "Exchange2010": EXCHANGE_2010_SP2,
    "Exchange2013": EXCHANGE_2013,
    "Exchange2016": EXCHANGE_2016,
}
FIELDS = ("display_name", "email_addresses", "categories", "sensitivity")


@pytest.fixture
def account(emulator):
    """An impersonating exchangelib account on a mailbox of five contacts."""
    from exsync.emulator.synthetic import make_contacts

    emulator.add_contacts(MAILBOX, make_contacts(5, seed=3, groups=1))
    build = BUILDS[emulator.profile.name]
    config = Configuration(
        service_endpoint=emulator.url,
        credentials=Credentials(*SERVICE_ACCOUNT),
        auth_type=BASIC,
        version=Version(build=build),
    )
    yield Account(MAILBOX, config=config, autodiscover=False, access_type=IMPERSONATION)

    close_connections()


def _exercise(account: Account, push_url: str) -> list:
    folder = account.contacts
    changes = list(folder.sync_items(max_changes_returned=2, only_fields=FIELDS))
    # Every property exchangelib knows, the contact group included.
    fetched = list(account.fetch(ids=[item for _, item in changes]))
    list(folder.filter(categories__contains="PegaSASync").only(*FIELDS))
    contact = Contact(
        folder=folder,
        display_name="Conformance Probe",
        email_addresses=[
            EmailAddress(email="probe@example.org", label="EmailAddress1")
        ],
    )
    contact.save()
    contact.job_title = "Tester"
    contact.save(update_fields=["job_title"])
    contact.refresh()
    contact.delete()
    subscription, _ = folder.subscribe_to_push(callback_url=push_url)
    folder.unsubscribe(subscription)
    return fetched


def test_exchangelib_calls_traffic_validates(
    emulator, account, push_listener, traffic_violations
):
    url, bodies = push_listener
    emulator.journal.clear()

    fetched = _exercise(account, url)
    bodies.get(timeout=10)

    operations = set(emulator.journal.operations())
    assert operations >= {
        "GetFolder", "SyncFolderItems", "FindItem", "GetItem", "CreateItem",
        "UpdateItem", "DeleteItem", "Subscribe", "Unsubscribe",
    }  # fmt: skip
    assert sorted({type(item).__name__ for item in fetched}) == [
        "Contact",
        "DistributionList",
    ]
    assert traffic_violations() == []


def test_exchangelib_version_probe_traffic_validates(emulator, traffic_violations):
    # Without version= exchangelib sends a ConvertId probe and reads the
    # server's version from ServerVersionInfo.
    config = Configuration(
        service_endpoint=emulator.url,
        credentials=Credentials(*SERVICE_ACCOUNT),
        auth_type=BASIC,
    )
    emulator.journal.clear()

    try:
        version = Protocol(config=config).version
    finally:
        close_connections()

    assert version.api_version.startswith(emulator.profile.name[:12])
    assert "ConvertId" in emulator.journal.operations()
    assert traffic_violations() == []


def test_exchangelib_push_status_event_validates(
    emulator, account, push_listener, traffic_violations
):
    url, bodies = push_listener

    account.contacts.subscribe_to_push(callback_url=url)

    assert b"StatusEvent" in bodies.get(timeout=10)
    assert traffic_violations() == []
