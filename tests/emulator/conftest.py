"""Fixtures for the emulator's tests: a running emulator and exchangelib accounts."""

from __future__ import annotations

import pytest
from exchangelib import (
    BASIC,
    IMPERSONATION,
    Account,
    Configuration,
    Credentials,
    FailFast,
    Version,
)
from exchangelib.protocol import close_connections
from exchangelib.version import EXCHANGE_2010_SP2, EXCHANGE_2013_SP1, EXCHANGE_2016

from exsync.emulator import Emulator, Seed

SERVICE = "svc-exsync@example.com"
NO_RIGHTS = "no-rights@example.com"
PASSWORD = "emulator-password"
ALICE = "alice@example.com"
BUILDS = {
    "Exchange2010": EXCHANGE_2010_SP2,
    "Exchange2013": EXCHANGE_2013_SP1,
    "Exchange2016": EXCHANGE_2016,
}


def small_seed() -> Seed:
    """Two accounts and one mailbox with two contacts."""
    return Seed(
        accounts=[
            {"username": SERVICE, "password": PASSWORD, "impersonation": True},
            {"username": NO_RIGHTS, "password": PASSWORD},
        ],
        mailboxes=[
            {
                "address": ALICE,
                "contacts": [
                    {
                        "display_name": "Ana Souza",
                        "given_name": "Ana",
                        "surname": "Souza",
                        "email_addresses": {"EmailAddress1": "ana@example.com"},
                        "categories": ["PegaSASync"],
                    },
                    {"display_name": "Jürgen Groß", "surname": "Groß"},
                ],
            }
        ],
    )


@pytest.fixture
def emulator():
    """A started Exchange 2016 emulator with the small seed."""
    with Emulator(seed=small_seed()) as emu:
        yield emu
    close_connections()


def make_account(emu, address=ALICE, user=SERVICE, version="Exchange2016"):
    """An exchangelib account talking to ``emu`` with impersonation."""
    close_connections()
    config = Configuration(
        service_endpoint=emu.url,
        credentials=Credentials(user, PASSWORD),
        auth_type=BASIC,
        version=Version(build=BUILDS[version]),
        retry_policy=FailFast(),
    )
    return Account(
        address, config=config, autodiscover=False, access_type=IMPERSONATION
    )


@pytest.fixture
def account(emulator):
    """Alice's mailbox seen by the service account."""
    return make_account(emulator)
