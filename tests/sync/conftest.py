"""The sync tests' world: the emulator over real HTTP and a real store file."""

from __future__ import annotations

import json
import socket
from dataclasses import replace
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from exsync.config import (
    Config,
    ExchangeSettings,
    Secret,
    StoreSettings,
    SyncSettings,
)
from exsync.emulator import Emulator, Seed
from exsync.emulator.seed import SeedAccount
from exsync.store import open_store
from exsync.store.operators import upsert_operator

SERVICE_ACCOUNT = "svc-exsync@example.com"
PASSWORD_ENV = "EXSYNC_TEST_EWS_PASSWORD"
CATEGORY = "PegaSASync"
ALICE = "alice@example.com"
BOB = "bob@example.com"


@pytest.fixture
def emulator():
    """A fresh emulator with the service accounts and two empty mailboxes."""
    seed = Seed(
        accounts=[
            SeedAccount(SERVICE_ACCOUNT, "emulator-password", impersonation=True),
            SeedAccount("no-rights@example.com", "emulator-password"),
        ]
    )
    with Emulator(seed=seed, port=0) as emu:
        emu.add_mailbox(ALICE)
        emu.add_mailbox(BOB)
        yield emu


@pytest.fixture
def config(tmp_path: Path, emulator, monkeypatch) -> Config:
    """Settings pointing at the emulator and a store in ``tmp_path``."""
    monkeypatch.setenv(PASSWORD_ENV, "emulator-password")
    return Config(
        exchange=ExchangeSettings(
            url=emulator.url,
            version="Exchange2016",
            auth="basic",
            username=SERVICE_ACCOUNT,
            password=Secret(env=PASSWORD_ENV),
            allow_http=True,
            timeout_seconds=10,
        ),
        sync=SyncSettings(batch_size=10, concurrency=2),
        store=StoreSettings(path=tmp_path / "store.db"),
    )


def with_sync(config: Config, **changes) -> Config:
    """``config`` with some sync settings changed."""
    return replace(config, sync=replace(config.sync, **changes))


@pytest.fixture
def db(config: Config):
    """The store the config names, with Alice and Bob enabled."""
    store = open_store(config.store.path)
    upsert_operator(store, email=ALICE, operator_id="op-alice", name="Alice")
    upsert_operator(store, email=BOB, operator_id="op-bob", name="Bob")
    yield store
    store.close()


def contact(name: str, *, email: str | None = None, **fields) -> dict:
    """An Exchange contact dict in the sync category."""
    data = {
        "display_name": name,
        "given_name": name.split()[0],
        "surname": name.split()[-1],
        "categories": [CATEGORY],
    }
    if email:
        data["email_addresses"] = {"EmailAddress1": email}
    data.update(fields)
    return data


def crm_rows(db, operator_id: str = "op-alice", *, deleted: bool = False) -> list:
    """The operator's CRM contacts, as dicts with JSON decoded, by id."""
    condition = "IS NOT NULL" if deleted else "IS NULL"
    rows = db.query(
        "SELECT * FROM crm_contacts WHERE owner_operator_id = ? "
        f"AND deleted_at {condition} ORDER BY id",
        [operator_id],
    )
    result = []
    for row in rows:
        for column in ("emails", "phones", "addresses"):
            row[column] = json.loads(row[column])
        result.append(row)
    return result


def link_count(db, operator_id: str = "op-alice") -> int:
    """How many links the operator has."""
    return db.execute(
        "SELECT count(*) FROM links WHERE operator_id = ?", [operator_id]
    ).fetchone()[0]


def add_crm_contact(db, operator_id: str, name: str, **fields) -> int:
    """Insert a CRM contact as another program would; returns its id."""
    values = {"owner_operator_id": operator_id, "display_name": name, **fields}
    for column in ("emails", "phones", "addresses"):
        if column in values:
            values[column] = json.dumps(values[column])
    cursor = db.execute(
        f"INSERT INTO crm_contacts ({', '.join(values)}) "
        f"VALUES ({', '.join('?' for _ in values)})",
        list(values.values()),
    )
    return cursor.lastrowid


def store_snapshot(path: Path) -> dict:
    """What a sync wrote, without timestamps, run records or row ids.

    Mailboxes sync concurrently, so the order in which their contacts get
    ids varies from run to run; rows are compared as sorted lists, each
    contact named by its owner and content instead of its id.
    """
    store = open_store(path)
    try:
        return {
            table: sorted(tuple(row) for row in store.execute(sql).fetchall())
            for table, sql in _SNAPSHOT_QUERIES.items()
        }
    finally:
        store.close()


_CONTACT = (
    "c.owner_operator_id, c.display_name, c.given_name, c.middle_name, c.surname, "
    "c.company, c.job_title, c.department, c.emails, c.phones, c.addresses, "
    "c.birthday, c.notes, c.web_page, c.deleted_at IS NOT NULL"
)
_SNAPSHOT_QUERIES = {
    "crm_contacts": f"SELECT {_CONTACT} FROM crm_contacts c",
    "links": "SELECT l.operator_id, l.item_id, l.change_key, l.synced, l.seen_walk, "
    "c.display_name FROM links l LEFT JOIN crm_contacts c ON c.id = l.contact_id",
    "sync_state": "SELECT operator_id, phase, state, walk, crm_seq FROM sync_state",
    "contact_emails": "SELECT c.owner_operator_id, c.display_name, e.address_key "
    "FROM contact_emails e JOIN crm_contacts c ON c.id = e.contact_id",
    "crm_changes": "SELECT c.owner_operator_id, c.display_name, h.operation, "
    "h.origin FROM crm_changes h LEFT JOIN crm_contacts c ON c.id = h.contact_id",
}


class _Inbox:
    """An SMTP handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope.original_content)
        return "250 OK"


@pytest.fixture
def inbox():
    """A real SMTP server on loopback; yields (port, inbox)."""
    handler = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, handler
    controller.stop()
