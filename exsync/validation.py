"""Checks for single setting values, shared by the config reader and prompts.

Each ``parse_*`` function takes a value as TOML (or a prompt) gives it and
returns the normalised value, or raises :class:`InvalidValueError` whose
message names what is allowed. They know nothing about files or keys: the
caller adds the key to the message.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from exsync.addresses import is_valid_address
from exsync.errors import InvalidValueError

SUPPORTED_VERSIONS = ("Exchange2010", "Exchange2013", "Exchange2016")

# "Exchange2010_SP2", "exchange2013 sp1", "Exchange2019": the year picks the
# schema. Exchange 2019 speaks the Exchange2016 EWS schema, so it maps there.
_VERSION = re.compile(r"^exchange[ _-]?(\d{4})(?:[ _-]?sp\d)?$", re.IGNORECASE)
_VERSION_YEARS = {"2010": "Exchange2010", "2013": "Exchange2013"}
_VERSION_YEARS |= {"2016": "Exchange2016", "2019": "Exchange2016"}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_UNSAFE_URL_CHARACTER = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_CALLABLE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")

Parser = Callable[[Any], Any]


def parse_bool(value: Any) -> bool:
    """Accept a TOML boolean. Raises :class:`InvalidValueError` otherwise."""
    if type(value) is not bool:
        raise InvalidValueError(f"{value!r} is not allowed; use true or false")
    return value


def int_between(low: int, high: int | None = None) -> Parser:
    """Return a parser accepting whole numbers from ``low`` to ``high``."""
    allowed = f"from {low} to {high}" if high is not None else f"{low} or more"

    def parse(value: Any) -> int:
        if type(value) is not int or value < low or (high is not None and value > high):
            raise InvalidValueError(
                f"{value!r} is not allowed; use a whole number {allowed}"
            )
        return value

    return parse


def one_of(*choices: Any) -> Parser:
    """Return a parser accepting exactly one of ``choices``."""
    allowed = ", ".join(str(choice) for choice in choices)

    def parse(value: Any) -> Any:
        if type(value) is bool or value not in choices:
            raise InvalidValueError(f"{value!r} is not allowed; use one of {allowed}")
        return value

    return parse


def parse_text(value: Any) -> str:
    """Accept a non-empty string, stripped. Raises :class:`InvalidValueError`."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidValueError(f"{value!r} is not allowed; use a non-empty text")
    return value.strip()


def parse_share(value: Any) -> float:
    """Accept a number above 0 and at most 1. Raises :class:`InvalidValueError`."""
    if type(value) not in (int, float) or not 0 < value <= 1:
        raise InvalidValueError(
            f"{value!r} is not allowed; use a number above 0, up to 1"
        )
    return float(value)


def parse_exchange_version(value: Any) -> str:
    """Map a version spelling onto one of :data:`SUPPORTED_VERSIONS`.

    Raises :class:`InvalidValueError` naming the supported versions.
    """
    match = _VERSION.match(value.strip()) if isinstance(value, str) else None
    if not match or match.group(1) not in _VERSION_YEARS:
        raise InvalidValueError(
            f"{value!r} is not supported; use one of {', '.join(SUPPORTED_VERSIONS)}"
        )
    return _VERSION_YEARS[match.group(1)]


