"""Dumping EWS traffic to files when EXSYNC_EMULATOR_TRAFFIC_DIR is set."""

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


def dump_traffic(kind: str, version: str, body: bytes) -> None:
    """Write one request, response or notification body, if dumping is on."""
    directory = os.environ.get(ENV_VAR)
    if not directory:
        return
    with _lock:
        seq = next(_counter)
    path = Path(directory) / f"{os.getpid()}-{seq:07d}-{kind}-{version}.xml"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    except OSError as error:
        log.warning("cannot write traffic file %s: %s", path, error)
