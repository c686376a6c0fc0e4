"""Hostile failures: throttling as a response code, a locked store, bad options."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import replace

import pytest

from exsync.emulator import Emulator, Seed
from exsync.emulator.seed import SeedAccount
from exsync.sync import run_sync
from exsync.sync.run import slot_deadline

from .conftest import (
    ALICE,
    SERVICE_ACCOUNT,
    contact,
    crm_rows,
    store_snapshot,
    with_sync,
)
from .procs import run_exsync, write_test_config


def test_sync_server_busy_response_code_gives_up_well_inside_the_slot(
    emulator, config, db
):
    emulator.owner(ALICE).create_contact(contact("Ann Lee"))
    emulator.faults.server_busy(back_off_ms=30_000, count=None, as_fault=False)

    started = time.monotonic()
    report = run_sync(config, operator=ALICE)
    elapsed = time.monotonic() - started

    assert report.mailboxes[0].failure_code == "throttled"
    assert elapsed < 20


@pytest.mark.slow  # waits out the store's 30 s busy timeout
def test_sync_store_held_by_another_writer_exits_6_and_keeps_the_store(
    emulator, config, db, tmp_path
):
    emulator.owner(ALICE).create_contact(contact("Ann Lee"))
    path = write_test_config(config, tmp_path)
    before = store_snapshot(config.store.path)
    other = sqlite3.connect(config.store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        result = run_exsync(path, timeout=120)
    finally:
        other.execute("ROLLBACK")
        other.close()

    assert result.returncode == 6, result.stderr
    assert "store" in result.stderr.lower()
    assert "Traceback" not in result.stderr
    assert store_snapshot(config.store.path) == before
    assert sqlite3.connect(config.store.path).execute(
        "PRAGMA integrity_check"
    ).fetchone() == ("ok",)


def test_sync_unknown_operator_exits_2_with_a_clear_message(config, db, tmp_path):
    path = write_test_config(config, tmp_path)

    result = run_exsync(path, "--operator", "nobody@example.com")

    assert result.returncode == 2
    assert "no enabled operator has this address" in result.stderr


def test_sync_disabled_operator_exits_2_with_a_clear_message(config, db, tmp_path):
    db.execute("UPDATE operators SET contact_sync = 0 WHERE id = 'op-alice'")
    path = write_test_config(config, tmp_path)

    result = run_exsync(path, "--operator", ALICE.upper())

    assert result.returncode == 2
    assert "no enabled operator has this address" in result.stderr


def test_run_sync_exchange_restarted_between_pages_finishes_the_walk(
    config, db, tmp_path
):
    state_file = tmp_path / "exchange.json"
    first = _exchange(state_file, port=0)
    owner = first.owner(ALICE)
    for n in range(6):
        owner.create_contact(contact(f"Person {n}", email=f"p{n}@x.io"))
    port = int(first.url.split(":")[2].split("/")[0])
    config = replace(
        with_sync(config, batch_size=2),
        exchange=replace(config.exchange, url=first.url),
    )
    servers = [first]

    def restart_after_first_page(report):
        if report.pages == 1 and len(servers) == 1:
            servers[0].stop()
            servers.append(_exchange(state_file, port=port))

    try:
        report = run_sync(config, operator=ALICE, progress=restart_after_first_page)
    finally:
        servers[-1].stop()

    assert len(servers) == 2
    assert report.mailboxes[0].outcome == "ok"
    assert len(crm_rows(db)) == 6


def _exchange(state_file, *, port):
    seed = Seed(
        accounts=[SeedAccount(SERVICE_ACCOUNT, "emulator-password", impersonation=True)]
    )
    fresh = not state_file.exists()
    emulator = Emulator(seed=seed, port=port, state_file=state_file).start()
    if fresh:
        emulator.add_mailbox(ALICE)
    return emulator


@pytest.mark.parametrize(("minutes", "budget"), [(15, 765.0), (30, 1530.0)])
def test_slot_deadline_keeps_15_percent_of_the_slot_free(config, minutes, budget):
    config = with_sync(config, slot_minutes=minutes)

    assert slot_deadline(config, 1000.0) == pytest.approx(1000.0 + budget)
