"""First sync of a mailbox: everything in the category, matched, never twice."""

from __future__ import annotations

from dataclasses import replace

import pytest

from exsync.emulator import Emulator, Seed
from exsync.emulator.seed import SeedAccount
from exsync.sync import run_sync

from .conftest import (
    ALICE,
    SERVICE_ACCOUNT,
    add_crm_contact,
    contact,
    crm_rows,
    link_count,
    store_snapshot,
    with_sync,
)


def test_run_sync_initial_brings_every_contact_in_the_category(emulator, config, db):
    owner = emulator.owner(ALICE)
    for n in range(25):
        owner.create_contact(contact(f"Person {n:02d}", email=f"p{n}@x.example"))
    owner.create_contact({"display_name": "Not tagged", "categories": ["Other"]})

    report = run_sync(config)

    assert report.exit_code == 0
    assert [m.outcome for m in report.mailboxes] == ["ok", "ok"]
    names = [row["display_name"] for row in crm_rows(db)]
    assert names == [f"Person {n:02d}" for n in range(25)]
    assert link_count(db) == 25
    assert report.totals["created"] == 25 and report.totals["skipped"] == 1


def test_run_sync_initial_maps_the_fields(emulator, config, db):
    emulator.owner(ALICE).create_contact(
        contact(
            "Grace Hopper",
            email="Grace@Navy.example",
            company_name="Navy",
            job_title="Rear Admiral",
            department="Computing",
            phone_numbers={
                "MobilePhone": "+1 555 0100",
                "BusinessPhone": "+1 555 0101",
            },
            physical_addresses={
                "Business": {
                    "street": "1 Pentagon",
                    "city": "Arlington",
                    "state": "VA",
                    "country": "USA",
                    "zipcode": "22202",
                }
            },
            birthday="1906-12-09",
            body="Invented the compiler.",
            business_homepage="https://hopper.example",
        )
    )

    run_sync(config, operator=ALICE)

    (row,) = crm_rows(db)
    assert row["company"] == "Navy"
    assert row["job_title"] == "Rear Admiral"
    assert row["department"] == "Computing"
    assert row["emails"] == [
        {"label": "EmailAddress1", "address": "Grace@Navy.example"}
    ]
    assert row["phones"] == [
        {"label": "BusinessPhone", "number": "+1 555 0101"},
        {"label": "MobilePhone", "number": "+1 555 0100"},
    ]
    assert row["addresses"]["business"] == {
        "street": "1 Pentagon",
        "city": "Arlington",
        "state": "VA",
        "country": "USA",
        "postal_code": "22202",
    }
    assert row["birthday"] == "1906-12-09"
    assert row["notes"] == "Invented the compiler."
    assert row["web_page"] == "https://hopper.example"


def test_run_sync_initial_matches_existing_contact_by_email(emulator, config, db):
    existing = add_crm_contact(
        db,
        "op-alice",
        "Old Name",
        emails=[{"label": "x", "address": " ANN@X.example "}],
        notes="kept from the CRM",
    )
    emulator.owner(ALICE).create_contact(contact("Ann Lee", email="ann@x.example"))

    report = run_sync(config, operator=ALICE)

    (row,) = crm_rows(db)
    assert row["id"] == existing
    assert row["display_name"] == "Ann Lee"
    assert row["notes"] == "kept from the CRM"
    assert report.totals["linked"] == 1 and report.totals["created"] == 0


def test_run_sync_initial_matches_by_name_and_company(emulator, config, db):
    existing = add_crm_contact(db, "op-alice", "Ann Lee", company="ACME")
    emulator.owner(ALICE).create_contact(contact("ann lee", company_name="Acme "))

    run_sync(config, operator=ALICE)

    assert [row["id"] for row in crm_rows(db)] == [existing]


def test_run_sync_initial_ignores_other_operators_contacts(emulator, config, db):
    add_crm_contact(
        db, "op-bob", "Ann Lee", emails=[{"label": "x", "address": "a@x.io"}]
    )
    emulator.owner(ALICE).create_contact(contact("Ann Lee", email="a@x.io"))

    run_sync(config, operator=ALICE)

    assert len(crm_rows(db, "op-alice")) == 1
    assert len(crm_rows(db, "op-bob")) == 1


def test_run_sync_initial_ambiguous_match_is_reported_not_created(
    emulator, config, db, caplog
):
    for _ in range(2):
        add_crm_contact(
            db, "op-alice", "Twin", emails=[{"label": "x", "address": "t@x.io"}]
        )
    emulator.owner(ALICE).create_contact(contact("Twin One", email="t@x.io"))

    report = run_sync(config, operator=ALICE)

    assert report.totals["ambiguous"] == 1
    assert len(crm_rows(db)) == 2
    assert link_count(db) == 0
    (warning,) = [r for r in caplog.records if r.levelname == "WARNING"]
    assert "CRM contacts 1, 2" in warning.getMessage()
    assert "t@x.io" not in caplog.text and "Twin" not in caplog.text


def test_run_sync_initial_twice_changes_nothing(emulator, config, db, tmp_path):
    owner = emulator.owner(ALICE)
    for n in range(12):
        owner.create_contact(contact(f"Person {n}", email=f"p{n}@x.example"))
    run_sync(config)
    before = store_snapshot(config.store.path)

    report = run_sync(config, full=True)

    after = store_snapshot(config.store.path)
    assert report.totals["created"] == 0 and report.totals["updated"] == 0
    assert after["crm_contacts"] == before["crm_contacts"]
    assert [row[:4] for row in after["links"]] == [row[:4] for row in before["links"]]
    assert after["crm_changes"] == before["crm_changes"]


def test_run_sync_second_run_after_initial_changes_nothing(emulator, config, db):
    owner = emulator.owner(ALICE)
    for n in range(12):
        owner.create_contact(contact(f"Person {n}", email=f"p{n}@x.example"))
    run_sync(config)
    before = store_snapshot(config.store.path)

    report = run_sync(config)

    after = store_snapshot(config.store.path)
    assert sum(report.totals.values()) == 0
    assert {k: v for k, v in after.items() if k != "sync_state"} == {
        k: v for k, v in before.items() if k != "sync_state"
    }


def test_run_sync_dry_run_writes_nothing(emulator, config, db):
    emulator.owner(ALICE).create_contact(contact("Ann Lee"))
    before = store_snapshot(config.store.path)

    report = run_sync(config, dry_run=True)

    assert report.totals["created"] == 1
    assert store_snapshot(config.store.path) == before
    assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 0


def test_run_sync_small_batches_page_until_the_last(emulator, config, db):
    owner = emulator.owner(ALICE)
    for n in range(23):
        owner.create_contact(contact(f"Person {n}"))

    report = run_sync(with_sync(config, batch_size=5), operator=ALICE)

    assert report.mailboxes[0].pages == 5
    assert link_count(db) == 23


@pytest.mark.parametrize("version", ["Exchange2010", "Exchange2013"])
def test_run_sync_older_server_versions_sync_and_keep_birthdays(
    version, config, db, monkeypatch
):
    seed = Seed(
        accounts=[SeedAccount(SERVICE_ACCOUNT, "emulator-password", impersonation=True)]
    )
    with Emulator(seed=seed, version=version) as emu:
        emu.add_mailbox(ALICE)
        emu.owner(ALICE).create_contact(contact("Ann Lee", birthday="1980-01-01"))
        settings = replace(config.exchange, url=emu.url, version=version)

        report = run_sync(replace(config, exchange=settings), operator=ALICE)

    assert report.exit_code == 0
    assert [row["birthday"] for row in crm_rows(db)] == ["1980-01-01"]
