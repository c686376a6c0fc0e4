"""An exsync set up against the emulator: a config file, a store, operators."""

from __future__ import annotations

import socket
from dataclasses import dataclass, replace
from pathlib import Path

from exsync.config import (
    Config,
    ExchangeSettings,
    Secret,
    StoreSettings,
    SyncSettings,
    write_config,
)
from exsync.emulator import Emulator, Seed
from exsync.store import open_store
from exsync.store.operators import upsert_operator

SERVICE_ACCOUNT = "svc@example.com"
NO_RIGHTS_ACCOUNT = "norights@example.com"
PASSWORD = "emulator-password"
PASSWORD_ENV = "EXSYNC_TEST_CLI_PASSWORD"
CATEGORY = "PegaSASync"
ALICE = "alice@example.com"
BOB = "bob@example.com"


def tagged(name: str, **fields) -> dict:
    """A contact in the sync category."""
    return {"display_name": name, "categories": [CATEGORY], **fields}


def small_seed() -> Seed:
    """Alice with two contacts to sync and one not tagged; Bob with none."""
    return Seed(
        accounts=[
            {"username": SERVICE_ACCOUNT, "password": PASSWORD, "impersonation": True},
            {"username": NO_RIGHTS_ACCOUNT, "password": PASSWORD},
        ],
        mailboxes=[
            {
                "address": ALICE,
                "contacts": [
                    tagged(
                        "Ann Lee",
                        company_name="Lee & Co",
                        email_addresses={"EmailAddress1": "ann@lee.example"},
                    ),
                    tagged("Ben Ito", phone_numbers={"MobilePhone": "+49 170 1"}),
                    {"display_name": "Not Tagged"},
                ],
            },
            {"address": BOB, "contacts": []},
        ],
    )


@dataclass
class Site:
    """Where the config file is, what it says, and the emulator it names."""

    config_path: Path
    config: Config
    emulator: Emulator

    def args(self, *command: str) -> list[str]:
        """``exsync --config <file> <command...>``'s arguments."""
        return ["--config", str(self.config_path), *command]

    def rewrite(self, section: str = "exchange", **values) -> None:
        """Change settings of one section in the config file."""
        changed = replace(getattr(self.config, section), **values)
        self.config = replace(self.config, **{section: changed})
        write_config(self.config, self.config_path)


def build_site(
    folder: Path, emulator: Emulator, operators=(ALICE, BOB), **sync
) -> Site:
    """Write a config naming ``emulator`` and a store with ``operators`` enabled."""
    config = Config(
        exchange=ExchangeSettings(
            url=emulator.url,
            auth="basic",
            username=SERVICE_ACCOUNT,
            password=Secret(env=PASSWORD_ENV),
            allow_http=True,
            timeout_seconds=10,
        ),
        sync=SyncSettings(concurrency=2, **sync),
        store=StoreSettings(path=folder / "exsync.db"),
    )
    path = write_config(config, folder / "config.toml")
    db = open_store(config.store.path)
    try:
        for address in operators:
            upsert_operator(db, email=address, name=address.split("@")[0].title())
    finally:
        db.close()
    return Site(path, config, emulator)


def free_port() -> int:
    """A loopback TCP port nothing listens on at the moment of asking."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_offline_config(folder: Path) -> Path:
    """A valid config whose Exchange is never reached; returns its path."""
    config = Config(
        exchange=ExchangeSettings(
            url=f"http://127.0.0.1:{free_port()}/EWS/Exchange.asmx",
            allow_http=True,
            username=SERVICE_ACCOUNT,
            password=Secret(env="EXSYNC_TEST_UNUSED_PASSWORD"),
        ),
        store=StoreSettings(path=folder / "exsync.db"),
    )
    return write_config(config, folder / "config.toml")
