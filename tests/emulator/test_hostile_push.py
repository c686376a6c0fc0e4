"""Hostile push listeners and subscription requests."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import ALICE, small_seed
from test_raw_http import GET_ROOT, post, soap

from exsync.emulator import Emulator

IMPERSONATE = (
    "<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>"
    f"{ALICE}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>"
)


def _subscribe(emu, url: str, frequency: str = "1") -> bytes:
    request = (
        "<m:Subscribe><m:PushSubscriptionRequest><t:FolderIds>"
        '<t:DistinguishedFolderId Id="contacts"/></t:FolderIds><t:EventTypes>'
        "<t:EventType>CreatedEvent</t:EventType></t:EventTypes>"
        f"<t:StatusFrequency>{frequency}</t:StatusFrequency><t:URL>{url}</t:URL>"
        "</m:PushSubscriptionRequest></m:Subscribe>"
    )
    data = soap(request).replace(b"</s:Header>", IMPERSONATE.encode() + b"</s:Header>")
    return post(emu, data)[2]


def _wait_until_gone(emu, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not emu.push.subscriptions:
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def fast_emulator():
    """An emulator whose push minutes last a tenth of a second."""
    with Emulator(seed=small_seed(), time_scale=600) as emu:
        emu.push.delivery_timeout = 0.3
        yield emu


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:99999/push", "http://127.0.0.1:port/push"]
)
def test_subscribe_url_with_invalid_port_is_refused(emulator, url):
    answer = _subscribe(emulator, url)
    assert (
        b"ErrorInvalidPushSubscriptionUrl" in answer,
        emulator.push.subscriptions,
    ) == (
        True,
        {},
    )


def test_listener_that_never_answers_times_out_and_subscription_dies(fast_emulator):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    # Connections queue in the backlog and are never accepted or answered.
    silent.listen(8)
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/push"
        assert b"NoError" in _subscribe(fast_emulator, url)
        (subscription,) = fast_emulator.push.subscriptions.values()
        served = post(fast_emulator, soap(GET_ROOT))[0]
        gone = _wait_until_gone(fast_emulator, 5)
    finally:
        silent.close()
    # StatusFrequency 1: the first try and the retries at 30 s and 60 s.
    assert (served, gone, subscription.deliveries) == (200, True, 3)


def test_listener_answering_garbage_counts_as_failed(fast_emulator):
    class Garbage(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            reply = b"<not-soap>\x00\xff"
            self.send_response(200)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Garbage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/push"
        _subscribe(fast_emulator, url)
        (subscription,) = fast_emulator.push.subscriptions.values()
        gone = _wait_until_gone(fast_emulator, 5)
    finally:
        server.shutdown()
        server.server_close()
    assert (gone, subscription.deliveries) == (True, 3)
