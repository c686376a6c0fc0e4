"""Where log lines go and how much of them: the only module that configures logging.

On a terminal, records go through rich; under cron (stderr is not a
terminal) they are plain timestamped lines without colour, which mail and
log files keep readable. Chatty libraries stay at WARNING unless --debug.
"""

from __future__ import annotations

import logging
import sys

THIRD_PARTY_LOGGERS = ("exchangelib", "urllib3", "requests_ntlm", "spnego")
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

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


def _rich_handler() -> logging.Handler:
    from rich.console import Console
    from rich.logging import RichHandler

    return RichHandler(
        console=Console(stderr=True), show_path=False, rich_tracebacks=False
    )


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
    handler.setFormatter(logging.Formatter(PLAIN_FORMAT, "%Y-%m-%dT%H:%M:%S%z"))
    return handler
