"""Log handlers and levels for terminals and cron."""

from __future__ import annotations

import logging

import pytest
from rich.logging import RichHandler

from exsync.logsetup import setup_logging


@pytest.fixture(autouse=True)
def restore_root_logger():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name in ("exchangelib", "urllib3"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def test_setup_logging_cron_writes_plain_timestamped_lines(capsys):
    setup_logging(1, terminal=False)

    logging.getLogger("exsync.test").info("run started")

    line = capsys.readouterr().err
    assert line.endswith(" INFO exsync.test: run started\n")
    assert line[:4].isdigit() and "\x1b[" not in line


def test_setup_logging_terminal_uses_rich():
    handler = setup_logging(0, terminal=True)

    assert isinstance(handler, RichHandler)


def test_setup_logging_verbose_keeps_third_party_at_warning():
    setup_logging(1, terminal=False)

    assert logging.getLogger("exchangelib").level == logging.WARNING
    assert logging.getLogger().level == logging.INFO


def test_setup_logging_debug_opens_third_party():
    setup_logging(2, terminal=False)

    assert logging.getLogger("urllib3").level == logging.DEBUG


def test_setup_logging_called_twice_keeps_one_handler():
    setup_logging(0, terminal=False)
    setup_logging(0, terminal=False)

    ours = [h for h in logging.getLogger().handlers if getattr(h, "_exsync", False)]
    assert len(ours) == 1
