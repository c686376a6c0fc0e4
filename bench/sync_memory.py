"""Peak memory of an initial sync of one mailbox, at 20,000 and 100,000 contacts.

Each sync runs in a fresh child process (``exsync sync``), whose peak
resident set size is read from the kernel when it ends. Goal: under
200 MB at 100,000 contacts, and about the same at 20,000 (flat in the
number of contacts). The emulator runs in another process.

    python bench/sync_memory.py [--sizes 20000 100000]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from emulator_host import EmulatorHost, add_operators, fresh_store_path  # noqa: E402

from exsync.config import write_config  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def measure(host: EmulatorHost, address: str) -> tuple[float, float, int]:
    """Run one initial sync in a child; returns (peak MB, seconds, contacts)."""
    store = fresh_store_path()
    add_operators(store, [address])
    config_path = write_config(host.config(store), store.parent / "config.toml")
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "exsync",
            "sync",
            "--config",
            str(config_path),
            "--operator",
            address,
            "--json",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    assert process.returncode == 0, f"exsync sync exited {process.returncode}"
    with sqlite3.connect(store) as db:
        count = db.execute("SELECT count(*) FROM crm_contacts").fetchone()[0]
    return usage.ru_maxrss / 1024, elapsed, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    args = parser.parse_args()
    mailboxes = {f"big{size}@example.com": size for size in args.sizes}
    results = []
    with EmulatorHost(mailboxes) as host:
        for address, size in mailboxes.items():
            peak, seconds, count = measure(host, address)
            results.append((size, peak, seconds, count))
    print("initial sync of one mailbox, peak RSS of the exsync process:")
    for size, peak, seconds, count in results:
        print(
            f"  {size:7d} contacts  {peak:7.1f} MB  {seconds:6.1f} s  ({count} synced)"
        )
    print(
        f"  largest / smallest peak  {results[-1][1] / results[0][1]:5.2f}"
        "   (goal: under 200 MB, and flat)"
    )


if __name__ == "__main__":
    main()
