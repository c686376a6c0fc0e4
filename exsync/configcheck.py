"""Validation of a parsed ``config.toml`` into :class:`~exsync.config.Config`.

Every key of every section has a parser from :mod:`exsync.validation`.
Problems are collected, not raised one by one, so that a single run names
every wrong setting together with its allowed values.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from exsync.config import (
    AUTH_TYPES,
    CONFLICT_POLICIES,
    DELETE_POLICIES,
    DIRECTIONS,
    SLOT_MINUTES,
    Config,
    ExchangeSettings,
    ListenSettings,
    NotificationSettings,
    Secret,
    SmtpSettings,
    StoreSettings,
    SyncSettings,
    default_store_path,
)
from exsync.errors import ConfigError
from exsync.validation import (
    InvalidValueError,
    int_between,
    one_of,
    parse_address,
    parse_address_list,
    parse_bool,
    parse_callable_name,
    parse_command,
    parse_env_name,
    parse_exchange_url,
    parse_exchange_version,
    parse_share,
    parse_text,
    parse_web_url,
)


def parse_secret(value: Any) -> Secret:
    """Accept ``{env = "NAME"}`` or ``{command = "..."}``.

    Raises :class:`InvalidValueError`; a secret written into the file is refused.
    """
    allowed = 'use { env = "VARIABLE" } or { command = "program args" }'
    if isinstance(value, str):
        raise InvalidValueError(f"a secret cannot be written in the file; {allowed}")
    # Whatever else was written may be the secret itself: never quote it.
    if not isinstance(value, dict) or len(value) != 1:
        raise InvalidValueError(f"not allowed; {allowed}")
    if "env" in value:
        return Secret(env=parse_env_name(value["env"]))
    if "command" in value:
        return Secret(command=parse_command(value["command"]))
    raise InvalidValueError(f"not allowed; {allowed}")


# The url of [exchange] depends on allow_http, so it is checked afterwards.
SECTIONS: dict[str, tuple[type, dict[str, Any]]] = {
    "exchange": (
        ExchangeSettings,
        {
            "url": parse_text,
            "version": parse_exchange_version,
            "auth": one_of(*AUTH_TYPES),
            "username": parse_text,
            "password": parse_secret,
            "client_id": parse_text,
            "tenant_id": parse_text,
            "client_secret": parse_secret,
            "allow_http": parse_bool,
            "verify_tls": parse_bool,
            "timeout_seconds": int_between(1, 3600),
        },
    ),
    "sync": (
        SyncSettings,
        {
            "integration": parse_bool,
            "contact_sync": parse_bool,
            "direction": one_of(*DIRECTIONS),
            "slot_minutes": one_of(*SLOT_MINUTES),
            "batch_size": int_between(1, 512),
            "category": parse_text,
            "sync_private": parse_bool,
            "skip_contact": parse_callable_name,
            "delete_policy": one_of(*DELETE_POLICIES),
            "max_delete_share": parse_share,
            "conflict_policy": one_of(*CONFLICT_POLICIES),
            "concurrency": int_between(1, 32),
        },
    ),
    "notifications": (
        NotificationSettings,
        {
            "url": parse_web_url,
            # Bounded so that the retry window stays a date exsync can
            # compute: a year is more than anyone waits for an email.
            "frequency_minutes": int_between(1, 525_600),
            "failure_recipients": parse_address_list,
        },
    ),
    "listen": (
        ListenSettings,
        {"host": parse_text, "port": int_between(1, 65535)},
    ),
    "smtp": (
        SmtpSettings,
        {
            "host": parse_text,
            "port": int_between(1, 65535),
            "starttls": parse_bool,
            "sender": parse_address,
            "username": parse_text,
            "password": parse_secret,
            "timeout_seconds": int_between(1, 600),
        },
    ),
    "store": (StoreSettings, {"path": parse_text}),
}


def check_config(
    document: dict[str, Any], path: Path, mode: int, owner: int | None = None
) -> Config:
    """Turn a parsed TOML ``document`` read from ``path`` into a :class:`Config`.

    ``mode`` is the file's permission bits and ``owner`` its owner's uid
    (None: not known, as for a file about to be written). Raises
    :class:`ConfigError` listing every problem, each with its key and the
    allowed values.
    """
    problems: list[str] = []
    values = _parse_sections(document, problems)
    _check_exchange(values["exchange"], document.get("exchange"), problems)
    _check_notifications(values, problems)
    _check_secrets_private(values, path, mode, problems)
    _check_owner(values, path, owner, problems)
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        raise ConfigError(
            f"the configuration {path} has {count}:",
            hint="fix the keys named above; config.example.toml explains each.",
            problems=problems,
        )
    values["store"]["path"] = _resolve_store_path(values["store"].get("path"), path)
    sections = {name: SECTIONS[name][0](**values[name]) for name in SECTIONS}
    return Config(**sections, source=path)


def _parse_sections(document: dict[str, Any], problems: list[str]) -> dict:
    values: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    for name, table in document.items():
        if name not in SECTIONS:
            known = ", ".join(f"[{section}]" for section in SECTIONS)
            problems.append(f"[{name}]: unknown section; the sections are {known}")
            continue
        if not isinstance(table, dict):
            problems.append(f"{name}: must be a section, written [{name}]")
            continue
        parsers = SECTIONS[name][1]
        for key, value in table.items():
            if key not in parsers:
                problems.append(
                    f"{name}.{key}: unknown key; the keys of [{name}] are "
                    + ", ".join(parsers)
                )
                continue
            try:
                values[name][key] = parsers[key](value)
            except InvalidValueError as error:
                problems.append(f"{name}.{key}: {error}")
    return values


def _check_exchange(exchange: dict[str, Any], raw: Any, problems: list) -> None:
    raw = raw if isinstance(raw, dict) else {}
    if "url" not in raw:
        problems.append(
            "exchange.url: missing; use the EWS endpoint, e.g. "
            "https://mail.example.com/EWS/Exchange.asmx"
        )
    elif "url" in exchange:
        try:
            allow_http = exchange.get("allow_http", False)
            exchange["url"] = parse_exchange_url(exchange["url"], allow_http)
        except InvalidValueError as error:
            problems.append(f"exchange.url: {error}")
    auth = exchange.get("auth", ExchangeSettings.auth)
    needed = ("client_id", "tenant_id", "client_secret")
    if auth != "oauth2":
        needed = ("username", "password")
    for key in needed:
        if key not in raw:
            problems.append(f"exchange.{key}: missing; auth = {auth!r} needs it")


def _check_notifications(values: dict[str, dict[str, Any]], problems: list) -> None:
    if values["notifications"].get("failure_recipients") and not values["smtp"].get(
        "sender"
    ):
        problems.append(
            "smtp.sender: missing; failure emails need a sender address, "
            "e.g. exsync@example.com"
        )
    if "password" in values["smtp"] and "username" not in values["smtp"]:
        problems.append("smtp.username: missing; smtp.password needs it")


def _check_secrets_private(values: dict, path: Path, mode: int, problems: list) -> None:
    """Refuse secret commands in a file others can read, as ssh refuses a key.

    An environment variable's name tells nothing, but a command may carry a
    token in its arguments, and a file others can change runs their code.
    """
    if _secret_commands(values) and mode & 0o077:
        problems.append(
            f"file: {path} holds a secret command and other users can read "
            f"or change it (mode {mode:04o}); run: chmod 600 {path}"
        )
    elif values["sync"].get("skip_contact") and mode & 0o022:
        # The group could point the skip rule at a module of its own.
        problems.append(
            f"file: {path} names a skip rule and other users can change it "
            f"(mode {mode:04o}); run: chmod 600 {path}"
        )
    elif mode & 0o002:
        # Anyone could point the secrets or the skip rule at their own code.
        problems.append(
            f"file: {path} can be changed by any user (mode {mode:04o}); "
            f"run: chmod 600 {path}"
        )


def _secret_commands(values: dict) -> list[Secret]:
    return [
        value
        for section in values.values()
        for value in section.values()
        if isinstance(value, Secret) and value.command
    ]


def _check_owner(values: dict, path: Path, owner: int | None, problems: list) -> None:
    """Refuse code named by a file another user owns: they could make it theirs.

    Secret commands and the skip rule run as the user exsync runs as (often
    a service account, from cron). Files of root are trusted, as ssh does.
    """
    if owner is None or owner in (0, os.geteuid()):
        return
    if _secret_commands(values) or values["sync"].get("skip_contact"):
        problems.append(
            f"file: {path} belongs to another user (uid {owner}) and names code "
            "exsync runs (a secret command or the skip rule); "
            f"run: chown {os.geteuid()} {path}"
        )


def _resolve_store_path(value: str | None, config_path: Path) -> Path:
    # Relative to the config file, not to whatever directory cron starts in.
    if value is None:
        return default_store_path()
    store = Path(value).expanduser()
    return store if store.is_absolute() else config_path.parent / store
