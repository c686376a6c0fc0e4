"""Time ``exsync import-operators`` against ``sqlite-utils insert --csv``.

Builds operators CSV files (20,000 and 100,000 rows), imports the large one
into a fresh store with each tool several times, and prints the medians,
their ratio (the goal is at most 2x, while exsync validates every row) and
each run's peak memory. exsync's peak memory at 20,000 and 100,000 rows
shows whether it stays flat in the number of rows.

    python bench/import_operators.py [--rows 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = """[exchange]
url = "https://mail.example.com/EWS/Exchange.asmx"
username = "svc@example.com"
password = {{ env = "EXSYNC_BENCH_PASSWORD" }}
[store]
path = "{store}"
"""


def build_csv(path: Path, rows: int) -> None:
    """Write ``rows`` operators, as a spreadsheet would export them."""
    with path.open("w", encoding="utf-8", newline="") as stream:
        stream.write("id,name,email,contact_sync\n")
        for number in range(rows):
            flag = "yes" if number % 7 else "no"
            stream.write(f"{number},Operator {number},op{number}@example.com,{flag}\n")


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Run ``command``; return its wall time in seconds and peak RSS in KiB."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(command)}")
    return elapsed, usage.ru_maxrss


def time_exsync(csv: Path, work: Path, repeat: int) -> list[tuple[float, int]]:
    """Import ``csv`` into a fresh exsync store ``repeat`` times."""
    env = dict(os.environ, EXSYNC_BENCH_PASSWORD="unused")
    exsync = shutil.which("exsync") or sys.exit("exsync is not installed")
    results = []
    for attempt in range(repeat):
        store = work / f"exsync-{csv.stem}-{attempt}.db"
        config = work / f"config-{csv.stem}-{attempt}.toml"
        config.write_text(CONFIG.format(store=store), encoding="utf-8")
        command = [exsync, "--config", str(config), "import-operators", str(csv), "-q"]
        results.append(run_measured(command, env))
    return results


def time_sqlite_utils(csv: Path, work: Path, repeat: int) -> list[tuple[float, int]]:
    """Insert ``csv`` into a fresh database with sqlite-utils ``repeat`` times."""
    tool = shutil.which("sqlite-utils") or sys.exit("sqlite-utils is not installed")
    results = []
    for attempt in range(repeat):
        database = work / f"plain-{attempt}.db"
        command = [tool, "insert", str(database), "operators", str(csv), "--csv"]
        results.append(run_measured(command, dict(os.environ)))
    return results


def summarise(label: str, results: list[tuple[float, int]]) -> float:
    """Print the median time and the largest peak memory; return the median."""
    median = statistics.median(seconds for seconds, _ in results)
    peak = max(rss for _, rss in results) / 1024
    print(f"{label:<42} {median:7.2f} s   peak {peak:6.1f} MiB")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small-rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="exsync-bench-") as directory:
        work = Path(directory)
        large, small = work / "large.csv", work / "small.csv"
        build_csv(large, options.rows)
        build_csv(small, options.small_rows)
        print(f"{options.rows:,} rows, median of {options.repeat} runs each")
        ours = summarise(
            "exsync import-operators", time_exsync(large, work, options.repeat)
        )
        theirs = summarise(
            "sqlite-utils insert --csv", time_sqlite_utils(large, work, options.repeat)
        )
        print(f"ratio exsync / sqlite-utils: {ours / theirs:.2f}x (goal: 2x or less)")
        summarise(
            f"exsync import-operators, {options.small_rows:,} rows",
            time_exsync(small, work, options.repeat),
        )


if __name__ == "__main__":
    main()
