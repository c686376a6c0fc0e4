"""Where log lines go and how much of them: the only module that configures logging.

On a terminal, records go through rich; under cron (stderr is not a
terminal) they are plain timestamped lines without colour, which mail and
log files keep readable. Chatty libraries stay at WARNING unless --debug.
"""

from __future__ import annotations

import logging
import re
import sys

THIRD_PARTY_LOGGERS = ("exchangelib", "urllib3", "requests_ntlm", "spnego")
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "****"

# At --debug, exchangelib logs every request's headers (Basic and NTLM
# credentials ride in Authorization) and the OAuth2 libraries log token
# requests and answers: the credential part is masked wherever it appears.
_TOKEN_KEYS = r"(?:client_secret|access_token|refresh_token|id_token)"
_CREDENTIALS = (
    # {'Authorization': 'Basic ...'}: a logged dict of headers
    re.compile(r"(?i)(['\"](?:proxy-)?authorization['\"]\s*:\s*['\"])[^'\"]+"),
    # Authorization: NTLM ...: a header line
    re.compile(
        r"(?i)(\b(?:proxy-)?authorization:\s*)(?:basic|bearer|ntlm|negotiate)\s+\S+"
    ),
    # "access_token": "...": a JSON answer
    re.compile(rf"(?i)(['\"]{_TOKEN_KEYS}['\"]\s*:\s*['\"])[^'\"]+"),
    # client_secret=...: a form-encoded request
    re.compile(rf"(?i)(\b{_TOKEN_KEYS}=)[^&\s'\",]+"),
)
# Values revealed by exsync.credentials in this process; shorter ones would
# mask ordinary text.
_SECRETS: set[str] = set()
_SHORTEST_SECRET = 3

_LEVELS = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG}


def setup_logging(verbosity: int, *, terminal: bool | None = None) -> logging.Handler:
    """Configure the root logger for ``verbosity`` (-1 quiet to 2 debug).

    ``terminal`` forces the rich (True) or plain (False) handler; by default
    it follows whether stderr is a terminal. Returns the installed handler;
    calling again replaces it.
    """
    if terminal is None:
        terminal = sys.stderr.isatty()
    handler = _rich_handler() if terminal else _plain_handler()
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_exsync", False)]:
        root.removeHandler(old)
    handler._exsync = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    level = _LEVELS[max(-1, min(verbosity, 2))]
    root.setLevel(level)
    for name in THIRD_PARTY_LOGGERS:
        logging.getLogger(name).setLevel(
            logging.DEBUG if verbosity >= 2 else max(level, logging.WARNING)
        )
    return handler


def log_console():
    """The rich console log records are written to, or None for plain lines.

    A progress display drawn on this console keeps the records above it
    instead of tearing through it.
    """
    for handler in logging.getLogger().handlers:
        if getattr(handler, "_exsync", False):
            return getattr(handler, "console", None)
    return None


def hide_in_logs(value: str) -> None:
    """Mask ``value`` wherever it appears in a log line from now on."""
    if len(value) >= _SHORTEST_SECRET:
        _SECRETS.add(value)


def hide_secrets(text: str) -> str:
    """Return ``text`` with credentials and revealed secrets masked."""
    for pattern in _CREDENTIALS:
        text = pattern.sub(lambda match: match.group(1) + MASK, text)
    for value in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


class _HidingFormatter(logging.Formatter):
    """Format a record, traceback included, then mask what is secret."""

    def format(self, record: logging.LogRecord) -> str:
        return hide_secrets(super().format(record))


def _rich_handler() -> logging.Handler:
    from rich.console import Console
    from rich.logging import RichHandler

    handler = RichHandler(
        console=Console(stderr=True), show_path=False, rich_tracebacks=False
    )
    handler.setFormatter(_HidingFormatter("%(message)s"))
    return handler


class _StderrHandler(logging.StreamHandler):
    """Write to whatever ``sys.stderr`` is now, not what it was at set-up."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def _plain_handler() -> logging.Handler:
    handler = _StderrHandler()
    handler.setFormatter(_HidingFormatter(PLAIN_FORMAT, "%Y-%m-%dT%H:%M:%S%z"))
    return handler
