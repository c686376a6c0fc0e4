"""Hostile authentication: forged, replayed and split NTLM handshakes."""

from __future__ import annotations

import base64
import http.client
import struct
from urllib.parse import urlsplit

import spnego
from conftest import PASSWORD, SERVICE
from test_raw_http import GET_ROOT, post, soap


def _send(connection, auth: str | None) -> int:
    headers = {"Authorization": auth} if auth else {}
    connection.request("POST", "/EWS/Exchange.asmx", soap(GET_ROOT), headers)
    response = connection.getresponse()
    response.read()
    return response.status


def _handshake(emu):
    """Open a connection, send Type 1 and return (connection, Type 3 bytes)."""
    parts = urlsplit(emu.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    context = spnego.client(SERVICE, PASSWORD, protocol="ntlm")
    connection.request(
        "POST",
        parts.path,
        soap(GET_ROOT),
        {"Authorization": "NTLM " + base64.b64encode(context.step()).decode()},
    )
    challenge = connection.getresponse()
    challenge.read()
    token = base64.b64decode(challenge.headers["WWW-Authenticate"].split()[1])
    return connection, context.step(token)


def _ntlm(token: bytes) -> str:
    return "NTLM " + base64.b64encode(token).decode()


def test_ntlm_type3_with_undecodable_user_name_gets_401(emulator):
    connection, answer = _handshake(emulator)
    # UserNameFields sit at offset 36: an odd length cannot be UTF-16.
    length = struct.unpack_from("<H", answer, 36)[0]
    forged = bytearray(answer)
    struct.pack_into("<HH", forged, 36, length - 1, length - 1)
    status = _send(connection, _ntlm(bytes(forged)))
    connection.close()
    assert (status, post(emulator, soap(GET_ROOT))[0]) == (401, 200)


def test_ntlm_type3_on_another_connection_gets_401(emulator):
    first, answer = _handshake(emulator)
    second, _ = _handshake(emulator)
    status = _send(second, _ntlm(answer))
    first.close()
    second.close()
    assert status == 401


def test_ntlm_type3_replayed_on_a_new_connection_gets_401(emulator):
    connection, answer = _handshake(emulator)
    accepted = _send(connection, _ntlm(answer))
    connection.close()
    replay, _ = _handshake(emulator)
    status = _send(replay, _ntlm(answer))
    replay.close()
    assert (accepted, status) == (200, 401)


def test_ntlm_type3_replayed_on_the_same_connection_gets_401(emulator):
    connection, answer = _handshake(emulator)
    accepted = _send(connection, _ntlm(answer))
    status = _send(connection, _ntlm(answer))
    connection.close()
    assert (accepted, status) == (200, 401)


def test_wrong_basic_on_an_ntlm_connection_gets_401(emulator):
    connection, answer = _handshake(emulator)
    accepted = _send(connection, _ntlm(answer))
    wrong = "Basic " + base64.b64encode(f"{SERVICE}:nope".encode()).decode()
    status = _send(connection, wrong)
    connection.close()
    assert (accepted, status) == (200, 401)
