"""Measure that the built-in emulator is never what a benchmark measures.

Prints, side by side, medians over several repetitions:

(a) the emulator's time to serve one SyncFolderItems page of 512 contacts
    (server side: the journal's elapsed, from reading the request to the
    rendered answer) against exchangelib's time to parse that same page
    (client side), and their ratio; goal: server under a quarter of client;
(b) small requests (GetFolder contacts) served per second on loopback over
    one keep-alive connection; goal: several hundred per second.

Run: ``python bench/emulator.py`` (about half a minute on 2 cores).
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import requests
from exchangelib import (
    BASIC,
    IMPERSONATION,
    Account,
    Configuration,
    Credentials,
    Version,
)
from exchangelib.protocol import close_connections
from exchangelib.services import SyncFolderItems
from exchangelib.version import EXCHANGE_2016

from exsync.emulator import Emulator, Seed
from exsync.emulator.synthetic import make_contacts
from exsync.exchange import SYNC_FIELDS

SERVICE = ("svc-exsync@example.com", "emulator-password")
MAILBOX = "bench@example.com"
PAGE = 512
TRAFFIC_ENV = "EXSYNC_EMULATOR_TRAFFIC_DIR"

GET_FOLDER = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"'
    ' xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"'
    ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">'
    '<s:Header><t:RequestServerVersion Version="Exchange2016"/>'
    "<t:ExchangeImpersonation><t:ConnectingSID>"
    f"<t:PrimarySmtpAddress>{MAILBOX}</t:PrimarySmtpAddress>"
    "</t:ConnectingSID></t:ExchangeImpersonation></s:Header>"
    "<s:Body><m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape>"
    '</m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="contacts">'
    f"<t:Mailbox><t:EmailAddress>{MAILBOX}</t:EmailAddress></t:Mailbox>"
    "</t:DistinguishedFolderId></m:FolderIds></m:GetFolder></s:Body></s:Envelope>"
).encode()


def connect_account(emulator: Emulator) -> Account:
    """An exchangelib account on the bench mailbox, impersonated."""
    config = Configuration(
        service_endpoint=emulator.url,
        credentials=Credentials(*SERVICE),
        auth_type=BASIC,
        version=Version(build=EXCHANGE_2016),
    )
    return Account(
        MAILBOX, config=config, autodiscover=False, access_type=IMPERSONATION
    )


def sync_all(account: Account) -> int:
    """Walk the whole contacts folder in pages of 512; return the changes seen."""
    folder = account.contacts
    folder.item_sync_state = None
    changes = folder.sync_items(
        sync_state=None, max_changes_returned=PAGE, only_fields=SYNC_FIELDS
    )
    return sum(1 for _ in changes)


def capture_full_page(emulator: Emulator, account: Account) -> tuple[bytes, bytes]:
    """One 512-change SyncFolderItems request and answer, via the traffic dump."""
    with tempfile.TemporaryDirectory(prefix="exsync-bench-") as folder:
        os.environ[TRAFFIC_ENV] = folder
        try:
            sync_all(account)
        finally:
            del os.environ[TRAFFIC_ENV]
        files = {path.name: path.read_bytes() for path in Path(folder).iterdir()}

    name, body = next(
        (name, body)
        for name, body in sorted(files.items())
        if b"SyncFolderItemsResponse" in body and body.count(b"<t:Create>") == PAGE
    )
    return files[name.replace("-response-", "-request-")], body


def time_server_pages(emulator: Emulator, account: Account, repeats: int) -> list:
    """Server-side seconds of every full page over ``repeats`` full walks."""
    timings = []
    for _ in range(repeats):
        emulator.journal.clear()
        sync_all(account)
        timings.extend(
            entry.elapsed
            for entry in emulator.journal
            if entry.operation == "SyncFolderItems" and entry.bytes_out > 100_000
        )

    return timings


def time_round_trips(emulator: Emulator, request: bytes, repeats: int) -> list:
    """Seconds to send the page's request and read the whole answer (no parsing)."""
    timings = []
    with requests.Session() as session:
        session.auth = SERVICE
        session.headers["Content-Type"] = "text/xml; charset=utf-8"
        for _ in range(repeats):
            started = time.perf_counter()
            response = session.post(emulator.url, data=request, timeout=30)
            assert response.content.count(b"<t:Create>") == PAGE
            timings.append(time.perf_counter() - started)

    return timings


