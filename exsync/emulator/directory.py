"""Accounts and mailboxes the emulator serves, and the secret its tokens use."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from exsync.emulator.mailbox import Mailbox


@dataclass
class Account:
    """A login: who may authenticate, and whether it may impersonate."""

    username: str
    password: str
    impersonation: bool = False
    domain: str = ""

    @property
    def mailbox(self) -> str:
        """The account's own SMTP address (its user name if it looks like one)."""
        return self.username.lower()


class Directory:
    """Every account and mailbox of one emulator, under one lock."""

    def __init__(self, secret: bytes | None = None):
        self.secret = secret or os.urandom(32)
        self.accounts: dict[str, Account] = {}
        self.mailboxes: dict[str, Mailbox] = {}
        self.lock = threading.RLock()

    def add_account(self, account: Account) -> None:
        """Register (or replace) an account."""
        with self.lock:
            self.accounts[account.username.lower()] = account

    def find_account(self, username: str) -> Account | None:
        """The account logging in as ``username`` (``DOMAIN\\user`` allowed)."""
        name = username.lower()
        if "\\" in name:
            name = name.split("\\", 1)[1]
        with self.lock:
            account = self.accounts.get(name)
            if account is None and "@" not in name:
                for candidate in self.accounts.values():
                    if candidate.username.lower().split("@", 1)[0] == name:
                        return candidate
            return account

    def add_mailbox(self, address: str) -> Mailbox:
        """Return the mailbox for ``address``, creating it if new."""
        with self.lock:
            key = address.lower()
            if key not in self.mailboxes:
                self.mailboxes[key] = Mailbox(key)
            return self.mailboxes[key]

    def mailbox(self, address: str) -> Mailbox | None:
        """The mailbox for ``address``, or None."""
        with self.lock:
            return self.mailboxes.get(address.lower())

    def mailbox_by_key(self, key: str) -> Mailbox | None:
        """The mailbox whose id key is ``key``, or None."""
        with self.lock:
            for mailbox in self.mailboxes.values():
                if mailbox.key == key:
                    return mailbox
        return None
