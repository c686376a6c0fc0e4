"""The demo's world: the emulator, a throwaway config and store, and Outlook.

:class:`DemoSite` starts the built-in emulator with the sample seed on a
free loopback port and writes, in a temporary folder, a configuration that
names it and a store. The service account's password reaches exsync the
way it does in production, through an environment variable, set here for
this process only. Leaving the site stops the emulator, restores the
environment and removes the folder (unless asked to keep it), also when an
error or Ctrl-C ends the demo early.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exsync.config import (
    Config,
    ExchangeSettings,
    Secret,
    StoreSettings,
    SyncSettings,
    write_config,
)
from exsync.operators import OperatorsFile
from exsync.store import open_store
from exsync.store.contacts import get_contact
from exsync.store.imports import ImportReport, import_operators

PASSWORD_ENV = "EXSYNC_DEMO_EWS_PASSWORD"
# The sample seed's service account; the emulator is the only place these
# credentials open anything.
SERVICE_ACCOUNT = "svc-exsync@example.com"
SERVICE_PASSWORD = "emulator-password"
# Small pages, so the demo shows the paging a large mailbox goes through.
DEMO_BATCH_SIZE = 5


@dataclass(frozen=True)
class OutlookChange:
    """A change made to a contact "in Outlook", and its item's id."""

    action: str  # edited, added or deleted
    mailbox: str
    item_id: str
    name: str
    detail: str


class DemoSite:
    """The emulator and the throwaway config and store, as a context manager."""

    def __init__(self, *, keep: bool = False) -> None:
        self.keep = keep
        self.folder: Path | None = None
        self.emulator: Any = None
        self.config: Config | None = None
        self.config_path: Path | None = None
        self.mailboxes: list[str] = []  # the sample seed's addresses
        self._saved_password: str | None = None

    def __enter__(self) -> DemoSite:
        from exsync.emulator import Emulator, Seed

        self.folder = Path(tempfile.mkdtemp(prefix="exsync-demo-"))
        try:
            seed = Seed.sample()
            self.mailboxes = sorted(m.address for m in seed.mailboxes)
            self.emulator = Emulator(seed=seed, host="127.0.0.1", port=0)
            self.emulator.start()
            self._saved_password = os.environ.get(PASSWORD_ENV)
            os.environ[PASSWORD_ENV] = SERVICE_PASSWORD
            self.config = _demo_config(self.emulator.url, self.folder)
            self.config_path = write_config(self.config, self.folder / "config.toml")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the emulator, restore the environment, remove the folder.

        Each step runs even when an earlier one is interrupted (a second
        Ctrl-C while the emulator stops must not leave the folder behind).
        """
        emulator, self.emulator = self.emulator, None
        try:
            if emulator is not None:
                emulator.stop()
        finally:
            try:
                self._restore_password()
            finally:
                if self.folder is not None and not self.keep:
                    shutil.rmtree(self.folder, ignore_errors=True)

    def _restore_password(self) -> None:
        if self._saved_password is None:
            os.environ.pop(PASSWORD_ENV, None)
        else:
            os.environ[PASSWORD_ENV] = self._saved_password


def _demo_config(url: str, folder: Path) -> Config:
    return Config(
        exchange=ExchangeSettings(
            url=url,
            version="Exchange2016",
            auth="basic",
            username=SERVICE_ACCOUNT,
            password=Secret(env=PASSWORD_ENV),
            allow_http=True,
            timeout_seconds=10,
        ),
        sync=SyncSettings(batch_size=DEMO_BATCH_SIZE),
        store=StoreSettings(path=folder / "exsync.db"),
    )


def import_sample_operators(site: DemoSite) -> ImportReport:
    """Enable the sample mailboxes' owners through an operators CSV file.

    The file is written as a spreadsheet would export it and read by the
    same code as ``exsync import-operators``. Raises what the import raises.
    """
    path = site.folder / "operators.csv"
    lines = ["Email;Name;Contact sync"]
    lines += [f"{a};{a.split('@')[0].title()};yes" for a in site.mailboxes]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = open_store(site.config.store.path)
    try:
        return import_operators(db, OperatorsFile(path).rows())
    finally:
        db.close()


def make_outlook_changes(site: DemoSite, mailbox: str) -> list[OutlookChange]:
    """Edit, add and delete a contact in ``mailbox`` as its owner would."""
    category = site.config.sync.category
    owner = site.emulator.owner(mailbox)
    synced = [c for c in owner.contacts() if _in_scope(c, category)]
    edited, deleted = synced[0], synced[-1]
    title = "Head of Purchasing"
    owner.update_contact(edited["item_id"], {"job_title": title})
    added = {
        "display_name": "Dana Whitfield",
        "given_name": "Dana",
        "surname": "Whitfield",
        "company_name": "Northwind Traders",
        "email_addresses": {"EmailAddress1": "dana.whitfield@northwind.example"},
        "categories": [category],
    }
    added_id = owner.create_contact(added)
    owner.delete_contact(deleted["item_id"])
    old_title = edited.get("job_title") or "none"
    return [
        OutlookChange(
            "edited",
            mailbox,
            edited["item_id"],
            edited["display_name"],
            f"job title {old_title} -> {title}",
        ),
        OutlookChange(
            "added", mailbox, added_id, added["display_name"], "new, in the category"
        ),
        OutlookChange(
            "deleted", mailbox, deleted["item_id"], deleted["display_name"], ""
        ),
    ]


def _in_scope(contact: dict, category: str) -> bool:
    categories = [str(c).casefold() for c in contact.get("categories") or []]
    return (
        contact.get("kind") != "distribution_list"
        and category.casefold() in categories
        and contact.get("sensitivity") not in ("Private", "Confidential")
    )


def linked_contact_ids(site: DemoSite, item_ids: list[str]) -> dict[str, int]:
    """The CRM contact linked to each of these Exchange items, where linked."""
    db = open_store(site.config.store.path)
    try:
        marks = ", ".join("?" for _ in item_ids)
        rows = db.execute(
            f"SELECT item_id, contact_id FROM links WHERE item_id IN ({marks}) "
            "AND contact_id IS NOT NULL",
            item_ids,
        ).fetchall()
        return dict(rows)
    finally:
        db.close()


def crm_contacts(site: DemoSite, contact_ids: list[int]) -> dict[int, dict]:
    """These CRM contacts as the store holds them (deleted ones too)."""
    db = open_store(site.config.store.path)
    try:
        return {cid: get_contact(db, cid) for cid in contact_ids}
    finally:
        db.close()


def count_crm_contacts(site: DemoSite) -> int:
    """The live CRM contacts in the demo's store."""
    db = open_store(site.config.store.path)
    try:
        return db.execute(
            "SELECT count(*) FROM crm_contacts WHERE deleted_at IS NULL"
        ).fetchone()[0]
    finally:
        db.close()
