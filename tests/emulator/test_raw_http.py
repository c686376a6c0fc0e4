"""Raw HTTP against the emulator: authentication and bad input."""

from __future__ import annotations

import base64
import http.client
import socket
from urllib.parse import urlsplit

import pytest
from conftest import PASSWORD, SERVICE

from exsync.emulator.soap import MAX_BODY_BYTES

BASIC = "Basic " + base64.b64encode(f"{SERVICE}:{PASSWORD}".encode()).decode()
ENVELOPE = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" '
    'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">'
    '<s:Header><t:RequestServerVersion Version="{version}"/></s:Header>'
    "<s:Body>{body}</s:Body></s:Envelope>"
)
GET_ROOT = (
    "<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
    '<m:FolderIds><t:DistinguishedFolderId Id="root"/></m:FolderIds></m:GetFolder>'
)


def post(emu, body: bytes, headers=None):
    """POST ``body`` to the EWS path; returns (status, headers, body)."""
    parts = urlsplit(emu.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    all_headers = {"Content-Type": "text/xml; charset=utf-8", "Authorization": BASIC}
    all_headers.update(headers or {})
    connection.request("POST", parts.path, body, all_headers)
    response = connection.getresponse()
    result = (response.status, dict(response.getheaders()), response.read())
    connection.close()
    return result


def soap(body: str, version: str = "Exchange2016") -> bytes:
    return ENVELOPE.format(version=version, body=body).encode()


def test_request_without_credentials_gets_401_with_schemes(emulator):
    parts = urlsplit(emulator.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    connection.request("POST", parts.path, soap(GET_ROOT))
    response = connection.getresponse()
    response.read()
    connection.close()
    schemes = response.headers.get_all("WWW-Authenticate")
    assert (response.status, schemes[0].split()[0], "NTLM" in schemes) == (
        401,
        "Basic",
        True,
    )


def test_wrong_password_gets_401(emulator):
    bad = "Basic " + base64.b64encode(f"{SERVICE}:nope".encode()).decode()
    status, _, _ = post(emulator, soap(GET_ROOT), {"Authorization": bad})
    assert status == 401


def test_valid_request_gets_200_with_server_version(emulator):
    status, _, body = post(emulator, soap(GET_ROOT))
    assert status == 200
    assert b'Version="V2017_07_11"' in body


def test_malformed_xml_gets_schema_validation_fault(emulator):
    status, _, body = post(emulator, b"<s:Envelope><unclosed>")
    assert (status, b"ErrorSchemaValidation" in body) == (500, True)


def test_doctype_with_entities_is_refused(emulator):
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;">]>' + soap(GET_ROOT).split(b"?>", 1)[1]
    )
    status, _, body = post(emulator, evil)
    assert (status, b"ErrorSchemaValidation" in body) == (500, True)


def test_unknown_operation_gets_invalid_request_fault(emulator):
    status, _, body = post(emulator, soap("<m:LaunchRockets/>"))
    assert (status, b"ErrorInvalidRequest" in body) == (500, True)


def test_wrong_envelope_namespace_gets_version_mismatch(emulator):
    body = soap(GET_ROOT).replace(
        b"http://schemas.xmlsoap.org/soap/envelope/",
        b"https://schemas.xmlsoap.org/soap/envelope/",
    )
    status, _, answer = post(emulator, body)
    assert (status, b"<faultcode>s:VersionMismatch</faultcode>" in answer) == (
        500,
        True,
    )


def test_body_element_outside_messages_namespace_gets_schema_fault(emulator):
    status, _, body = post(emulator, soap("<Subscribe/>"))
    assert (status, b"ErrorSchemaValidation" in body) == (500, True)


def test_body_over_cap_gets_413_without_reading_it(emulator):
    parts = urlsplit(emulator.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(
            f"POST {parts.path} HTTP/1.1\r\nHost: x\r\nAuthorization: {BASIC}\r\n"
            f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode()
        )
        reply = sock.recv(200)
    assert reply.startswith(b"HTTP/1.1 413")


def test_unknown_version_gets_invalid_request(emulator):
    status, _, body = post(emulator, soap(GET_ROOT, version="Exchange2019"))
    assert (status, b"ErrorInvalidRequest" in body) == (500, True)


@pytest.mark.parametrize("version", ["Exchange2010", "Exchange2013"])
def test_older_profile_refuses_exchange2016_header(version):
    from conftest import small_seed

    from exsync.emulator import Emulator

    with Emulator(seed=small_seed(), version=version) as emu:
        status, _, body = post(emu, soap(GET_ROOT, version="Exchange2016"))
    assert (status, b"ErrorInvalidServerVersion" in body) == (500, True)


def test_journal_records_operation_and_sizes(emulator):
    post(emulator, soap(GET_ROOT))
    entry = emulator.journal[-1]
    assert (entry.operation, entry.status, entry.bytes_in > 0, entry.bytes_out > 0) == (
        "GetFolder",
        200,
        True,
        True,
    )


def test_create_contact_in_search_folders_is_refused(emulator):
    create = (
        '<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId>'
        '<t:DistinguishedFolderId Id="searchfolders"/></m:SavedItemFolderId>'
        "<m:Items><t:Contact><t:GivenName>A</t:GivenName></t:Contact></m:Items>"
        "</m:CreateItem>"
    )
    status, _, body = post(emulator, soap(create))
    assert (status, b"ErrorCannotCreateContactInNonContactFolder" in body) == (
        200,
        True,
    )


@pytest.mark.parametrize("count", ["0", "513", "many"])
def test_sync_max_changes_outside_range_is_schema_fault(emulator, count):
    sync = (
        "<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>"
        "</m:ItemShape><m:SyncFolderId>"
        '<t:DistinguishedFolderId Id="contacts"/></m:SyncFolderId>'
        f"<m:MaxChangesReturned>{count}</m:MaxChangesReturned></m:SyncFolderItems>"
    )
    status, _, body = post(emulator, soap(sync))
    assert (status, b"ErrorSchemaValidation" in body) == (500, True)


def test_time_zone_context_header_is_accepted(emulator):
    request = soap(GET_ROOT).replace(
        b"</s:Header>",
        b'<t:TimeZoneContext><t:TimeZoneDefinition Id="W. Europe Standard Time"/>'
        b"</t:TimeZoneContext></s:Header>",
    )
    status, _, _ = post(emulator, request)
    assert status == 200


def test_chunked_request_body_is_read(emulator):
    parts = urlsplit(emulator.url)
    body = soap(GET_ROOT)
    half = len(body) // 2
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(piece), piece) for piece in (body[:half], body[half:])
    )
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    connection.request(
        "POST",
        parts.path,
        chunks + b"0\r\n\r\n",
        {"Authorization": BASIC, "Transfer-Encoding": "chunked"},
    )
    response = connection.getresponse()
    answer = response.read()
    connection.close()
    assert (response.status, b"NoError" in answer) == (200, True)


def test_get_folder_default_shape_has_recorded_elements(emulator):
    request = GET_ROOT.replace("IdOnly", "Default").replace('"root"', '"contacts"')
    _, _, body = post(emulator, soap(request))
    # The service account's own (empty) mailbox: no impersonation header.
    assert (
        b'ChangeKey="AQAAAA=="/><t:DisplayName>Contacts</t:DisplayName>'
        b"<t:TotalCount>0</t:TotalCount><t:ChildFolderCount>0</t:ChildFolderCount>"
        b"</t:ContactsFolder>"
    ) in body


def test_client_vanishing_mid_body_leaves_no_traceback(emulator, capsys):
    parts = urlsplit(emulator.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(
            f"POST {parts.path} HTTP/1.1\r\nHost: x\r\nAuthorization: {BASIC}\r\n"
            "Content-Length: 1000\r\n\r\n<s:Envel".encode()
        )
    status, _, _ = post(emulator, soap(GET_ROOT))
    assert (status, "Traceback" in capsys.readouterr().err) == (200, False)
