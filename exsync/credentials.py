"""Secrets, read from an environment variable or a command when needed.

A secret's value never enters the configuration, a log line, an error
message or the store: only where it comes from is ever named.
"""

from __future__ import annotations

import os
import shlex
import subprocess

from exsync.config import Secret
from exsync.errors import CredentialError
from exsync.logsetup import hide_in_logs

COMMAND_TIMEOUT_SECONDS = 30


def reveal(secret: Secret, *, timeout: float = COMMAND_TIMEOUT_SECONDS) -> str:
    """Return the value of ``secret`` from its variable or its command.

    The command runs without a shell; trailing line breaks are removed.
    The value is masked in every log line from then on.
    Raises :class:`CredentialError` naming the variable or the command's
    program (never the value) when it is unset, empty, fails or times out.
    """
    if secret.env or secret.command:
        value = (
            _read_env(secret.env)
            if secret.env
            else _run_command(secret.command or "", timeout)
        )
        hide_in_logs(value)
        return value
    raise CredentialError(
        "a secret names neither an environment variable nor a command"
    )


def _read_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        state = "empty" if value is not None else "not set"
        raise CredentialError(
            f"the environment variable {name} is {state}",
            hint=f"export {name} in the environment exsync runs in (cron too).",
        )
    return value


def _run_command(command: str, timeout: float) -> str:
    try:
        words = shlex.split(command)
    except ValueError:
        raise CredentialError(
            "the secret command cannot be split into words (unbalanced quotes?)"
        ) from None
    if not words:
        raise CredentialError("the secret command is empty")
    program = words[0]
    try:
        finished = subprocess.run(
            words, capture_output=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise CredentialError(
            f"the secret command's program {program!r} was not found",
            hint="use the program's full path; cron's PATH is short.",
        ) from None
    except subprocess.TimeoutExpired:
        raise CredentialError(
            f"the secret command {program!r} did not finish within {timeout:g} seconds",
            hint="check that it does not wait for input (cron has no terminal).",
        ) from None
    except OSError as error:
        raise CredentialError(
            f"the secret command {program!r} cannot run: {error.strerror}"
        ) from None
    return _command_output(program, finished)


def _command_output(program: str, finished: subprocess.CompletedProcess) -> str:
    # stderr is not shown either: a failing helper may echo what it was given.
    if finished.returncode != 0:
        raise CredentialError(
            f"the secret command {program!r} failed with exit status "
            f"{finished.returncode}",
            hint="run it yourself as the user exsync runs as to see why.",
        )
    try:
        text = finished.stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise CredentialError(
            f"the secret command {program!r} printed something that is not UTF-8 text"
        ) from None
    # No password ends in a line break; a helper may print a blank line too.
    value = text.rstrip("\r\n")
    if not value:
        raise CredentialError(f"the secret command {program!r} printed nothing")
    return value
