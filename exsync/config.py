"""exsync's settings: where the file is, what it holds, and its validation.

The settings are frozen dataclasses, one per section of ``config.toml``.
Secrets are never held in them: a :class:`Secret` says where the secret
comes from (an environment variable or a command) and is resolved only
when it is used, by :mod:`exsync.credentials`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DIRECTIONS = ("exchange-to-crm", "crm-to-exchange", "two-way")
SLOT_MINUTES = (15, 30)
EXCHANGE_VERSIONS = ("Exchange2010", "Exchange2013", "Exchange2016")
AUTH_TYPES = ("basic", "ntlm", "oauth2")
DELETE_POLICIES = ("delete", "keep")
CONFLICT_POLICIES = ("crm-wins", "exchange-wins")
BATCH_SIZE_RANGE = (1, 512)
DEFAULT_CATEGORY = "PegaSASync"


@dataclass(frozen=True)
class Secret:
    """Where a secret comes from: an environment variable or a command.

    Exactly one of ``env`` and ``command`` is set. The value itself is read
    by :func:`exsync.credentials.reveal` when it is needed.
    """

    env: str | None = None
    command: str | None = None

    def __repr__(self) -> str:
        source = f"env={self.env!r}" if self.env else f"command={self.command!r}"
        return f"Secret({source})"


@dataclass(frozen=True)
class ExchangeSettings:
    url: str
    version: str = "Exchange2016"
    auth: str = "ntlm"
    username: str = ""
    password: Secret | None = None
    # OAuth2 client credentials (auth = "oauth2")
    client_id: str | None = None
    tenant_id: str | None = None
    client_secret: Secret | None = None
    # Plain http is refused unless the host is a loopback address and this
    # is set: the emulator and rehearsals only.
    allow_http: bool = False
    verify_tls: bool = True
    timeout_seconds: int = 60


@dataclass(frozen=True)
class SyncSettings:
    integration: bool = True  # the master switch
    contact_sync: bool = True
    direction: str = "exchange-to-crm"
    slot_minutes: int = 15
    batch_size: int = 512
    category: str = DEFAULT_CATEGORY
    sync_private: bool = False
    skip_contact: str | None = None  # "module:function"
    delete_policy: str = "delete"
    # A run that would delete more than this share of a mailbox's linked
    # contacts stops and asks for --confirm-deletes instead.
    max_delete_share: float = 0.5
    conflict_policy: str = "crm-wins"
    # Mailboxes synced at once.
    concurrency: int = 4


@dataclass(frozen=True)
class NotificationSettings:
    url: str | None = None  # the public address of `exsync listen`
    frequency_minutes: int = 30
    failure_recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListenSettings:
    host: str = "127.0.0.1"
    port: int = 8750


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    starttls: bool = False
    sender: str = ""
    username: str | None = None
    password: Secret | None = None
    timeout_seconds: int = 30


@dataclass(frozen=True)
class StoreSettings:
    path: Path = field(default_factory=lambda: Path("exsync.db"))


@dataclass(frozen=True)
class Config:
    exchange: ExchangeSettings
    sync: SyncSettings = field(default_factory=SyncSettings)
    notifications: NotificationSettings = field(default_factory=NotificationSettings)
    listen: ListenSettings = field(default_factory=ListenSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    source: Path | None = None  # the file this was read from