def time_client_parse(account: Account, body: bytes, repeats: int) -> dict:
    """exchangelib's seconds to parse ``body``: as requests feeds it, and at once."""
    timings = {"streamed": [], "whole": []}
    for _ in range(repeats):
        for mode in timings:
            service = SyncFolderItems(account=account)
            # Requests hands exchangelib the body one byte per chunk
            # (iter_content's default); "whole" is the lower bound.
            service.streaming = mode == "streamed"
            started = time.perf_counter()
            parsed = list(service.parse(body))
            timings[mode].append(time.perf_counter() - started)
            assert len(parsed) == PAGE, len(parsed)

    return timings


def time_small_requests(emulator: Emulator, count: int, repeats: int) -> list:
    """Requests per second for ``count`` GetFolder calls on one connection."""
    rates = []
    with requests.Session() as session:
        session.auth = SERVICE
        session.headers["Content-Type"] = "text/xml; charset=utf-8"
        session.post(emulator.url, data=GET_FOLDER, timeout=10).raise_for_status()
        for _ in range(repeats):
            started = time.perf_counter()
            for _ in range(count):
                response = session.post(emulator.url, data=GET_FOLDER, timeout=10)
                response.raise_for_status()
            rates.append(count / (time.perf_counter() - started))

    return rates


def main() -> None:
    """Run both measurements and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=4 * PAGE)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--requests", type=int, default=500)
    options = parser.parse_args()
    os.environ.pop(TRAFFIC_ENV, None)

    with Emulator(seed=Seed.sample(), version="Exchange2016") as emulator:
        emulator.add_contacts(MAILBOX, make_contacts(options.contacts, seed=7))
        account = connect_account(emulator)
        request, body = capture_full_page(emulator, account)
        server = time_server_pages(emulator, account, options.repeats)
        trips = time_round_trips(emulator, request, options.repeats * 4)
        client = time_client_parse(account, body, options.repeats)
        rates = time_small_requests(emulator, options.requests, options.repeats)
        close_connections()

    report(body, (server, trips), client, rates, options)


def report(body: bytes, server: tuple, client: dict, rates: list, options) -> None:
    """Print the figures side by side with their goals."""
    server, trips = server
    served = statistics.median(server)
    streamed = statistics.median(client["streamed"])
    whole = statistics.median(client["whole"])
    print(f"(a) SyncFolderItems page of {PAGE} contacts ({len(body) / 1e6:.2f} MB)")
    print(f"    emulator serves it       {served * 1000:8.1f} ms  (n={len(server)})")
    print(f"    HTTP round trip, no parse{statistics.median(trips) * 1000:8.1f} ms")
    print(f"    exchangelib parses it    {streamed * 1000:8.1f} ms  (1-byte chunks)")
    print(f"    exchangelib, whole body  {whole * 1000:8.1f} ms  (lower bound)")
    print(
        f"    server/client ratio      {served / streamed:8.3f}"
        f"  ({served / whole:.3f} against the lower bound; goal < 0.25)"
    )
    runs = f"{options.requests} x {options.repeats}"
    print(f"(b) GetFolder on one keep-alive connection, {runs}")
    print(
        f"    requests per second      {statistics.median(rates):8.0f}"
        f"  (min {min(rates):.0f}, max {max(rates):.0f}; goal: several hundred)"
    )


if __name__ == "__main__":
    main()
