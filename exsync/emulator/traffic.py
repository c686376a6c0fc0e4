"""Dumping EWS traffic to files when EXSYNC_EMULATOR_TRAFFIC_DIR is set.

A request and the response answering it share one sequence number; each
notification takes its own. Files are written under a temporary name and
renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)

ENV_VAR = "EXSYNC_EMULATOR_TRAFFIC_DIR"
_counter = itertools.count(1)
_lock = threading.Lock()


def next_sequence() -> int:
    """A new process-wide sequence number for a dumped exchange."""
    with _lock:
        return next(_counter)


def dump_traffic(kind: str, version: str, body: bytes, seq: int | None = None) -> None:
    """Write one request, response or notification body, if dumping is on."""
    directory = os.environ.get(ENV_VAR)
    if not directory:
        return
    if seq is None:
        seq = next_sequence()
    name = f"{os.getpid()}-{seq:07d}-{kind}-{version}.xml"
    path = Path(directory) / name
    temporary = path.with_name(f".{name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(body)
        os.replace(temporary, path)
    except OSError as error:
        log.warning("cannot write traffic file %s: %s", path, error)
