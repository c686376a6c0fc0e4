"""The journal: one entry per EWS request served, for tests and benchmarks."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class JournalEntry:
    """What one request was and what it cost."""

    operation: str
    mailbox: str | None
    bytes_in: int
    bytes_out: int
    status: int
    elapsed: float
    response_code: str = "NoError"


class Journal:
    """A thread-safe, list-like record of requests."""

    def __init__(self, limit: int = 100_000):
        self._entries: list[JournalEntry] = []
        self._lock = threading.Lock()
        self._limit = limit

    def record(self, entry: JournalEntry) -> None:
        """Append an entry, forgetting the oldest past the limit."""
        with self._lock:
            self._entries.append(entry)
            if len(self._entries) > self._limit:
                del self._entries[: len(self._entries) - self._limit]

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()

    def entries(self) -> list[JournalEntry]:
        """A snapshot of the entries, oldest first."""
        with self._lock:
            return list(self._entries)

    def operations(self) -> list[str]:
        """The operation names in order, a convenience for assertions."""
        return [entry.operation for entry in self.entries()]

    def __iter__(self):
        return iter(self.entries())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __getitem__(self, index):
        return self.entries()[index]
