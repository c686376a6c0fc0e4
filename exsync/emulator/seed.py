"""Seeds: the accounts and mailboxes an emulator starts with.

A seed is a TOML file::

    [[accounts]]
    username = "svc-exsync@example.com"
    password = "emulator-password"
    impersonation = true

    [[mailboxes]]
    address = "alice@example.com"
    contacts_csv = "alice.csv"        # an Outlook export, relative to this file

    [[mailboxes.contacts]]
    display_name = "Ana Souza"
    email_addresses = { EmailAddress1 = "ana@example.com" }
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from exsync.emulator.fields import SENSITIVITIES


class SeedError(ValueError):
    """A seed file or CSV export that cannot be used."""


@dataclass
class SeedAccount:
    """An account in a seed."""

    username: str
    password: str
    impersonation: bool = False


@dataclass
class SeedMailbox:
    """A mailbox in a seed, with its contacts (groups included)."""

    address: str
    contacts: list[dict] = field(default_factory=list)


def normalise_contact(contact: dict) -> dict:
    """Check and copy a contact dict; raises SeedError for bad values."""
    data = copy.deepcopy(dict(contact))
    if not data.get("display_name"):
        raise SeedError("a contact needs a display_name")
    sensitivity = data.get("sensitivity")
    if sensitivity is not None and sensitivity not in SENSITIVITIES:
        raise SeedError(f"unknown sensitivity {sensitivity!r}")
    if data.get("kind") not in (None, "contact", "distribution_list"):
        raise SeedError(f"unknown kind {data['kind']!r}")
    if data.get("kind") == "contact":
        del data["kind"]
    for key in ("email_addresses", "phone_numbers", "physical_addresses"):
        if key in data and not isinstance(data[key], dict):
            raise SeedError(f"{key} must be a table of label = value")
    if "categories" in data and not isinstance(data["categories"], list):
        raise SeedError("categories must be a list")
    return data


@dataclass
class Seed:
    """Accounts and mailboxes to start an emulator with."""

    accounts: list = field(default_factory=list)
    mailboxes: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.accounts = [
            a if isinstance(a, SeedAccount) else SeedAccount(**a) for a in self.accounts
        ]
        self.mailboxes = [
            m if isinstance(m, SeedMailbox) else SeedMailbox(**m)
            for m in self.mailboxes
        ]
        for mailbox in self.mailboxes:
            mailbox.contacts = [normalise_contact(c) for c in mailbox.contacts]

    @classmethod
    def load(cls, path: str | Path) -> Seed:
        """Read a TOML seed file; raises SeedError for a bad one."""
        from exsync.emulator.outlook_csv import read_outlook_csv

        path = Path(path)
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise SeedError(f"cannot read seed {path}: {error}") from None
        accounts = document.get("accounts", [])
        mailboxes = []
        for table in document.get("mailboxes", []):
            if "address" not in table:
                raise SeedError(f"a mailbox in {path} has no address")
            contacts = list(table.get("contacts", []))
            if "contacts_csv" in table:
                contacts.extend(read_outlook_csv(path.parent / table["contacts_csv"]))
            mailboxes.append(SeedMailbox(table["address"], contacts))
        try:
            return cls(accounts=accounts, mailboxes=mailboxes)
        except TypeError as error:
            raise SeedError(f"bad account in {path}: {error}") from None

    @classmethod
    def sample(cls) -> Seed:
        """The small realistic seed that ships with the emulator."""
        return cls.load(Path(__file__).parent / "data" / "sample.toml")
