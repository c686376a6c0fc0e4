"""The errors exsync shows to people, and the exit codes cron sees.

Core code raises these without knowing about click or the terminal; the
handler in :mod:`exsync.cli` prints the message and the hint on stderr and
exits with the error's code. Anything else that escapes is a bug (exit 70).
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """The documented exit codes of every exsync command."""

    OK = 0
    PARTIAL = 1  # the run finished, but some mailboxes or records failed
    USAGE = 2  # click's own code for a bad command line
    CONFIG = 3
    EXCHANGE_AUTH = 4  # Exchange refused the service account
    EXCHANGE_UNREACHABLE = 5  # worth retrying later
    STORE = 6  # the SQLite store cannot be opened, migrated or written
    LOCKED = 7  # another run holds the lock
    BUG = 70  # EX_SOFTWARE from sysexits.h


class ExsyncError(Exception):
    """An error a person can act on: a message, a hint and an exit code.

    ``problems`` lists the individual faults behind the message (every
    invalid setting, every bad record), so that one run reports them all.
    """

    exit_code: ExitCode = ExitCode.PARTIAL

    def __init__(
        self, message: str, hint: str | None = None, problems: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.problems = problems or []


class UsageError(ExsyncError):
    """A command was given arguments that cannot work together."""

    exit_code = ExitCode.USAGE


class ConfigError(ExsyncError):
    """The configuration is missing, unreadable or invalid."""

    exit_code = ExitCode.CONFIG


class CredentialError(ConfigError):
    """A secret could not be read from its environment variable or command."""


class ExchangeAuthError(ExsyncError):
    """Exchange refused the service account or its impersonation right."""

    exit_code = ExitCode.EXCHANGE_AUTH


class ExchangeUnreachableError(ExsyncError):
    """Exchange could not be reached, or did not answer in time."""

    exit_code = ExitCode.EXCHANGE_UNREACHABLE


class StoreError(ExsyncError):
    """The SQLite store cannot be opened, migrated or written."""

    exit_code = ExitCode.STORE


class LockedError(ExsyncError):
    """Another exsync run holds the lock."""

    exit_code = ExitCode.LOCKED


class InputError(ExsyncError):
    """A file given to exsync (an operators CSV, a seed) has bad records."""

    exit_code = ExitCode.PARTIAL


class InvalidValueError(ValueError):
    """A value is not allowed; the message says what would be.

    Raised by the parsers in :mod:`exsync.validation`; whoever calls them
    names the key or option it concerns and raises an :class:`ExsyncError`.
    """