def is_loopback_host(host: str) -> bool:
    """Tell whether ``host`` names this machine (localhost or a loopback IP)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_exchange_url(value: Any, allow_http: bool) -> str:
    """Accept an https EWS URL, or http to a loopback host with ``allow_http``.

    Raises :class:`InvalidValueError` saying which rule the URL breaks.
    """
    parts = _split_url(value)
    _refuse_credentials(parts, "use exchange.username and exchange.password")
    if parts.scheme == "https":
        return value.strip()
    if not is_loopback_host(parts.hostname or ""):
        raise InvalidValueError(
            f"{value!r} is not allowed; use https (plain http only for "
            "127.0.0.1, ::1 or localhost, with allow_http = true)"
        )
    if not allow_http:
        raise InvalidValueError(
            f"{value!r} uses plain http; set allow_http = true to allow it "
            "for this loopback address"
        )
    return value.strip()


def parse_web_url(value: Any) -> str:
    """Accept an http or https URL with a host. Raises :class:`InvalidValueError`."""
    _refuse_credentials(_split_url(value), "use the address alone")
    return value.strip()


def _refuse_credentials(parts, allowed: str) -> None:
    # The URL is shown and logged freely, so it must not carry a secret;
    # the value is not quoted back for the same reason.
    if parts.username is not None or parts.password is not None:
        raise InvalidValueError(
            f"a user name or password cannot be written in the URL; {allowed}"
        )


def _split_url(value: Any):
    allowed = "use a URL such as https://mail.example.com/EWS/Exchange.asmx"
    if not isinstance(value, str):
        raise InvalidValueError(f"{value!r} is not allowed; {allowed}")
    # urlsplit quietly drops line breaks and tabs, but the text itself is
    # what would be sent (and a line break in it could forge a header).
    if _UNSAFE_URL_CHARACTER.search(value.strip()):
        raise InvalidValueError(
            f"the URL holds a space or a control character; {allowed}"
        )
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as error:
        raise InvalidValueError(
            f"{value!r} is not a valid URL ({error}); {allowed}"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidValueError(f"{value!r} is not allowed; {allowed}")
    return parts


def parse_address(value: Any) -> str:
    """Accept one email address, stripped. Raises :class:`InvalidValueError`."""
    if not isinstance(value, str) or not is_valid_address(value.strip()):
        raise InvalidValueError(
            f"{value!r} is not a valid email address; use name@example.com"
        )
    return value.strip()


def parse_address_list(value: Any) -> tuple[str, ...]:
    """Accept addresses separated by ``;`` (or a TOML list of them).

    Raises :class:`InvalidValueError` naming every bad address.
    """
    if isinstance(value, str):
        items = value.split(";")
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = value
    else:
        raise InvalidValueError(
            f"{value!r} is not allowed; use addresses separated by ';'"
        )
    addresses = tuple(item.strip() for item in items if item.strip())
    bad = [address for address in addresses if not is_valid_address(address)]
    if bad:
        verb = "is not a valid address" if len(bad) == 1 else "are not valid addresses"
        names = ", ".join(repr(address) for address in bad)
        raise InvalidValueError(
            f"{names} {verb}; use name@example.com, separated by ';'"
        )
    return addresses


def parse_callable_name(value: Any) -> str:
    """Accept ``module:function`` syntax. Raises :class:`InvalidValueError`.

    Only the spelling is checked here; the sync imports it when it starts.
    """
    if not isinstance(value, str) or not _CALLABLE.match(value.strip()):
        raise InvalidValueError(
            f"{value!r} is not allowed; use module:function, "
            "e.g. mycompany.exsync_rules:skip_contact"
        )
    return value.strip()


def parse_env_name(value: Any) -> str:
    """Accept an environment variable name. Raises :class:`InvalidValueError`."""
    # Not quoted back: people paste the secret itself here by mistake.
    if not isinstance(value, str) or not _ENV_NAME.match(value.strip()):
        raise InvalidValueError(
            "not a variable name (was the secret itself given?); use a name "
            "such as EXSYNC_PASSWORD"
        )
    return value.strip()


def parse_command(value: Any) -> str:
    """Accept a command line that splits into words.

    Raises :class:`InvalidValueError` for one that does not.
    """
    try:
        words = shlex.split(value) if isinstance(value, str) else []
    except ValueError as error:
        raise InvalidValueError(
            f"the command cannot be split into words: {error}"
        ) from None
    if not words:
        raise InvalidValueError("the command is empty; use e.g. 'pass show exsync'")
    return value.strip()
