"""Log handlers and levels for terminals and cron."""

from __future__ import annotations

import logging

import pytest
from rich.logging import RichHandler

from exsync.config import Secret
from exsync.credentials import reveal
from exsync.logsetup import hide_secrets, setup_logging


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


def test_setup_logging_debug_hides_authorization_header(capsys):
    setup_logging(2, terminal=False)
    headers = {"Content-Type": "text/xml", "Authorization": "Basic c3ZjOnMzY3JldA=="}

    logging.getLogger("exchangelib.util").debug("Request headers: %s", headers)

    line = capsys.readouterr().err
    assert "c3ZjOnMzY3JldA" not in line
    assert line.endswith(
        "Request headers: {'Content-Type': 'text/xml', 'Authorization': '****'}\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: NTLM TlRMTVNTUAADAAAAGAAYAH",
        "authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi",
        "grant_type=client_credentials&client_secret=eyJ0eXAiOiJKV1QiLCJhbGciOi",
        '{"access_token": "eyJ0eXAiOiJKV1QiLCJhbGciOi", "expires_in": 3599}',
    ],
)
def test_setup_logging_debug_hides_tokens(capsys, text):
    setup_logging(2, terminal=False)

    logging.getLogger("requests_oauthlib").debug(text)

    line = capsys.readouterr().err
    assert "eyJ0eXAiOiJKV1QiLCJhbGciOi" not in line
    assert "TlRMTVNTUAADAAAAGAAYAH" not in line
    assert "****" in line


def test_setup_logging_hides_revealed_secret_in_traceback(capsys, monkeypatch):
    monkeypatch.setenv("EXSYNC_TEST_SECRET", "pl4nted-s3cret")
    secret = reveal(Secret(env="EXSYNC_TEST_SECRET"))
    setup_logging(0, terminal=False)

    try:
        raise ValueError(f"login {secret} refused")
    except ValueError:
        logging.getLogger("exsync.test").exception("failed with %s", secret)

    output = capsys.readouterr().err
    assert "pl4nted-s3cret" not in output
    assert "failed with ****" in output and "ValueError: login **** refused" in output


def test_hide_secrets_config_problem_text_kept():
    text = "exchange.client_secret: missing; auth = 'oauth2' needs it"

    assert hide_secrets(text) == text
