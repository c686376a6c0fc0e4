"""Hostile control API requests and fault options: answered, never fatal."""

from __future__ import annotations

import http.client
import json
from urllib.parse import quote, urlsplit

import pytest
from test_raw_http import GET_ROOT, post, soap


def _control(emu, method: str, path: str, body: bytes = b""):
    parts = urlsplit(emu.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    connection.request(method, "/emulator/v1/" + path, body)
    response = connection.getresponse()
    answer = response.read()
    connection.close()
    return response.status, json.loads(answer)


def test_control_mailbox_address_not_a_string_gets_400(emulator):
    status, answer = _control(emulator, "POST", "mailboxes", b'{"address": 5}')
    assert (status, "address" in answer["error"]) == (400, True)


def test_control_payload_not_an_object_gets_400(emulator):
    status, answer = _control(emulator, "POST", "mailboxes", b"[1, 2]")
    assert (status, "object" in answer["error"]) == (400, True)


def test_control_missing_address_gets_400(emulator):
    status, answer = _control(emulator, "POST", "mailboxes", b"{}")
    assert (status, "address" in answer["error"]) == (400, True)


def test_control_body_not_utf8_gets_400(emulator):
    status, _ = _control(emulator, "POST", "mailboxes", b'{"address": "\xff"}')
    assert status == 400


def test_control_deeply_nested_json_gets_400(emulator):
    status, _ = _control(emulator, "POST", "mailboxes", b"[" * 100000 + b"]" * 100000)
    assert status == 400


@pytest.mark.parametrize("seconds", [-1, "abc", None, 3600])
def test_control_latency_out_of_range_gets_400_and_ews_still_serves(emulator, seconds):
    body = json.dumps({"seconds": seconds}).encode()
    status, _ = _control(emulator, "POST", "faults/latency", body)
    assert (status, post(emulator, soap(GET_ROOT))[0]) == (400, 200)


@pytest.mark.parametrize("code", [99999, "503", 200])
def test_control_http_status_outside_error_range_gets_400(emulator, code):
    body = json.dumps({"status": code}).encode()
    status, _ = _control(emulator, "POST", "faults/http_status", body)
    assert (status, post(emulator, soap(GET_ROOT))[0]) == (400, 200)


def test_control_categories_not_a_list_gets_400(emulator):
    # Item ids are base64 and may hold "/": the route needs them encoded.
    item_id = quote(emulator.owner("alice@example.com").contacts()[0]["item_id"], "")
    status, _ = _control(
        emulator,
        "POST",
        f"mailboxes/alice@example.com/contacts/{item_id}/categories",
        b'{"categories": 5}',
    )
    assert status == 400
