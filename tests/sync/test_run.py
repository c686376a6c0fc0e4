"""A whole run: the lock, the slot, the order of mailboxes, concurrency, runs."""

from __future__ import annotations

import json
import threading
import time

import pytest

from exsync.errors import LockedError
from exsync.lock import lock_path, run_lock
from exsync.store.operators import upsert_operator
from exsync.sync import run_sync
from exsync.sync.run import select_operators

from .conftest import ALICE, BOB, contact, with_sync


def test_run_sync_lock_held_raises_locked_at_once(config, db):
    with run_lock(lock_path(config.store.path)):
        started = time.monotonic()
        with pytest.raises(LockedError):
            run_sync(config)
    # "At once": well under the store's 30 s busy timeout, with room for a
    # loaded machine.
    assert time.monotonic() - started < 5


def test_run_sync_spent_slot_starts_no_mailbox(emulator, config, db):
    emulator.owner(ALICE).create_contact(contact("Ann Lee"))

    report = run_sync(config, deadline=time.monotonic() - 1)

    assert [m.outcome for m in report.mailboxes] == ["not-started", "not-started"]
    assert report.exit_code == 0
    assert db.execute("SELECT count(*) FROM crm_contacts").fetchone()[0] == 0
    assert emulator.journal.operations() == []


def test_select_operators_least_recently_attempted_first(config, db):
    upsert_operator(db, email="carol@example.com", operator_id="op-carol")
    db.execute(
        "INSERT INTO sync_state (operator_id, last_attempt_at) VALUES "
        "('op-alice', '2026-01-02T00:00:00Z'), ('op-bob', '2026-01-01T00:00:00Z')"
    )

    order = [o.id for o in select_operators(db, None)]

    assert order == ["op-carol", "op-bob", "op-alice"]


def test_select_operators_disabled_operator_is_left_out(config, db):
    upsert_operator(db, email=BOB, contact_sync=False)

    assert [o.id for o in select_operators(db, None)] == ["op-alice"]


def test_run_sync_mailboxes_run_concurrently(emulator, config, db):
    for n in range(4):
        upsert_operator(db, email=f"m{n}@example.com", operator_id=f"op-m{n}")
        emulator.add_mailbox(f"m{n}@example.com")
    emulator.faults.latency(seconds=0.2)
    threads = set()
    lock = threading.Lock()

    def note(report):
        with lock:
            threads.add(threading.current_thread().name)

    report = run_sync(with_sync(config, concurrency=3), progress=note)

    assert report.exit_code == 0
    assert len(threads) == 3


def test_run_sync_records_the_run(emulator, config, db):
    emulator.owner(ALICE).create_contact(contact("Ann Lee"))

    run_sync(config)

    exit_code, summary = db.execute("SELECT exit_code, summary FROM runs").fetchone()
    assert exit_code == 0
    assert json.loads(summary)["totals"]["created"] == 1


def test_run_sync_reports_progress_after_every_page(emulator, config, db):
    owner = emulator.owner(ALICE)
    for n in range(12):
        owner.create_contact(contact(f"Person {n}"))
    seen = []

    run_sync(
        with_sync(config, batch_size=5),
        operator=ALICE,
        progress=lambda report: seen.append((report.pages, report.done)),
    )

    assert seen == [(1, False), (2, False), (3, False), (3, True)]


def test_run_sync_mailbox_left_over_goes_first_next_time(emulator, config, db):
    run_sync(config, operator=BOB)
    run_sync(config, operator=ALICE)

    report = run_sync(config, deadline=time.monotonic() - 1)

    assert [m.email for m in report.mailboxes] == [BOB, ALICE]
    assert [o.email for o in select_operators(db, None)] == [BOB, ALICE]
