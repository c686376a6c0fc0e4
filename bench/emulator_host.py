"""The emulator in a child process, so benchmarks do not time it with exsync.

:class:`EmulatorHost` starts the emulator with a service account and
mailboxes filled by ``synthetic.make_contacts``, and forwards a few
commands to it over a pipe (latency, journal counts).
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from dataclasses import replace
from pathlib import Path

from exsync.config import Config, ExchangeSettings, Secret, StoreSettings, SyncSettings

SERVICE_ACCOUNT = "svc-exsync@example.com"
PASSWORD = "emulator-password"
PASSWORD_ENV = "EXSYNC_BENCH_EWS_PASSWORD"


def _serve(connection, mailboxes: dict[str, int]) -> None:
    from exsync.emulator import Emulator, Seed
    from exsync.emulator.seed import SeedAccount
    from exsync.emulator.synthetic import make_contacts

    seed = Seed(accounts=[SeedAccount(SERVICE_ACCOUNT, PASSWORD, impersonation=True)])
    emulator = Emulator(seed=seed, port=0)
    for number, (address, count) in enumerate(mailboxes.items()):
        emulator.add_mailbox(address)
        if count:
            emulator.add_contacts(address, make_contacts(count, seed=number + 1))
    emulator.start()
    connection.send(emulator.url)
    latency = None
    while True:
        command, argument = connection.recv()
        if command == "stop":
            break
        if command == "latency":
            if latency is not None:
                latency.remove()
            latency = emulator.faults.latency(seconds=argument) if argument else None
            connection.send(None)
        elif command == "clear":
            emulator.journal.clear()
            connection.send(None)
        elif command == "count":
            connection.send(
                sum(1 for e in emulator.journal if argument in (None, e.operation))
            )
    emulator.stop()


class EmulatorHost:
    """A started emulator in another process; use as a context manager."""

    def __init__(self, mailboxes: dict[str, int]) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, mailboxes), daemon=True
        )
        self.url = ""

    def __enter__(self) -> EmulatorHost:
        self._process.start()
        self.url = self._connection.recv()
        os.environ[PASSWORD_ENV] = PASSWORD
        return self

    def __exit__(self, *exc) -> None:
        self._connection.send(("stop", None))
        self._process.join(timeout=30)

    def set_latency(self, seconds: float) -> None:
        """Delay every request by ``seconds`` (0 removes it)."""
        self._call("latency", seconds)

    def clear_journal(self) -> None:
        """Forget the requests served so far."""
        self._call("clear", None)

    def count(self, operation: str | None = None) -> int:
        """Requests served since the last clear (of one operation, if named)."""
        return self._call("count", operation)

    def _call(self, command: str, argument):
        self._connection.send((command, argument))
        return self._connection.recv()

    def config(self, store: Path, **sync) -> Config:
        """Settings for exsync against this emulator, with ``store``."""
        return Config(
            exchange=ExchangeSettings(
                url=self.url,
                auth="basic",
                username=SERVICE_ACCOUNT,
                password=Secret(env=PASSWORD_ENV),
                allow_http=True,
            ),
            sync=replace(SyncSettings(), **sync),
            store=StoreSettings(path=store),
        )


def fresh_store_path() -> Path:
    """A store path in a new temporary directory."""
    return Path(tempfile.mkdtemp(prefix="exsync-bench-")) / "store.db"


def add_operators(store: Path, addresses) -> None:
    """Enable an operator per address in the store at ``store``."""
    from exsync.store import open_store
    from exsync.store.operators import upsert_operator

    db = open_store(store)
    for address in addresses:
        upsert_operator(db, email=address)
    db.close()
