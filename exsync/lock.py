"""One sync at a time: an exclusive, non-blocking lock next to the store."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from exsync.errors import LockedError


def lock_path(store_path: Path | str) -> Path:
    """The lock file of a store: ``<store>.lock``."""
    return Path(f"{store_path}.lock")


@contextmanager
def run_lock(path: Path | str) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` for the block.

    The lock belongs to the open file, so it ends with the process however
    that ends (even SIGKILL). Raises :class:`LockedError` at once if another
    process holds it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise LockedError(
                "another exsync sync is running",
                hint="wait for it to finish; cron will start the next run.",
            ) from error
        yield
    finally:
        os.close(descriptor)
