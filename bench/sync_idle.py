"""Idle incremental run over 500 mailboxes with 20 ms added per request.

After an initial sync (not timed), every mailbox is idle. The script counts
the EWS requests an idle run makes per mailbox (goal: exactly 1) and times
the run with one thread (sequential) and with the configured pool (goal:
at most a quarter of the sequential time). The emulator runs in another
process.

    python bench/sync_idle.py [--mailboxes 500] [--latency 0.02] [--threads 8]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from emulator_host import EmulatorHost, add_operators, fresh_store_path  # noqa: E402

from exsync.sync import run_sync  # noqa: E402


def timed_run(config) -> float:
    started = time.perf_counter()
    report = run_sync(config)
    elapsed = time.perf_counter() - started
    assert report.exit_code == 0, report.to_dict()
    assert sum(report.totals.values()) == 0, "the mailboxes were not idle"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mailboxes", type=int, default=500)
    parser.add_argument("--contacts", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    addresses = [f"idle{n:04d}@example.com" for n in range(args.mailboxes)]
    with EmulatorHost({a: args.contacts for a in addresses}) as host:
        store = fresh_store_path()
        add_operators(store, addresses)
        sequential = host.config(store, concurrency=1)
        pooled = host.config(store, concurrency=args.threads)
        run_sync(pooled)  # the initial sync, not timed
        host.set_latency(args.latency)
        host.clear_journal()
        timed_run(pooled)
        requests = host.count()
        sync_requests = host.count("SyncFolderItems")
        timings: dict[str, list[float]] = {"sequential": [], "pooled": []}
        for _ in range(args.rounds):
            timings["sequential"].append(timed_run(sequential))
            timings["pooled"].append(timed_run(pooled))
    seq, pool = (statistics.median(timings[k]) for k in ("sequential", "pooled"))
    print(
        f"idle incremental run, {args.mailboxes} mailboxes, "
        f"{args.latency * 1000:.0f} ms added per request, median of {args.rounds}:"
    )
    print(
        f"  EWS requests per idle mailbox  {requests / args.mailboxes:6.2f}"
        f"   ({sync_requests} SyncFolderItems of {requests})   (goal 1)"
    )
    print(f"  sequential (1 thread)          {seq:6.2f} s")
    print(f"  pooled ({args.threads} threads)            {pool:6.2f} s")
    print(f"  ratio pooled / sequential      {pool / seq:6.2f}   (goal <= 0.25)")


if __name__ == "__main__":
    main()
