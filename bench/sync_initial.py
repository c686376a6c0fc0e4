"""Initial sync of 50 mailboxes x 2,000 contacts: exsync against a bare loop.

The bare loop is exchangelib alone paging SyncFolderItems through the same
mailboxes with the same fields, page size and number of threads, doing
nothing with the items. exsync does the same paging and maps, matches and
stores every contact. Goal: exsync's wall time at most 1.3 times the bare
loop's. The emulator runs in another process.

    python bench/sync_initial.py [--mailboxes 50] [--contacts 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from emulator_host import (  # noqa: E402
    PASSWORD,
    SERVICE_ACCOUNT,
    EmulatorHost,
    add_operators,
    fresh_store_path,
)

from exsync.sync import run_sync  # noqa: E402


def bare_loop(
    url: str, addresses: list[str], batch: int, threads: int, bulk: bool = False
) -> int:
    """Page every mailbox's Contacts with exchangelib only; returns items seen.

    With ``bulk``, exchangelib's sessions use exsync's bulk-read adapter.
    """
    from exchangelib import (
        BASIC,
        IMPERSONATION,
        Account,
        Configuration,
        Credentials,
        Version,
    )
    from exchangelib.fields import FieldPath
    from exchangelib.items import Contact
    from exchangelib.properties import DistinguishedFolderId, Mailbox
    from exchangelib.protocol import BaseProtocol, close_connections
    from exchangelib.services import SyncFolderItems
    from exchangelib.version import EXCHANGE_2016

    from exsync.exchange import SYNC_FIELDS
    from exsync.exchange.transport import adapter_class

    default_adapter = BaseProtocol.HTTP_ADAPTER_CLS
    if bulk:
        BaseProtocol.HTTP_ADAPTER_CLS = adapter_class(True, True)

    config = Configuration(
        service_endpoint=url,
        credentials=Credentials(SERVICE_ACCOUNT, PASSWORD),
        auth_type=BASIC,
        version=Version(build=EXCHANGE_2016),
        max_connections=threads,
    )
    fields = {FieldPath(field=Contact.get_field_by_fieldname(n)) for n in SYNC_FIELDS}

    def page_through(address: str) -> int:
        account = Account(
            address, config=config, autodiscover=False, access_type=IMPERSONATION
        )
        folder = DistinguishedFolderId(
            id="contacts", mailbox=Mailbox(email_address=address)
        )
        service, state, seen = SyncFolderItems(account=account), None, 0
        while True:
            seen += sum(
                1
                for _ in service.call(
                    folder=folder,
                    shape="IdOnly",
                    additional_fields=fields,
                    sync_state=state,
                    ignore=None,
                    max_changes_returned=batch,
                    sync_scope=None,
                )
            )
            if service.includes_last_item_in_range or service.sync_state == state:
                return seen
            state = service.sync_state

    try:
        with ThreadPoolExecutor(threads) as pool:
            return sum(pool.map(page_through, addresses))
    finally:
        close_connections()
        BaseProtocol.HTTP_ADAPTER_CLS = default_adapter


def exsync_run(host: EmulatorHost, addresses: list[str], batch: int, threads: int):
    store = fresh_store_path()
    add_operators(store, addresses)
    config = host.config(store, batch_size=batch, concurrency=threads)
    report = run_sync(config)
    assert report.exit_code == 0, report.to_dict()
    return report.totals["created"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mailboxes", type=int, default=50)
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    addresses = [f"m{n:03d}@example.com" for n in range(args.mailboxes)]
    with EmulatorHost({a: args.contacts for a in addresses}) as host:
        bare_loop(host.url, addresses, args.batch, args.threads)  # warm-up
        timings: dict[str, list[float]] = {"bare": [], "bulk": [], "exsync": []}
        for _ in range(args.rounds):
            for name in timings:
                started = time.perf_counter()
                if name == "exsync":
                    count = exsync_run(host, addresses, args.batch, args.threads)
                else:
                    count = bare_loop(
                        host.url, addresses, args.batch, args.threads, name == "bulk"
                    )
                timings[name].append(time.perf_counter() - started)
                print(f"  {name:7s} {timings[name][-1]:7.2f} s  ({count} items)")
    bare, bulk, ours = (statistics.median(timings[k]) for k in timings)
    total = args.mailboxes * args.contacts
    print(
        f"initial sync, {args.mailboxes} mailboxes x {args.contacts} contacts, "
        f"{args.threads} threads, pages of {args.batch}, median of {args.rounds}:"
    )
    print(f"  bare exchangelib loop  {bare:7.2f} s  {total / bare:8.0f} contacts/s")
    print(f"  bare loop, bulk reads  {bulk:7.2f} s  {total / bulk:8.0f} contacts/s")
    print(f"  exsync sync            {ours:7.2f} s  {total / ours:8.0f} contacts/s")
    print(f"  ratio exsync / bare    {ours / bare:7.2f}   (goal <= 1.3)")
    print(f"  ratio exsync / bulk    {ours / bulk:7.2f}   (same reads on both sides)")


if __name__ == "__main__":
    main()
