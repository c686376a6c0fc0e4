"""A built-in Exchange emulator: an EWS server over real HTTP.

It speaks enough EWS SOAP (GetFolder, SyncFolderItems, GetItem, FindItem,
CreateItem, UpdateItem, DeleteItem, Subscribe, Unsubscribe, ConvertId) for
unmodified EWS clients to work against it as against Exchange 2010 SP2,
2013 or 2016. It imports nothing from the rest of exsync.

Besides ``/EWS/Exchange.asmx`` it serves a JSON control API on the same
port under ``/emulator/v1/`` (see :mod:`exsync.emulator.control`).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from exsync.emulator.directory import Account, Directory
from exsync.emulator.faults import Faults
from exsync.emulator.journal import Journal
from exsync.emulator.mailbox import Mailbox
from exsync.emulator.owner import Owner
from exsync.emulator.profiles import get_profile
from exsync.emulator.seed import Seed, SeedError, normalise_contact
from exsync.emulator.soap import SoapFaultError

__all__ = ["Emulator", "Seed", "SeedError"]

log = logging.getLogger(__name__)


class Emulator:
    """An EWS server holding accounts and mailboxes, started in the background.

    ``version`` picks the release to behave as (Exchange2010, Exchange2013,
    Exchange2016). With ``state_file`` the mailboxes are saved there (soon
    after each change, and on stop) and, when the file exists, restored from
    it instead of from ``seed``. ``time_scale`` divides every push timer.
    Push notifications go only to loopback hosts unless
    ``allow_remote_push`` is set. Raises ValueError for an unknown version
    or a state file that is not the emulator's.
    """

    def __init__(
        self,
        seed: Seed | None = None,
        version: str = "Exchange2016",
        host: str = "127.0.0.1",
        port: int = 0,
        state_file: str | Path | None = None,
        time_scale: float = 1.0,
        allow_remote_push: bool = False,
    ):
        from exsync.emulator.control import Control
        from exsync.emulator.persist import load_state
        from exsync.emulator.push import PushManager

        self.profile = get_profile(version)
        self.host = host
        self.port = port
        self.state_file = Path(state_file) if state_file else None
        self.time_scale = float(time_scale)
        self.allow_remote_push = allow_remote_push
        # Seconds a keep-alive connection may wait idle for its next request
        # (IIS: two minutes), and a request may take to arrive once begun.
        self.idle_timeout = 120.0
        self.request_timeout = 30.0
        # Open connections served at once (a thread each); more get 503.
        self.max_connections = 200
        self.journal = Journal()
        self.faults = Faults(self)
        self.control = Control(self)
        self.push = PushManager(self)
        self._server = None
        self._thread: threading.Thread | None = None
        self._save_lock = threading.Lock()
        self._dirty = threading.Event()
        self._saver: threading.Thread | None = None
        restored = load_state(self.state_file) if self.state_file else None
        if restored is not None:
            self.directory = restored
        else:
            self.directory = Directory()
            self._apply_seed(seed or Seed())
        for mailbox in self.directory.mailboxes.values():
            self._watch(mailbox)

    def _apply_seed(self, seed: Seed) -> None:
        for account in seed.accounts:
            self.directory.add_account(
                Account(account.username, account.password, account.impersonation)
            )
        for mailbox in seed.mailboxes:
            self.add_mailbox(mailbox.address)
            self.add_contacts(mailbox.address, mailbox.contacts)

    def _watch(self, mailbox: Mailbox) -> None:
        if self.push.on_change not in mailbox.listeners:
            mailbox.listeners.append(self.push.on_change)

    @property
    def url(self) -> str:
        """The EWS endpoint, once started."""
        return f"http://{self._url_host()}:{self.port}/EWS/Exchange.asmx"

    @property
    def base_url(self) -> str:
        """The server's root URL, once started."""
        return f"http://{self._url_host()}:{self.port}"

    def _url_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    def start(self) -> Emulator:
        """Start serving in background threads; returns self."""
        from exsync.emulator.server import EmulatorHTTPServer

        if self._server is not None:
            return self
        self._server = EmulatorHTTPServer((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"exsync-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        self.push.start()
        if self.state_file is not None:
            self._saver = threading.Thread(
                target=self._save_when_dirty, name="exsync-emulator-save", daemon=True
            )
            self._saver.start()
        log.info("emulator serving %s (%s)", self.url, self.profile.name)
        return self

    def stop(self) -> None:
        """Stop serving and save the state if a state file is named."""
        self.push.stop()
        saver, self._saver = self._saver, None
        if saver is not None:
            self._dirty.set()
            saver.join(timeout=5)
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.save()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def mark_dirty(self) -> None:
        """Note that mailboxes changed; the state file is rewritten soon."""
        self._dirty.set()

    def _save_when_dirty(self) -> None:
        # Changes arrive in bursts (a sync run writes many items): save at
        # most twice a second, and once more when stopping.
        while self._saver is not None:
            self._dirty.wait()
            self._dirty.clear()
            try:
                self.save()
            except OSError as error:
                log.error("cannot save emulator state: %s", error)
            time.sleep(0.5)

    def save(self) -> None:
        """Write the state file now (atomically), if one is named."""
        from exsync.emulator.persist import save_state

        if self.state_file is None:
            return
        with self._save_lock:
            save_state(self.directory, self.state_file)

    def add_account(self, username: str, password: str, impersonation=False) -> None:
        """Add a login."""
        self.directory.add_account(Account(username, password, impersonation))

    def add_mailbox(self, address: str) -> Mailbox:
        """Add (or return) the mailbox for ``address``."""
        mailbox = self.directory.add_mailbox(address)
        self._watch(mailbox)
        return mailbox

    def add_contacts(self, address: str, contacts) -> list[str]:
        """Store contacts in a mailbox without HTTP; returns their item ids."""
        mailbox = self.add_mailbox(address)
        return [mailbox.create(normalise_contact(c)).item_id for c in contacts]

    def mailbox(self, address: str) -> Mailbox:
        """The mailbox for ``address``; raises KeyError if there is none."""
        mailbox = self.directory.mailbox(address)
        if mailbox is None:
            raise KeyError(address)
        return mailbox

    def owner(self, address: str) -> Owner:
        """Act as the owner of a mailbox; raises KeyError if there is none."""
        return Owner(self.mailbox(address), self._owner_changed)

    def _owner_changed(self) -> None:
        self.mark_dirty()

    def invalidate_sync_states(self, address: str) -> None:
        """Make every sync state handed out for a mailbox invalid."""
        mailbox = self.mailbox(address)
        with mailbox.lock:
            mailbox.epoch += 1

    def target_mailbox(self, account: Account, impersonate: str | None) -> Mailbox:
        """The mailbox a request acts on; raises SoapFaultError as Exchange does."""
        if impersonate:
            if not account.impersonation and impersonate != account.mailbox:
                raise SoapFaultError(
                    "ErrorImpersonateUserDenied",
                    "The account does not have permission to impersonate the "
                    "requested user.",
                )
            mailbox = self.directory.mailbox(impersonate)
            if mailbox is None:
                raise SoapFaultError(
                    "ErrorNonExistentMailbox",
                    "The SMTP address has no mailbox associated with it.",
                    values={"SmtpAddress": impersonate},
                )
            return mailbox
        return self.add_mailbox(account.mailbox)
