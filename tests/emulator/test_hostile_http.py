"""Hostile HTTP clients: bad framing, slow senders, many connections."""

from __future__ import annotations

import base64
import http.client
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
from test_raw_http import BASIC, GET_ROOT, post, soap


def _raw(emu, data: bytes, timeout: float = 5) -> bytes:
    parts = urlsplit(emu.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as s:
        s.sendall(data)
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    return reply


def _head(emu, length: str) -> bytes:
    path = urlsplit(emu.url).path
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {BASIC}\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode()


def test_negative_content_length_gets_400(emulator):
    reply = _raw(emulator, _head(emulator, "-5"))
    assert reply.startswith(b"HTTP/1.1 400")


def test_two_operations_in_one_body_get_schema_fault(emulator):
    status, _, body = post(emulator, soap(GET_ROOT + GET_ROOT))
    assert (status, b"<e:ResponseCode" in body, b"ErrorSchemaValidation" in body) == (
        500,
        True,
        True,
    )


def test_doctype_after_a_long_comment_is_refused_as_dtd(emulator):
    data = (
        b'<?xml version="1.0"?><!--' + b"a" * 5000 + b"-->"
        b'<!DOCTYPE x SYSTEM "file:///etc/hostname">'
        + soap(GET_ROOT).split(b"?>", 1)[1]
    )
    status, _, body = post(emulator, data)
    assert (status, b"DTD is prohibited" in body) == (500, True)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "HEAD", "GET"])
def test_method_other_than_post_on_ews_path_gets_405(emulator, method):
    parts = urlsplit(emulator.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    connection.request(method, parts.path, b"x" if method in ("PUT", "PATCH") else None)
    response = connection.getresponse()
    response.read()
    connection.close()
    assert (response.status, response.getheader("Allow")) == (405, "POST")


def test_options_on_ews_path_lists_post(emulator):
    parts = urlsplit(emulator.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    connection.request("OPTIONS", parts.path)
    response = connection.getresponse()
    response.read()
    connection.close()
    assert (response.status, response.getheader("Allow")) == (200, "OPTIONS, POST")


def test_slow_sender_is_cut_off_while_others_are_served(emulator):
    emulator.request_timeout = 1.0
    parts = urlsplit(emulator.url)
    slow = socket.create_connection((parts.hostname, parts.port), timeout=5)
    request = _head(emulator, "2000") + b"x" * 2000
    closed_after = None
    started = time.monotonic()
    # One byte every 0.2 s: never idle long enough for a per-read timeout.
    for position in range(40):
        try:
            slow.sendall(request[position : position + 1])
        except OSError:
            closed_after = time.monotonic() - started
            break
        if position == 2:
            assert post(emulator, soap(GET_ROOT))[0] == 200
        time.sleep(0.2)
    if closed_after is None:
        slow.settimeout(2)
        try:
            closed = slow.recv(10) == b""
        except OSError:
            closed = True
        closed_after = time.monotonic() - started if closed else None
    slow.close()
    assert closed_after is not None and closed_after < 4


def test_fifty_concurrent_connections_are_all_served(emulator):
    statuses: list[int] = []
    lock = threading.Lock()

    def one() -> None:
        status = post(emulator, soap(GET_ROOT))[0]
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=one) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert statuses == [200] * 50


def test_basic_credentials_in_latin1_authenticate(emulator):
    emulator.add_account("jürgen@example.com", "pässword")
    token = base64.b64encode("jürgen@example.com:pässword".encode("latin-1"))
    status, _, _ = post(
        emulator, soap(GET_ROOT), {"Authorization": "Basic " + token.decode()}
    )
    assert status == 200


def test_basic_credentials_in_utf8_authenticate(emulator):
    emulator.add_account("jürgen@example.com", "pässword")
    token = base64.b64encode("jürgen@example.com:pässword".encode())
    status, _, _ = post(
        emulator, soap(GET_ROOT), {"Authorization": "Basic " + token.decode()}
    )
    assert status == 200


def test_connections_past_the_limit_get_503_until_others_close(emulator):
    emulator.max_connections = 3
    parts = urlsplit(emulator.url)
    idle = [
        socket.create_connection((parts.hostname, parts.port), timeout=5)
        for _ in range(3)
    ]
    time.sleep(0.2)
    refused = post(emulator, soap(GET_ROOT))[0]
    for connection in idle:
        connection.close()
    deadline = time.monotonic() + 3
    served = 0
    while served != 200 and time.monotonic() < deadline:
        time.sleep(0.05)
        served = post(emulator, soap(GET_ROOT))[0]
    assert (refused, served) == (503, 200)


def test_connection_close_is_honoured_after_the_answer(emulator):
    path = urlsplit(emulator.url).path
    body = soap(GET_ROOT)
    request = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {BASIC}\r\n"
        f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    # _raw reads until the server closes; a kept-open socket would time out.
    reply = _raw(emulator, request, timeout=3)
    assert (reply.startswith(b"HTTP/1.1 200"), reply.count(b"HTTP/1.1")) == (True, 1)


def test_xinclude_element_is_refused_not_processed(emulator):
    include = (
        '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
        'href="file:///etc/hostname" parse="text"/>'
    )
    request = GET_ROOT.replace('Id="root"/>', f'Id="root"/>{include}')
    status, _, body = post(emulator, soap(request))
    assert (status, b"ErrorSchemaValidation" in body) == (500, True)


def test_idle_keep_alive_connection_is_closed_after_the_idle_timeout(emulator):
    emulator.idle_timeout = 0.5
    parts = urlsplit(emulator.url)
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as idle:
        closed = idle.recv(10) == b""
    assert (closed, time.monotonic() - started < 3) == (True, True)
