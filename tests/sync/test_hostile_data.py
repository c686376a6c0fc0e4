"""Hostile data: odd categories, other operators' contacts, noisy logs, dry runs."""

from __future__ import annotations

import hashlib
import logging

from exsync.mapping import record_from_contact
from exsync.sync import run_sync

from .conftest import ALICE, BOB, add_crm_contact, contact, crm_rows, link_count
from .procs import run_exsync, write_test_config


def _digest(path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def test_run_sync_category_with_a_trailing_space_still_matches(emulator, config, db):
    emulator.owner(ALICE).create_contact(contact("Ann Lee", categories=["PegaSASync "]))

    run_sync(config, operator=ALICE)

    assert [row["display_name"] for row in crm_rows(db)] == ["Ann Lee"]


def test_run_sync_other_operators_contact_with_the_same_email_is_not_linked(
    emulator, config, db
):
    bobs = add_crm_contact(
        db,
        "op-bob",
        "Ann Lee",
        emails=[{"label": "EmailAddress1", "address": "a@x.io"}],
    )
    emulator.owner(ALICE).create_contact(contact("Ann Lee", email="A@X.io"))

    run_sync(config, operator=ALICE)

    alices = crm_rows(db)
    assert len(alices) == 1 and alices[0]["id"] != bobs
    assert link_count(db, "op-bob") == 0


def test_run_sync_fifty_categories_and_a_one_megabyte_note_sync(emulator, config, db):
    categories = [f"Tag {n}" for n in range(49)] + ["PegaSASync"]
    note = "x" * 1_000_000
    emulator.owner(ALICE).create_contact(
        contact("Ann Lee", categories=categories, body=note)
    )

    run_sync(config, operator=ALICE)

    assert crm_rows(db)[0]["notes"] == note


def test_sync_dry_run_leaves_every_store_file_unchanged(emulator, config, db, tmp_path):
    emulator.owner(ALICE).create_contact(contact("Ann Lee", email="ann@x.io"))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path = write_test_config(config, tmp_path)
    store = config.store.path
    wal = store.with_name(store.name + "-wal")
    before = _digest(store)

    result = run_exsync(path, "--dry-run")

    assert result.returncode == 0, result.stderr
    assert _digest(store) == before
    # Whatever the dry run wrote would sit in the log until a checkpoint.
    assert _digest(wal) in (None, hashlib.sha256(b"").hexdigest())
    assert db.execute("SELECT count(*) FROM crm_changes").fetchone() == (0,)


def test_run_sync_logs_no_contact_names_or_emails_at_info(emulator, config, db, caplog):
    owner = emulator.owner(ALICE)
    owner.create_contact(contact("Zelda Quux", email="zelda@secret.example"))
    owner.create_contact(contact("Yuri Quux", email="yuri@secret.example"))
    add_crm_contact(db, "op-alice", "Yuri Quux")
    add_crm_contact(db, "op-alice", "Yuri Quux")
    emulator.owner(BOB).create_contact(contact("Xena Quux", sensitivity="Private"))
    caplog.set_level(logging.INFO)

    run_sync(config)

    text = "\n".join(r.getMessage() for r in caplog.records if r.levelno > 10)
    for word in ("Zelda", "Yuri", "Xena", "secret.example", "emulator-password"):
        assert word not in text


def test_run_sync_runs_and_failures_tables_hold_no_contact_data(emulator, config, db):
    emulator.owner(ALICE).create_contact(contact("Zelda Quux", email="z@secret.io"))
    emulator.faults.server_busy(back_off_ms=3_600_000, count=None, mailbox=BOB)

    run_sync(config)

    dumped = repr(db.execute("SELECT * FROM runs").fetchall()) + repr(
        db.execute("SELECT * FROM failures").fetchall()
    )
    assert "op-bob" in dumped
    for word in ("Zelda", "secret.io", "emulator-password"):
        assert word not in dumped


def test_run_sync_odd_names_and_edge_birthdays_survive(emulator, config, db):
    owner = emulator.owner(ALICE)
    cases = {
        "\u05e9\u05dc\u05d5\u05dd \U0001f600": "0001-01-01",
        "Zoe\u0301 Ma\u0308rz": "9999-12-31",
        "Leap Day": "2000-02-29",
    }
    for name, birthday in cases.items():
        owner.create_contact(contact(name, birthday=birthday))

    run_sync(config, operator=ALICE)

    rows = {row["display_name"]: row for row in crm_rows(db)}
    assert {name: rows[name]["birthday"] for name in cases} == cases


def test_record_from_contact_html_body_drops_scripts_and_decodes_entities():
    body = "<html><body><script>alert(1)</script><p>a &amp; b &lt;c&gt;</p></body>"

    record = record_from_contact(
        {"display_name": "Ann", "body": body, "body_type": "HTML"}
    )

    assert record["notes"] == "a & b <c>"


def test_run_sync_three_emails_with_case_duplicate_and_invalid_one(
    emulator, config, db
):
    emails = {
        "EmailAddress1": "Ann@X.io",
        "EmailAddress2": " ann@x.IO ",
        "EmailAddress3": "not an address",
    }
    emulator.owner(ALICE).create_contact(contact("Ann Lee", email_addresses=emails))
    add_crm_contact(
        db, "op-alice", "A. Lee", emails=[{"label": "work", "address": "ann@x.io"}]
    )

    run_sync(config, operator=ALICE)

    rows = crm_rows(db)
    assert len(rows) == 1
    assert rows[0]["display_name"] == "Ann Lee"


def test_sync_dry_run_without_a_store_creates_none_and_exits_6(config, tmp_path):
    path = write_test_config(config, tmp_path)

    result = run_exsync(path, "--dry-run")

    assert result.returncode == 6
    assert "no store" in result.stderr
    assert not config.store.path.exists()
