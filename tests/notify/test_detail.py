"""classify's detail for real transport errors: the root cause, in one line.

The errors come from exsync's own Exchange client talking to the emulator
(stopped, dropping connections, too slow) and to a TLS server whose
certificate nobody trusts, all on loopback.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from exsync.config import ExchangeSettings, Secret
from exsync.emulator import Emulator, Seed
from exsync.exchange import ExchangeClient
from exsync.failures import classify, describe_error

from .conftest import free_port, make_tls

ACCOUNT, PASSWORD, MAILBOX = "svc@example.com", "pw-Hunter2", "alice@example.com"
PASSWORD_ENV = "EXSYNC_TEST_DETAIL_PASSWORD"


@pytest.fixture
def emulator():
    seed = Seed(
        accounts=[{"username": ACCOUNT, "password": PASSWORD, "impersonation": True}],
        mailboxes=[{"address": MAILBOX, "contacts": []}],
    )
    server = Emulator(seed)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def tls_server(tmp_path):
    """An HTTPS server on loopback whose certificate no trust store knows."""
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    context = make_tls(tmp_path).server_context
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _settings(url: str, **changes) -> ExchangeSettings:
    settings = ExchangeSettings(
        url=url,
        auth="basic",
        username=ACCOUNT,
        password=Secret(env=PASSWORD_ENV),
        allow_http=True,
        timeout_seconds=10,
    )
    return replace(settings, **changes)


def _error_of(settings: ExchangeSettings, monkeypatch, wait: float = 30):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    client = ExchangeClient(settings)
    try:
        client.mailbox(MAILBOX, deadline=time.monotonic() + wait).sync_page(None, 10)
    except Exception as error:  # noqa: BLE001 - the error is what is tested
        return error
    finally:
        client.close()
    pytest.fail("the request succeeded")


def test_classify_stopped_emulator_detail_says_connection_refused(monkeypatch):
    port = free_port()
    url = f"http://127.0.0.1:{port}/EWS/Exchange.asmx"

    kind, detail = classify(_error_of(_settings(url), monkeypatch, wait=1))

    assert (kind.code, detail) == (
        "exchange-unreachable",
        f"connection refused by 127.0.0.1:{port}",
    )


def test_classify_dropped_connection_detail_says_closed_without_answer(
    emulator, monkeypatch
):
    emulator.faults.drop_connection(count=None)

    kind, detail = classify(_error_of(_settings(emulator.url), monkeypatch, wait=1))

    assert (kind.code, detail) == (
        "exchange-unreachable",
        f"{emulator.host}:{emulator.port} closed the connection without an answer",
    )


def test_classify_latency_beyond_timeout_detail_says_timed_out(emulator, monkeypatch):
    emulator.faults.latency(2.5)
    settings = _settings(emulator.url, timeout_seconds=1)

    kind, detail = classify(_error_of(settings, monkeypatch, wait=1.5))

    assert (kind.code, detail) == (
        "exchange-unreachable",
        f"timed out after 1 s waiting for {emulator.host}:{emulator.port}",
    )


def test_classify_untrusted_certificate_detail_says_verify_failed(
    tls_server, monkeypatch
):
    url = f"https://127.0.0.1:{tls_server}/EWS/Exchange.asmx"

    kind, detail = classify(_error_of(_settings(url), monkeypatch))

    assert (kind.code, detail) == (
        "tls-failure",
        "certificate verify failed: unable to get local issuer certificate "
        f"(127.0.0.1:{tls_server})",
    )


def test_classify_https_to_plain_http_detail_says_handshake_failed(
    emulator, monkeypatch
):
    url = emulator.url.replace("http://", "https://")

    kind, detail = classify(_error_of(_settings(url), monkeypatch))

    assert (kind.code, detail) == (
        "tls-failure",
        f"TLS handshake failed: wrong version number ({emulator.host}:{emulator.port})",
    )


def test_describe_error_long_outer_text_keeps_the_root_cause():
    try:
        try:
            raise PermissionError(13, "Permission denied")
        except PermissionError as cause:
            raise RuntimeError("wrapped: " + "x" * 500) from cause
    except RuntimeError as error:
        detail = describe_error(error)

    assert len(detail) <= 300
    assert detail.endswith("caused by PermissionError: [Errno 13] Permission denied")


def test_describe_error_secret_in_root_cause_is_redacted():
    try:
        try:
            raise ValueError("login refused, password=Hunter2secret")
        except ValueError as cause:
            raise RuntimeError("sync failed") from cause
    except RuntimeError as error:
        detail = describe_error(error)

    assert detail == (
        "RuntimeError: sync failed; caused by ValueError: login refused, password=***"
    )
