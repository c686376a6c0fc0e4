"""exsync's settings: where the file is, what it holds, and its validation.

The settings are frozen dataclasses, one per section of ``config.toml``.
Secrets are never held in them: a :class:`Secret` says where the secret
comes from (an environment variable or a command) and is resolved only
when it is used, by :mod:`exsync.credentials`.
"""

from __future__ import annotations

import os
import stat
import tempfile
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import tomli_w

from exsync.errors import ConfigError

DIRECTIONS = ("exchange-to-crm", "crm-to-exchange", "two-way")
SLOT_MINUTES = (15, 30)
AUTH_TYPES = ("basic", "ntlm", "oauth2")
DELETE_POLICIES = ("delete", "keep")
CONFLICT_POLICIES = ("crm-wins", "exchange-wins")
BATCH_SIZE_RANGE = (1, 512)
DEFAULT_CATEGORY = "PegaSASync"
CONFIG_ENV = "EXSYNC_CONFIG"


@dataclass(frozen=True)
class Secret:
    """Where a secret comes from: an environment variable or a command.

    Exactly one of ``env`` and ``command`` is set. The value itself is read
    by :func:`exsync.credentials.reveal` when it is needed.
    """

    env: str | None = None
    command: str | None = None

    def __repr__(self) -> str:
        # A command's arguments may hold a token; a repr ends up in logs.
        if self.env:
            return f"Secret(env={self.env!r})"
        return f"Secret(command={mask_command(self.command)!r})"


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
    # Mailboxes synced at once. Eight stays under Exchange 2010's default
    # EWSMaxConcurrency of 10 for the service account (27 from 2013 on).
    concurrency: int = 8


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


def default_config_path() -> Path:
    """Return ``$XDG_CONFIG_HOME/exsync/config.toml`` (``~/.config`` by default)."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "exsync" / "config.toml"


def default_store_path() -> Path:
    """Return ``$XDG_DATA_HOME/exsync/exsync.db`` (``~/.local/share`` by default)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "exsync" / "exsync.db"


def find_config_path(explicit: Path | str | None = None) -> Path:
    """Return the config file to use: the flag, then $EXSYNC_CONFIG, then XDG.

    The file need not exist; :func:`load_config` says so if it does not.
    """
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV]).expanduser()
    return default_config_path()


def load_config(path: Path | str) -> Config:
    """Read, validate and return the configuration at ``path``.

    Raises :class:`ConfigError` when the file is missing or unreadable, is
    not TOML, or holds invalid settings: every problem is listed at once.
    """
    from exsync.configcheck import check_config  # the checks import this module

    path = Path(path)
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            f"there is no configuration file at {path}",
            hint="run 'exsync configure' to write one, or pass --config.",
        ) from None
    except IsADirectoryError:
        raise ConfigError(
            f"the configuration {path} is a directory, not a file",
            hint="name the config.toml file itself with --config or EXSYNC_CONFIG.",
        ) from None
    except OSError as error:
        raise ConfigError(
            f"cannot read the configuration {path}: {error.strerror}"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            f"the configuration {path} is not valid TOML: {error}",
            hint="compare it with config.example.toml.",
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(
            f"the configuration {path} is not valid TOML: it is not UTF-8 text",
            hint="check that --config names the right file.",
        ) from None
    status = path.stat()
    return check_config(
        document, path, stat.S_IMODE(status.st_mode), owner=status.st_uid
    )


def to_toml_dict(config: Config, *, mask: bool = False) -> dict[str, Any]:
    """Return ``config`` as the dictionary that :func:`write_config` writes.

    Unset values are left out. With ``mask``, secret commands are shown
    only by their program name, for display.
    """
    document: dict[str, Any] = {}
    for section in fields(Config):
        if section.name == "source":
            continue
        table = {}
        for item in fields(getattr(config, section.name)):
            value = _to_toml_value(
                getattr(getattr(config, section.name), item.name), mask
            )
            if value not in (None, ""):
                table[item.name] = value
        document[section.name] = table
    return document


def _to_toml_value(value: Any, mask: bool) -> Any:
    if isinstance(value, Secret):
        if value.env:
            return {"env": value.env}
        return {"command": mask_command(value.command) if mask else value.command}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return "; ".join(value)
    return value


def mask_command(command: str | None) -> str:
    """Return ``command`` with everything after the program name hidden."""
    program = (command or "").split(maxsplit=1)[0] if command else ""
    return f"{program} ****" if program else "****"


def write_config(config: Config, path: Path | str) -> Path:
    """Write ``config`` as TOML to ``path``, mode 0600, replacing it atomically.

    Raises :class:`ConfigError` when the file cannot be written.
    """
    path = Path(path)
    text = tomli_w.dumps(to_toml_dict(config))
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".config-", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, 0o600)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise ConfigError(
            f"cannot write the configuration {path}: {error.strerror}"
        ) from error
    return path
