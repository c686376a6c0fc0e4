"""Kill a real ``exsync sync`` at many points; the rerun must end where an
uninterrupted run ends.

The emulator (in this process) adds latency to every request so that kills
land while a page is in flight, being parsed or being committed. Each kill
is timed from the moment the emulator has served the k-th SyncFolderItems
request of that process, plus a few milliseconds that vary with k. From
that moment on the emulator holds every new request, so a kill meant for
the middle of a run cannot land after its end however loaded the machine
is (the process may still parse and commit the pages it already has).
"""

from __future__ import annotations

import shutil
import signal
import time
from dataclasses import replace

import pytest

from exsync.store import open_store
from exsync.store.operators import upsert_operator

from .conftest import ALICE, BOB, contact, store_snapshot, with_sync
from .procs import run_exsync, start_exsync, write_test_config

CONTACTS = 40
BATCH = 5
KILL_POINTS = 12
LATENCY = 0.015
# How long requests are held while a kill is on its way.
HOLD = 3.0

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture
def world(emulator, config, tmp_path):
    """A paged mailbox, a config file per store, and an empty template store."""
    owner = emulator.owner(ALICE)
    ids = [
        owner.create_contact(contact(f"Person {n:02d}", email=f"p{n}@x.example"))
        for n in range(CONTACTS)
    ]
    emulator.owner(BOB).create_contact(contact("Bob's Contact"))
    template = tmp_path / "template.db"
    store = open_store(template)
    upsert_operator(store, email=ALICE, operator_id="op-alice")
    upsert_operator(store, email=BOB, operator_id="op-bob")
    store.close()
    config = with_sync(config, batch_size=BATCH, concurrency=2)
    return emulator, owner, ids, template, config


def _store_from(template, directory, config):
    directory.mkdir(exist_ok=True)
    path = directory / "store.db"
    shutil.copyfile(template, path)
    config = replace(config, store=replace(config.store, path=path))
    return path, write_test_config(config, directory)


def _sync_requests(emulator) -> int:
    return sum(1 for e in emulator.journal if e.operation == "SyncFolderItems")


def _kill_at(emulator, config_path, k: int) -> None:
    emulator.journal.clear()
    process = start_exsync(config_path)
    deadline = time.monotonic() + 30
    while _sync_requests(emulator) < k and process.poll() is None:
        if time.monotonic() > deadline:
            break
        time.sleep(0.001)
    hold = _hold_requests(emulator)
    time.sleep((k * 7 % 20) / 1000)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    _release_requests(emulator, hold)


def _hold_requests(emulator):
    # The emulator delays a request by its first latency rule only, so the
    # pacing rule goes while the hold lasts.
    emulator.faults.clear()
    return emulator.faults.latency(seconds=HOLD)


def _release_requests(emulator, hold) -> None:
    hold.remove()
    emulator.faults.latency(seconds=LATENCY)


def _reference_run(emulator, config_path):
    emulator.journal.clear()
    assert run_exsync(config_path).returncode == 0
    return _sync_requests(emulator)


def _crash_and_compare(emulator, template, config, tmp_path, reference, requests):
    killed_mid_run = 0
    for i in range(KILL_POINTS):
        k = 1 + i * requests // KILL_POINTS
        path, config_path = _store_from(template, tmp_path / f"kill-{i}", config)
        _kill_at(emulator, config_path, k)
        if store_snapshot(path) != reference:
            killed_mid_run += 1
        result = run_exsync(config_path)
        assert result.returncode == 0, result.stderr
        assert store_snapshot(path) == reference, f"kill after request {k}"
    # The kills must have landed inside runs, not after them.
    assert killed_mid_run >= KILL_POINTS // 2


def test_sync_killed_during_initial_sync_reruns_to_the_same_store(world, tmp_path):
    emulator, _, _, template, config = world
    emulator.faults.latency(seconds=LATENCY)
    path, config_path = _store_from(template, tmp_path / "reference", config)
    requests = _reference_run(emulator, config_path)
    reference = store_snapshot(path)
    assert len(reference["crm_contacts"]) == CONTACTS + 1

    _crash_and_compare(emulator, template, config, tmp_path, reference, requests)


def test_sync_killed_during_incremental_sync_reruns_to_the_same_store(world, tmp_path):
    emulator, owner, ids, template, config = world
    base, config_path = _store_from(template, tmp_path / "base", config)
    assert run_exsync(config_path).returncode == 0
    for n, item_id in enumerate(ids):
        if n % 3 == 0:
            owner.update_contact(item_id, {"job_title": f"Title {n}"})
        elif n % 7 == 0:
            owner.delete_contact(item_id)
    for n in range(10):
        owner.create_contact(contact(f"New {n}"))
    emulator.faults.latency(seconds=LATENCY)
    path, config_path = _store_from(base, tmp_path / "reference", config)
    requests = _reference_run(emulator, config_path)
    reference = store_snapshot(path)
    assert reference != store_snapshot(base)

    _crash_and_compare(emulator, base, config, tmp_path, reference, requests)
