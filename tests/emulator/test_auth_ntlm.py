"""NTLM against the emulator, through exchangelib's own NTLM support."""

from __future__ import annotations

import pytest
from conftest import ALICE, PASSWORD, SERVICE
from exchangelib import (
    IMPERSONATION,
    NTLM,
    Account,
    Configuration,
    Credentials,
    FailFast,
    Version,
)
from exchangelib.errors import UnauthorizedError
from exchangelib.protocol import close_connections
from exchangelib.version import EXCHANGE_2016


def _ntlm_account(emu, password):
    close_connections()
    config = Configuration(
        service_endpoint=emu.url,
        credentials=Credentials(SERVICE, password),
        auth_type=NTLM,
        version=Version(build=EXCHANGE_2016),
        retry_policy=FailFast(),
    )
    return Account(ALICE, config=config, autodiscover=False, access_type=IMPERSONATION)


def test_ntlm_right_password_serves_requests(emulator):
    account = _ntlm_account(emulator, PASSWORD)
    assert account.contacts.total_count == 2


def test_ntlm_wrong_password_is_unauthorized(emulator):
    account = _ntlm_account(emulator, "not-the-password")
    with pytest.raises(UnauthorizedError):
        account.contacts.total_count  # noqa: B018 - the lookup is the test


def _raw_ntlm_connection(emu):
    import base64
    import http.client
    from urllib.parse import urlsplit

    import spnego
    from test_raw_http import GET_ROOT, soap

    parts = urlsplit(emu.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    context = spnego.client(SERVICE, PASSWORD, protocol="ntlm")
    token = context.step()
    headers = {"Authorization": "NTLM " + base64.b64encode(token).decode()}
    connection.request("POST", parts.path, soap(GET_ROOT), headers)
    challenge = connection.getresponse()
    challenge.read()
    server_token = base64.b64decode(challenge.headers["WWW-Authenticate"].split()[1])
    answer = context.step(server_token)
    headers = {"Authorization": "NTLM " + base64.b64encode(answer).decode()}
    connection.request("POST", parts.path, soap(GET_ROOT), headers)
    response = connection.getresponse()
    response.read()
    return connection, parts, response.status


def test_ntlm_authenticated_connection_serves_later_requests(emulator):
    from test_raw_http import GET_ROOT, soap

    connection, parts, status = _raw_ntlm_connection(emulator)
    connection.request("POST", parts.path, soap(GET_ROOT))
    later = connection.getresponse()
    later.read()
    connection.close()
    assert (status, later.status) == (200, 200)


def test_ntlm_authentication_does_not_leak_to_other_connections(emulator):
    import http.client

    from test_raw_http import GET_ROOT, soap

    connection, parts, status = _raw_ntlm_connection(emulator)
    other = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    other.request("POST", parts.path, soap(GET_ROOT))
    refused = other.getresponse()
    refused.read()
    other.close()
    connection.close()
    assert (status, refused.status) == (200, 401)
